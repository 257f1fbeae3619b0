import ArgumentParser
import Foundation
import Language
import Notebook
import Runtime

/// `memento`: the REPL (no argument), and the subcommands. Each subcommand lives in its own
/// file: RunCheck.swift, NotebookCommands/ (step, export, lessons), GradingCommands/
/// (assign, grade); the REPL in REPL/.
struct Memento: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "memento",
        abstract: "A runtime for learning reinforcement learning with sequence models.",
        discussion: """
        Without a subcommand, memento opens the REPL.

        Examples:
          memento                                   # the REPL
          memento run lessons/00-tour.mem
          memento step lessons/01-pomdps.mem        # a lesson, cell by cell
          memento check --json script.mem           # diagnostics as JSON, for editors
          memento export lessons/00-tour.mem --to ipynb
          memento lessons
          memento assign exercise.mem -o student.mem
          memento grade submission.mem --tests exercise.mem --format gradescope
          memento autograder lessons/01-pomdps.mem -o autograder.zip
          memento kernel install --user             # Memento in JupyterLab, Notebook, VS Code
        Exit codes: 0 success, 65 compile error, 70 runtime error, 66 unreadable file.
        """,
        version: "0.1.0",
        subcommands: [Run.self, Step.self, Check.self, Export.self, Lessons.self, Assign.self, Grade.self, Autograder.self, KernelCommand.self])

    func run() throws {
        try startREPL()
    }
}

// `:step FILE` in the REPL steps the lesson in the REPL's own session.
stepHook = { path, interpreter, session in
    let summary = try Stepper.stepFile(path, interpreter: interpreter, session: session)
    _ = summary
}

Memento.main()
