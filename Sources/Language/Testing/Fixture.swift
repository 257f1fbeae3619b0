// Golden scripts: a `.mem` file whose comments say what running it must print and which
// errors it must report, checked by one harness (Crafting Interpreters' test runner):
//
//     print(1 + 2)        # expect: 3
//     print(undefined)    # expect error: undefined name 'undefined'
//     # expect help: did you mean
//
// An `# expect error:` comment after code on the same line also requires the error to be on
// that line. The Language's tests run fixtures with a bare interpreter, the Runtime's with
// the engine installed; both use this type, so the format has one definition.

/// A golden script and what its `# expect` comments say it should do.
public struct Fixture: Sendable {
    /// The name shown in failures (usually the path under the fixtures folder).
    public var name: String
    /// The script.
    public var text: String
    /// The lines it must print, in order (`# expect: …`; `# expect:` alone is an empty line).
    public var output: [String] = []
    /// Fragments of the errors it must report, each with the line it must be on when the
    /// comment follows code (`# expect error: …`).
    public var errors: [(fragment: String, line: Int?)] = []
    /// Fragments that must appear among the errors' help lines (`# expect help: …`).
    public var help: [String] = []

    public init(name: String, text: String) {
        self.name = name
        self.text = text
        for (i, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            guard let hash = raw.firstRange(of: "# expect") else { continue }
            let hasCode = raw[..<hash.lowerBound].contains { $0 != " " && $0 != "\t" }
            let rest = raw[hash.upperBound...]
            if rest.hasPrefix(": ") {
                output.append(String(rest.dropFirst(2)))
            } else if rest.hasPrefix(":") {
                output.append("")
            } else if rest.hasPrefix(" error: ") {
                errors.append((String(rest.dropFirst(8)), hasCode ? i + 1 : nil))
            } else if rest.hasPrefix(" help: ") {
                help.append(String(rest.dropFirst(7)))
            }
        }
    }

    /// Runs the script at `path` (for diagnostics and relative imports) in a fresh
    /// interpreter, after `prepare` has installed whatever the fixtures need (the engine,
    /// a file loader), on a large stack and with a step budget so that a runaway fixture
    /// fails instead of hanging. Returns the problems found; empty when it passes.
    public func run(path: String, stepBudget: Int = 50_000_000, prepare: (Interpreter) -> Void = { _ in }) -> [String] {
        var printed = ""
        let diagnostics: [Diagnostic] = Interpreter.runOnLargeStack {
            let it = Interpreter()
            it.stepBudget = stepBudget
            prepare(it)
            it.output = { printed += $0 }
            return it.run(source: text, path: path)
        }
        return check(printed: printed, diagnostics: diagnostics)
    }

    /// Compares what a run printed and reported with the expectations.
    public func check(printed: String, diagnostics: [Diagnostic]) -> [String] {
        var problems: [String] = []
        var lines = printed.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if lines.last == "" { lines.removeLast() }
        if lines != output {
            problems.append("\(name): output differs\n  expected: \(output)\n  actual:   \(lines)")
        }
        var unmatched = diagnostics
        for (fragment, line) in errors {
            if let i = unmatched.firstIndex(where: { $0.message.contains(fragment) && (line == nil || $0.span.line == line) }) {
                unmatched.remove(at: i)
            } else {
                problems.append("\(name): missing error '\(fragment)'\(line.map { " on line \($0)" } ?? "")")
            }
        }
        for d in unmatched { problems.append("\(name): unexpected error:\n\(d.render())") }
        let allHelp = diagnostics.flatMap(\.help).joined(separator: "\n")
        for h in help where !allHelp.contains(h) {
            problems.append("\(name): missing help '\(h)' in:\n\(allHelp)")
        }
        if !problems.isEmpty, !diagnostics.isEmpty {
            problems.append("diagnostics were:\n" + diagnostics.map { $0.render() }.joined())
        }
        return problems
    }
}
