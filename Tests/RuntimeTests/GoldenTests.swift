// Golden scripts for the engine bindings: every script under Fixtures/ runs with the
// engine installed (`Runtime.install`), and what it prints and the errors it reports are
// compared with its `# expect` comments (the format is `Language.Fixture`'s, shared with
// the Language's own golden tests).

import Foundation
import Testing
import Language
import Runtime

enum RuntimeFixtures {
    static let root: URL? = Bundle.module.url(forResource: "Fixtures", withExtension: nil)?.standardizedFileURL

    /// Paths of all fixture scripts, relative to the fixtures folder.
    static let all: [String] = {
        guard let root, let e = FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil) else { return [] }
        var out: [String] = []
        for case let url as URL in e where url.pathExtension == "mem" {
            out.append(String(url.standardizedFileURL.path.dropFirst(root.path.count + 1)))
        }
        return out.sorted()
    }()

    /// Runs one fixture with the engine bound: files are read next to the fixture, written
    /// to a temporary folder, and the random stream starts from seed 0.
    static func run(_ path: String) throws -> [String] {
        let url = try #require(root).appendingPathComponent(path)
        let text = try String(contentsOf: url, encoding: .utf8)
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("memento-runtime-fixtures")
        return Fixture(name: path, text: text).run(path: url.path) { it in
            Runtime.install(in: it, session: Session(scriptDirectory: url.deletingLastPathComponent(), outputDirectory: output))
        }
    }
}

@Suite("Runtime golden scripts")
struct RuntimeGoldenTests {
    @Test func fixturesAreFound() {
        #expect(RuntimeFixtures.all.count >= 8)
    }

    @Test(arguments: RuntimeFixtures.all)
    func fixture(_ path: String) throws {
        let problems = try RuntimeFixtures.run(path)
        #expect(problems.isEmpty, "\(problems.joined(separator: "\n"))")
    }
}
