// The stepper: a lesson shown cell by cell in the terminal, like a notebook.
//
// Prose cells are rendered (TerminalMarkdown) as they are reached; each code cell is shown
// with its line numbers and waits for a key: Enter runs it, `b` goes back one code cell (shown
// again with the output it had, not re-run), `r` re-runs (the shown cell if it ran, else the
// last cell that ran), `a` runs the rest without pausing, `q` quits. Everything a cell shows —
// printed text as it is printed, figures, the value of a final expression (`Out[n]:`), or its
// diagnostic — appears under it.
//
// Errors: with `auto` (`memento step --auto`, for CI and instructors) the first failing cell
// stops the run, like Jupyter's "run all", and the exit code is the one `memento run` uses
// (65 compile error, 70 runtime error, 130 interrupted). Interactively the diagnostic is shown
// and the user may go on (later cells may fail for want of the failed cell's names), re-run,
// or quit; the exit code is then 0.

import Display
import Foundation
import Language
import Runtime

/// How the stepper shows things.
public struct StepOptions: Sendable {
    /// Run every cell without pausing; stop at the first error.
    public var auto: Bool
    /// ANSI colours and styles.
    public var color: Bool
    /// Columns for wrapping prose and drawing figures.
    public var width: Int

    public init(auto: Bool = false, color: Bool = false, width: Int = 80) {
        self.auto = auto
        self.color = color
        self.width = width
    }

    /// Options for standard output: colour when it is a terminal and `NO_COLOR` is unset,
    /// its width (or `COLUMNS`, or 80).
    public static func forStandardOutput(auto: Bool = false) -> StepOptions {
        StepOptions(auto: auto, color: Terminal.colorEnabled(fd: 1), width: Terminal.width(fd: 1))
    }
}

/// Facts about the terminal.
public enum Terminal {
    /// Colour on `fd`: a terminal, and `NO_COLOR` unset (https://no-color.org).
    public static func colorEnabled(fd: Int32) -> Bool {
        isatty(fd) != 0 && ProcessInfo.processInfo.environment["NO_COLOR"] == nil
    }

    /// The width of the terminal on `fd`; else `COLUMNS`; else 80.
    public static func width(fd: Int32) -> Int {
        var size = winsize()
        if isatty(fd) != 0, ioctl(fd, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 { return Int(size.ws_col) }
        if let c = ProcessInfo.processInfo.environment["COLUMNS"], let n = Int(c), n > 0 { return n }
        return 80
    }
}

/// The outcome of stepping through a script.
public struct StepSummary: Sendable {
    /// Distinct code cells that ran (a cell run three times counts once).
    public var cellsRun: Int
    /// The non-empty code cells of the script.
    public var codeCells: Int
    /// Runs of a cell that had already run (`r`).
    public var reruns: Int
    /// Cells whose latest run failed (a failure fixed by a re-run does not count).
    public var failures: Int
    /// Whether the user quit before the end.
    public var quit: Bool
    /// 0, or (with `auto`) the failing cell's exit code: 65 compile, 70 runtime, 130 interrupted.
    public var exitCode: Int32
}

/// Steps through a notebook on a runner (one interpreter and session).
///
/// ```swift
/// let notebook = try Notebook.load("lessons/00-tour.mem")
/// let runner = NotebookRunner(path: notebook.path, seed: 0)
/// let stepper = Stepper(notebook: notebook, runner: runner, options: .forStandardOutput(),
///                       keys: TerminalKeys(), write: { print($0, terminator: "") })
/// let summary = stepper.run()
/// ```
public final class Stepper {
    public let notebook: Notebook
    public let runner: NotebookRunner
    public let options: StepOptions
    private let keys: KeySource
    private let write: (String) -> Void
    /// The runs of each cell (latest), by cell index.
    public private(set) var runs: [Int: CellRun] = [:]
    /// Whether the text written so far ends a line.
    private var atLineStart = true

    public init(notebook: Notebook, runner: NotebookRunner, options: StepOptions, keys: KeySource,
                write: @escaping (String) -> Void) {
        self.notebook = notebook
        self.runner = runner
        self.options = options
        self.keys = keys
        self.write = write
    }

    /// Steps a script file on an existing interpreter and session — the REPL's `:step FILE`:
    /// the lesson's names stay defined in the REPL afterwards. Keys come from the terminal
    /// (or lines of standard input when it is not one); output goes to standard output.
    /// Throws `NotebookError` if the file cannot be read.
    @discardableResult
    public static func stepFile(_ path: String, interpreter: Interpreter, session: Session,
                                options: StepOptions = .forStandardOutput(),
                                keys: KeySource? = nil,
                                write: @escaping (String) -> Void = { Stepper.writeToStandardOutput($0) }) throws -> StepSummary {
        let notebook = try Notebook.load(path)
        let runner = NotebookRunner(path: path, interpreter: interpreter, session: session)
        let keySource = keys ?? (TerminalKeys.available ? TerminalKeys() : LineKeys())
        return Stepper(notebook: notebook, runner: runner, options: options, keys: keySource, write: write).run()
    }

    /// Writes text to standard output at once (unbuffered).
    public static func writeToStandardOutput(_ text: String) { FileHandle.standardOutput.write(Data(text.utf8)) }

    // MARK: - Output helpers

    private func out(_ s: String) {
        guard !s.isEmpty else { return }
        write(s)
        atLineStart = s.hasSuffix("\n")
    }

    private func endLine() { if !atLineStart { out("\n") } }

    private func style(_ s: String, _ code: String) -> String { options.color ? "\u{1B}[\(code)m\(s)\u{1B}[0m" : s }

    private func rule(_ label: String) -> String {
        let lead = "── \(label) "
        let n = max(3, options.width - TerminalMarkdown.visibleWidth(lead))
        return style(lead + String(repeating: "─", count: n), "2")
    }

    // MARK: - Showing cells

    private func showProse(_ cell: Cell) {
        endLine()
        out("\n")
        if cell.kind == .raw {
            out(cell.lines.joined(separator: "\n") + "\n")
        } else {
            out(TerminalMarkdown.render(cell.text, width: options.width, color: options.color) + "\n")
        }
    }

    private func codeNumber(_ index: Int) -> (Int, Int) {
        let code = codeCells
        return ((code.firstIndex(of: index) ?? 0) + 1, code.count)
    }

    private lazy var codeCells: [Int] = notebook.cells.indices.filter {
        notebook.cells[$0].kind == .code && !notebook.cells[$0].isEmpty
    }

    private func showCode(_ index: Int) {
        let cell = notebook.cells[index]
        let (n, total) = codeNumber(index)
        var label = "[\(n)/\(total)] \(notebook.path):\(cell.firstLine)"
        if cell.lines.count > 1 { label += "–\(cell.lastLine)" }
        if let title = cell.title { label += " · \(title)" }
        endLine()
        out("\n" + rule(label) + "\n")
        let numberWidth = String(cell.lastLine).count
        let lines = options.color ? Highlight.ansi(cell.text) : cell.lines
        for (k, line) in lines.enumerated() {
            let number = String(cell.firstLine + k)
            let gutter = String(repeating: " ", count: numberWidth - number.count) + number + (line.isEmpty ? " │" : " │ ")
            out(style(gutter, "2") + line + "\n")
        }
    }

    /// Shows one output of a cell (live or replayed).
    private func show(_ output: CellOutput, count: Int) {
        switch output {
        case .stream(let s):
            out(s)
        case .result(let text):
            endLine()
            out(style("Out[\(count)]:", "1;34") + " " + text + "\n")
        case .figure(let figure):
            endLine()
            out(figure.text(width: options.width, color: options.color))
            endLine()
        case .error(let e):
            endLine()
            // The terminal echoed "^C" on the current line: start the diagnostic below it.
            if e.kind == .interrupted && keys.isInteractive { out("\n") }
            out(e.rendered(color: options.color))
            endLine()
        }
    }

    @discardableResult
    private func execute(_ index: Int) -> CellRun {
        let (n, _) = codeNumber(index)
        _ = runner.interpreter.interrupt.take()  // a stray Ctrl-C from before must not stop this cell
        runner.session.columns = options.width
        endLine()
        let count = runner.executionCount + 1
        let run = runner.run(notebook.cells[index], index: index) { show($0, count: count) }
        runs[index] = run
        endLine()
        if run.seconds >= 1 {
            out(style("[\(n)] \(String(format: "%.1f", run.seconds)) s", "2") + "\n")
        }
        return run
    }

    private func replay(_ index: Int) {
        guard let run = runs[index] else { return }
        out(style("(ran as In [\(run.executionCount)]; r runs it again)", "2") + "\n")
        for o in run.outputs { show(o, count: run.executionCount) }
        endLine()
    }

    private func prompt() -> StepKey {
        let text = "⏎ run · b back · r re-run · a run all · q quit"
        if keys.isInteractive {
            out(style(text, "2"))
            let key = keys.nextKey() ?? .quit
            out(options.color ? "\r\u{1B}[K" : "\n")
            atLineStart = true
            return key
        }
        out(style(text, "2") + "\n")
        return keys.nextKey() ?? .quit
    }

    private let helpText = """
        Keys: Enter (or space, →) runs the shown cell, or goes on if it already ran;
              b (or ←) shows the previous cell again; r runs the shown cell again (or the
              last cell that ran); a runs the rest without pausing; q quits.
        """

    // MARK: - The walk

    /// Steps through the notebook until its end or `q`. Returns what happened.
    public func run() -> StepSummary {
        let cells = notebook.cells
        var reruns = 0
        var lastRun: Int?
        func summary(quit: Bool, exitCode: Int32) -> StepSummary {
            StepSummary(cellsRun: runs.count, codeCells: codeCells.count, reruns: reruns,
                        failures: runs.values.filter { $0.error != nil }.count, quit: quit, exitCode: exitCode)
        }
        /// "3 of 5 cells run (1 re-run), 1 failed".
        func counts(_ s: StepSummary) -> String {
            var text = "\(s.cellsRun) of \(s.codeCells) cell\(s.codeCells == 1 ? "" : "s") run"
            if s.reruns > 0 { text += " (\(s.reruns) re-run\(s.reruns == 1 ? "" : "s"))" }
            if s.failures > 0 { text += ", \(s.failures) failed" }
            return text
        }
        var runRest = options.auto

        /// Shows the prose cells from `start` and returns the next code cell's index (or the end).
        func advance(from start: Int) -> Int {
            var i = start
            while i < cells.count {
                let cell = cells[i]
                if cell.kind == .code {
                    if !cell.isEmpty { return i }
                } else {
                    showProse(cell)
                }
                i += 1
            }
            return cells.count
        }

        var pos = advance(from: 0)
        var needsShow = true
        while pos < cells.count {
            if needsShow {
                showCode(pos)
                if runs[pos] != nil { replay(pos) }
            }
            needsShow = true
            let key: StepKey = runRest ? .run : prompt()
            switch key {
            case .run:
                if runs[pos] == nil {
                    let run = execute(pos)
                    lastRun = pos
                    if let error = run.error {
                        if options.auto {
                            out(style("stopped at the failing cell (\(error.name)); the rest did not run", "1;31") + "\n")
                            return summary(quit: false, exitCode: error.exitCode)
                        }
                        runRest = false
                    }
                }
                pos = advance(from: pos + 1)
            case .back:
                if let previous = codeCells.last(where: { $0 < pos }) {
                    pos = previous
                } else {
                    out(style("this is the first code cell", "2") + "\n")
                    needsShow = false
                }
            case .rerun:
                guard let target = runs[pos] != nil ? pos : lastRun else {
                    out(style("no cell has run yet; Enter runs this one", "2") + "\n")
                    needsShow = false
                    continue
                }
                let (n, _) = codeNumber(target)
                out(style("re-running [\(n)]", "2") + "\n")
                execute(target)
                reruns += 1
                lastRun = target
                needsShow = target != pos
            case .all:
                runRest = true
                needsShow = false
            case .quit:
                endLine()
                let result = summary(quit: true, exitCode: 0)
                out(style("left \(notebook.path): \(counts(result))", "2") + "\n")
                return result
            case .help:
                out(helpText + "\n")
                needsShow = false
            case .other(let k):
                out(style("unknown key '\(k)'; h lists the keys", "2") + "\n")
                needsShow = false
            }
        }
        endLine()
        let result = summary(quit: false, exitCode: 0)
        out("\n" + style("end of \(notebook.path): \(counts(result))", "2") + "\n")
        return result
    }
}
