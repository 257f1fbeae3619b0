import ArgumentParser

// Placeholder until the notebook commands land (issue 6).
struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "(not built yet)")
}
