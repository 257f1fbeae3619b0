import Display
import Foundation
import Language
@testable import Notebook
import Runtime
import Testing

// MARK: - Helpers

/// A figure for tests: fixed text and SVG, with a marker to find it in outputs.
struct FakeFigure: Figure {
    var title: String?
    var points: [Double]
    func text(width: Int, color: Bool) -> String {
        let bars = points.map { String(repeating: "#", count: max(1, min(width - 8, Int($0)))) }
        return (title.map { "\(color ? "\u{1B}[1m" : "")\($0)\(color ? "\u{1B}[0m" : "")\n" } ?? "")
            + bars.map { "| \($0)" }.joined(separator: "\n") + "\n"
    }
    func svg() -> String {
        let rects = points.enumerated().map { i, p in
            "<rect x=\"\(10 + i * 30)\" y=\"\(200 - Int(p) * 10)\" width=\"20\" height=\"\(Int(p) * 10)\" fill=\"#3b7dd8\"/>"
        }.joined()
        return """
            <?xml version="1.0" encoding="UTF-8"?>
            <svg xmlns="http://www.w3.org/2000/svg" width="320" height="220" viewBox="0 0 320 220" id="fake-figure">\
            <rect width="320" height="220" fill="#fdf6e3"/>\(rects)<text x="10" y="215" font-size="12">\(title ?? "")</text></svg>
            """
    }
}

/// The repository's folders, found from this file (through the development package's symlinks).
enum Repo {
    static let root = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let lessons = root.appendingPathComponent("lessons")
}

/// A runner on a fresh interpreter with the runtime installed and a `fake_plot(values, title)`
/// function that shows a FakeFigure through the session, as `plot` does.
func makeRunner(path: String = "test.mem", seed: UInt64 = 0) -> NotebookRunner {
    let out = FileManager.default.temporaryDirectory.appendingPathComponent("memento-notebook-tests-out")
    let runner = NotebookRunner(path: path, seed: seed, outputDirectory: out)
    let session = runner.session
    runner.interpreter.globals.define("fake_plot", .native(NativeFunction(
        "fake_plot", parameters: ["values", NativeParameter("title", default: .nil)]) { args, _ in
            guard case .list(let l) = args[0] else { throw HostError("fake_plot needs a list") }
            let figure = FakeFigure(title: args[1].asString, points: l.items.compactMap(\.asDouble))
            if let show = session.onFigure { show(figure) } else { throw HostError("no figure handler") }
            return .nil
        }))
    return runner
}

/// Steps `text` with scripted keys; returns the summary and everything written.
func step(_ text: String, keys: [StepKey], auto: Bool = false, color: Bool = false, width: Int = 80,
          path: String = "test.mem") -> (StepSummary, String, Stepper) {
    let notebook = Notebook(path: path, text: text)
    var written = ""
    let stepper = Stepper(notebook: notebook, runner: makeRunner(path: path), options: StepOptions(auto: auto, color: color, width: width),
                          keys: ScriptedKeys(keys), write: { written += $0 })
    let summary = stepper.run()
    return (summary, written, stepper)
}

func occurrences(of needle: String, in haystack: String) -> Int {
    haystack.components(separatedBy: needle).count - 1
}

/// A python with nbformat: MEMENTO_PEERS_PYTHON (set by tools/setup), else python3.
let nbformatPython: String? = {
    var candidates: [String] = []
    if let p = ProcessInfo.processInfo.environment["MEMENTO_PEERS_PYTHON"] { candidates.append(p) }
    candidates.append(NSHomeDirectory() + "/.cache/memento-peers/bin/python")
    candidates.append("python3")
    for c in candidates {
        let (status, _) = shell([c, "-c", "import nbformat"])
        if status == 0 { return c }
    }
    return nil
}()

func onPath(_ name: String) -> String? {
    for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
        let p = "\(dir)/\(name)"
        if FileManager.default.isExecutableFile(atPath: p) { return p }
    }
    return nil
}

@discardableResult
func shell(_ argv: [String]) -> (Int32, String) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    p.arguments = argv
    let pipe = Pipe()
    p.standardOutput = pipe
    p.standardError = pipe
    do { try p.run() } catch { return (-1, "\(error)") }
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return (p.terminationStatus, String(decoding: data, as: UTF8.self))
}

func temporaryFile(_ name: String, _ contents: String) throws -> String {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("memento-notebook-tests-\(getpid())")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    let url = dir.appendingPathComponent(name)
    try Data(contents.utf8).write(to: url)
    return url.path
}

let figureScript = """
    # %% [markdown]
    # # Plots and errors
    # A figure, a value, a failing cell, then code with `<tags> & "quotes"`.

    # %% A figure
    let xs = [1, 4, 9, 5]
    print("plotting \\(len(xs)) points")
    fake_plot(xs, title: "squares")
    len(xs) * 10

    # %%
    let broken = [1, 2][7]

    # %%
    let s = "<b>bold</b> & \\"quoted\\""
    print(s)
    """

// MARK: - Cells

@Suite struct CellSplitting {
    @Test func markersTitlesAndKinds() {
        let text = """
            # %% [markdown]
            # # Title
            #
            # Some *prose*.

            # %% Setup the maze
            let a = 1

            #%%
            print(a)
            # %% [md]
            # short form
            # %% Notes [raw]
            # raw text
            """
        let cells = CellSplitter.split(text)
        #expect(cells.map(\.kind) == [.markdown, .code, .code, .markdown, .raw])
        #expect(cells[0].lines == ["# Title", "", "Some *prose*."])
        #expect(cells[0].firstLine == 2 && cells[0].markerLine == 1)
        #expect(cells[1].title == "Setup the maze")
        #expect(cells[1].lines == ["let a = 1"])
        #expect(cells[1].firstLine == 7)
        #expect(cells[2].title == nil && cells[2].firstLine == 10 && cells[2].markerLine == 9)
        #expect(cells[3].lines == ["short form"])
        #expect(cells[4].title == "Notes" && cells[4].lines == ["raw text"])
    }

    @Test func textBeforeTheFirstMarker() {
        let cells = CellSplitter.split("let x = 1\nprint(x)\n\n# %% [markdown]\n# prose\n")
        #expect(cells.count == 2)
        #expect(cells[0].kind == .code && cells[0].markerLine == nil && cells[0].firstLine == 1)
        #expect(cells[0].lines == ["let x = 1", "print(x)"])
        // Blank text before the first marker makes no cell.
        let blank = CellSplitter.split("\n  \n# %%\nprint(1)\n")
        #expect(blank.count == 1 && blank[0].firstLine == 4)
        // A file without markers is one code cell; an empty file has none.
        #expect(CellSplitter.split("print(1)").count == 1)
        #expect(CellSplitter.split("").isEmpty)
    }

    @Test func emptyCellsAndCRLF() {
        let cells = CellSplitter.split("# %%\r\n\r\n# %% [markdown]\r\n# A\r\n# B\r\n# %%\r\nlet y = 2\r\n")
        #expect(cells.count == 3)
        #expect(cells[0].isEmpty && cells[0].lines.isEmpty && cells[0].firstLine == 2)
        #expect(cells[1].lines == ["A", "B"])
        #expect(cells[2].lines == ["let y = 2"] && cells[2].firstLine == 7)
    }

    @Test func notMarkers() {
        #expect(CellSplitter.parseMarker("# %%x") == nil)
        #expect(CellSplitter.parseMarker("# %%% three") == nil)
        #expect(CellSplitter.parseMarker("let a = 1 # %%") == nil)
        #expect(CellSplitter.parseMarker("# a comment") == nil)
        #expect(CellSplitter.parseMarker("  # %%")?.kind == .code)
        #expect(CellSplitter.parseMarker("# %% [markdown] key=\"v\"")?.kind == .markdown)
        #expect(CellSplitter.parseMarker("# %% [markdown] key=\"v\"")?.title == nil)
    }

    /// A cell compiled alone reports errors at the line and column of the whole file.
    @Test func diagnosticsPointAtTheFileLine() throws {
        let notebook = Notebook(path: "lines.mem", text: "# %%\nlet a = 1\n\n# %% [markdown]\n# text\n\n# %%\nlet b = a +\n")
        let runner = makeRunner(path: "lines.mem")
        _ = runner.run(notebook.cells[0], index: 0)
        let run = runner.run(notebook.cells[2], index: 2)
        let error = try #require(run.error)
        #expect(error.kind == .compile)
        let d = try #require(error.diagnostics.first)
        #expect(d.span.line == 8)
        #expect(d.span.file.path == "lines.mem")
        #expect(error.rendered(color: false).contains("8 | let b = a +"))
    }
}

// MARK: - Markdown for the terminal

@Suite struct MarkdownRendering {
    let sample = """
        # A tour
        Some *emphasis*, **strong** text, `inline code` and a [link](https://example.org/x).
        Math stays: $a_t * b_t$ and $Q(s, a)$ with stop_at_success kept.

        ## Lists
        - first item that is long enough to wrap around the narrow width we give it here
        - second
          - nested
        1. one
        2. two

        > a quoted line

        ```
        let x = 1   # code
        ```
        ---
        ### Deep heading
        """

    @Test func withoutColour() {
        let out = TerminalMarkdown.render(sample, width: 40, color: false)
        #expect(!out.contains("\u{1B}"))
        let lines = out.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines[0] == "A tour" && lines[1] == "======")
        #expect(out.contains("Some emphasis, strong text, `inline"))
        #expect(out.contains("link\n(https://example.org/x)"))  // text, then the URL (wrapped here)
        #expect(out.contains("$a_t * b_t$") && out.contains("$Q(s, a)$") && out.contains("stop_at_success"))
        #expect(out.contains("Lists\n-----"))
        #expect(out.contains("• first item"))
        #expect(out.contains("    • nested") || out.contains("  • nested"))
        #expect(out.contains("1. one") && out.contains("2. two"))
        #expect(out.contains("│ a quoted line"))
        #expect(out.contains("    let x = 1   # code"))
        #expect(out.contains("### Deep heading"))
        // Wrapped to the width (code blocks excepted), with a hanging indent in lists.
        for line in lines where !line.hasPrefix("    let") {
            #expect(TerminalMarkdown.visibleWidth(line) <= 40, "too wide: \(line)")
        }
        let wrapped = lines.firstIndex { $0.hasPrefix("• first") }!
        #expect(lines[wrapped + 1].hasPrefix("  ") && !lines[wrapped + 1].hasPrefix("  •"))
    }

    @Test func withColour() {
        let out = TerminalMarkdown.render(sample, width: 40, color: true)
        #expect(out.contains("\u{1B}[1;4;35mA\u{1B}[0m"))              // heading: bold, underlined, coloured
        #expect(out.contains("\u{1B}[3memphasis\u{1B}[0m"))            // italic
        #expect(out.contains("\u{1B}[1mstrong\u{1B}[0m"))              // bold
        #expect(out.contains("\u{1B}[36minline\u{1B}[0m"))             // code, without backticks
        #expect(!out.contains("`inline"))
        #expect(out.contains("\u{1B}[2m    let x = 1   # code\u{1B}[0m"))  // dim code block
        #expect(out.contains("\u{1B}[4mlink\u{1B}[0m"))
        for line in out.split(separator: "\n") where !line.contains("let x") {
            #expect(TerminalMarkdown.visibleWidth(String(line)) <= 40)
        }
    }

    @Test func edgeCases() {
        // Dollar amounts are not math; snake_case is not emphasis; escapes are literal.
        let out = TerminalMarkdown.render("costs $5 and $10, my_var_name, \\*not em\\*", width: 80, color: true)
        #expect(out == "costs $5 and $10, my_var_name, *not em*")
        // Unclosed markers stay as typed.
        #expect(TerminalMarkdown.render("a * b and `open", width: 80, color: false) == "a * b and `open")
        #expect(TerminalMarkdown.render("", width: 80, color: false) == "")
        #expect(TerminalMarkdown.visibleWidth("\u{1B}[1mab\u{1B}[0m漢") == 4)
    }
}

// MARK: - Stepping

@Suite struct Stepping {
    let three = """
        # %% [markdown]
        # # Three cells

        # %%
        var count = 0
        count += 1
        print("first \\(count)")

        # %%
        count += 10
        print("second \\(count)")

        # %% [markdown]
        # Between.

        # %%
        print("third \\(count)")
        count
        """

    @Test func autoRunsEverything() {
        let (summary, out, _) = step(three, keys: [], auto: true)
        #expect(summary.exitCode == 0 && summary.cellsRun == 3 && !summary.quit)
        #expect(out.contains("first 1") && out.contains("second 11") && out.contains("third 11"))
        #expect(out.contains("Out[3]: 11"))
        #expect(out.contains("Three cells\n===========") && out.contains("Between."))
        #expect(out.contains("[2/3] test.mem:10–11"))
        #expect(!out.contains("\u{1B}"))
        // Prose, then code, then output, in order.
        let a = out.range(of: "Between.")!.lowerBound, b = out.range(of: "second 11")!.lowerBound
        #expect(b < a)
    }

    /// Enter, b, r, q driven by scripted keys.
    @Test func interactiveKeys() {
        // Enter runs 1; Enter runs 2; b shows 2 again (not run); r re-runs 2; Enter goes on
        // (2 already ran) to 3; q quits before 3 runs.
        let (summary, out, stepper) = step(three, keys: [.run, .run, .back, .rerun, .run, .quit])
        #expect(summary.quit && summary.exitCode == 0)
        // Two distinct cells ran, one of them twice; the summary says so on quitting too.
        #expect(summary.cellsRun == 2 && summary.reruns == 1 && summary.codeCells == 3)
        #expect(out.contains("left test.mem: 2 of 3 cells run (1 re-run)"))
        #expect(occurrences(of: "first 1", in: out) == 1)
        #expect(occurrences(of: "second 11", in: out) == 2)   // the run, and the replay after b
        #expect(occurrences(of: "second 21", in: out) == 1)   // the re-run
        #expect(!out.contains("third 2"))
        #expect(out.contains("(ran as In [2]"))
        #expect(stepper.runs.count == 2)
        // r with nothing run yet, back at the first cell, an unknown key, help.
        let (s2, out2, _) = step(three, keys: [.rerun, .back, .other("x"), .help, .quit])
        #expect(s2.cellsRun == 0)
        #expect(out2.contains("no cell has run yet") && out2.contains("this is the first code cell"))
        #expect(out2.contains("unknown key 'x'") && out2.contains("Keys:"))
        // End of input is quit; `a` runs the rest.
        let (s3, out3, _) = step(three, keys: [.run, .all])
        #expect(s3.cellsRun == 3 && !s3.quit && out3.contains("end of test.mem: 3 of 3 cells run\n"))
        #expect(step(three, keys: []).0.quit)
    }

    @Test func rerunTheLastCellFromTheNext() {
        // After Enter ran cell 1, r (at cell 2, not run) re-runs cell 1.
        let (summary, out, _) = step(three, keys: [.run, .rerun, .quit])
        #expect(summary.cellsRun == 1 && summary.reruns == 1)
        #expect(occurrences(of: "first 1\n", in: out) == 2 && out.contains("re-running [1]"))
        #expect(occurrences(of: "[2/3] test.mem", in: out) == 2)  // cell 2 is shown again after the re-run
    }

    @Test func keysFromText() {
        #expect(StepKey(text: "") == .run)
        #expect(StepKey(text: " B\n") == .back)
        #expect(StepKey(text: "r") == .rerun)
        #expect(StepKey(text: "q") == .quit)
        #expect(StepKey(text: "zz") == .other("zz"))
    }

    @Test func errorsStopAutoButNotInteractive() {
        let script = "# %%\nprint(\"one\")\n# %%\nlet z = [1][3]\n# %%\nprint(\"three\")\n"
        let (auto, out, _) = step(script, keys: [], auto: true)
        #expect(auto.exitCode == 70 && auto.failures == 1 && auto.cellsRun == 2)
        #expect(out.contains("index 3 is out of range") && out.contains("--> test.mem:4:9"))
        #expect(!out.contains("three") || out.range(of: "print(\"three\")") == nil)
        let (parse, pout, _) = step("# %%\nlet = 4\n# %%\nprint(\"after\")\n", keys: [], auto: true)
        #expect(parse.exitCode == 65 && pout.contains("--> test.mem:2:") && !pout.contains("\nafter"))
        let (interactive, iout, _) = step(script, keys: [.run, .run, .run])
        #expect(interactive.exitCode == 0 && interactive.failures == 1 && interactive.cellsRun == 3)
        #expect(iout.contains("\nthree\n"))
    }

    @Test func aFailureFixedByARerunIsNotCounted() {
        // The second cell fails on its first run and passes when re-run.
        let script = "# %%\nvar tries = 0\n# %%\ntries += 1\nif tries < 2 { error(\"first try\") }\n# %%\nprint(\"done\")\n"
        let (fixed, out, _) = step(script, keys: [.run, .run, .rerun, .run])
        #expect(fixed.cellsRun == 3 && fixed.reruns == 1 && fixed.failures == 0)
        #expect(out.contains("first try") && out.contains("end of test.mem: 3 of 3 cells run (1 re-run)\n"))
        // Left failing, it is counted once however often it ran.
        let (failing, fout, _) = step(script, keys: [.run, .run, .all])
        #expect(failing.cellsRun == 3 && failing.failures == 1 && fout.contains("3 of 3 cells run, 1 failed"))
    }

    @Test func figuresAndColour() {
        let (summary, out, _) = step(figureScript, keys: [.run, .run, .run], color: true)
        #expect(summary.cellsRun == 3 && summary.failures == 1)
        #expect(out.contains("\u{1B}[1msquares\u{1B}[0m\n| #"))
        #expect(out.contains("Out[1]:\u{1B}[0m 40"))
        #expect(out.contains("\u{1B}[35mlet\u{1B}[0m"))  // highlighted keyword
    }

    /// Every lesson splits into cells that compile one after another in one interpreter (as
    /// the stepper compiles them: a cell may only use names of earlier cells), and the tour
    /// steps through with --auto as a library call. The other lessons train for minutes in a
    /// debug build, so they are stepped only with MEMENTO_TEST_ALL_LESSONS=1 (RuntimeTests
    /// runs each of them whole already).
    @Test func everyLessonStepsThrough() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Repo.lessons.path)
            .filter { $0.hasSuffix(".mem") }.sorted()
        #expect(files.contains("00-tour.mem"))
        let all = ProcessInfo.processInfo.environment["MEMENTO_TEST_ALL_LESSONS"] == "1"
        for file in files {
            let path = Repo.lessons.appendingPathComponent(file).path
            let notebook = try Notebook.load(path)
            let code = notebook.cells.filter { $0.kind == .code && !$0.isEmpty }
            #expect(!code.isEmpty, "\(file) has no code cell")
            // Whether the whole file compiles (as `memento run` sees it).
            let whole = Interpreter()
            Runtime.install(in: whole, session: Session(scriptDirectory: Repo.lessons))
            var wholeError: String?
            if case .failure(let e) = whole.compile(SourceFile(path: path, text: try String(contentsOfFile: path, encoding: .utf8))) {
                wholeError = e.diagnostics.first { $0.severity == .error }?.message
            }
            // Cell by cell, without running: declarations of earlier cells are visible.
            let cellwise = Interpreter()
            Runtime.install(in: cellwise, session: Session(scriptDirectory: Repo.lessons))
            var cellError: String?
            for cell in code {
                if case .failure(let e) = cellwise.compile(cell.sourceFile(path: path), repl: true) {
                    cellError = e.diagnostics.first { $0.severity == .error }.map { "\($0.span): \($0.message)" }
                    break
                }
            }
            if let wholeError {
                // A lesson that needs a binding the runtime lacks fails the same way per cell.
                #expect(cellError?.contains(wholeError) == true, "\(file): \(wholeError) vs \(cellError ?? "none")")
                continue
            }
            #expect(cellError == nil, "\(file): a cell does not compile on its own: \(cellError ?? "")")
            guard file == "00-tour.mem" || all else { continue }
            let runner = NotebookRunner(path: path, seed: 0,
                                        outputDirectory: FileManager.default.temporaryDirectory.appendingPathComponent("memento-lesson-out"))
            var out = ""
            let stepper = Stepper(notebook: notebook, runner: runner, options: StepOptions(auto: true, width: 80),
                                  keys: ScriptedKeys([]), write: { out += $0 })
            let summary = stepper.run()
            #expect(summary.exitCode == 0, "\(file):\n\(out.suffix(2000))")
            #expect(summary.cellsRun == code.count, "\(file)")
            #expect(out.contains("end of \(path): \(code.count) of \(code.count) cells run\n"), "\(file)")
            #expect(!out.contains("failed"), "\(file)")
        }
    }

    /// Stepping prints exactly what running the whole script prints.
    @Test func sameOutputAsAWholeRun() {
        let script = """
            # %%
            seed(3)
            let t = randn([3])
            print(t.tolist())
            # %% [markdown]
            # prose
            # %%
            fn twice(x) { return 2 * x }
            for i in 0..<3 { print(twice(i)) }
            print(randn([2]).tolist())
            """
        let runner = makeRunner(seed: 0)
        var stepped = ""
        for (i, cell) in Notebook(path: "test.mem", text: script).cells.enumerated() where cell.kind == .code {
            for o in runner.run(cell, index: i).outputs { if case .stream(let s) = o { stepped += s } }
        }
        let whole = makeRunner(seed: 0)
        var printed = ""
        whole.interpreter.output = { printed += $0 }
        let diagnostics = Interpreter.runOnLargeStack { whole.interpreter.run(source: script, path: "test.mem") }
        #expect(diagnostics.isEmpty)
        #expect(stepped == printed && !printed.isEmpty)
    }
}

// MARK: - Export

@Suite struct Exporting {
    func exported(_ text: String = figureScript, path: String = "figs.mem") -> ExportResult {
        NotebookExport.execute(Notebook(path: path, text: text), runner: makeRunner(path: path), seed: 7)
    }

    @Test func ipynbStructure() throws {
        let result = exported()
        #expect(result.failures.count == 1 && result.failures[0].error.kind == .runtime)
        let json = NotebookExport.ipynb(result)
        let doc = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        #expect(doc["nbformat"] as? Int == 4 && doc["nbformat_minor"] as? Int == 5)
        let metadata = try #require(doc["metadata"] as? [String: Any])
        let kernel = try #require(metadata["kernelspec"] as? [String: String])
        #expect(kernel == ["name": "memento", "display_name": "Memento", "language": "memento"])
        let info = try #require(metadata["language_info"] as? [String: Any])
        #expect(info["name"] as? String == "memento" && info["file_extension"] as? String == ".mem")
        let cells = try #require(doc["cells"] as? [[String: Any]])
        #expect(cells.map { $0["cell_type"] as? String } == ["markdown", "code", "code", "code"])
        let ids = cells.compactMap { $0["id"] as? String }
        #expect(Set(ids).count == cells.count)
        for id in ids {
            #expect((1...64).contains(id.count) && id.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") })
        }
        #expect(cells[0]["source"] as? [String] == ["# Plots and errors\n", "A figure, a value, a failing cell, then code with `<tags> & \"quotes\"`."])
        // The figure cell: stream, display_data (SVG + text), execute_result.
        let first = cells[1]
        #expect(first["execution_count"] as? Int == 1)
        #expect((first["metadata"] as? [String: String])?["title"] == "A figure")
        let outputs = try #require(first["outputs"] as? [[String: Any]])
        #expect(outputs.map { $0["output_type"] as? String } == ["stream", "display_data", "execute_result"])
        #expect(outputs[0]["name"] as? String == "stdout" && outputs[0]["text"] as? [String] == ["plotting 4 points\n"])
        let data = try #require(outputs[1]["data"] as? [String: [String]])
        #expect(data["image/svg+xml"]?.joined().contains("<svg") == true)
        // The text fallback is the terminal drawing, as `memento run` prints it.
        #expect(data["text/plain"]?.joined() == FakeFigure(title: "squares", points: [1, 4, 9, 5]).text(width: 80, color: false))
        let value = try #require(outputs[2]["data"] as? [String: [String]])
        #expect(value["text/plain"] == ["40"] && outputs[2]["execution_count"] as? Int == 1)
        // The failing cell: an error output; the next cell still ran.
        let error = try #require((cells[2]["outputs"] as? [[String: Any]])?.first)
        #expect(error["output_type"] as? String == "error" && error["ename"] as? String == "RuntimeError")
        #expect((error["evalue"] as? String)?.contains("figs.mem:12:14") == true)
        #expect((error["traceback"] as? [String])?.contains("12 | let broken = [1, 2][7]") == true)
        #expect(cells[3]["execution_count"] as? Int == 3)
        #expect(((cells[3]["outputs"] as? [[String: Any]])?.first?["text"] as? [String]) == ["<b>bold</b> & \"quoted\"\n"])
    }

    @Test func compileErrorAndEmptyCells() throws {
        let result = exported("# %%\n# %%\nlet = 3\n# %%\nprint(1)\n")
        let json = NotebookExport.ipynb(result)
        let cells = try #require((try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])?["cells"] as? [[String: Any]])
        #expect(cells.count == 3)
        #expect(cells[0]["execution_count"] is NSNull && (cells[0]["outputs"] as? [Any])?.isEmpty == true)
        let error = try #require((cells[1]["outputs"] as? [[String: Any]])?.first)
        #expect(error["ename"] as? String == "CompileError")
        #expect(cells[2]["execution_count"] as? Int == 2)
    }

    /// nbformat's own validator accepts exported notebooks (a lesson with figures and errors).
    @Test(.enabled(if: nbformatPython != nil, "python with nbformat not found (tools/setup installs it)"))
    func nbformatValidates() throws {
        let python = try #require(nbformatPython)
        for (name, text) in [("figs", figureScript), ("parse", "# %% [markdown]\n# x\n# %%\nlet = 1\n# %%\n\n# %% [raw]\n# raw\n")] {
            let path = try temporaryFile("\(name).ipynb", NotebookExport.ipynb(exported(text, path: "\(name).mem")))
            let (status, output) = shell([python, "-c", "import nbformat, sys; nbformat.validate(nbformat.read(sys.argv[1], as_version=4)); print('ok')", path])
            #expect(status == 0 && output.contains("ok"), "\(name): \(output)")
        }
    }

    @Test func htmlPage() {
        let html = NotebookExport.html(exported())
        #expect(html.hasPrefix("<!DOCTYPE html>"))
        #expect(html.contains("<title>Plots and errors</title>"))
        #expect(html.contains("<h1>Plots and errors</h1>"))
        #expect(html.contains("<svg xmlns=\"http://www.w3.org/2000/svg\"") && !html.contains("<?xml"))
        #expect(html.contains("<figure class=\"figure\" aria-label=\"squares\"><svg"))
        // Code and output escaped.
        #expect(html.contains("&lt;b&gt;bold&lt;/b&gt; &amp;"))
        #expect(!html.contains("<b>bold</b>"))
        #expect(html.contains("<pre class=\"error\"><strong>RuntimeError</strong>"))
        #expect(html.contains("<span class=\"prompt\">Out[1]:</span><pre>40</pre>"))
        // Self-contained: no scripts, stylesheets, images or fonts from elsewhere.
        for needle in ["<script", "<link", "src=", "@import", "url("] { #expect(!html.contains(needle), "\(needle)") }
    }

    @Test func mathSurvivesInk() {
        let html = NotebookExport.markdownHTML("Return $G_t = r_t + \\gamma G_{t+1}$ and `x_1_y` and $5.\n\n$$a_b * c_d$$",
                                               parser: .init())
        #expect(html.contains("<span class=\"math\">$G_t = r_t + \\gamma G_{t+1}$</span>"))
        #expect(html.contains("<div class=\"math\">$$a_b * c_d$$</div>"))
        #expect(html.contains("<code>x_1_y</code>") && html.contains("$5."))
        #expect(!html.contains("<em>"))
    }

    /// A paragraph may start with inline code: Ink must not take the line for a code block,
    /// split the paragraph, or drop text after the span.
    @Test func paragraphsStartingWithInlineCodeStayWhole() {
        for markdown in ["`train` stops at the next step and\nkeeps the model.",
                         "``a ` b`` is code with a backtick, and $x_1$ is math.",
                         "Intro.\n\n`run.returns` holds every episode's return; `plot(run)` draws it.\n\nAfter."] {
            let html = NotebookExport.markdownHTML(markdown, parser: .init())
            let paragraphs = html.components(separatedBy: "<p>").count - 1
            #expect(paragraphs == markdown.components(separatedBy: "\n\n").count, "\(markdown) → \(html)")
            #expect(!html.contains("<pre"), "\(markdown) → \(html)")
        }
        // A line inside a paragraph that starts with inline code (lessons 00, 02 and 05 have them).
        let joined = [
            ("## What the window sees\n`FrameStack(env, k: 4)` turns each observation\nbefore the start.",
             "<h2>What the window sees</h2><p><code>FrameStack(env, k: 4)</code> turns each observation before the start.</p>"),
            ("Exercises go between `# BEGIN SOLUTION` and `# END SOLUTION`;\n`memento assign` replaces that part\n(`memento grade`). Write it.",
             "<p>Exercises go between <code># BEGIN SOLUTION</code> and <code># END SOLUTION</code>; <code>memento assign</code> replaces that part (<code>memento grade</code>). Write it.</p>"),
            ("It must accept observations of shape\n`[batch, time, observation_size]`.",
             "<p>It must accept observations of shape <code>[batch, time, observation_size]</code>.</p>"),
        ]
        for (markdown, expected) in joined {
            #expect(NotebookExport.markdownHTML(markdown, parser: .init()) == expected)
        }
        // Fences, headings and blank lines still separate blocks.
        let fenced = NotebookExport.markdownHTML("Code:\n\n```\nlet a = 1\n`b` $x$\n```\n\n`after` the fence, ``c``.\n\n```\nsecond\n```",
                                                 parser: .init())
        #expect(fenced.contains("`b` $x$") && !fenced.contains("MEMENTO"), "\(fenced)")
        #expect(fenced.contains("<p><code>after</code> the fence, <code>c</code>.</p>") && fenced.contains("second"), "\(fenced)")
        let one = NotebookExport.markdownHTML("`train` stops at the next step and\nkeeps the model.", parser: .init())
        #expect(one.contains("<p><code>train</code> stops at the next step and") && one.contains("keeps the model.</p>"), "\(one)")
        let two = NotebookExport.markdownHTML("Intro.\n\n`run.returns` holds every episode's return; `plot(run)` draws it.\n\nAfter.", parser: .init())
        #expect(two.contains("<p><code>run.returns</code> holds every episode's return; <code>plot(run)</code> draws it.</p>"), "\(two)")
        let math = NotebookExport.markdownHTML("``a ` b`` is code with a backtick, and $x_1$ is math.", parser: .init())
        #expect(math.contains("<p><code>a ` b</code> is code with a backtick, and <span class=\"math\">$x_1$</span> is math.</p>"), "\(math)")
    }

    @Test func terminalTextCleanup() {
        #expect(NotebookExport.cleanTerminalText("\u{1B}[1mbold\u{1B}[0m\n") == "bold\n")
        #expect(NotebookExport.cleanTerminalText("10%\r50%\r100%\ndone\n") == "100%\ndone\n")
        #expect(NotebookExport.lines("a\nb\n") == ["a\n", "b\n"] && NotebookExport.lines("a\nb") == ["a\n", "b"])
        #expect(JSON.quote("a\"\u{01}\n") == "\"a\\\"\\u0001\\n\"")
    }

    /// Headless Chromium draws the exported page (not blank), checked by tools/check-html.
    @Test(.enabled(if: onPath("chromium") != nil && onPath("python3") != nil, "chromium not installed (apt-get install chromium)"))
    func chromiumRendersThePage() throws {
        let page = try temporaryFile("page.html", NotebookExport.html(exported()))
        let (status, output) = shell([Repo.root.appendingPathComponent("tools/check-html").path, page])
        #expect(status == 0, "\(output)")
    }
}

// MARK: - Files and lessons

@Suite struct FilesAndLessons {
    @Test func unreadableFiles() throws {
        do {
            _ = try Notebook.load("/nonexistent/lesson.mem")
            Issue.record("expected an error")
        } catch let e as NotebookError {
            #expect(e.exitCode == 66 && e.message.contains("/nonexistent/lesson.mem") && e.message.contains("no such file"))
        }
        #expect(throws: NotebookError.self) { try Notebook.load(NSTemporaryDirectory()) }
        let binary = try temporaryFile("binary.mem", "")
        try Data([0xFF, 0xFE, 0x00, 0xC3]).write(to: URL(fileURLWithPath: binary))
        #expect(throws: NotebookError.self) { try Notebook.load(binary) }
        #expect(throws: NotebookError.self) {
            try Stepper.stepFile("/nonexistent/x.mem", interpreter: Interpreter(), session: Session(scriptDirectory: URL(fileURLWithPath: "/tmp")))
        }
    }

    @Test func titleAndSummary() {
        let nb = Notebook(path: "x.mem", text: "# %% [markdown]\n# ## The **T-maze**\n# Memory is _needed_ here. More text.\n# %%\nprint(1)\n")
        #expect(nb.title == "The T-maze")
        #expect(nb.summary == "Memory is needed here.")
        #expect(Notebook(path: "y.mem", text: "print(1)").title == nil)
    }

    @Test func catalogue() throws {
        let catalog = try LessonCatalog(folder: Repo.lessons)
        let tour = try #require(catalog.entries.first { $0.file == "00-tour.mem" })
        #expect(tour.title == "A tour of Memento")
        #expect(tour.summary?.hasPrefix("Tensors and gradients, a network that learns") == true)
        let text = catalog.render(width: 60, color: false)
        #expect(text.split(separator: "\n").contains { $0.hasPrefix("00-tour.mem ") && $0.contains("  A tour of Memento — Tensors") })
        for line in text.split(separator: "\n") { #expect(line.count <= 60) }
        // Found from the repository as the current folder, and not from an empty one.
        #expect(LessonCatalog.locate(currentDirectory: Repo.root.path, executable: nil)?.path == Repo.lessons.standardizedFileURL.path)
        #expect(throws: NotebookError.self) { try LessonCatalog(folder: URL(fileURLWithPath: "/nonexistent-lessons")) }
    }
}
