import ArgumentParser
import Foundation
import Grading
import Language

extension ReportFormat: ExpressibleByArgument {}

/// `memento grade SUBMISSION [--tests FILE…] [--format …] [-o FILE]`.
struct Grade: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Grade a submission against tests, each test in its own sandboxed process.",
        discussion: """
        Loads the submission's definitions once in a sandboxed worker (its own tests are ignored when --tests is given), then runs each test in a separate process forked from the loaded state, with a fresh seed, CPU-time and memory limits, a cap on printed output, and no access to files, the environment or other processes. A test that fails, errors, times out, crashes or runs out of memory scores 0 with the reason; grading goes on. Exit status 0 whenever grading ran, whatever the score; 64 bad arguments, 65 a tests file that does not parse, 66 an unreadable file.

        Examples:
          memento grade student.mem --tests exercise.mem
          memento grade student.mem --tests exercise.mem --format gradescope -o /autograder/results/results.json
          memento grade lesson.mem                       # a file's own tests (students at home)
        See docs/GRADING.md.
        """)

    @ArgumentParser.Argument(help: "The submission (.mem), or a folder of submissions (one .mem per student, or one folder per student).")
    var submission: String?

    @Option(help: "Submissions graded at once when grading a folder (default: the number of cores).")
    var jobs: Int = ProcessInfo.processInfo.activeProcessorCount

    @Option(name: .long, parsing: .upToNextOption, help: "Files whose tests grade the submission (default: the submission's own tests).")
    var tests: [String] = []

    @Option(help: "Report format: text, json, gradescope or junit.")
    var format: ReportFormat = .text

    @Option(name: .shortAndLong, help: "Write the report to this file instead of standard output.")
    var output: String?

    @Option(help: "Default CPU-time limit of a test, in seconds (a test's 'timeout:' overrides it).")
    var timeout: Double = 30

    @Option(name: .customLong("load-timeout"), help: "CPU-time limit for loading the submission, in seconds.")
    var loadTimeout: Double = 120

    @Option(name: .customLong("statement-timeout"), help: "CPU-time limit of one top-level statement of the submission, in seconds (it is then skipped).")
    var statementTimeout: Double = 60

    @Option(name: .customLong("total-timeout"), help: "Wall-clock limit of the whole run, in seconds.")
    var totalTimeout: Double = 1800

    @Option(name: .customLong("memory-limit"), help: "Memory limit of one test, in MiB.")
    var memoryLimit: UInt64 = 2048

    @Option(name: .customLong("max-output"), help: "Printed output kept per test, in KiB.")
    var maxOutput: Int = 64

    @Option(help: "Base random seed (each test's seed derives from it and the test's name).")
    var seed: UInt64 = 0

    @Flag(name: .customLong("reveal-hidden"), help: "Show hidden tests' failures in full (for instructors).")
    var revealHidden = false

    @Flag(help: .hidden)
    var worker = false

    func validate() throws {
        if worker { return }
        guard submission != nil else { throw ValidationError("give the submission to grade: memento grade SUBMISSION [--tests FILE…]") }
        guard timeout > 0, loadTimeout > 0, statementTimeout > 0, totalTimeout > 0 else { throw ValidationError("time limits must be positive") }
        guard memoryLimit >= 64 else { throw ValidationError("--memory-limit is in MiB and must be at least 64") }
        guard maxOutput >= 1 else { throw ValidationError("--max-output is in KiB and must be at least 1") }
    }

    func run() throws {
        if worker { Worker.main() }
        guard let submission else { throw ExitCode(64) }
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: submission, isDirectory: &isDirectory), isDirectory.boolValue {
            try gradeClass(folder: submission)
            return
        }
        let testFiles = tests.map { (path: $0, text: readScript($0)) }
        // A submission that is not UTF-8 still gets a complete report that says where.
        let decoded = readSource(submission)
        let options = gradingOptions()
        let report: GradingReport
        do {
            switch decoded {
            case .success(let text):
                report = try Grader.grade(submissionPath: submission, submissionText: text, tests: testFiles, options: options)
            case .failure(let failure):
                report = try Grader.refuse(submissionPath: submission, reason: "the submission cannot be read: \(failure)", tests: testFiles)
            }
        } catch let e as TestsFileError {
            for d in e.diagnostics { FileHandle.standardError.write(Data((d.render(color: useColor()) + "\n").utf8)) }
            FileHandle.standardError.write(Data("error: the tests cannot be used, so nothing was graded\n".utf8))
            throw ExitCode(65)
        }
        try emit(report)
    }

    func gradingOptions() -> GradingOptions {
        var options = GradingOptions(workerExecutable: Grade.executablePath())
        options.testTimeout = timeout
        options.loadTimeout = loadTimeout
        options.statementTimeout = statementTimeout
        options.totalTimeout = totalTimeout
        options.memoryLimit = memoryLimit << 20
        options.maxOutputBytes = maxOutput << 10
        options.seed = seed
        options.revealHidden = revealHidden
        return options
    }

    func emit(_ report: GradingReport) throws {
        let color = output == nil && format == .text && isatty(1) != 0 && ProcessInfo.processInfo.environment["NO_COLOR"] == nil
        let rendered = Report.render(report, as: format, color: color)
        if let output {
            do {
                try Data(rendered.utf8).write(to: URL(fileURLWithPath: output), options: .atomic)
            } catch {
                FileHandle.standardError.write(Data("error: cannot write \(output): \((error as NSError).localizedDescription)\n".utf8))
                throw ExitCode(73)
            }
            if format != .text {
                FileHandle.standardError.write(Data("score \(report.score)/\(report.maxScore) → \(output)\n".utf8))
            }
        } else {
            FileHandle.standardOutput.write(Data(rendered.utf8))
        }
    }

    /// This executable (the worker is `memento grade --worker`).
    static func executablePath() -> String {
        if let p = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") { return p }
        return CommandLine.arguments[0]
    }
}
