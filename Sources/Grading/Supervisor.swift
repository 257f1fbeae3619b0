import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Runs the worker of a grading run and watches it. The worker loads the submission once,
/// then forks one process per test, one at a time (see Protocol.swift). Each test's process
/// is killed (SIGKILL, which nothing in it can catch or delay) when it exceeds its CPU time,
/// the memory limit, or the wall-clock backstop; the loader likewise while it loads.
///
/// Time limits count the process's CPU time (from /proc), not the wall clock, so a grade
/// does not depend on how busy the machine is; the wall clock is only a backstop (twice the
/// CPU allowance plus 10 s) for a process that is blocked rather than running. Memory is the
/// resident set, sampled every 25 ms, with RLIMIT_AS (the limit plus 1 GiB for reserved
/// stacks) as a hard backstop inside the worker.
final class Supervisor {
    let options: GradingOptions
    let tests: [GradedTest]
    let job: WorkerJob
    let start: Date
    var results: [TestResult?]
    var load: SubmissionLoad?
    /// Set when the submission itself cannot load: every test gets this result.
    private var loadFailure: (status: TestResult.Status, message: String)?
    private let ticksPerSecond = Double(sysconf(Int32(_SC_CLK_TCK)))

    // The loader.
    private var pid: pid_t = 0
    private var inFD: Int32 = -1, outFD: Int32 = -1, resFD: Int32 = -1
    private var outOpen = false, resOpen = false
    private var exitStatus: Int32?
    private var maxRSSKiB = 0
    private var events: [UInt8] = []
    private var loaded = false
    private var loaderStarted = Date()
    private var loaderKilled: (status: TestResult.Status, message: String)?
    private var loaderCPU = 0.0
    /// The loader's CPU time when it had read the job (reading it is not the submission's cost).
    private var loaderCPUBase: Double?
    private var loaderOutput: [UInt8] = []

    // The test being run.
    private var current: Int?
    private var next = 0
    private var testPID: pid_t?
    private var testStarted = Date()
    private var testOutput: [UInt8] = []
    private var testDropped = 0
    private var testResult: ResultEvent?
    private var testKilled: (status: TestResult.Status, message: String)?
    private var testCPU = 0.0
    private var testPeakRSS: UInt64 = 0

    private static let spawnLock = NSLock()

    init(options: GradingOptions, tests: [GradedTest], job: WorkerJob, start: Date) {
        self.options = options
        self.tests = tests
        self.job = job
        self.start = start
        results = Array(repeating: nil, count: tests.count)
    }

    func run() {
        signal(SIGPIPE, SIG_IGN)
        if tests.isEmpty { return }
        if let problem = spawn() {
            for i in tests.indices {
                results[i] = TestResult(test: tests[i], status: .error, score: 0, output: "the grader could not start the test: \(problem)", seconds: 0)
            }
            return
        }
        guard var line = try? JSONEncoder().encode(job) else { return }
        line.append(UInt8(ascii: "\n"))
        send(Array(line))
        while exitStatus == nil || outOpen || resOpen {
            pollOnce(timeoutMilliseconds: 25)
            check()
            reap()
        }
        if inFD >= 0 { close(inFD); inFD = -1 }
        // The loader is gone: whatever has no result yet gets the reason.
        if !loaded {
            let reason = loaderKilled ?? crashReason(status: exitStatus ?? 0, output: loaderOutput, peakRSS: UInt64(maxRSSKiB) * 1024,
                                                      cpu: loaderCPU, cpuLimit: Double(job.loadCPULimit), phase: " while loading the submission")
            loadFailure = loadFailure ?? (reason.status, reason.status == .timeout || reason.status == .memory || reason.status == .crashed
                                          ? "while loading the submission: \(reason.message)" : reason.message)
            if !loaderOutput.isEmpty {
                load = load ?? SubmissionLoad(compileError: nil, loadError: nil, redefined: [],
                                              output: Report.sanitize(String(decoding: loaderOutput.prefix(16384), as: UTF8.self)), seconds: 0)
            }
        }
        if let index = current, results[index] == nil {
            testKilled = testKilled ?? (.crashed, "the grader's worker stopped unexpectedly (\(signalName((exitStatus ?? 0) & 0x7F)))")
            finishCurrent(status: 0)
        }
        for i in tests.indices where results[i] == nil {
            if let f = loadFailure {
                results[i] = TestResult(test: tests[i], status: f.status, score: 0, output: f.message, seconds: 0)
            } else if overTime {
                results[i] = TestResult(test: tests[i], status: .notRun, score: 0,
                                        output: "not run: the whole-run time limit (\(seconds(options.totalTimeout))) was reached", seconds: 0)
            } else {
                results[i] = TestResult(test: tests[i], status: .crashed, score: 0,
                                        output: "not run: the grader's worker stopped unexpectedly", seconds: 0)
            }
        }
    }

    /// CPU seconds past the load limit before the loader is killed.
    private var backstopGrace: Double { max(5, options.loadTimeout / 10) }

    private var overTime: Bool { Date().timeIntervalSince(start) > options.totalTimeout }

    // MARK: - Starting the worker

    /// Starts the loader; returns a problem, or nil.
    private func spawn() -> String? {
        var input: [Int32] = [0, 0], output: [Int32] = [0, 0], result: [Int32] = [0, 0]
        // pipe(2) then close-on-exec; posix_spawn's dup2 clears the flag on the child's 0–3.
        // Several graders may start workers from different threads (a class graded in
        // parallel): one lock around the whole start keeps a pipe made for one worker from
        // leaking into another before it is marked close-on-exec.
        Supervisor.spawnLock.lock()
        defer { Supervisor.spawnLock.unlock() }
        func makePipe(_ fds: inout [Int32]) -> Bool {
            guard pipe(&fds) == 0 else { return false }
            for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
            return true
        }
        guard makePipe(&input) else { return "pipe: \(String(cString: strerror(errno)))" }
        guard makePipe(&output) else {
            close(input[0]); close(input[1])
            return "pipe: \(String(cString: strerror(errno)))"
        }
        guard makePipe(&result) else {
            close(input[0]); close(input[1]); close(output[0]); close(output[1])
            return "pipe: \(String(cString: strerror(errno)))"
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, input[0], 0)
        posix_spawn_file_actions_adddup2(&actions, output[1], 1)
        posix_spawn_file_actions_adddup2(&actions, output[1], 2)
        posix_spawn_file_actions_adddup2(&actions, result[1], 3)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var defaults = sigset_t()
        sigemptyset(&defaults)
        sigaddset(&defaults, SIGPIPE)
        sigaddset(&defaults, SIGINT)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        var mask = sigset_t()
        sigemptyset(&mask)
        posix_spawnattr_setsigmask(&attributes, &mask)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETPGROUP))
        // The worker's environment is only this: nothing of the grader's is visible to it.
        let environment = ["MEMENTO_THREADS=1", "OPENBLAS_NUM_THREADS=1", "NO_COLOR=1", "LANG=C.UTF-8"]
        let argv: [UnsafeMutablePointer<CChar>?] = ([options.workerExecutable] + options.workerArguments).map { strdup($0) } + [nil]
        let envp: [UnsafeMutablePointer<CChar>?] = environment.map { strdup($0) } + [nil]
        defer {
            for p in argv { free(p) }
            for p in envp { free(p) }
        }
        let rc = posix_spawn(&pid, options.workerExecutable, &actions, &attributes, argv, envp)
        close(input[0]); close(output[1]); close(result[1])
        guard rc == 0 else {
            close(input[1]); close(output[0]); close(result[0])
            return "cannot start \(options.workerExecutable): \(String(cString: strerror(rc)))"
        }
        loaderStarted = Date()
        inFD = input[1]
        outFD = output[0]
        resFD = result[0]
        outOpen = true
        resOpen = true
        for fd in [outFD, resFD] { _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) }
        return nil
    }

    /// Writes to the loader's standard input (blocking: the loader reads it promptly).
    private func send(_ bytes: [UInt8]) {
        guard inFD >= 0 else { return }
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { write(inFD, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                close(inFD)
                inFD = -1
                return
            }
            offset += n
        }
    }

    /// Asks for the next test, or tells the loader there are no more (closing its input).
    private func startNext() {
        if loadFailure == nil, !overTime, next < tests.count {
            current = next
            testPID = nil
            testStarted = Date()
            testOutput = []
            testDropped = 0
            testResult = nil
            testKilled = nil
            testCPU = 0
            testPeakRSS = 0
            send(Array("run \(next)\n".utf8))
            next += 1
        } else if inFD >= 0 {
            close(inFD)
            inFD = -1
        }
    }

    // MARK: - Watching

    private func pollOnce(timeoutMilliseconds: Int32) {
        var fds: [pollfd] = []
        if outOpen { fds.append(pollfd(fd: outFD, events: Int16(POLLIN), revents: 0)) }
        if resOpen { fds.append(pollfd(fd: resFD, events: Int16(POLLIN), revents: 0)) }
        if fds.isEmpty {
            usleep(UInt32(timeoutMilliseconds) * 1000)
        } else {
            _ = poll(&fds, nfds_t(fds.count), timeoutMilliseconds)
        }
        drainOutput()
        drainEvents()
    }

    /// Reads the printed output that is available: the current test's, or the loader's.
    private func drainOutput() {
        var buffer = [UInt8](repeating: 0, count: 65536)
        let cap = options.maxOutputBytes + 8192
        while outOpen {
            let n = buffer.withUnsafeMutableBytes { read(outFD, $0.baseAddress, $0.count) }
            if n > 0 {
                if current != nil {
                    let room = max(cap - testOutput.count, 0)
                    testOutput.append(contentsOf: buffer[0..<min(n, room)])
                    testDropped += n - min(n, room)
                } else if loaderOutput.count < 65536 {
                    loaderOutput.append(contentsOf: buffer[0..<n])
                }
            } else if n == 0 || (errno != EAGAIN && errno != EINTR) {
                close(outFD)
                outOpen = false
            } else {
                break
            }
        }
    }

    private func drainEvents() {
        var buffer = [UInt8](repeating: 0, count: 65536)
        while resOpen {
            let n = buffer.withUnsafeMutableBytes { read(resFD, $0.baseAddress, $0.count) }
            if n > 0 {
                events.append(contentsOf: buffer[0..<n])
            } else if n == 0 || (errno != EAGAIN && errno != EINTR) {
                close(resFD)
                resOpen = false
            } else {
                break
            }
        }
        while let nl = events.firstIndex(of: UInt8(ascii: "\n")) {
            let line = Array(events[..<nl])
            events.removeSubrange(...nl)
            if let event = WorkerEvent.parse(line) { handle(event) }
        }
        if events.count > 64 << 20 { events.removeAll() }
    }

    private func handle(_ event: WorkerEvent) {
        switch event {
        case .ready(let e):
            loaderCPUBase = e.cpu
        case .loaded(let e):
            loaded = true
            var output = Report.sanitize(e.output)
            if e.outputDropped > 0 { output += "\n… \(e.outputDropped) more bytes of output not shown" }
            load = SubmissionLoad(compileError: e.compileError.map(Report.sanitize), loadError: e.loadError.map(Report.sanitize),
                                  redefined: e.redefined.map(Report.oneLine), output: output, seconds: e.seconds)
            if let compileError = e.compileError {
                loadFailure = (.error, "the submission does not compile, so no test can run:\n\(Report.sanitize(compileError))")
            }
            startNext()
        case .started(let e):
            if e.index == current { testPID = e.pid }
        case .result(let e):
            if e.index == current { testResult = e }
        case .ended(let e):
            guard e.index == current else { return }
            drainOutput()  // the test's process has exited: all it printed is in the pipe
            finishCurrent(status: e.status)
            startNext()
        }
    }

    /// Enforces the limits.
    private func check() {
        guard exitStatus == nil else { return }
        if !loaded {
            if let cpu = cpuSeconds(pid) { loaderCPU = cpu }
            if loaderKilled != nil { return }
            if overTime {
                killLoader(.timeout, "stopped: the whole-run time limit (\(seconds(options.totalTimeout))) was reached")
            } else if loaderCPU - (loaderCPUBase ?? 0) > options.loadTimeout + backstopGrace {
                // The loader stops a statement that overruns by itself; this catches one stuck
                // where it cannot be interrupted.
                killLoader(.timeout, "timed out: loading took more than \(seconds(options.loadTimeout)) of CPU time")
            } else if Date().timeIntervalSince(loaderStarted) > 2 * (options.loadTimeout + backstopGrace) + 10 {
                killLoader(.timeout, "timed out: loading ran for more than \(seconds(2 * options.loadTimeout + 10)) of wall-clock time")
            } else if let rss = residentBytes(pid), rss > options.memoryLimit {
                killLoader(.memory, "exceeded the memory limit of \(bytes(options.memoryLimit)) (resident memory reached \(bytes(rss)))")
            }
            return
        }
        guard let index = current, let child = testPID, testKilled == nil else { return }
        let limit = tests[index].timeout ?? options.testTimeout
        if let cpu = cpuSeconds(child) { testCPU = cpu }
        if overTime {
            killTest(child, .timeout, "stopped: the whole-run time limit (\(seconds(options.totalTimeout))) was reached")
        } else if testCPU > limit {
            killTest(child, .timeout, "timed out: the test used more than its \(seconds(limit)) of CPU time")
        } else if Date().timeIntervalSince(testStarted) > 2 * limit + 10 {
            killTest(child, .timeout, "timed out: the test ran for more than \(seconds(2 * limit + 10)) of wall-clock time")
        } else if let rss = residentBytes(child) {
            testPeakRSS = max(testPeakRSS, rss)
            if rss > options.memoryLimit {
                killTest(child, .memory, "exceeded the memory limit of \(bytes(options.memoryLimit)) (resident memory reached \(bytes(rss)))")
            }
        }
    }

    private func killLoader(_ status: TestResult.Status, _ message: String) {
        loaderKilled = (status, message)
        _ = Glibc.kill(pid, SIGKILL)
    }

    private func killTest(_ child: pid_t, _ status: TestResult.Status, _ message: String) {
        testKilled = (status, message)
        _ = Glibc.kill(child, SIGKILL)
    }

    private func reap() {
        guard exitStatus == nil else { return }
        var status: Int32 = 0
        var usage = rusage()
        if wait4(pid, &status, WNOHANG, &usage) == pid {
            exitStatus = status
            maxRSSKiB = usage.ru_maxrss
            let used = Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
            loaderCPU = max(loaderCPU, used)
            if let index = current, let child = testPID, results[index] == nil {
                _ = Glibc.kill(child, SIGKILL)  // an orphaned test process must not outlive the run
            }
        }
    }

    // MARK: - Results

    private func finishCurrent(status: Int32) {
        guard let index = current else { return }
        current = nil
        let test = tests[index]
        let elapsed = Date().timeIntervalSince(testStarted)
        let printed = Report.sanitize(String(decoding: testOutput, as: UTF8.self))
        var parts: [String] = []
        var result: TestResult.Status
        var score = 0.0
        if let killed = testKilled {
            result = killed.status
            parts.append(killed.message)
        } else if let r = testResult, status & 0x7F == 0, (status >> 8) & 0xFF == 0 {
            switch r.outcome {
            case "passed": result = .passed
            case "failed": result = .failed
            default: result = .error
            }
            score = Points.reaches(r.score, test.points) ? test.points : max(0, r.score)
            if result == .passed, score < test.points { result = .failed }
            if let m = r.message { parts.append(Report.sanitize(Report.clip(m, options.maxOutputBytes + 512))) }
            if !r.checks.isEmpty {
                parts.append("partial credit: \(format(score)) of \(format(test.points)) points")
                for check in r.checks {
                    parts.append("  \(check.passed ? "✓" : "✗") \(Report.oneLine(Report.clip(check.message, 2048))) (\(format(check.passed ? check.points : 0))/\(format(check.points)))")
                }
            }
            testDropped += r.outputDropped
        } else {
            let reason = crashReason(status: status, output: testOutput, peakRSS: testPeakRSS, cpu: testCPU,
                                     cpuLimit: Double(job.tests[index].cpuLimitSeconds), phase: "")
            result = reason.status
            parts.append(reason.message)
        }
        if !printed.isEmpty {
            var shown = printed
            if shown.utf8.count > options.maxOutputBytes {
                shown = String(decoding: Array(shown.utf8.prefix(options.maxOutputBytes)), as: UTF8.self)
            }
            var block = "--- printed output ---\n" + shown
            let hidden = testDropped + printed.utf8.count - shown.utf8.count
            if hidden > 0 {
                if !block.hasSuffix("\n") { block += "\n" }
                block += "… output truncated at \(bytes(UInt64(options.maxOutputBytes))) (\(bytes(UInt64(hidden))) more not shown)"
            }
            while block.hasSuffix("\n") { block.removeLast() }
            parts.append(block)
        } else if testDropped > 0 {
            parts.append("… \(bytes(UInt64(testDropped))) of output not shown")
        }
        results[index] = TestResult(test: test, status: result, score: result == .passed || result == .failed ? score : 0,
                                    output: parts.joined(separator: "\n"), seconds: elapsed)
    }

    /// Why a process ended without a result.
    private func crashReason(status: Int32, output: [UInt8], peakRSS: UInt64, cpu: Double, cpuLimit: Double,
                             phase: String) -> (status: TestResult.Status, message: String) {
        let printed = String(decoding: output, as: UTF8.self)
        let signal = status & 0x7F
        let memoryWords = ["failed to allocate", "Could not allocate memory", "out of memory", "Cannot allocate memory"]
        if memoryWords.contains(where: { printed.contains($0) }) || peakRSS > options.memoryLimit * 9 / 10 {
            return (.memory, "exceeded the memory limit of \(bytes(options.memoryLimit))\(phase) (an allocation failed)")
        }
        if signal == SIGXCPU || (signal == SIGKILL && cpu + 1.5 >= cpuLimit) {
            return (.timeout, "timed out\(phase): the process reached its CPU time limit")
        }
        if signal != 0 {
            return (.crashed, "the test's process crashed\(phase) (\(signalName(signal)))")
        }
        return (.crashed, "the test's process exited with status \((status >> 8) & 0xFF)\(phase) without reporting a result")
    }

    // MARK: - /proc

    private func cpuSeconds(_ pid: pid_t) -> Double? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = text.lastIndex(of: ")") else { return nil }
        let fields = text[text.index(after: close)...].split(separator: " ")
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
        return (user + system) / ticksPerSecond
    }

    private func residentBytes(_ pid: pid_t) -> UInt64? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            let digits = line.split(separator: " ").dropFirst().first
            return digits.flatMap { UInt64($0) }.map { $0 * 1024 }
        }
        return nil
    }
}

func signalName(_ s: Int32) -> String {
    let names: [Int32: String] = [SIGSEGV: "SIGSEGV, a segmentation fault", SIGABRT: "SIGABRT, aborted", SIGILL: "SIGILL, a runtime trap",
                                  SIGTRAP: "SIGTRAP, a runtime trap", SIGBUS: "SIGBUS", SIGFPE: "SIGFPE, an arithmetic fault",
                                  SIGKILL: "SIGKILL", SIGXCPU: "SIGXCPU, the CPU time limit", SIGSYS: "SIGSYS, a forbidden system call",
                                  SIGXFSZ: "SIGXFSZ, the file size limit"]
    return "signal " + (names[s] ?? String(s))
}

func seconds(_ s: Double) -> String {
    s == s.rounded() && s < 1e6 ? "\(Int(s)) s" : String(format: "%.1f s", s)
}

func bytes(_ n: UInt64) -> String {
    if n >= 1 << 30 { return String(format: "%.1f GiB", Double(n) / Double(1 << 30)) }
    if n >= 1 << 20 { return String(format: "%.1f MiB", Double(n) / Double(1 << 20)) }
    if n >= 1 << 10 { return String(format: "%.1f KiB", Double(n) / 1024) }
    return "\(n) bytes"
}

func format(_ x: Double) -> String {
    x == x.rounded() && Swift.abs(x) < 1e15 ? String(Int(x)) : String(format: "%.3g", x)
}
