// The REPL: `memento` with no argument.
//
// On a terminal it reads with GNU readline (LineEditor): history, Ctrl-R, tab completion,
// multi-line entries with a `   ...> ` continuation prompt, Ctrl-C to abandon a line or to stop
// running code (SignalRelay). With stdin not a terminal (`memento < script.mem`) it reads
// plain lines with no prompt, prints what the REPL would print, keeps going after errors and
// exits 1 at the end if any entry failed (IPython's behaviour), else 0.
//
// An entry ends at a line after which it is complete (InputState): open brackets or blocks,
// a trailing operator or a trailing `\` ask for another line; two blank lines, or Ctrl-C,
// end an entry that cannot be finished. Each entry is compiled in REPL mode
// (`compile(_, repl: true)`): definitions persist from entry to entry, and the value of a
// final bare expression (other than nil) is printed like `repr` and stored in `_`.
// Diagnostics are those of files, named `<input-N>` (`<stdin>` with its line numbers in
// plain mode); an interruption prints `interrupted` and keeps every variable.
// The session's sandbox is that of a script in the current folder: reads under `.` and
// `lessons/`, writes under `./out`.

import ArgumentParser
import Foundation
import Language
import Notebook
import Runtime

/// Connects `:step FILE` to the notebook stepper (main.swift sets it): called with the path
/// as typed and the REPL's interpreter and session, so the lesson's names stay defined.
/// Until it is set, `:step` says how to step a lesson from the shell.
nonisolated(unsafe) var stepHook: ((String, Interpreter, Session) throws -> Void)?

/// Opens the REPL (interactive on a terminal, plain when stdin is a file or pipe).
func startREPL() throws {
    let interactive = isatty(0) != 0
    if interactive {
        // A parent may have started us with Ctrl-C blocked; the REPL needs it (and resizes).
        // Threads started from here on (the interpreter's, the signal relay) inherit this.
        var signals = sigset_t()
        sigemptyset(&signals)
        sigaddset(&signals, SIGINT)
        sigaddset(&signals, SIGWINCH)
        pthread_sigmask(SIG_UNBLOCK, &signals, nil)
    }
    let code: Int32 = Interpreter.runOnLargeStack {
        let repl = REPL(interactive: interactive)
        return interactive ? repl.runInteractive() : repl.runPlain()
    }
    if code != 0 { throw ExitCode(code) }
}

/// One REPL session: the interpreter, its sandbox, and the commands.
final class REPL {
    let interactive: Bool
    private(set) var interpreter = Interpreter()
    private(set) var session: Session
    private let color: Bool
    private var relay: SignalRelay?
    private var editor: LineEditor?
    /// Entries run so far (numbers the `<input-N>` sources).
    private var entryCount = 0
    /// Whether any entry failed (the exit status in plain mode).
    private(set) var hadError = false
    private var quitRequested = false
    /// Whether the code's output so far ends a line (so messages start on a fresh one).
    private var atLineStart = true

    /// Writes to stderr after flushing stdout, so the two stay in order on a terminal.
    static func writeError(_ text: String) {
        fflush(nil)
        FileHandle.standardError.write(Data(text.utf8))
    }

    static let primaryPrompt = "memento> "
    static let continuationPrompt = "   ...> "

    /// The commands, for `:help`, completion and suggestions.
    static let commands: [(name: String, argument: String?, summary: String)] = [
        ("help", "[NAME]", "list the commands and built-ins, or show one built-in's signature, summary and example"),
        ("load", "FILE", "run a .mem file into this session (its definitions stay)"),
        ("step", "FILE", "step through a lesson cell by cell"),
        ("vars", nil, "list the variables you defined, with their types and values"),
        ("time", "EXPR", "run code and print the wall time it took"),
        ("reset", nil, "start over with a fresh session (every variable is dropped)"),
        ("quit", nil, "leave (Ctrl-D does too)"),
    ]

    init(interactive: Bool) {
        self.interactive = interactive
        color = interactive ? useColor() : false
        session = REPL.makeSession()
        configure()
    }

    private static func makeSession() -> Session {
        let cwd = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
        let session = Session(scriptDirectory: cwd)
        session.columns = terminalColumns()
        return session
    }

    private func configure() {
        Runtime.install(in: interpreter, session: session)
        interpreter.output = { [unowned self] text in
            print(text, terminator: "")
            fflush(nil)
            if let last = text.last { atLineStart = last == "\n" }
        }
    }

    // MARK: - Interactive

    func runInteractive() -> Int32 {
        guard let relay = SignalRelay() else {
            REPL.writeError("memento: could not set up Ctrl-C handling; reading plainly\n")
            return runPlain()
        }
        self.relay = relay
        let cwd = FileManager.default.currentDirectoryPath
        let editor = LineEditor(
            historyPath: LineEditor.defaultHistoryPath(), relay: relay,
            isPathContext: { [unowned self] before in completer(cwd).isPathContext(before) },
            complete: { [unowned self] before, word in completer(cwd).complete(before: before, word: word) })
        self.editor = editor
        print("Memento \(Memento.configuration.version): :help lists the commands, Ctrl-D quits.")
        fflush(nil)
        var pending: [String] = []
        var blankLines = 0
        while !quitRequested {
            let prompt = pending.isEmpty ? REPL.primaryPrompt : REPL.continuationPrompt
            switch editor.readLine(prompt: prompt, pending: pending.joined(separator: "\n")) {
            case .endOfInput:
                print()
                if pending.isEmpty { quitRequested = true }
                pending = []
            case .interrupt:
                pending = []
                blankLines = 0
            case .line(let line):
                if pending.isEmpty {
                    let trimmed = line.trimmingCharacters(in: .whitespaces)
                    if trimmed.isEmpty { continue }
                    if trimmed.hasPrefix(":") && !line.contains("\n") {
                        editor.addHistory(trimmed)
                        command(trimmed)
                        continue
                    }
                }
                pending.append(line)
                let text = pending.joined(separator: "\n")
                if InputState.needsLineJoin(text) { pending[pending.count - 1] += " \\" }
                if InputState.isIncomplete(text) {
                    // Two blank lines end an entry that would otherwise never finish.
                    blankLines = line.allSatisfy(\.isWhitespace) ? blankLines + 1 : 0
                    if blankLines < 2 { continue }
                }
                pending = []
                blankLines = 0
                editor.addHistory(text)
                entryCount += 1
                evaluate(text, path: "<input-\(entryCount)>")
            }
            session.columns = terminalColumns()
        }
        editor.releaseTerminal()
        editor.save()
        return 0
    }

    private func completer(_ directory: String) -> Completer {
        Completer(interpreter: interpreter, commands: REPL.commands.map { ($0.name, $0.argument != nil) },
                  directory: directory)
    }

    // MARK: - Plain (stdin is a file or a pipe)

    /// Reads stdin line by line: no prompts, no echo of the input; values of bare expressions
    /// are printed as in the REPL. Diagnostics name `<stdin>` and its line numbers.
    func runPlain() -> Int32 {
        var pending: [String] = []
        var firstLine = 1
        var lineNumber = 0
        while !quitRequested, let line = Swift.readLine(strippingNewline: true) {
            lineNumber += 1
            if pending.isEmpty {
                let trimmed = line.trimmingCharacters(in: .whitespaces)
                if trimmed.isEmpty { continue }
                if trimmed.hasPrefix(":") {
                    command(trimmed)
                    continue
                }
                firstLine = lineNumber
            }
            pending.append(line)
            let text = pending.joined(separator: "\n")
            if InputState.needsLineJoin(text) { pending[pending.count - 1] += " \\" }
            if InputState.isIncomplete(text) { continue }
            pending = []
            evaluate(text, path: "<stdin>", firstLine: firstLine)
        }
        if !pending.isEmpty { evaluate(pending.joined(separator: "\n"), path: "<stdin>", firstLine: firstLine) }
        fflush(nil)
        return hadError ? 1 : 0
    }

    // MARK: - Running code

    /// Compiles and runs one entry; prints the value of a final bare expression and stores
    /// it in `_`. Returns whether it ran without error.
    @discardableResult
    func evaluate(_ text: String, path: String, firstLine: Int = 1, timed: Bool = false) -> Bool {
        // Leading blank lines make diagnostics show the line numbers of the whole input.
        let source = SourceFile(path: path, text: String(repeating: "\n", count: max(firstLine - 1, 0)) + text)
        let chunk: CompiledChunk
        switch interpreter.compile(source, repl: true) {
        case .failure(let errors):
            report(errors.diagnostics)
            return false
        case .success(let c):
            chunk = c
        }
        let start = DispatchTime.now().uptimeNanoseconds
        atLineStart = true
        relay?.beginRun(interpreter.interrupt)
        defer { relay?.endRun(interpreter.interrupt) }
        do {
            let value = try interpreter.run(chunk)
            let elapsed = DispatchTime.now().uptimeNanoseconds - start
            if case .nil = value {} else {
                interpreter.globals.define("_", value, mutable: false)
                print(try interpreter.echo(value))
            }
            if timed { print("time: \(formatDuration(elapsed))") }
            fflush(nil)
            return true
        } catch {
            if timed { print("time: \(formatDuration(DispatchTime.now().uptimeNanoseconds - start)) (stopped by an error)") }
            reportRuntime(error)
            return false
        }
    }

    private func reportRuntime(_ error: RuntimeError) {
        if CellError.isInterruption(error) {
            // Ctrl-C: not a mistake, so no excerpt; the variables are all kept.
            print((atLineStart ? "" : "\n") + CellError.interruptionText(help: error.help))
            fflush(nil)
            return
        }
        report([error.diagnostic])
    }

    private func report(_ diagnostics: [Diagnostic]) {
        if diagnostics.contains(where: { $0.severity == .error }) { hadError = true }
        for d in diagnostics { REPL.writeError(d.render(color: color)) }
    }

    // MARK: - Commands

    /// Runs a `:command` line.
    func command(_ line: String) {
        let body = line.dropFirst()
        let name = String(body.prefix { !$0.isWhitespace })
        let argument = body.dropFirst(name.count).trimmingCharacters(in: .whitespaces)
        switch name {
        case "help", "h", "?": help(argument)
        case "load": withFile(argument, "load") { load($0, shown: $1) }
        case "step": withFile(argument, "step") { step($0, shown: $1) }
        case "vars": vars()
        case "time":
            guard !argument.isEmpty else { return usage("time", "EXPR", example: ":time train(agent, on: maze, steps: 5_000)") }
            entryCount += 1
            evaluate(argument, path: "<input-\(entryCount)>", timed: true)
        case "reset":
            interpreter = Interpreter()
            session = REPL.makeSession()
            configure()
            print("The session was reset: every variable is gone.")
        case "quit", "q", "exit": quitRequested = true
        default:
            hadError = hadError || !interactive
            var message = "unknown command ':\(name)'"
            if let near = REPL.suggestion(for: name, among: REPL.commands.map(\.name)) { message += "; did you mean ':\(near)'?" }
            REPL.writeError(message + " (:help lists the commands)\n")
        }
        fflush(nil)
    }

    private func usage(_ command: String, _ argument: String, example: String) {
        if !interactive { hadError = true }
        REPL.writeError(":\(command) needs \(argument == "FILE" ? "a file" : "code to run"): :\(command) \(argument), e.g. \(example)\n")
    }

    /// Runs `body` with the file `argument` names (see `FileArgument`: `:load` and `:step`
    /// accept the same spellings), or reports why there is none.
    private func withFile(_ argument: String, _ command: String, _ body: (_ full: String, _ shown: String) -> Void) {
        guard !argument.isEmpty else { return usage(command, "FILE", example: ":\(command) lessons/00-tour.mem") }
        do {
            let (full, shown) = try FileArgument.resolve(argument, session: session, command: command)
            body(full, shown)
        } catch {
            hadError = true
            REPL.writeError("error: \(error)\n")
        }
    }

    private func load(_ full: String, shown path: String) {
        let text: String
        guard let data = FileManager.default.contents(atPath: full) else {
            hadError = true
            return REPL.writeError("error: :load: cannot read \(path)\n")
        }
        switch SourceDecoding.decode([UInt8](data), path: path) {
        case .success(let t): text = t
        case .failure(let failure):
            hadError = true
            return REPL.writeError("error: :load: \(failure)\n")
        }
        let chunk: CompiledChunk
        switch interpreter.compile(SourceFile(path: path, text: text)) {
        case .failure(let errors): return report(errors.diagnostics)
        case .success(let c): chunk = c
        }
        atLineStart = true
        relay?.beginRun(interpreter.interrupt)
        defer { relay?.endRun(interpreter.interrupt) }
        do { _ = try interpreter.run(chunk) } catch { reportRuntime(error) }
    }

    private func step(_ full: String, shown path: String) {
        editor?.releaseTerminal()
        guard let hook = stepHook else {
            if !interactive { hadError = true }
            return REPL.writeError(":step is not connected in this build yet; step a lesson from the shell with: memento step \(path)\n")
        }
        do { try hook(path, interpreter, session) } catch {
            hadError = true
            REPL.writeError("error: :step \(path): \(error)\n")
        }
    }

    private func vars() {
        print(REPL.varsText(interpreter: interpreter, columns: session.columns), terminator: "")
    }

    /// What `:vars` shows: one line per variable the session defined (name, type, value).
    static func varsText(interpreter: Interpreter, columns: Int) -> String {
        let g = interpreter.globals
        let names = g.scriptDefinedNames.filter { g[$0] != nil }
        guard !names.isEmpty else { return "No variables yet: define one with let or var.\n" }
        let values = names.map { g[$0]! }
        let types = values.map(\.typeName)
        let nameWidth = min(names.map(\.count).max() ?? 0, 24)
        let typeWidth = min(types.map(\.count).max() ?? 0, 20)
        let width = max(columns - nameWidth - typeWidth - 6, 20)
        var text = ""
        for (i, name) in names.enumerated() {
            var shown = (try? interpreter.echo(values[i])) ?? interpreter.stringify(values[i])
            shown = shown.replacingOccurrences(of: "\n", with: " ")
            if shown.count > width { shown = String(shown.prefix(width - 1)) + "…" }
            text += "\(pad(name, nameWidth))  \(pad(types[i], typeWidth))  \(shown)\n"
        }
        return text
    }

    private func help(_ argument: String) {
        switch REPL.helpText(argument, interpreter: interpreter, columns: session.columns) {
        case .success(let text): print(text, terminator: "")
        case .failure(let error):
            if !interactive { hadError = true }
            REPL.writeError(error.message + "\n")
        }
    }

    /// A `:help` request that names nothing known, with a suggestion when one is close.
    struct HelpError: Error { var message: String }

    /// What `:help ARGUMENT` shows (the index when `argument` is empty): a command's usage, a
    /// built-in's signature, summary and example, or what a session variable holds. The
    /// Jupyter kernel shows the same text for inspection and for `:help` in a cell.
    static func helpText(_ argument: String, interpreter: Interpreter, columns: Int) -> Result<String, HelpError> {
        if argument.isEmpty { return .success(helpIndex(interpreter: interpreter, columns: columns)) }
        var name = argument
        if name.hasPrefix(":") { name.removeFirst() }
        if let c = REPL.commands.first(where: { $0.name == name }), argument.hasPrefix(":") || interpreter.globals[name] == nil {
            return .success(":\(c.name)\(c.argument.map { " " + $0 } ?? "")\n  \(c.summary)\n")
        }
        if Completer.keywords.contains(name) {
            return .success("'\(name)' is a keyword of the language; docs/LANGUAGE.md describes it.\n")
        }
        guard let value = interpreter.globals[name] else {
            var message = "no help for '\(name)': it is not a command or a defined name"
            let known = REPL.commands.map { ":" + $0.name } + interpreter.globals.allNames
            if let near = REPL.suggestion(for: name, among: known) { message += "; did you mean '\(near)'?" }
            return .failure(HelpError(message: message))
        }
        let doc = BuiltinDoc(value: value, interpreter: interpreter)
        var text = (doc.signature ?? "\(name): \(value.typeName)") + "\n"
        if !doc.summary.isEmpty { text += "  \(doc.summary)\n" }
        if let example = doc.example, example != doc.signature { text += "  example: \(example)\n" }
        if case .native(let f) = value { for line in f.details { text += "  " + line + "\n" } }
        if interpreter.globals.isHostDefined(name) == false {
            text += "  defined in this session: \((try? interpreter.echo(value)) ?? value.typeName)\n"
        }
        return .success(text)
    }

    private static func helpIndex(interpreter: Interpreter, columns: Int) -> String {
        var text = "Commands:\n"
        let commandWidth = REPL.commands.map { $0.name.count + ($0.argument?.count ?? -1) + 2 }.max() ?? 0
        for c in REPL.commands {
            text += "  \(pad(":" + c.name + (c.argument.map { " " + $0 } ?? ""), commandWidth))  \(c.summary)\n"
        }
        text += "Keys: Tab completes, Up/Down and Ctrl-R search the history, Ctrl-C stops running code.\n"
        text += "Built-ins (:help NAME for one):\n"
        let g = interpreter.globals
        let builtins = g.allNames.filter { g.isHostDefined($0) && $0 != "_" }.sorted { $0.lowercased() < $1.lowercased() }
        let width = min(builtins.map(\.count).max() ?? 0, 20)
        let summaryWidth = max(columns - width - 6, 30)
        for name in builtins {
            guard let value = g[name] else { continue }
            let doc = BuiltinDoc(value: value, interpreter: interpreter)
            var summary = doc.summary
            if summary.isEmpty { summary = doc.example ?? doc.signature ?? (try? interpreter.echo(value)) ?? value.typeName }
            if summary.count > summaryWidth { summary = String(summary.prefix(summaryWidth - 1)) + "…" }
            text += "  \(pad(name, width))  \(summary)\n"
        }
        return text
    }

    // MARK: - Helpers

    /// The closest name within a small edit distance, for "did you mean".
    static func suggestion(for name: String, among candidates: [String]) -> String? {
        var best: (String, Int)?
        for c in candidates {
            let d = editDistance(name.lowercased(), c.lowercased())
            if d <= max(1, name.count / 3), d < best?.1 ?? Int.max { best = (c, d) }
        }
        if best == nil, name.count >= 2, let p = candidates.first(where: { $0.hasPrefix(name) }) { return p }
        return best?.0
    }

    /// Edit distance counting an adjacent transposition as one edit (`hlep` → `help`).
    static func editDistance(_ a: String, _ b: String) -> Int {
        let x = Array(a), y = Array(b)
        if x.isEmpty { return y.count }
        if y.isEmpty { return x.count }
        var d = [[Int]](repeating: [Int](repeating: 0, count: y.count + 1), count: x.count + 1)
        for i in 0...x.count { d[i][0] = i }
        for j in 0...y.count { d[0][j] = j }
        for i in 1...x.count {
            for j in 1...y.count {
                let cost = x[i - 1] == y[j - 1] ? 0 : 1
                d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
                if i > 1, j > 1, x[i - 1] == y[j - 2], x[i - 2] == y[j - 1] { d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1) }
            }
        }
        return d[x.count][y.count]
    }
}

/// A built-in's documentation split into signature, one-line summary and example. The
/// runtime writes docs as `example: summary` (`zeros([2, 3]): a tensor of zeros.`) or as a
/// plain sentence.
private struct BuiltinDoc {
    var signature: String?
    var summary: String
    var example: String?

    init(value: Value, interpreter: Interpreter) {
        signature = interpreter.signature(of: value)
        example = nil
        guard case .native(let f) = value else {
            summary = ""
            return
        }
        var text = Substring(f.doc)
        if text.hasPrefix(f.name + "("), let close = BuiltinDoc.matchingParen(text, from: text.index(text.startIndex, offsetBy: f.name.count)) {
            let after = text[text.index(after: close)...]
            if after.hasPrefix(":") {
                example = String(text[...close])
                text = after.dropFirst().drop { $0 == " " }
            } else if after.isEmpty || after.hasPrefix(".") {
                example = String(text[...close])
                text = ""
            }
        }
        summary = String(text)
    }

    /// The index of the `)` that closes the `(` at `open`, skipping string literals.
    static func matchingParen(_ s: Substring, from open: Substring.Index) -> Substring.Index? {
        var depth = 0, inString = false
        var i = open
        while i < s.endIndex {
            let ch = s[i]
            if inString {
                if ch == "\\" { i = s.index(after: i) } else if ch == "\"" { inString = false }
            } else if ch == "\"" {
                inString = true
            } else if ch == "(" {
                depth += 1
            } else if ch == ")" {
                depth -= 1
                if depth == 0 { return i }
            }
            if i < s.endIndex { i = s.index(after: i) }
        }
        return nil
    }
}

/// `text` padded with spaces to `width` characters.
private func pad(_ text: String, _ width: Int) -> String {
    text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
}

/// `850 µs`, `12.3 ms`, `4.56 s`.
func formatDuration(_ nanoseconds: UInt64) -> String {
    let s = Double(nanoseconds) / 1e9
    if s < 1e-3 { return String(format: "%.0f µs", s * 1e6) }
    if s < 1 { return String(format: "%.1f ms", s * 1e3) }
    return String(format: "%.2f s", s)
}


/// The terminal's width (80 when stdout is not a terminal).
private func terminalColumns() -> Int {
    var size = winsize()
    if ioctl(1, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 { return Int(size.ws_col) }
    return 80
}
