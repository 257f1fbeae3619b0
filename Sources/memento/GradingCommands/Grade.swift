import ArgumentParser

// Placeholder until grading lands (issue 7).
struct Grade: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "(not built yet)")
}
