import ArgumentParser
import Foundation
import Notebook

extension NotebookExport.Format: ExpressibleByArgument {}

/// `memento export FILE --to ipynb|html`: the script run cell by cell and written as a
/// Jupyter notebook or a self-contained HTML page, outputs and figures included.
struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a script cell by cell and write it as a notebook (.ipynb) or a web page (.html).",
        discussion: """
        Every code cell runs in order in one session; a failing cell gets an error output and
        the export goes on (like nbconvert --allow-errors). The file is written in any case;
        the exit code is 0, or with --fail-on-error 65/70 when a cell failed to compile/run.
        Without -o the file goes to the output folder: out/NAME.ipynb or out/NAME.html
        (-o - writes to standard output).

        Examples:
          memento export lessons/00-tour.mem --to ipynb
          memento export lessons/00-tour.mem --to html -o tour.html --seed 1
          memento export lessons/00-tour.mem --to ipynb --no-run   # for jupyter nbconvert --execute
        """)

    @ArgumentParser.Argument(help: "The script (.mem) to export.")
    var file: String

    @Option(name: .customLong("to"), help: ArgumentHelp("The format to write.", valueName: "format"))
    var format: NotebookExport.Format

    @Option(name: [.customShort("o"), .customLong("output")], help: "The file to write (- for standard output).")
    var output: String?

    @Option(help: "The initial random seed.")
    var seed: UInt64 = 0

    @Option(help: "The folder scripts may write to (and where the export goes without -o).")
    var out: String = "out"

    @Flag(help: "Exit with 65 (compile error) or 70 (runtime error) if a cell failed.")
    var failOnError = false

    @Flag(help: "Write the cells without running them (no outputs), e.g. to run them in Jupyter.")
    var noRun = false

    func run() throws {
        let notebook: Notebook
        do {
            notebook = try Notebook.load(file)
        } catch let error as NotebookError {
            FileHandle.standardError.write(Data("error: \(error.message)\n".utf8))
            throw ExitCode(error.exitCode)
        }
        let runner = NotebookRunner(path: file, seed: seed, outputDirectory: URL(fileURLWithPath: out))
        let showProgress = isatty(2) != 0 && !noRun
        let result = noRun
            ? ExportResult(notebook: notebook, cells: notebook.cells.map { ExecutedCell(cell: $0, run: nil) }, seed: seed)
            : NotebookExport.execute(notebook, runner: runner, seed: seed) { done, total in
                if showProgress { FileHandle.standardError.write(Data("\rexport: running cell \(done)/\(total)\u{1B}[K".utf8)) }
            }
        if showProgress { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
        let document = NotebookExport.render(result, as: format)
        let destination = output ?? URL(fileURLWithPath: out)
            .appendingPathComponent(URL(fileURLWithPath: file).deletingPathExtension().lastPathComponent + format.fileExtension).path
        if destination == "-" {
            FileHandle.standardOutput.write(Data(document.utf8))
        } else {
            do {
                let url = URL(fileURLWithPath: destination)
                try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
                try Data(document.utf8).write(to: url)
            } catch {
                FileHandle.standardError.write(Data("error: cannot write \(destination): \((error as NSError).localizedDescription)\n".utf8))
                throw ExitCode(73)
            }
            FileHandle.standardError.write(Data("wrote \(destination)\n".utf8))
        }
        let failures = result.failures
        for f in failures {
            FileHandle.standardError.write(Data("warning: cell at line \(f.cell.firstLine) failed: \(f.error.summary)\n".utf8))
        }
        if failOnError, let first = failures.first { throw ExitCode(first.error.exitCode) }
    }
}
