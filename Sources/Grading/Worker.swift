import CBLAS
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Language
import Runtime
import TensorCore

/// The worker: the process that loads a submission and runs its tests, inside the sandbox.
/// `memento grade --worker` calls `Worker.main()`; it is not meant to be started by hand.
///
/// Order of events: close every inherited descriptor but 0–3; read the job (the only input);
/// set the OS limits (address space, CPU time, no file creation or growth, no core files, no
/// new file descriptors, a seccomp filter); load the submission with file access refused and
/// its own tests ignored; restore any built-in it redefined; then for each `run N` from the
/// parent fork a process that reseeds, runs test N, reports it on fd 3 and exits. The forked
/// process adds its own CPU limit and a stricter seccomp filter (no fork at all).
public enum Worker {
    /// The result channel (see Protocol.swift).
    static let resultFD: Int32 = 3

    /// Runs the worker and exits the process. Exit status 0 means it served the parent.
    public static func main() -> Never {
        signal(SIGPIPE, SIG_IGN)
        signal(SIGXFSZ, SIG_IGN)  // writing a file past RLIMIT_FSIZE fails instead of killing us
        closeInheritedDescriptors()
        dieWithParent()
        var input = LineReader(fd: 0)
        guard let line = input.next(), let job = try? JSONDecoder().decode(WorkerJob.self, from: Data(line.utf8)) else {
            FileHandle.standardError.write(Data("memento grade --worker: this is the grader's worker; it reads a job from the grader\n".utf8))
            exit(2)
        }
        send(ReadyEvent(cpu: Watchdog.processCPU()))
        // Load OpenBLAS now, and open the loader's memory figures: the sandbox below forbids
        // opening files.
        _ = memento_blas_load()
        Watchdog.statmFD = open("/proc/self/statm", O_RDONLY | O_CLOEXEC)
        applyLimits(addressSpace: job.addressSpaceLimit, cpuSeconds: job.loadCPULimit + UInt64(Watchdog.processCPU().rounded(.up)))
        let code = Interpreter.runOnLargeStack { serve(job, input: &input) }
        exit(code)
    }

    /// PR_SET_PDEATHSIG: the process is killed when its parent dies, so a test's process
    /// cannot outlive its loader, nor the loader the grader (even one killed by SIGKILL).
    static func dieWithParent() {
        let parent = getppid()
        _ = Seccomp.prctl(1, UInt(SIGKILL), 0, 0, 0)
        if getppid() != parent { _exit(3) }
    }

    /// Closes every descriptor above 3 that the worker inherited (a test harness's sockets,
    /// a CI runner's pipes): the submission's process holds only its own pipes.
    static func closeInheritedDescriptors() {
        let fds = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd"))?.compactMap { Int32($0) } ?? Array(4..<1024)
        for fd in fds where fd > 3 { close(fd) }
    }

    /// Sets the OS limits of the loader. The parent also watches resident memory, CPU and wall time.
    static func applyLimits(addressSpace: UInt64, cpuSeconds: UInt64) {
        if addressSpace > 0 { limit(Int32(RLIMIT_AS.rawValue), addressSpace) }
        if cpuSeconds > 0 { limit(Int32(RLIMIT_CPU.rawValue), cpuSeconds) }
        limit(Int32(RLIMIT_FSIZE.rawValue), 0)
        limit(Int32(RLIMIT_CORE.rawValue), 0)
        // No new files: descriptors 0–3 are open; the limit makes open(2), socket(2) and
        // pipe(2) fail with EMFILE.
        limit(Int32(RLIMIT_NOFILE.rawValue), 4)
        Seccomp.noNewPrivileges()
        Seccomp.install(allowFork: true)
    }

    /// Sets a resource limit (soft and hard). For CPU time the hard limit is one second
    /// above the soft one, so the process first gets SIGXCPU, which the grader recognises.
    static func limit(_ resource: Int32, _ value: UInt64) {
        let hard = resource == Int32(RLIMIT_CPU.rawValue) ? value + 1 : value
        var rl = rlimit(rlim_cur: rlim_t(value), rlim_max: rlim_t(hard))
        _ = setrlimit(__rlimit_resource_t(UInt32(resource)), &rl)
    }

    /// Loads the submission, then runs the tests the parent asks for; returns the exit status.
    static func serve(_ job: WorkerJob, input: inout LineReader) -> Int32 {
        let nowhere = URL(fileURLWithPath: "/nonexistent/memento-grading")
        let session = Session(scriptDirectory: nowhere, outputDirectory: nowhere, lessonsDirectory: nowhere, seed: job.loadSeed)
        session.grading = true
        session.onFigure = { _ in }  // figures are not part of a grade
        let interpreter = Interpreter()
        Runtime.install(in: interpreter, session: session)
        interpreter.loadFile = { path, _ in
            throw HostError("import \"\(path)\" was refused: files cannot be read while grading",
                            help: ["a graded submission must be a single file"])
        }
        // Built-ins as installed, to undo a submission's redefinitions.
        let builtins = interpreter.globals.allNames.compactMap { n in interpreter.globals[n].map { (n, $0) } }

        // Load the submission; its own tests are ignored; output is kept (capped).
        var loadOutput = CappedText(limit: 16 * 1024)
        interpreter.output = { loadOutput.append($0) }
        interpreter.testHandler = { _ in }
        let start = Date()
        let submission = SourceFile(path: job.submissionPath, text: job.submissionText)
        var loaded = LoadedEvent(redefined: [], output: "", outputDropped: 0, seconds: 0)
        switch interpreter.compile(submission) {
        case .failure(let errors):
            loaded.compileError = Report.clip(errors.diagnostics.filter { $0.severity == .error }.prefix(5).map { $0.render() }.joined(separator: "\n"),
                                              job.maxOutputBytes)
            loaded.seconds = Date().timeIntervalSince(start)
            send(loaded)
            return 0
        case .success(let chunk):
            // Each top-level statement runs under its own CPU and memory budget: one that
            // fails or is stopped is reported and skipped, and loading goes on.
            let watchdog = Watchdog(interpreter: interpreter, statementBudget: job.statementBudget,
                                    loadBudget: job.loadBudget, memory: job.statementMemory)
            var failures: [String] = []
            var failed = 0
            var skipRest = false
            var skipped = 0
            interpreter.beforeTopLevelStatement = { _ in
                if skipRest {
                    skipped += 1
                    return false
                }
                watchdog.beginStatement()
                return true
            }
            interpreter.topLevelStatementFailed = { error, span in
                let stop = watchdog.endStatement()
                failed += 1
                if failures.count < 5 {
                    let place = "\(span.file.path):\(span.line):\(span.column)"
                    switch stop {
                    case .statementTime:
                        failures.append("\(place): this top-level statement was stopped after \(seconds(job.statementBudget)) of CPU time and skipped\n"
                                        + "  = help: a demo cell calls code that does not finish; the tests that need what it defines score 0")
                    case .loadTime:
                        failures.append("\(place): loading ran out of its \(seconds(job.loadBudget)) of CPU time here; this statement and the rest of the top level were skipped")
                    case .memory:
                        failures.append("\(place): this top-level statement was stopped at \(bytes(job.statementMemory)) of memory and skipped")
                    case nil:
                        failures.append(error.diagnostic.render())
                    }
                }
                if stop == .loadTime { skipRest = true }
                return true
            }
            watchdog.start()
            do {
                _ = try interpreter.run(chunk)
            } catch {
                failed += 1
                if failures.count < 5 { failures.append(error.diagnostic.render()) }
            }
            watchdog.stop()
            interpreter.beforeTopLevelStatement = nil
            interpreter.topLevelStatementFailed = nil
            if failed > failures.count { failures.append("… and \(failed - failures.count) more failed top-level statements") }
            if skipped > 0 { failures.append("\(skipped) top-level statement\(skipped == 1 ? " was" : "s were") not run") }
            if !failures.isEmpty { loaded.loadError = Report.clip(failures.joined(separator: "\n"), job.maxOutputBytes) }
        }
        for (name, original) in builtins where !same(interpreter.globals[name], original) {
            loaded.redefined.append(name)
            interpreter.globals.define(name, original)
        }
        loaded.output = loadOutput.text
        loaded.outputDropped = loadOutput.dropped
        loaded.seconds = Date().timeIntervalSince(start)
        send(loaded)

        // Serve: one forked process per `run N`, one at a time.
        while let line = input.next() {
            guard line.hasPrefix("run "), let index = Int(line.dropFirst(4)), job.tests.indices.contains(index) else { continue }
            let pid = fork()
            if pid == 0 {
                dieWithParent()
                close(0)
                if Watchdog.statmFD >= 0 { close(Watchdog.statmFD) }
                // Only the forking thread exists in the child: Dispatch's worker threads
                // (Parallel.forChunks, split matrix products) must not be waited on here.
                BLAS.threads = 1
                let test = job.tests[index]
                limit(Int32(RLIMIT_CPU.rawValue), test.cpuLimitSeconds)
                Seccomp.install(allowFork: false)
                runTest(index, test, job: job, interpreter: interpreter, session: session, submission: submission)
                _exit(0)
            }
            if pid < 0 {
                send(ResultEvent(index: index, outcome: "error", score: 0, message: "the grader could not start the test (fork failed: \(String(cString: strerror(errno))))",
                                 checks: [], outputDropped: 0, seconds: 0))
                send(EndedEvent(index: index, status: 0))
                continue
            }
            send(StartedEvent(index: index, pid: pid))
            var status: Int32 = 0
            while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
            send(EndedEvent(index: index, status: status))
        }
        return 0
    }

    /// Runs one test in the forked process and reports it.
    static func runTest(_ index: Int, _ job: TestJob, job whole: WorkerJob, interpreter: Interpreter, session: Session,
                        submission: SourceFile) {
        // Output to fd 1, capped; weighted expects recorded; a fresh seed.
        var remaining = whole.maxOutputBytes
        var dropped = 0
        interpreter.output = { s in
            let bytes = Array(s.utf8)
            let n = min(bytes.count, max(remaining, 0))
            if n > 0 { writeAll(1, Array(bytes[0..<n])) }
            remaining -= n
            dropped += bytes.count - n
        }
        // The test's own code (and the given code it uses) draws from a stream of its own,
        // seeded for this test; the submission's code keeps drawing from its stream, so a
        // `seed(…)` in the submission cannot make the test's draws predictable.
        let file = whole.testsFiles[job.file]
        let testsFile = SourceFile(path: file.path, text: TestDiscovery.excerpt(SourceFile(path: file.path, text: file.text), ranges: job.ranges))
        session.streams = [session.streams[0], RNG(seed: job.seed)]
        session.streamSelector = { [unowned interpreter] in interpreter.nativeCallSpan?.file === testsFile ? 1 : 0 }
        var checks: [CheckRecord] = []
        interpreter.expectHandler = { outcome in
            // Only expects written in the test itself give credit, not the submission's.
            guard outcome.span.file === testsFile else { return false }
            checks.append(CheckRecord(passed: outcome.passed, points: outcome.points,
                                      message: job.redact ? "a hidden check" : outcome.message))
            return true
        }
        var failure: Diagnostic?
        var ran = false
        interpreter.testHandler = { test in
            ran = true
            failure = test.run()
        }
        let testStart = Date()
        var result = ResultEvent(index: index, outcome: "passed", score: 0, message: nil, checks: [], outputDropped: 0, seconds: 0)
        switch interpreter.compile(testsFile) {
        case .failure(let errors):
            let undefined = errors.diagnostics.compactMap { undefinedName($0.message) }
            if !undefined.isEmpty, undefined.count == errors.diagnostics.filter({ $0.severity == .error }).count {
                var names: [String] = []
                for n in undefined where !names.contains(n) { names.append(n) }
                result.outcome = "not_defined"
                result.message = notDefined(names, job)
            } else {
                result.outcome = "error"
                result.message = "the test does not compile against this submission:\n"
                    + errors.diagnostics.prefix(3).map { render($0, job: job, testsFile: testsFile, submission: submission) }.joined(separator: "\n")
            }
        case .success(let chunk):
            do {
                _ = try interpreter.run(chunk)
                if !ran { failure = nil }
            } catch {
                failure = error.diagnostic
            }
            if let failure {
                let isExpectation = failure.message.hasPrefix("expectation failed")
                result.outcome = isExpectation ? "failed" : "error"
                if let name = undefinedName(failure.message) {
                    result.outcome = "not_defined"
                    result.message = notDefined([name], job)
                } else {
                    result.message = render(failure, job: job, testsFile: testsFile, submission: submission)
                }
            } else if !ran {
                result.outcome = "error"
                result.message = "the test did not run"
            }
        }
        result.checks = checks.map {
            var c = $0
            c.message = Report.clip(c.message, 2048)
            return c
        }
        result.message = result.message.map { Report.clip($0, whole.maxOutputBytes) }
        if result.outcome == "passed" {
            if job.weighted {
                let earned = Points.sum(checks.filter(\.passed).map(\.points))
                result.score = Points.reaches(earned, job.points) ? job.points : earned
                if checks.contains(where: { !$0.passed }) { result.outcome = "failed" }
            } else {
                result.score = job.points
            }
        }
        result.outputDropped = dropped
        result.seconds = Date().timeIntervalSince(testStart)
        send(result)
    }

    /// The message for names a test needs and the submission lacks. A hidden test names only
    /// the file's exercises: naming the given code it reads would tell a submission what to forge.
    static func notDefined(_ names: [String], _ job: TestJob) -> String {
        guard job.redact else { return "not defined: \(names.joined(separator: ", "))" }
        let exercises = names.filter { job.exercises.contains($0) }
        if exercises.count == names.count { return "not defined: \(names.joined(separator: ", "))" }
        return "a hidden test needs a definition your file does not have"
            + (exercises.isEmpty ? "" : " (among them: \(exercises.joined(separator: ", ")))")
            + "; keep the lesson's given code and the exercises' names as they are"
    }

    /// "undefined name 'x'" (compile time) or "'x' is not defined" style messages → x.
    static func undefinedName(_ message: String) -> String? {
        for prefix in ["undefined name '", "undefined variable '"] where message.hasPrefix(prefix) {
            let rest = message.dropFirst(prefix.count)
            if let end = rest.firstIndex(of: "'") { return String(rest[..<end]) }
        }
        return nil
    }

    /// A failure as the report shows it. For hidden tests the test's source never appears:
    /// a failed expectation says only that a hidden check failed, and a traceback keeps only
    /// the submission's own frames.
    static func render(_ d: Diagnostic, job: TestJob, testsFile: SourceFile, submission: SourceFile) -> String {
        guard job.redact else { return d.render() }
        if d.message.hasPrefix("expectation failed") && d.span.file === testsFile {
            return "a hidden check failed"
        }
        var lines = ["error: \(d.message.hasPrefix("expectation failed") ? "an expectation in your code failed" : d.message)"]
        if d.span.file !== testsFile {
            lines.append("  at \(d.span.file.path):\(d.span.line):\(d.span.column)")
        }
        let own = d.trace.filter { $0.span.file !== testsFile }
        if !own.isEmpty {
            lines.append("traceback (your code; the hidden test's frames are left out):")
            for t in own { lines.append("  \(t.span.file.path):\(t.span.line):\(t.span.column) in \(t.function)") }
        }
        return lines.joined(separator: "\n")
    }

    /// Whether a global still holds the built-in it held before the submission ran.
    static func same(_ a: Value?, _ b: Value) -> Bool {
        guard let a else { return false }
        switch (a, b) {
        case (.native(let x), .native(let y)): return x === y
        case (.host(let x), .host(let y)): return x === y
        case (.classType(let x), .classType(let y)): return x === y
        case (.int(let x), .int(let y)): return x == y
        case (.float(let x), .float(let y)): return x == y || (x.isNaN && y.isNaN)
        case (.bool(let x), .bool(let y)): return x == y
        case (.string(let x), .string(let y)): return x === y
        case (.nil, .nil): return true
        default: return false
        }
    }

    static func send<T: Encodable>(_ event: T) {
        guard var data = try? JSONEncoder().encode(event) else { return }
        data.append(UInt8(ascii: "\n"))
        writeAll(resultFD, Array(data))
    }

    static func writeAll(_ fd: Int32, _ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                return
            }
            offset += n
        }
    }
}

/// Reads lines from a descriptor (the job, then `run N` commands).
struct LineReader {
    let fd: Int32
    private var buffer: [UInt8] = []
    /// How much of `buffer` is known to hold no newline (a long line is scanned once).
    private var scanned = 0
    private var atEnd = false
    init(fd: Int32) { self.fd = fd }

    /// The next line without its newline, or nil at the end of input.
    mutating func next() -> String? {
        while true {
            if let nl = buffer[scanned...].firstIndex(of: UInt8(ascii: "\n")) {
                let line = String(decoding: buffer[..<nl], as: UTF8.self)
                buffer.removeSubrange(...nl)
                scanned = 0
                return line
            }
            scanned = buffer.count
            if atEnd {
                if buffer.isEmpty { return nil }
                defer {
                    buffer.removeAll()
                    scanned = 0
                }
                return String(decoding: buffer, as: UTF8.self)
            }
            var chunk = [UInt8](repeating: 0, count: 65536)
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { atEnd = true } else { buffer.append(contentsOf: chunk[0..<n]) }
            if buffer.count > 256 << 20 { atEnd = true }
        }
    }
}

/// Text with a byte cap; what does not fit is counted.
struct CappedText {
    let limit: Int
    private(set) var text = ""
    private(set) var dropped = 0
    private var size = 0
    init(limit: Int) { self.limit = limit }
    mutating func append(_ s: String) {
        let n = s.utf8.count
        if size + n <= limit {
            text += s
            size += n
        } else {
            let room = max(limit - size, 0)
            if room > 0 {
                text += String(decoding: Array(s.utf8.prefix(room)), as: UTF8.self)
                size = limit
            }
            dropped += n - room
        }
    }
}
