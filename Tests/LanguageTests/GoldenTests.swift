// The golden-test harness: every script under Fixtures/ runs, and what it prints and the
// errors it reports are compared with its `# expect` comments:
//
//     print(1 + 2)        # expect: 3
//     print(undefined)    # expect error: undefined name 'undefined'
//     # expect help: did you mean
//
// An `# expect error:` comment after code on the same line also requires the error to be on
// that line. Files under `Fixtures/lib/` are only imported by other fixtures.

import Foundation
import Testing
@testable import Language

/// What a fixture says it should do.
struct FixtureExpectations {
    var output: [String] = []
    var errors: [(fragment: String, line: Int?)] = []
    var help: [String] = []

    init(_ text: String) {
        for (i, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = String(raw)
            guard let hash = line.range(of: "# expect") else { continue }
            let hasCode = !line[..<hash.lowerBound].trimmingCharacters(in: .whitespaces).isEmpty
            let rest = line[hash.upperBound...]
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
}

/// Runs one fixture and returns the problems found (empty when it passes).
func runFixture(_ url: URL, root: URL) -> [String] {
    guard let text = try? String(contentsOf: url, encoding: .utf8) else { return ["cannot read \(url.path)"] }
    let expected = FixtureExpectations(text)
    let name = String(url.path.dropFirst(root.path.count + 1))
    var printed = ""
    let diagnostics: [Diagnostic] = Interpreter.runOnLargeStack {
        let it = Interpreter()
        it.output = { printed += $0 }
        it.stepBudget = 50_000_000
        it.loadFile = { path, importer in
            let base = URL(fileURLWithPath: importer).deletingLastPathComponent()
            let file = base.appendingPathComponent(path).standardizedFileURL
            guard let t = try? String(contentsOf: file, encoding: .utf8) else { throw HostError("no such file") }
            return LoadedFile(path: file.path, text: t)
        }
        return it.run(source: text, path: url.path)
    }
    var problems: [String] = []
    var lines = printed.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    if lines.last == "" { lines.removeLast() }
    if lines != expected.output {
        problems.append("\(name): output differs\n  expected: \(expected.output)\n  actual:   \(lines)")
    }
    var unmatched = diagnostics
    for (fragment, line) in expected.errors {
        if let i = unmatched.firstIndex(where: { $0.message.contains(fragment) && (line == nil || $0.span.line == line) }) {
            unmatched.remove(at: i)
        } else {
            problems.append("\(name): missing error '\(fragment)'\(line.map { " on line \($0)" } ?? "")")
        }
    }
    for d in unmatched { problems.append("\(name): unexpected error:\n\(d.render())") }
    let allHelp = diagnostics.flatMap(\.help).joined(separator: "\n")
    for h in expected.help where !allHelp.contains(h) {
        problems.append("\(name): missing help '\(h)' in:\n\(allHelp)")
    }
    if !problems.isEmpty, !diagnostics.isEmpty {
        problems.append("diagnostics were:\n" + diagnostics.map { $0.render() }.joined())
    }
    return problems
}

enum Fixtures {
    static let root: URL? = Bundle.module.url(forResource: "Fixtures", withExtension: nil)

    /// Paths of all fixture scripts, relative to the fixtures folder.
    static let all: [String] = {
        guard let root, let e = FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil) else { return [] }
        var out: [String] = []
        for case let url as URL in e where url.pathExtension == "mem" {
            let rel = String(url.standardizedFileURL.path.dropFirst(root.standardizedFileURL.path.count + 1))
            if !rel.hasPrefix("lib/") { out.append(rel) }
        }
        return out.sorted()
    }()
}

@Suite struct GoldenTests {
    @Test func thereAreManyFixtures() {
        #expect(Fixtures.all.count >= 150)
    }

    @Test(arguments: Fixtures.all)
    func fixture(_ path: String) throws {
        let root = try #require(Fixtures.root).standardizedFileURL
        let problems = runFixture(root.appendingPathComponent(path), root: root)
        #expect(problems.isEmpty, "\(problems.joined(separator: "\n"))")
    }
}
