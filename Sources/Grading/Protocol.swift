import Foundation

// The messages between the grader (parent) and a worker process (one per test).
//
// One worker process (the loader) serves a whole grading run. The parent writes a
// `WorkerJob` as one JSON line to the worker's standard input, then one line `run N` per
// test, each after the previous test has ended. The loader loads the submission once, and for
// each `run N` forks a process that runs test N from the loaded state and exits; so every
// test starts from the same state and nothing a test does reaches another test.
//
// The job holds each tests file once and each test as byte ranges of its file, so the job
// grows with the tests' size, not with their number times the file's size. The loader
// reports `ready` (with the CPU time reading the job took, which is not the submission's)
// before it loads the submission.
//
// Events go as JSON lines to file descriptor 3, a pipe that only the worker's own Swift code
// writes to: a submission can print only to standard output (fd 1, captured and capped
// separately), so printed "PASS" lines or fake JSON never reach the parent's result channel.
// Output between `run N` and test N's `ended` event is test N's: tests run one at a time
// and the loader itself prints nothing.

/// What the worker does: load the submission once, then run the tests it is told to run,
/// each in a process forked from the loaded state.
struct WorkerJob: Codable {
    var submissionPath: String
    var submissionText: String
    /// The seed while loading the submission.
    var loadSeed: UInt64
    /// The cap on the bytes one test may print (the test's process drops the rest).
    var maxOutputBytes: Int
    /// RLIMIT_AS in bytes (0: none), for the loader and every test.
    var addressSpaceLimit: UInt64
    /// RLIMIT_CPU of the loader in seconds (a backstop: the parent enforces the load timeout).
    var loadCPULimit: UInt64
    /// CPU seconds for loading the submission; when they run out, the running top-level
    /// statement is stopped and the rest are skipped (the definitions stand).
    var loadBudget: Double
    /// CPU seconds one top-level statement of the submission may take before it is stopped
    /// and skipped.
    var statementBudget: Double
    /// Resident bytes at which the running top-level statement is stopped and skipped.
    var statementMemory: UInt64
    /// The tests files (path as diagnostics show it, and text), each once.
    var testsFiles: [TestsFileJob]
    var tests: [TestJob]
}

struct TestsFileJob: Codable {
    var path: String
    var text: String
}

/// One test to run in a forked process.
struct TestJob: Codable {
    /// The index of the test's file in `WorkerJob.testsFiles`, and the byte ranges of it that
    /// the test's process compiles: the test block and the given definitions it uses.
    var file: Int
    var ranges: [Range<Int>]
    /// Names a hidden test may say are missing (the file's exercises).
    var exercises: [String]
    var name: String
    /// The test's own seed, set just before it runs.
    var seed: UInt64
    /// Redact the test's source from what is reported (hidden tests).
    var redact: Bool
    /// The test's maximum score and whether it gives partial credit.
    var points: Double
    var weighted: Bool
    /// RLIMIT_CPU of the test's process in seconds (a backstop: the parent enforces the limit).
    var cpuLimitSeconds: UInt64
}

/// "The process for test `index` is `pid`" (so the parent can watch and kill it).
struct StartedEvent: Codable {
    var event = "started"
    var index: Int
    var pid: Int32
}

/// "The process for test `index` has ended with wait status `status`."
struct EndedEvent: Codable {
    var event = "ended"
    var index: Int
    var status: Int32
}

/// "The job is read; loading starts." `cpu`: the loader's CPU seconds so far, not counted
/// against the load time limit.
struct ReadyEvent: Codable {
    var event = "ready"
    var cpu: Double
}

/// The worker's report that the submission is loaded.
struct LoadedEvent: Codable {
    var event = "loaded"
    /// The submission does not compile (rendered diagnostics); nothing was run.
    var compileError: String?
    /// The top-level statements that failed or were stopped while loading (rendered); each
    /// was skipped and loading went on, so the definitions stand.
    var loadError: String?
    /// Built-in names the submission redefined (restored for the tests).
    var redefined: [String]
    /// What the submission printed while loading (capped) and how many bytes were dropped.
    var output: String
    var outputDropped: Int
    var seconds: Double
}

/// One weighted `expect` in a partial-credit test.
struct CheckRecord: Codable {
    var passed: Bool
    var points: Double
    var message: String
}

/// The worker's result for a test.
struct ResultEvent: Codable {
    var event = "result"
    var index: Int
    /// "passed", "failed" (an expectation), "error" (a runtime error), "not_defined" (the test
    /// uses names the submission does not define), "not_loaded" (the submission did not compile).
    var outcome: String
    var score: Double
    /// The failure, rendered for the report (redacted for hidden tests).
    var message: String?
    var checks: [CheckRecord]
    /// Bytes of the test's printed output the worker dropped beyond the cap.
    var outputDropped: Int
    var seconds: Double
}

/// An event line a worker wrote.
enum WorkerEvent {
    case ready(ReadyEvent)
    case loaded(LoadedEvent)
    case started(StartedEvent)
    case result(ResultEvent)
    case ended(EndedEvent)

    private struct Kind: Codable { var event: String }

    static func parse(_ line: some Sequence<UInt8>) -> WorkerEvent? {
        let data = Data(line)
        let decoder = JSONDecoder()
        guard let kind = try? decoder.decode(Kind.self, from: data) else { return nil }
        switch kind.event {
        case "ready": return (try? decoder.decode(ReadyEvent.self, from: data)).map { .ready($0) }
        case "loaded": return (try? decoder.decode(LoadedEvent.self, from: data)).map { .loaded($0) }
        case "started": return (try? decoder.decode(StartedEvent.self, from: data)).map { .started($0) }
        case "result": return (try? decoder.decode(ResultEvent.self, from: data)).map { .result($0) }
        case "ended": return (try? decoder.decode(EndedEvent.self, from: data)).map { .ended($0) }
        default: return nil
        }
    }
}
