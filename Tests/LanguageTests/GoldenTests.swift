// The golden tests: every script under Fixtures/ runs in a bare interpreter, and what it
// prints and the errors it reports are compared with its `# expect` comments (the format
// is `Language.Fixture`'s). Files under `Fixtures/lib/` are only imported by other fixtures.

import Foundation
import Testing
@testable import Language

enum Fixtures {
    static let root: URL? = Bundle.module.url(forResource: "Fixtures", withExtension: nil)?.standardizedFileURL

    /// Paths of all fixture scripts, relative to the fixtures folder.
    static let all: [String] = {
        guard let root, let e = FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil) else { return [] }
        var out: [String] = []
        for case let url as URL in e where url.pathExtension == "mem" {
            let rel = String(url.standardizedFileURL.path.dropFirst(root.path.count + 1))
            if !rel.hasPrefix("lib/") { out.append(rel) }
        }
        return out.sorted()
    }()

    /// Runs one fixture, with imports resolved next to the importing file.
    static func run(_ path: String) throws -> [String] {
        let url = try #require(root).appendingPathComponent(path)
        let text = try String(contentsOf: url, encoding: .utf8)
        return Fixture(name: path, text: text).run(path: url.path) { it in
            it.loadFile = { path, importer in
                let base = URL(fileURLWithPath: importer).deletingLastPathComponent()
                let file = base.appendingPathComponent(path).standardizedFileURL
                guard let t = try? String(contentsOf: file, encoding: .utf8) else { throw HostError("no such file") }
                return LoadedFile(path: file.path, text: t)
            }
        }
    }
}

@Suite struct GoldenTests {
    @Test func thereAreManyFixtures() {
        #expect(Fixtures.all.count >= 150)
    }

    @Test(arguments: Fixtures.all)
    func fixture(_ path: String) throws {
        let problems = try Fixtures.run(path)
        #expect(problems.isEmpty, "\(problems.joined(separator: "\n"))")
    }

    /// The harness itself: a fixture whose run differs from its comments reports each
    /// difference (so a broken harness cannot pass everything).
    @Test func mismatchesAreReported() {
        let f = Fixture(name: "t.mem", text: """
        print(1)  # expect: 2
        print(nope)  # expect error: undefined name 'nope'
        # expect help: no such help
        # expect error: never reported
        """)
        let problems = f.run(path: "t.mem")
        #expect(problems.contains { $0.contains("output differs") })
        #expect(problems.contains { $0.contains("missing error 'never reported'") })
        #expect(problems.contains { $0.contains("missing help 'no such help'") })
        #expect(!problems.contains { $0.contains("missing error 'undefined name") })
    }
}
