import ArgumentParser
import Foundation
import Grading
import Language

/// `memento assign SOURCE -o OUT`: the student version of a lesson or exercise.
struct Assign: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write the student version of a lesson or exercise.",
        discussion: """
        Each '# BEGIN SOLUTION' … '# END SOLUTION' region becomes a stub that stops with "not implemented: …" when run; tests with 'hidden: true' are removed; every other byte is kept. Unbalanced or nested markers are refused. See docs/GRADING.md.

        Example: memento assign exercises/drqn.mem -o student/drqn.mem
        """)

    @ArgumentParser.Argument(help: "The instructor version (.mem).")
    var source: String

    @Option(name: .shortAndLong, help: "Where to write the student version ('-' for standard output).")
    var output: String

    func run() throws {
        let text = readScript(source)
        if output != "-", URL(fileURLWithPath: output).standardizedFileURL.path == URL(fileURLWithPath: source).standardizedFileURL.path {
            FileHandle.standardError.write(Data("error: the student version would overwrite \(source); choose another -o\n".utf8))
            throw ExitCode(64)
        }
        let result: (text: String, summary: StudentVersion.Summary)
        do {
            result = try StudentVersion.make(from: SourceFile(path: source, text: text))
        } catch let failure as StudentVersion.Failure {
            for d in failure.diagnostics { FileHandle.standardError.write(Data((d.render(color: useColor()) + "\n").utf8)) }
            FileHandle.standardError.write(Data("error: \(source) cannot be turned into a student version (nothing was written)\n".utf8))
            throw ExitCode(65)
        }
        if output == "-" {
            FileHandle.standardOutput.write(Data(result.text.utf8))
        } else {
            do {
                try Data(result.text.utf8).write(to: URL(fileURLWithPath: output), options: .atomic)
            } catch {
                FileHandle.standardError.write(Data("error: cannot write \(output): \((error as NSError).localizedDescription)\n".utf8))
                throw ExitCode(73)
            }
        }
        let s = result.summary
        FileHandle.standardError.write(Data("\(output == "-" ? "student version" : output): \(s.solutionRegions) solution region\(s.solutionRegions == 1 ? "" : "s") stubbed, \(s.hiddenTests) hidden test\(s.hiddenTests == 1 ? "" : "s") removed, \(s.tests - s.hiddenTests) test\(s.tests - s.hiddenTests == 1 ? "" : "s") kept\n".utf8))
    }
}
