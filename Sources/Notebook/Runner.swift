// Running cells one by one in one persistent interpreter, collecting what each one shows.
//
// Each code cell is compiled on its own (`Interpreter.compile(_, repl: true)`), as a source
// file named after the script whose text is the cell padded with the blank lines before it
// (see `Cell.sourceFile`), so diagnostics carry the script's path and real line numbers.
// Top-level declarations become globals that later cells see, as in Jupyter; a consequence
// is that, like in a notebook, a cell cannot use a name that only a later cell defines.
// In REPL mode a final bare expression statement is the chunk's result: it is shown as the
// cell's `Out` (like Jupyter's execute_result) unless it is nil, so `print(…)` as the last
// line shows nothing extra.

import Display
import Foundation
import Language
import Runtime

/// One thing a cell showed, in order.
public enum CellOutput {
    /// Text the cell printed.
    case stream(String)
    /// The value of the cell's final expression, as text (strings quoted).
    case result(String)
    /// A figure the cell showed (`plot`, `heatmap`, …).
    case figure(any Figure)
    /// The cell failed.
    case error(CellError)
}

/// Why a cell failed: its compile errors, or the runtime error with its traceback.
public struct CellError: Error {
    /// Whether the cell failed to compile (nothing of it ran) or stopped while running.
    public enum Kind: Sendable { case compile, runtime, interrupted }
    public var kind: Kind
    /// The diagnostics (one for a runtime error; every error and warning for a compile error).
    public var diagnostics: [Diagnostic]

    public init(kind: Kind, diagnostics: [Diagnostic]) {
        self.kind = kind
        self.diagnostics = diagnostics
    }

    /// The error's name for notebooks (`CompileError`, `RuntimeError`, `Interrupted`).
    public var name: String {
        switch kind {
        case .compile: return "CompileError"
        case .runtime: return "RuntimeError"
        case .interrupted: return "Interrupted"
        }
    }

    /// The first error's message, with its place (`path:line:col: message`).
    public var summary: String {
        guard let d = diagnostics.first(where: { $0.severity == .error }) ?? diagnostics.first else { return name }
        return "\(d.span.file.path):\(d.span.line):\(d.span.column): \(d.message)"
    }

    /// The diagnostics rendered as the CLI shows them; an interruption as the REPL reports
    /// it (one line, no excerpt: stopping is not a mistake in the code).
    public func rendered(color: Bool) -> String {
        if kind == .interrupted { return CellError.interruptionText(help: diagnostics.first?.help ?? []) }
        return diagnostics.map { $0.render(color: color) }.joined(separator: "\n")
    }

    /// `interrupted (training stopped after …)`: what the REPL and notebooks print when
    /// Ctrl-C (or Jupyter's interrupt) stopped running code; `help` says what was kept.
    public static func interruptionText(help: [String]) -> String {
        "interrupted" + (help.isEmpty ? "" : " (" + help.joined(separator: "; ") + ")")
    }

    /// Whether `error` is a stop asked for (Ctrl-C, an interrupt request) rather than a
    /// mistake: the interpreter's own interruptions, and those of built-ins such as `train`
    /// that stop between steps and report "interrupted".
    public static func isInterruption(_ error: RuntimeError) -> Bool {
        error.kind == .interrupted || error.message == "interrupted"
    }

    /// The rendering split into lines, as Jupyter's `traceback` field holds it.
    public func traceback(color: Bool) -> [String] {
        var lines = rendered(color: color).split(separator: "\n", omittingEmptySubsequences: false).map { String($0) }
        if lines.last == "" { lines.removeLast() }
        return lines
    }

    /// The exit code for this failure: 65 compile error, 70 runtime error (as `memento run`),
    /// 130 interrupted (Ctrl-C, as shells report SIGINT).
    public var exitCode: Int32 {
        switch kind {
        case .compile: return 65
        case .runtime: return 70
        case .interrupted: return 130
        }
    }
}

/// The outcome of running one cell.
public struct CellRun {
    /// The cell's index in the notebook's cell list.
    public var cellIndex: Int
    /// The execution counter (1 for the first cell run, as Jupyter's `In [1]`).
    public var executionCount: Int
    /// What the cell showed, in order (consecutive printed text merged).
    public var outputs: [CellOutput]
    /// The error, if the cell failed (also the last entry of `outputs`).
    public var error: CellError?
    /// Wall-clock seconds the cell took.
    public var seconds: Double
}

/// Runs the code cells of one script in one interpreter and session, in the order asked.
///
/// The runner sets the interpreter's `output` and the session's `onFigure` while a cell runs
/// and restores them afterwards, so it can borrow a REPL's interpreter. Cells run on a
/// thread with a large stack (`Interpreter.runOnLargeStack`), so callers need not.
public final class NotebookRunner {
    /// The script's path, used in diagnostics.
    public let path: String
    public let interpreter: Interpreter
    public let session: Session
    /// The number of cells run so far.
    public private(set) var executionCount = 0
    /// The value of the last cell that ran without error (nil when it ended in a statement).
    public private(set) var lastValue: Value = .nil

    /// A runner on an existing interpreter and session (with the runtime installed).
    public init(path: String, interpreter: Interpreter, session: Session) {
        self.path = path
        self.interpreter = interpreter
        self.session = session
    }

    /// A runner with a fresh interpreter and session for the script at `path`: files are read
    /// relative to the script's folder (and `lessons/`), written under `outputDirectory`
    /// (default `./out`), the random stream starts from `seed`.
    public convenience init(path: String, seed: UInt64 = 0, outputDirectory: URL? = nil, columns: Int = 80) {
        let scriptURL = URL(fileURLWithPath: path).standardizedFileURL
        let session = Session(scriptDirectory: scriptURL.deletingLastPathComponent(),
                              outputDirectory: outputDirectory, seed: seed)
        session.columns = columns
        let interpreter = Interpreter()
        Runtime.install(in: interpreter, session: session)
        self.init(path: path, interpreter: interpreter, session: session)
    }

    /// Runs a code cell. `onOutput` sees each output as it happens (printed text in the
    /// pieces `print` writes), for live display; the returned run holds them merged.
    public func run(_ cell: Cell, index: Int, onOutput: (CellOutput) -> Void = { _ in }) -> CellRun {
        executionCount += 1
        let count = executionCount
        let start = DispatchTime.now().uptimeNanoseconds
        var outputs: [CellOutput] = []
        var failure: CellError?
        withoutActuallyEscaping(onOutput) { onOutput in
            func emit(_ o: CellOutput) {
                if case .stream(let s) = o, case .stream(let previous)? = outputs.last {
                    outputs[outputs.count - 1] = .stream(previous + s)
                } else {
                    outputs.append(o)
                }
                onOutput(o)
            }
            let savedOutput = interpreter.output
            let savedFigure = session.onFigure
            interpreter.output = { emit(.stream($0)) }
            session.onFigure = { emit(.figure($0)) }
            defer {
                interpreter.output = savedOutput
                session.onFigure = savedFigure
            }
            let file = cell.sourceFile(path: path)
            let interpreter = self.interpreter
            let result: Result<Value, CellError> = Interpreter.runOnLargeStack {
                switch interpreter.compile(file, repl: true) {
                case .failure(let errors):
                    return .failure(CellError(kind: .compile, diagnostics: errors.diagnostics))
                case .success(let chunk):
                    do throws(RuntimeError) {
                        return .success(try interpreter.run(chunk))
                    } catch {
                        return .failure(CellError(kind: CellError.isInterruption(error) ? .interrupted : .runtime,
                                                  diagnostics: [error.diagnostic]))
                    }
                }
            }
            switch result {
            case .success(let value):
                lastValue = value
                if let text = NotebookRunner.display(value, interpreter) { emit(.result(text)) }
            case .failure(let e):
                failure = e
                emit(.error(e))
            }
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        return CellRun(cellIndex: index, executionCount: count, outputs: outputs, error: failure, seconds: seconds)
    }

    /// How a cell's final value is shown: nil shows nothing; otherwise as the REPL echoes it
    /// (strings quoted, a script object by its description()).
    static func display(_ value: Value, _ interpreter: Interpreter) -> String? {
        if case .nil = value { return nil }
        return (try? interpreter.echo(value)) ?? interpreter.stringify(value)
    }
}
