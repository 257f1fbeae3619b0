import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Language

/// Settings of a grading run.
public struct GradingOptions: Sendable {
    /// The executable that runs a test: `memento` itself, started as `memento grade --worker`.
    public var workerExecutable: String
    /// The arguments that select the worker mode.
    public var workerArguments: [String] = ["grade", "--worker"]
    /// Default per-test limit in CPU seconds (a test's `timeout:` overrides it).
    public var testTimeout: Double = 30
    /// Limit in CPU seconds for loading the submission (its top level runs in every test's
    /// process; lessons train models there).
    public var loadTimeout: Double = 120
    /// Limit in CPU seconds for one top-level statement of the submission: a statement that
    /// runs longer (a demo cell calling an exercise that never ends) is stopped and skipped,
    /// and loading goes on, so that it costs only the tests that need what it would define.
    public var statementTimeout: Double = 60
    /// Wall-clock limit of the whole run; tests not finished by then score 0.
    public var totalTimeout: Double = 1800
    /// Resident-memory limit of one test's process, in bytes.
    public var memoryLimit: UInt64 = 2 << 30
    /// Bytes of printed output kept per test.
    public var maxOutputBytes: Int = 64 * 1024
    /// The base seed; each test's seed is derived from it and the test's name.
    public var seed: UInt64 = 0
    /// Show hidden tests' failures in full (for the instructor).
    public var revealHidden = false

    public init(workerExecutable: String) {
        self.workerExecutable = workerExecutable
    }
}

/// The outcome of one test.
public struct TestResult: Sendable {
    public enum Status: String, Sendable {
        /// Full marks.
        case passed
        /// An expectation failed (or a partial-credit test earned less than full marks).
        case failed
        /// A runtime error, a name the submission does not define, or a submission that does not load.
        case error
        /// The test's CPU time, the load time, or the wall-clock backstop ran out.
        case timeout
        /// The process exceeded the memory limit.
        case memory
        /// The process died (a signal, or an exit without a result).
        case crashed
        /// The whole-run time limit was reached before the test ran.
        case notRun = "not_run"
    }
    public var test: GradedTest
    public var status: Status
    public var score: Double
    /// The reason, the failure and the printed output, for the report.
    public var output: String
    /// Seconds from the process's start to its end.
    public var seconds: Double
}

/// What the submission did while loading (from the first test process that loaded it).
public struct SubmissionLoad: Sendable {
    public var compileError: String?
    public var loadError: String?
    public var redefined: [String]
    public var output: String
    public var seconds: Double
}

/// A whole grading run.
public struct GradingReport: Sendable {
    public var submissionPath: String
    public var testsPaths: [String]
    public var results: [TestResult]
    public var load: SubmissionLoad?
    public var warnings: [String]
    public var seconds: Double
    public var score: Double { Points.sum(results.map(\.score)) }
    public var maxScore: Double { Points.sum(results.map(\.test.points)) }
}

/// Grades a submission: the submission is loaded once in a sandboxed worker process, and
/// each test runs in its own process forked from it, with limits.
public enum Grader {
    /// Grades `submission` against `tests` (the tests of each file; when empty, the
    /// submission's own tests). Throws only for unusable inputs (a tests file that does not
    /// parse); everything a submission does ends up in the report.
    public static func grade(submissionPath: String, submissionText: String,
                             tests testFiles: [(path: String, text: String)],
                             options: GradingOptions) throws -> GradingReport {
        let start = Date()
        let files = testFiles.isEmpty ? [(path: submissionPath, text: submissionText)] : testFiles
        var all: [(GradedTest, Int)] = []
        var warnings: [String] = []
        for (index, f) in files.enumerated() {
            let found: [GradedTest]
            if testFiles.isEmpty {
                // Self-grading: a submission that does not parse has no tests to list.
                found = (try? TestDiscovery.tests(in: SourceFile(path: f.path, text: f.text))) ?? []
            } else {
                found = try TestDiscovery.tests(in: SourceFile(path: f.path, text: f.text))
            }
            if found.isEmpty { warnings.append(Report.sanitize("\(f.path): no tests found")) }
            for t in found { all.append((t, index)) }
        }
        let (unique, nameWarnings) = TestDiscovery.uniqueNames(all.map(\.0))
        warnings += nameWarnings
        // Self-grading: the file's given code is the submission's own, already loaded.
        let useGiven = !testFiles.isEmpty
        let tests: [TestJob] = unique.enumerated().map { i, t in
            TestJob(file: all[i].1, ranges: [t.range] + (useGiven ? t.givenRanges : []), exercises: t.exercises, name: t.name,
                    seed: testSeed(options.seed, t.name), redact: t.hidden && !options.revealHidden,
                    points: t.points, weighted: t.weighted,
                    cpuLimitSeconds: UInt64((t.timeout ?? options.testTimeout).rounded(.up)) + 2)
        }
        let job = WorkerJob(submissionPath: submissionPath, submissionText: submissionText, loadSeed: options.seed,
                            maxOutputBytes: options.maxOutputBytes, addressSpaceLimit: options.memoryLimit + (1 << 30),
                            loadCPULimit: UInt64((options.loadTimeout + max(5, options.loadTimeout / 10)).rounded(.up)) + 5,
                            loadBudget: options.loadTimeout, statementBudget: min(options.statementTimeout, options.loadTimeout),
                            statementMemory: options.memoryLimit / 10 * 8,
                            testsFiles: files.map { TestsFileJob(path: $0.path, text: $0.text) }, tests: tests)
        let supervisor = Supervisor(options: options, tests: unique, job: job, start: start)
        supervisor.run()
        return GradingReport(submissionPath: submissionPath, testsPaths: files.map(\.path),
                             results: supervisor.results.map { $0! }, load: supervisor.load,
                             warnings: warnings, seconds: Date().timeIntervalSince(start))
    }

    /// The report for a submission that cannot be graded at all (a file that is not UTF-8):
    /// every test scores 0 with `reason`, so the report is complete and says why.
    public static func refuse(submissionPath: String, reason: String,
                              tests testFiles: [(path: String, text: String)]) throws -> GradingReport {
        var found: [GradedTest] = []
        for f in testFiles { found += try TestDiscovery.tests(in: SourceFile(path: f.path, text: f.text)) }
        let (unique, warnings) = TestDiscovery.uniqueNames(found)
        let message = Report.sanitize(reason)
        return GradingReport(submissionPath: submissionPath, testsPaths: testFiles.isEmpty ? [submissionPath] : testFiles.map(\.path),
                             results: unique.map { TestResult(test: $0, status: .error, score: 0, output: message, seconds: 0) },
                             load: SubmissionLoad(compileError: message, loadError: nil, redefined: [], output: "", seconds: 0),
                             warnings: warnings, seconds: 0)
    }

    /// A test's seed: FNV-1a of the base seed and the test's name, so that a test draws the
    /// same numbers whatever ran before it and whichever tests are selected.
    public static func testSeed(_ base: UInt64, _ name: String) -> UInt64 {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for b in withUnsafeBytes(of: base.littleEndian, Array.init) + Array(name.utf8) {
            h ^= UInt64(b)
            h = h &* 0x0000_0100_0000_01B3
        }
        return h & 0x7FFF_FFFF_FFFF_FFFF
    }
}
