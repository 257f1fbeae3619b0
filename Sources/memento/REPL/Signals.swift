// Ctrl-C and window resizes for the interactive REPL.
//
// Design: the signal handlers only write one byte into a pipe (the one thing that is safe in
// a handler, whichever thread the kernel picks to run it). A background thread reads that
// pipe and decides what the signal means:
//   * while code runs, Ctrl-C asks the interpreter to stop at its next safe point
//     (`interrupt.request()`; `train` checks the same flag between steps). A third Ctrl-C
//     for one run that has not stopped (a long native operation with no safe point) quits
//     memento, after restoring the terminal;
//   * at the prompt, Ctrl-C and resizes are passed on through a second pipe that the
//     prompt's poll(2) loop watches, so readline is only ever touched by the REPL's thread.

import Foundation
import Language
import Synchronization

/// Where the signal handlers write (-1 until installed). A global so the C handlers can reach it.
private let signalPipeWrite = Atomic<Int32>(-1)

/// The byte a handler writes for each signal.
private enum SignalByte {
    static let interrupt: UInt8 = 1
    static let resize: UInt8 = 2
}

/// Relays SIGINT and SIGWINCH to the running code or to the prompt loop.
final class SignalRelay: Sendable {
    /// The prompt loop polls this descriptor; each byte is `Event.interrupt` or `.resize`.
    let wakeRead: Int32
    private let wakeWrite: Int32
    private let signalRead: Int32
    /// The interrupt flag of the code running now, or nil at the prompt.
    private let running = Mutex<InterruptFlag?>(nil)
    /// Ctrl-C presses since the current run started.
    private let pressesThisRun = Atomic<Int>(0)
    /// The terminal's settings at start, restored on a forced quit.
    private let terminalSettings: termios?

    enum Event { case interrupt, resize }

    /// Creates the pipes, starts the relay thread, and installs the handlers.
    init?() {
        var sig: [Int32] = [0, 0], wake: [Int32] = [0, 0]
        guard pipe(&sig) == 0 else { return nil }
        guard pipe(&wake) == 0 else {
            close(sig[0]); close(sig[1])
            return nil
        }
        for fd in sig + wake { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        // Handlers must never block: a full pipe just drops the extra byte.
        _ = fcntl(sig[1], F_SETFL, fcntl(sig[1], F_GETFL) | O_NONBLOCK)
        _ = fcntl(wake[1], F_SETFL, fcntl(wake[1], F_GETFL) | O_NONBLOCK)
        _ = fcntl(wake[0], F_SETFL, fcntl(wake[0], F_GETFL) | O_NONBLOCK)
        var settings = termios()
        terminalSettings = tcgetattr(0, &settings) == 0 ? settings : nil
        signalRead = sig[0]
        wakeRead = wake[0]
        wakeWrite = wake[1]
        signalPipeWrite.store(sig[1], ordering: .sequentiallyConsistent)

        let thread = Thread { [self] in relayLoop() }
        thread.name = "memento-signals"
        thread.start()

        var action = sigaction()
        action.__sigaction_handler.sa_handler = { signo in
            let fd = signalPipeWrite.load(ordering: .relaxed)
            guard fd >= 0 else { return }
            var byte: UInt8 = signo == SIGINT ? 1 : 2  // SignalByte, spelled out: no lazy globals here
            let saved = errno
            _ = write(fd, &byte, 1)
            errno = saved
        }
        sigemptyset(&action.sa_mask)
        action.sa_flags = SA_RESTART
        sigaction(SIGINT, &action, nil)
        sigaction(SIGWINCH, &action, nil)
    }

    /// Runs on the relay thread for the life of the process.
    private func relayLoop() {
        var byte: UInt8 = 0
        while true {
            let n = read(signalRead, &byte, 1)
            if n < 0, errno == EINTR { continue }
            guard n == 1 else { return }
            if byte == SignalByte.interrupt, let flag = running.withLock({ $0 }) {
                flag.request()
                let presses = pressesThisRun.add(1, ordering: .relaxed).newValue
                if presses >= 3 { forceQuit() }
                continue
            }
            var out: UInt8 = byte
            _ = write(wakeWrite, &out, 1)
        }
    }

    /// The running code ignored three Ctrl-C presses: leave (history is saved entry by entry).
    private func forceQuit() -> Never {
        let message = "\nmemento: the running code did not reach a point where it can stop; quitting.\n"
        if var settings = terminalSettings { tcsetattr(0, TCSANOW, &settings) }
        _ = message.withCString { write(2, $0, strlen($0)) }
        _exit(130)
    }

    /// Marks the start of running code: Ctrl-C now interrupts `flag`.
    func beginRun(_ flag: InterruptFlag) {
        _ = flag.take()
        pressesThisRun.store(0, ordering: .relaxed)
        running.withLock { $0 = flag }
    }

    /// Marks the end of running code; a late Ctrl-C request is dropped.
    func endRun(_ flag: InterruptFlag) {
        running.withLock { $0 = nil }
        _ = flag.take()
    }

    /// Reads the events waiting for the prompt loop (non-blocking).
    func drainEvents() -> [Event] {
        var events: [Event] = []
        var buffer = [UInt8](repeating: 0, count: 64)
        while true {
            let n = read(wakeRead, &buffer, buffer.count)
            if n < 0, errno == EINTR { continue }
            guard n > 0 else { break }
            for b in buffer[0..<n] { events.append(b == SignalByte.interrupt ? .interrupt : .resize) }
        }
        return events
    }
}
