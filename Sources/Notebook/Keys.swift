// Key input for the stepper: single keys from a terminal, lines from a pipe, or a list (tests).

import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// What the user asked the stepper to do.
public enum StepKey: Equatable, Sendable {
    /// Enter (or →, `n`, space): run the shown cell, or go on if it already ran.
    case run
    /// `b` (or ←): show the previous code cell again, without running it.
    case back
    /// `r`: run the shown cell again if it ran, else the last cell that ran.
    case rerun
    /// `a`: run the remaining cells without pausing (stops at an error).
    case all
    /// `q` (or Ctrl-C, Ctrl-D, end of input): stop stepping.
    case quit
    /// `h` or `?`: list the keys.
    case help
    /// Anything else (shown back to the user).
    case other(String)

    /// The key for a typed line or character (`""` is Enter).
    public init(text: String) {
        let t = text.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
        switch t {
        case "", "n", "next", "run": self = .run
        case "b", "back": self = .back
        case "r", "rerun", "re-run": self = .rerun
        case "a", "all": self = .all
        case "q", "quit", "exit": self = .quit
        case "h", "?", "help": self = .help
        default: self = .other(t)
        }
    }
}

/// Where the stepper's keys come from.
public protocol KeySource: AnyObject {
    /// The next key; nil at the end of input (treated as quit).
    func nextKey() -> StepKey?
    /// Whether keys come from a person at a terminal (single keys; the prompt is erased after).
    var isInteractive: Bool { get }
}

/// A fixed list of keys (for tests and scripted demos); nil after the last one.
public final class ScriptedKeys: KeySource {
    private var keys: [StepKey]
    public init(_ keys: [StepKey]) { self.keys = keys }
    public func nextKey() -> StepKey? { keys.isEmpty ? nil : keys.removeFirst() }
    public var isInteractive: Bool { false }
}

/// Keys read line by line from standard input (when it is not a terminal): an empty line is
/// Enter, `b` back, `r` re-run, `a` run all, `q` quit.
public final class LineKeys: KeySource {
    public init() {}
    public func nextKey() -> StepKey? {
        guard let line = readLine(strippingNewline: true) else { return nil }
        return StepKey(text: line)
    }
    public var isInteractive: Bool { false }
}

/// Single key presses from the terminal on standard input, without waiting for Enter. The
/// terminal is put in non-canonical mode without echo and signals (so Ctrl-C is a key here:
/// quit) only while a key is read, and restored right after.
public final class TerminalKeys: KeySource {
    public init() {}
    public var isInteractive: Bool { true }

    /// Whether standard input is a terminal.
    public static var available: Bool { isatty(0) != 0 }

    public func nextKey() -> StepKey? {
        var saved = termios()
        guard tcgetattr(0, &saved) == 0 else { return LineKeys().nextKey() }
        var raw = saved
        raw.c_lflag &= ~tcflag_t(ICANON | ECHO | ISIG)
        setControl(&raw, VMIN, 1)
        setControl(&raw, VTIME, 0)
        tcsetattr(0, TCSANOW, &raw)
        defer { tcsetattr(0, TCSANOW, &saved) }
        guard let byte = readByte() else { return nil }
        switch byte {
        case 3, 4: return .quit                      // Ctrl-C, Ctrl-D
        case 10, 13, 32: return .run                 // Enter, space
        case 0x1B:
            // An escape sequence: arrows (ESC [ C / ESC [ D); a lone ESC is ignored.
            setControl(&raw, VMIN, 0)
            setControl(&raw, VTIME, 1)
            tcsetattr(0, TCSANOW, &raw)
            guard readByte() == UInt8(ascii: "["), let final = readByte() else { return .other("escape") }
            switch final {
            case UInt8(ascii: "C"): return .run
            case UInt8(ascii: "D"): return .back
            default: return .other("escape")
            }
        default:
            return StepKey(text: String(decoding: [byte], as: UTF8.self))
        }
    }

    private func readByte() -> UInt8? {
        var b: UInt8 = 0
        while true {
            let n = read(0, &b, 1)
            if n == 1 { return b }
            if n < 0 && errno == EINTR { continue }
            return nil
        }
    }

    private func setControl(_ t: inout termios, _ index: Int32, _ value: UInt8) {
        withUnsafeMutableBytes(of: &t.c_cc) { $0[Int(index)] = value }
    }
}
