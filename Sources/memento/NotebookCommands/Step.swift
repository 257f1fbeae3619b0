import ArgumentParser
import Foundation
import Language
import Notebook

/// The interrupt flag of the interpreter running a cell: SIGINT (Ctrl-C) sets it, so a long
/// training loop stops at its next safe point and the stepper goes on.
nonisolated(unsafe) private var stepInterruptFlag: InterruptFlag?

/// `memento step FILE`: a script shown and run cell by cell, like a notebook (see
/// Sources/Notebook/Stepper.swift for the keys and the error policy).
struct Step: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Step through a script cell by cell, like a notebook.",
        discussion: """
        Prose cells are shown as formatted text; each code cell is shown and waits for a key:
          Enter  run it (or go on if it already ran)     b  back one cell (not re-run)
          r      re-run the shown or last cell            a  run the rest without pausing
          q      quit                                     h  list the keys
        Output, figures, the value of a final expression and errors appear under the cell.
        When standard input is not a terminal, keys are read one per line (an empty line is
        Enter). With --auto every cell runs without pausing and the first error stops the
        run with exit code 65 (compile error) or 70 (runtime error); interactively an error
        is shown and you may go on, and the exit code is 0.

        Examples:
          memento step lessons/01-pomdps.mem
          memento step lessons/00-tour.mem --auto --seed 3
        """)

    @ArgumentParser.Argument(help: "The script (.mem) to step through.")
    var file: String

    @Flag(help: "Run every cell without pausing (for CI and instructors); stop at the first error.")
    var auto = false

    @Option(help: "The initial random seed.")
    var seed: UInt64 = 0

    @Option(help: "The folder scripts may write to.")
    var out: String = "out"

    func run() throws {
        let notebook: Notebook
        do {
            notebook = try Notebook.load(file)
        } catch let error as NotebookError {
            FileHandle.standardError.write(Data("error: \(error.message)\n".utf8))
            throw ExitCode(error.exitCode)
        }
        let options = StepOptions.forStandardOutput(auto: auto)
        let runner = NotebookRunner(path: file, seed: seed, outputDirectory: URL(fileURLWithPath: out),
                                    columns: options.width)
        stepInterruptFlag = runner.interpreter.interrupt
        signal(SIGINT) { _ in stepInterruptFlag?.request() }
        defer { signal(SIGINT, SIG_DFL) }
        let keys: KeySource = TerminalKeys.available ? TerminalKeys() : LineKeys()
        let stepper = Stepper(notebook: notebook, runner: runner, options: options, keys: keys,
                              write: { Stepper.writeToStandardOutput($0) })
        let summary = stepper.run()
        if summary.exitCode != 0 { throw ExitCode(summary.exitCode) }
    }
}
