import ArgumentParser

// Placeholder until grading lands (issue 7).
struct Assign: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "(not built yet)")
}
