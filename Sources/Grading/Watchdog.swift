import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Language

/// Watches the loader while it runs a submission's top level, one statement at a time: a
/// statement that takes more than its CPU budget, or pushes resident memory past a mark, or
/// runs when the whole load budget is spent, is interrupted (at the interpreter's next safe
/// point, or when a training loop next checks), so the loader can skip it and go on.
///
/// It runs on its own thread only while the submission loads, and is joined before the loader
/// forks any test process (a fork must not copy a thread that might hold a lock).
final class Watchdog: @unchecked Sendable {
    /// Why a statement was stopped.
    enum Stop: Equatable {
        case statementTime, loadTime, memory
    }

    /// `/proc/self/statm`, opened before the sandbox forbids opening files (-1 if it could not be).
    nonisolated(unsafe) static var statmFD: Int32 = -1

    private let interpreter: Interpreter
    private let statementBudget: Double
    private let loadBudget: Double
    private let memory: UInt64
    private let lock = NSLock()
    private var generation = 0
    private var statementStart = 0.0
    private var loadStart = 0.0
    private var active = false
    private var stopped: Stop?
    private var running = false
    private var thread: pthread_t?

    init(interpreter: Interpreter, statementBudget: Double, loadBudget: Double, memory: UInt64) {
        self.interpreter = interpreter
        self.statementBudget = statementBudget
        self.loadBudget = loadBudget
        self.memory = memory
    }

    /// CPU seconds this process has used (all threads).
    static func processCPU() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    /// Resident bytes of this process, or nil when unknown.
    static func residentBytes() -> UInt64? {
        guard statmFD >= 0 else { return nil }
        var buffer = [UInt8](repeating: 0, count: 128)
        let n = buffer.withUnsafeMutableBytes { pread(statmFD, $0.baseAddress, $0.count, 0) }
        guard n > 0 else { return nil }
        let fields = String(decoding: buffer[0..<n], as: UTF8.self).split(separator: " ")
        guard fields.count > 1, let pages = UInt64(fields[1]) else { return nil }
        return pages * UInt64(sysconf(Int32(_SC_PAGESIZE)))
    }

    func start() {
        lock.lock()
        loadStart = Watchdog.processCPU()
        running = true
        lock.unlock()
        var t = pthread_t()
        let box = Unmanaged.passRetained(self).toOpaque()
        if pthread_create(&t, nil, { raw in
            let me = Unmanaged<Watchdog>.fromOpaque(raw!).takeRetainedValue()
            me.watch()
            return nil
        }, box) == 0 {
            thread = t
        } else {
            Unmanaged<Watchdog>.fromOpaque(box).release()
        }
    }

    func stop() {
        lock.lock()
        running = false
        active = false
        lock.unlock()
        if let thread { pthread_join(thread, nil) }
        thread = nil
        _ = interpreter.interrupt.take()
    }

    /// A top-level statement starts: a fresh budget, and no stale interrupt.
    func beginStatement() {
        lock.lock()
        generation += 1
        statementStart = Watchdog.processCPU()
        stopped = nil
        active = true
        _ = interpreter.interrupt.take()
        lock.unlock()
    }

    /// The statement ended with an error: why it was stopped, if the watchdog stopped it.
    func endStatement() -> Stop? {
        lock.lock()
        defer { lock.unlock() }
        active = false
        _ = interpreter.interrupt.take()
        return stopped
    }

    private func watch() {
        while true {
            usleep(10_000)
            lock.lock()
            guard running else {
                lock.unlock()
                return
            }
            if active, stopped == nil {
                let now = Watchdog.processCPU()
                if now - loadStart > loadBudget {
                    stopped = .loadTime
                } else if now - statementStart > statementBudget {
                    stopped = .statementTime
                } else if let rss = Watchdog.residentBytes(), rss > memory {
                    stopped = .memory
                }
                if stopped != nil { interpreter.interrupt.request() }
            } else if active, stopped != nil {
                // Keep asking: a training loop may have taken the first request and stopped
                // without the statement ending yet.
                interpreter.interrupt.request()
            }
            lock.unlock()
        }
    }
}
