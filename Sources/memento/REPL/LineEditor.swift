// GNU readline, driven through its callback interface so that the REPL's own poll(2) loop
// can notice Ctrl-C at the prompt (readline never sees the signal: `rl_catch_signals` is
// off, and SignalRelay turns the signal into an event on a pipe).
//
// Readline gives the editing keys, history search (Up/Down, Ctrl-R) and ~/.inputrc (with
// `$if memento` sections: `rl_readline_name` is "memento"). History lives in
// ~/.memento_history (or $MEMENTO_HISTORY), written entry by entry as they are entered and
// rewritten, capped at 1000 entries, on exit. An entry that spans several lines is one
// history entry: the file carries readline's timestamp lines, which mark where each entry
// starts.

import CReadline
import Foundation

/// What the user did at the prompt.
enum LineEvent: Equatable {
    case line(String)
    /// Ctrl-D on an empty line.
    case endOfInput
    /// Ctrl-C: the line was abandoned.
    case interrupt
}

/// State shared with readline's C callbacks, which cannot capture context. Touched only from
/// the REPL's thread (readline calls back synchronously from `rl_callback_read_char` and
/// during completion).
private enum Callbacks {
    nonisolated(unsafe) static var finished: LineEvent?
    /// (text before the word, word) → candidates.
    nonisolated(unsafe) static var complete: ((String, String) -> CompletionResult)?
    /// Text before the cursor → whether the word there is a file path.
    nonisolated(unsafe) static var isPathContext: ((String) -> Bool)?
    /// Earlier lines of the entry being typed (for context).
    nonisolated(unsafe) static var pendingText = ""
    nonisolated(unsafe) static let codeBreaks = strdup(Completer.codeBreaks)
    nonisolated(unsafe) static let pathBreaks = strdup(Completer.pathBreaks)
    nonisolated(unsafe) static let applicationName = strdup("memento")
}

/// The text of the entry before byte offset `end` of readline's current line.
private func entryText(before end: Int) -> String {
    let line = memento_rl_line_buffer()
    guard let line else { return Callbacks.pendingText }
    let count = min(max(end, 0), strlen(line))
    let bytes = UnsafeRawBufferPointer(start: line, count: count)
    return Callbacks.pendingText + String(decoding: bytes, as: UTF8.self)
}

private let lineHandler: @convention(c) (UnsafeMutablePointer<CChar>?) -> Void = { line in
    if let line {
        Callbacks.finished = .line(String(cString: line))
        free(line)
    } else {
        Callbacks.finished = .endOfInput
    }
    // Removing the handler here stops readline from redrawing the prompt before the entry runs.
    rl_callback_handler_remove()
}

private let wordBreakHook: @convention(c) () -> UnsafeMutablePointer<CChar>? = {
    let before = entryText(before: Int(memento_rl_point()))
    return Callbacks.isPathContext?(before) == true ? Callbacks.pathBreaks : Callbacks.codeBreaks
}

private let completionFunction: @convention(c) (UnsafePointer<CChar>?, Int32, Int32) -> UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = { text, start, _ in
    // Never fall back to readline's own file-name completion.
    memento_rl_set_attempted_completion_over(1)
    guard let complete = Callbacks.complete else { return nil }
    let word = text.map { String(cString: $0) } ?? ""
    let result = complete(entryText(before: Int(start)), word)
    guard !result.candidates.isEmpty else { return nil }
    if let append = result.append, result.candidates.count == 1 {
        memento_rl_set_completion_append_character(Int32(append.asciiValue ?? 0))
        memento_rl_set_completion_suppress_append(0)
    } else {
        memento_rl_set_completion_append_character(0)
        memento_rl_set_completion_suppress_append(1)
    }
    // matches[0] replaces the word (the candidates' common prefix), then the candidates,
    // then NULL; readline frees them all with free().
    let candidates = result.candidates
    let common = candidates.count == 1 ? candidates[0] : commonPrefix(candidates)
    let size = MemoryLayout<UnsafeMutablePointer<CChar>?>.stride * (candidates.count + 2)
    guard let raw = malloc(size) else { return nil }
    let matches = raw.bindMemory(to: UnsafeMutablePointer<CChar>?.self, capacity: candidates.count + 2)
    matches[0] = strdup(common)
    if candidates.count == 1 {
        matches[1] = nil
    } else {
        for (i, c) in candidates.enumerated() { matches[i + 1] = strdup(c) }
        matches[candidates.count + 1] = nil
    }
    return matches
}

/// The longest common prefix, in characters.
private func commonPrefix(_ strings: [String]) -> String {
    guard var prefix = strings.first.map(Array.init) else { return "" }
    for s in strings.dropFirst() {
        let chars = Array(s)
        var n = 0
        while n < prefix.count, n < chars.count, prefix[n] == chars[n] { n += 1 }
        prefix = Array(prefix[0..<n])
    }
    return String(prefix)
}

/// The interactive line reader.
final class LineEditor {
    let historyPath: String
    private let relay: SignalRelay
    private var lastEntry: String?
    private var warnedAboutHistory = false

    static let historyLimit: Int32 = 1000

    /// The history file: $MEMENTO_HISTORY, else ~/.memento_history.
    static func defaultHistoryPath() -> String {
        if let p = ProcessInfo.processInfo.environment["MEMENTO_HISTORY"], !p.isEmpty { return p }
        return NSHomeDirectory() + "/.memento_history"
    }

    init(historyPath: String, relay: SignalRelay, isPathContext: @escaping (String) -> Bool,
         complete: @escaping (String, String) -> CompletionResult) {
        self.historyPath = historyPath
        self.relay = relay
        Callbacks.complete = complete
        Callbacks.isPathContext = isPathContext
        memento_rl_set_readline_name(Callbacks.applicationName)
        memento_rl_set_catch_signals(0)
        memento_rl_set_attempted_completion(completionFunction)
        memento_rl_set_word_break_hook(wordBreakHook)
        memento_rl_set_basic_word_break_characters(Callbacks.codeBreaks)
        memento_rl_disable_quote_characters()
        memento_history_enable_multiline()
        using_history()
        stifle_history(Self.historyLimit)
        if FileManager.default.fileExists(atPath: historyPath) {
            _ = read_history(historyPath)
            lastEntry = memento_history_length() > 0
                ? history_get(memento_history_base() + memento_history_length() - 1).map { String(cString: $0.pointee.line) } : nil
        }
    }

    /// Reads one line with `prompt`. `pending` is the entry so far (for completion context).
    func readLine(prompt: String, pending: String) -> LineEvent {
        Callbacks.finished = nil
        Callbacks.pendingText = pending.isEmpty ? "" : pending + "\n"
        // A Ctrl-C that came after the last run ended belongs to nothing: drop it, so the new
        // prompt is not abandoned at once.
        for event in relay.drainEvents() where event == .resize { rl_resize_terminal() }
        rl_callback_handler_install(prompt, lineHandler)
        while true {
            var fds = [pollfd(fd: 0, events: Int16(POLLIN), revents: 0),
                       pollfd(fd: relay.wakeRead, events: Int16(POLLIN), revents: 0)]
            let n = poll(&fds, 2, -1)
            if n < 0 {
                if errno == EINTR { continue }
                rl_callback_handler_remove()
                return .endOfInput
            }
            if fds[1].revents & Int16(POLLIN) != 0 {
                for event in relay.drainEvents() {
                    switch event {
                    case .resize:
                        rl_resize_terminal()
                    case .interrupt:
                        abandonLine()
                        return .interrupt
                    }
                }
            }
            if fds[0].revents & Int16(POLLIN) != 0 {
                rl_callback_read_char()
                if let event = Callbacks.finished {
                    // Keep the terminal as readline sets it (no echo, no line editing, Ctrl-C
                    // still a signal) while the entry runs: keys typed meanwhile are neither
                    // echoed over the output nor cooked by the terminal (a Ctrl-D would be
                    // lost), and readline reads them at the next prompt.
                    if case .line = event { rl_prep_terminal(1) }
                    return event
                }
            } else if fds[0].revents & Int16(POLLHUP | POLLERR | POLLNVAL) != 0 {
                rl_callback_handler_remove()
                return .endOfInput
            }
        }
    }

    /// Ctrl-C at the prompt: leave any history search, show `^C` after the text typed so
    /// far, and drop it.
    private func abandonLine() {
        rl_callback_sigcleanup()
        memento_rl_set_point(memento_rl_end())
        rl_redisplay()
        // While readline still owns the terminal: removing the handler ends bracketed-paste
        // mode with a carriage return, which would put `^C` over the prompt.
        print("^C")
        fflush(nil)
        rl_callback_handler_remove()
    }

    /// Gives the terminal back its own settings (before a program that reads lines itself,
    /// and on exit).
    func releaseTerminal() {
        rl_deprep_terminal()
    }

    /// Adds an entry to the history and appends it to the history file at once, so nothing
    /// is lost if the terminal goes away. Repeats of the previous entry are skipped.
    func addHistory(_ entry: String) {
        guard !entry.allSatisfy(\.isWhitespace), entry != lastEntry else { return }
        lastEntry = entry
        add_history(entry)
        if !FileManager.default.fileExists(atPath: historyPath) {
            _ = FileManager.default.createFile(atPath: historyPath, contents: nil, attributes: [.posixPermissions: 0o600])
        }
        let status = append_history(1, historyPath)
        if status != 0, !warnedAboutHistory {
            warnedAboutHistory = true
            REPL.writeError("memento: cannot write the history file \(historyPath): \(String(cString: strerror(status)))\n")
        }
    }

    /// Rewrites the history file with the session's history (the last 1000 entries).
    func save() {
        _ = write_history(historyPath)
    }
}
