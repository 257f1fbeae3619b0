import ArgumentParser
import Foundation
import Grading
import Language
import Runtime

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a script.",
        discussion: "Example: memento run lessons/00-tour.mem --out results")

    @ArgumentParser.Argument(help: "The script (.mem) to run.")
    var file: String

    @Option(help: "The folder scripts may write to.")
    var out: String = "out"

    @Option(help: "The initial random seed.")
    var seed: UInt64 = 0

    func run() throws {
        let text = readScript(file)
        let scriptURL = URL(fileURLWithPath: file).standardizedFileURL
        let session = Session(scriptDirectory: scriptURL.deletingLastPathComponent(),
                              outputDirectory: URL(fileURLWithPath: out), seed: seed)
        let code: Int32 = Interpreter.runOnLargeStack {
            let interpreter = Interpreter()
            Runtime.install(in: interpreter, session: session)
            interpreter.output = { s in FileHandle.standardOutput.write(Data(s.utf8)) }
            let source = SourceFile(path: file, text: text)
            switch interpreter.compile(source) {
            case .failure(let errors):
                for d in errors.diagnostics { FileHandle.standardError.write(Data((d.render(color: useColor()) + "\n").utf8)) }
                return 65
            case .success(let chunk):
                do {
                    _ = try interpreter.run(chunk)
                    return 0
                } catch let error as RuntimeError {
                    FileHandle.standardError.write(Data((error.diagnostic.render(color: useColor()) + "\n").utf8))
                    return 70
                } catch {
                    FileHandle.standardError.write(Data("error: \(error)\n".utf8))
                    return 70
                }
            }
        }
        if code != 0 { throw ExitCode(code) }
    }
}

struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Report a script's compile errors, then run its tests as the grader would.",
        discussion: """
        Without errors, the file's own tests (the visible ones, in a student version) are graded \
        exactly as `memento grade FILE` would, each in its own sandboxed process, and the report \
        is printed: the check a student runs before handing in. --json (for editors) and \
        --no-tests report the diagnostics only, without running anything.

        Examples:
          memento check my-lessons/01-pomdps.mem
          memento check --json script.mem
        """)

    @ArgumentParser.Argument(help: "The script (.mem) to check.")
    var file: String

    @Flag(help: "Print the diagnostics as JSON (path, line, column, end, severity, message, help).")
    var json = false

    @Flag(name: .customLong("no-tests"), help: "Only report compile errors; do not run the file's tests.")
    var noTests = false

    func run() throws {
        let text = readScript(file)
        let interpreter = Interpreter()
        let session = Session(scriptDirectory: URL(fileURLWithPath: file).deletingLastPathComponent())
        Runtime.install(in: interpreter, session: session)
        var diagnostics: [Diagnostic] = []
        if case .failure(let errors) = interpreter.compile(SourceFile(path: file, text: text)) {
            diagnostics = errors.diagnostics
        }
        if json {
            print(Diagnostic.json(diagnostics))
        } else {
            for d in diagnostics { FileHandle.standardError.write(Data((d.render(color: useColor()) + "\n").utf8)) }
        }
        if diagnostics.contains(where: { $0.severity == .error }) { throw ExitCode(65) }
        guard !json, !noTests else { return }
        let tests = (try? TestDiscovery.tests(in: SourceFile(path: file, text: text))) ?? []
        guard !tests.isEmpty else {
            print("\(file): no errors; it has no tests to run")
            return
        }
        let options = GradingOptions(workerExecutable: Grade.executablePath())
        let report = try Grader.grade(submissionPath: file, submissionText: text, tests: [], options: options)
        let color = isatty(1) != 0 && ProcessInfo.processInfo.environment["NO_COLOR"] == nil
        print(Report.render(report, as: .text, color: color), terminator: "")
    }
}

