import Foundation
import Testing

/// The `memento` executable the lesson tests drive: $MEMENTO_BIN (tools/test builds a
/// release one), else the release or debug build in `.build`.
func mementoExecutable() -> String? {
    if let bin = ProcessInfo.processInfo.environment["MEMENTO_BIN"], FileManager.default.isExecutableFile(atPath: bin) { return bin }
    let root = repositoryRoot()
    for c in [".build/release/memento", ".build/debug/memento"] where FileManager.default.isExecutableFile(atPath: root.appendingPathComponent(c).path) {
        return root.appendingPathComponent(c).path
    }
    return nil
}

func repositoryRoot() -> URL {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
}

/// Runs `memento ARGS` in the repository root; returns the exit status, stdout and stderr.
func runMemento(_ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
    guard let bin = mementoExecutable() else {
        throw CocoaError(.fileNoSuchFile, userInfo: [NSLocalizedDescriptionKey: "no memento executable: run ./tools/test, or set MEMENTO_BIN"])
    }
    let p = Process()
    p.executableURL = URL(fileURLWithPath: bin)
    p.arguments = arguments
    p.currentDirectoryURL = repositoryRoot()
    var env = ProcessInfo.processInfo.environment
    env["NO_COLOR"] = "1"
    p.environment = env
    // Output goes to files, so that a full pipe can never block the child.
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("memento-tool-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let outURL = dir.appendingPathComponent("stdout"), errURL = dir.appendingPathComponent("stderr")
    FileManager.default.createFile(atPath: outURL.path, contents: nil)
    FileManager.default.createFile(atPath: errURL.path, contents: nil)
    p.standardOutput = try FileHandle(forWritingTo: outURL)
    p.standardError = try FileHandle(forWritingTo: errURL)
    try p.run()
    p.waitUntilExit()
    let outData = (try? Data(contentsOf: outURL)) ?? Data(), errData = (try? Data(contentsOf: errURL)) ?? Data()
    return (p.terminationStatus, String(decoding: outData, as: UTF8.self), String(decoding: errData, as: UTF8.self))
}

/// Every lesson, stepped with `memento step --auto`: no error, every test in it passes, and the
/// measured claims its tests check hold (issue 8).
@Suite("Lessons", .serialized)
struct LessonTests {
    static let lessons: [String] = {
        let dir = repositoryRoot().appendingPathComponent("lessons")
        return ((try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []).filter { $0.hasSuffix(".mem") }.sorted()
    }()

    @Test("A lesson runs to the end and its tests pass", arguments: lessons)
    func lessonRuns(_ file: String) throws {
        let r = try runMemento(["step", "--auto", "lessons/\(file)", "--out", NSTemporaryDirectory() + "memento-lesson-out"])
        #expect(r.status == 0, "\(file): exit \(r.status)\n\(r.stderr)")
        #expect(!r.stdout.contains("failed"), "\(file): \(r.stdout)")
        #expect(r.stdout.contains("passed"), "\(file) has no passing test")
    }
}
