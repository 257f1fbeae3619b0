// Helpers for tests that drive the built `memento` executable: finding it, running it with
// piped input, and typing into it through a pseudo-terminal (a private tmux server).

import Foundation
import Synchronization
import Testing

/// The `memento` executable to drive: $MEMENTO_BIN (tools/test builds a release one and sets
/// it), else one built next to this test bundle, else one in a `.build*` folder of the package.
/// (`swift test` alone compiles the tool's module into the test bundle but does not link the
/// executable, so build it first: `swift build`, or ./tools/test.)
let mementoExecutable: String? = {
    if let bin = ProcessInfo.processInfo.environment["MEMENTO_BIN"], FileManager.default.isExecutableFile(atPath: bin) {
        return bin
    }
    var candidates: [URL] = []
    if let first = CommandLine.arguments.first {
        candidates.append(URL(fileURLWithPath: first).resolvingSymlinksInPath().deletingLastPathComponent())
    }
    candidates.append(Bundle.main.bundleURL.deletingLastPathComponent())
    var root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    for _ in 0..<2 { root = root.deletingLastPathComponent() }
    if let entries = try? FileManager.default.contentsOfDirectory(atPath: root.path) {
        for e in entries.sorted() where e.hasPrefix(".build") {
            candidates.append(root.appendingPathComponent(e).appendingPathComponent("debug"))
            candidates.append(root.appendingPathComponent(e).appendingPathComponent("release"))
        }
    }
    for folder in candidates {
        let path = folder.appendingPathComponent("memento").path
        if FileManager.default.isExecutableFile(atPath: path) { return path }
    }
    return nil
}()

/// An executable on PATH (or in /usr/bin), or nil.
func executableOnPath(_ name: String) -> String? {
    let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
    for dir in path.split(separator: ":") + ["/usr/bin", "/usr/local/bin"] {
        let candidate = "\(dir)/\(name)"
        if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
    }
    return nil
}

let tmuxExecutable = executableOnPath("tmux")

/// A fresh temporary folder, removed by the caller.
func makeTemporaryFolder(_ label: String) throws -> URL {
    let url = FileManager.default.temporaryDirectory
        .appendingPathComponent("memento-\(label)-\(getpid())-\(UUID().uuidString.prefix(8))")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// What a finished process printed.
struct ProcessOutput {
    var status: Int32
    var stdout: String
    var stderr: String
}

/// Runs an executable to completion with `input` on stdin (a file, so not a terminal).
///
/// Spawned with posix_spawn rather than Foundation's Process: Process notices a child's exit
/// through a descriptor the child inherits, so a program that leaves a daemon behind (tmux
/// starting its server) would never seem to finish. Output goes to files for the same reason.
func runProcess(_ executable: String, _ arguments: [String], input: String = "", directory: URL? = nil,
                environment: [String: String] = [:]) throws -> ProcessOutput {
    let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("memento-run-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: scratch) }
    let inPath = scratch.appendingPathComponent("in").path, outPath = scratch.appendingPathComponent("out").path,
        errPath = scratch.appendingPathComponent("err").path
    try Data(input.utf8).write(to: URL(fileURLWithPath: inPath))

    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, inPath, O_RDONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 1, outPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    posix_spawn_file_actions_addopen(&actions, 2, errPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)

    // In another folder: through sh, since posix_spawn's chdir action is not in Swift's Glibc.
    var command = [executable] + arguments
    if let directory { command = ["/bin/sh", "-c", "cd \"$0\" && exec \"$@\"", directory.path] + command }
    let env = ProcessInfo.processInfo.environment.merging(environment) { $1 }.map { "\($0.key)=\($0.value)" }
    let argv: [UnsafeMutablePointer<CChar>?] = command.map { strdup($0) } + [nil]
    let envp: [UnsafeMutablePointer<CChar>?] = env.map { strdup($0) } + [nil]
    defer {
        for p in argv { free(p) }
        for p in envp { free(p) }
    }
    // The child starts with no signal blocked and default handlers: test threads may block
    // signals, and a tmux server (and so the REPL in it) would inherit that mask, leaving
    // Ctrl-C and kill-server's SIGHUP without effect.
    var attributes = posix_spawnattr_t()
    posix_spawnattr_init(&attributes)
    defer { posix_spawnattr_destroy(&attributes) }
    var noSignals = sigset_t(), defaults = sigset_t()
    sigemptyset(&noSignals)
    sigemptyset(&defaults)
    for sig in [SIGINT, SIGHUP, SIGTERM, SIGQUIT, SIGPIPE, SIGCHLD, SIGWINCH] { sigaddset(&defaults, sig) }
    posix_spawnattr_setsigmask(&attributes, &noSignals)
    posix_spawnattr_setsigdefault(&attributes, &defaults)
    posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
    var pid: pid_t = 0
    let spawned = posix_spawn(&pid, command[0], &actions, &attributes, argv, envp)
    guard spawned == 0 else { throw TerminalError("cannot start \(command[0]): error \(spawned)") }
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    // WIFEXITED / WEXITSTATUS, spelled out (they are macros): 128 + signal if killed.
    let exitStatus = status & 0x7f == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    return ProcessOutput(status: exitStatus,
                         stdout: String(decoding: (try? Data(contentsOf: URL(fileURLWithPath: outPath))) ?? Data(), as: UTF8.self),
                         stderr: String(decoding: (try? Data(contentsOf: URL(fileURLWithPath: errPath))) ?? Data(), as: UTF8.self))
}

/// The executable typed into through a pseudo-terminal: a tmux server on a private socket
/// (`tmux -S $TMPDIR/memento-test-<pid>-<n>.tmux`), with one window running the command. Screens are read
/// with `capture-pane`; waits poll the screen until a condition holds or a timeout passes.
final class Terminal {
    /// The server's socket: a private path, removed on close.
    let socket: String
    let tmux: String
    private static let counter = Mutex(0)

    /// Starts `command` (with `environment`) in a 120×40 terminal whose working folder is
    /// `directory`. The pane stays after the program exits, so its exit status can be read.
    init(_ command: [String], directory: URL, environment: [String: String]) throws {
        guard let tmux = tmuxExecutable else { throw TerminalError("tmux is not installed") }
        self.tmux = tmux
        let n = Terminal.counter.withLock { value in
            value += 1
            return value
        }
        socket = FileManager.default.temporaryDirectory.appendingPathComponent("memento-test-\(getpid())-\(n).tmux").path
        let env = environment.map { "\($0.key)=\(shellQuote($0.value))" }.sorted().joined(separator: " ")
        // The shell prints the exit status when the program ends and keeps the pane open.
        // (tmux's own pane_dead_status is unreliable: tmux 3.3 sometimes never reaps the
        // pane's process.) Ctrl-C reaches the shell too, being in the terminal's foreground
        // process group; the trap keeps it alive (and the program gets default handling).
        let line = "trap : INT; env \(env) " + command.map(shellQuote).joined(separator: " ")
            + "; echo \"\(Terminal.exitMarker)$?]\"; read _"
        _ = try tmuxCommand(["-f", "/dev/null", "new-session", "-d", "-x", "120", "-y", "40", "-c", directory.path,
                             "/bin/sh", "-c", line])
    }

    private static let exitMarker = "[program exited with status "

    deinit { close() }

    /// Stops the tmux server (and the program in it).
    func close() {
        _ = try? tmuxCommand(["kill-server"])
        try? FileManager.default.removeItem(atPath: socket)
    }

    @discardableResult
    private func tmuxCommand(_ arguments: [String]) throws -> ProcessOutput {
        try runProcess(tmux, ["-S", socket] + arguments, environment: ["TMUX": ""])
    }

    /// Types text literally (no key names).
    func type(_ text: String) throws {
        try tmuxCommand(["send-keys", "-t", "0", "-l", text])
    }

    /// Presses keys by tmux name: "Enter", "Tab", "Up", "C-c", "C-d", "C-r".
    func press(_ keys: String...) throws {
        try tmuxCommand(["send-keys", "-t", "0"] + keys)
    }

    /// Types a line and presses Enter.
    func enter(_ line: String) throws {
        try type(line)
        try press("Enter")
    }

    /// The screen (and scrollback), wrapped lines joined, trailing blank lines removed.
    func screen() throws -> String {
        let out = try tmuxCommand(["capture-pane", "-p", "-J", "-S", "-200", "-t", "0"]).stdout
        var lines = out.components(separatedBy: "\n").map { line -> String in
            var l = Substring(line)
            while l.last == " " { l = l.dropLast() }
            return String(l)
        }
        while lines.last?.isEmpty == true { lines.removeLast() }
        return lines.joined(separator: "\n")
    }

    /// The last non-empty line on the screen.
    func lastLine() throws -> String {
        try screen().components(separatedBy: "\n").last ?? ""
    }

    /// Polls the screen until `condition` holds; fails the test with the screen if it does
    /// not within `timeout` seconds. Returns the screen.
    @discardableResult
    func waitFor(_ what: String, timeout: Double = 10, sourceLocation: SourceLocation = #_sourceLocation,
                 _ condition: (String) -> Bool) throws -> String {
        let deadline = Date().addingTimeInterval(timeout)
        var text = ""
        while Date() < deadline {
            text = try screen()
            if condition(text) { return text }
            usleep(30_000)
        }
        Issue.record("timed out after \(timeout) s waiting for \(what); the screen:\n\(text)", sourceLocation: sourceLocation)
        throw TerminalError("timed out waiting for \(what)")
    }

    /// Waits until the screen contains `text`.
    @discardableResult
    func waitFor(text: String, timeout: Double = 10, sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
        try waitFor("'\(text)'", timeout: timeout, sourceLocation: sourceLocation) { $0.contains(text) }
    }

    /// Waits for a fresh, empty primary prompt on the last line.
    @discardableResult
    func waitForPrompt(timeout: Double = 10, sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
        try waitFor("an empty prompt", timeout: timeout, sourceLocation: sourceLocation) {
            $0.components(separatedBy: "\n").last == "memento>"
        }
    }

    /// The program's exit status once it has exited (polling the screen), or nil on timeout.
    func exitStatus(timeout: Double = 10) throws -> Int32? {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let text = try screen()
            if let range = text.range(of: Terminal.exitMarker, options: .backwards) {
                return Int32(text[range.upperBound...].prefix { $0.isNumber })
            }
            usleep(30_000)
        }
        return nil
    }
}

struct TerminalError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// `'text'` for sh, with embedded single quotes escaped.
func shellQuote(_ s: String) -> String {
    "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'"
}
