import Display
import Foundation
import Language
import Runtime
import Testing

/// What a script showed: the figures (through `onFigure` when `collect`), printed output,
/// error messages, and the progress text `train` wrote.
struct PlotRun {
    var figures: [any Figure] = []
    var output = ""
    var errors: [String] = []
    var progress = ""
    var outputDirectory: URL
}

/// Runs `source` with the engine bound, figures collected (or printed, 60 columns, when
/// `collect` is false), and progress captured as a log (plain lines; `plainInterval` 0
/// writes one at every training event).
func runPlots(_ source: String, collect: Bool = true, plainInterval: Double = 1e9, interactive: Bool = false) -> PlotRun {
    Interpreter.runOnLargeStack {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("memento-plot-tests-\(UUID().uuidString)")
        let out = dir.appendingPathComponent("out")
        var result = PlotRun(outputDirectory: out)
        let session = Session(scriptDirectory: dir, outputDirectory: out)
        session.columns = 60
        session.color = false
        var collected: [any Figure] = []
        if collect { session.onFigure = { collected.append($0) } }
        var progress = ""
        session.progress.write = { progress += $0 }
        session.progress.interactive = interactive
        session.progress.plainInterval = plainInterval
        let interpreter = Interpreter()
        Runtime.install(in: interpreter, session: session)
        var output = ""
        interpreter.output = { output += $0 }
        let diagnostics = interpreter.run(source: source, path: "plots.mem")
        result.figures = collected
        result.output = output
        result.errors = diagnostics.map(\.message)
        result.progress = progress
        return result
    }
}

@Suite("Plotting from scripts")
struct PlotTests {
    @Test func plotBuildsLineFiguresFromEveryKindOfSeries() throws {
        let r = runPlots("""
        plot([1, 4, 9, nil, 25], title: "squares", x_label: "n", y_label: "n²")
        plot({"train": [1, 2, 3], "test": tensor([3, 2, 1])}, x: 0..<3, smooth: 2)
        plot([[1, 2], [3, 4, 5]], x: [[0, 1], [0, 1, 2]], labels: ["a", "b"])
        plot(randn([3, 10]))
        """)
        #expect(r.errors.isEmpty, "\(r.errors)")
        #expect(r.output.isEmpty, "figures go to onFigure, not the output")
        let plots = r.figures.compactMap { $0 as? LinePlot }
        try #require(plots.count == 4)
        #expect(plots[0].title == "squares" && plots[0].xLabel == "n" && plots[0].yLabel == "n²")
        #expect(plots[0].series.count == 1 && plots[0].series[0].y.count == 5 && plots[0].series[0].y[3].isNaN)
        #expect(plots[1].series.map(\.label) == ["train", "test"] && plots[1].smoothing == 2)
        #expect(plots[1].series[1].y == [3, 2, 1] && plots[1].series[0].x == [0, 1, 2])
        #expect(plots[2].series.map(\.label) == ["a", "b"] && plots[2].series[1].x == [0, 1, 2])
        #expect(plots[3].series.count == 3 && plots[3].series.allSatisfy { $0.y.count == 10 })
    }

    @Test func withoutAFrontEndTheTextIsPrinted() {
        let r = runPlots("plot([1, 2, 3], title: \"up\")\nprint(\"after\")", collect: false)
        #expect(r.errors.isEmpty, "\(r.errors)")
        let lines = r.output.split(separator: "\n").map(String.init)
        #expect(lines.first?.trimmingCharacters(in: .whitespaces) == "up")
        #expect(lines.last == "after")
        #expect(r.output.contains("┤") && !r.output.contains("\u{1B}"))
        #expect(lines.allSatisfy { $0.unicodeScalars.count <= 60 })
    }

    @Test func heatmapHistAndBar() throws {
        let r = runPlots("""
        heatmap([[1, 2, 3], [4, 5, 6]], row_labels: ["s0", "s1"], col_labels: ["a", "b", "c"], title: "Q")
        heatmap(eye(3), min: -1, max: 1)
        hist(randn([100, 2]), bins: 7, title: "noise")
        bar(["left", "right"], [0.5, -0.25], title: "advantages")
        bar({"x": 1, "y": 2})
        """)
        #expect(r.errors.isEmpty, "\(r.errors)")
        try #require(r.figures.count == 5)
        let q = try #require(r.figures[0] as? Heatmap)
        #expect(q.values == [[1, 2, 3], [4, 5, 6]] && q.rowLabels == ["s0", "s1"] && q.columnLabels == ["a", "b", "c"])
        let eye = try #require(r.figures[1] as? Heatmap)
        #expect(eye.lower == -1 && eye.upper == 1 && eye.values.count == 3)
        let hist = try #require(r.figures[2] as? Histogram)
        #expect(hist.bins.count == 7 && hist.bins.reduce(0) { $0 + $1.count } == 200)
        let bar = try #require(r.figures[3] as? BarChart)
        #expect(bar.labels == ["left", "right"] && bar.values == [0.5, -0.25])
        #expect((r.figures[4] as? BarChart)?.labels == ["x", "y"])
    }

    @Test func badInputIsReportedWithTheArgumentAndWhatWasExpected() {
        let cases: [(String, String)] = [
            ("plot([[1, 2], [1, 2, 3]], x: [1, 2])", "plot: series 2 has 2 x values but 3 y values"),
            ("plot([1, 2, 3], x: [1, 2])", "plot: x has 2 values but y has 3"),
            ("plot([1, \"a\"])", "plot: y must hold numbers, but the value at index 1 is \"a\""),
            ("plot(\"abc\")", "plot: y must be a list of numbers or a tensor, got \"abc\""),
            ("plot([[1], 2])", "plot: y mixes series and numbers: item 2 is 2"),
            ("plot([1, 2], labels: [\"a\", \"b\"])", "plot: labels has 2 names but there is 1 series"),
            ("plot([1, 2], smooth: 0)", "plot: smooth must be a window of at least 1 point, got 0"),
            ("plot([1, 2], title: 3)", "plot: title must be a string, got 3"),
            ("plot(zeros([2, 2, 2]))", "plot: y must be 1-D, got a tensor of shape [2, 2, 2]"),
            ("heatmap([[1, 2], [3]])", "heatmap: matrix: row 2 has 1 values but row 1 has 2"),
            ("heatmap([[1, 2]], col_labels: [\"a\"])", "heatmap: col_labels has 1 name but there are 2 columns"),
            ("heatmap([[1, 2]], min: 2, max: 1)", "heatmap: min must be below max, got 2.0 and 1.0"),
            ("heatmap(zeros([2, 2, 2]))", "heatmap: matrix must be 2-D, got a tensor of shape [2, 2, 2]"),
            ("hist([1, 2], bins: 0)", "hist: bins must be 1…1000, got 0"),
            ("bar([\"a\"], [1, 2])", "bar: labels has 1 name but there are 2 values"),
            ("bar([\"a\"])", "bar needs values: bar(labels, values), or a dict label → value"),
            ("plot([1, 2], save: \"plot.png\")", "plot: save writes an SVG file, so its name must end in .svg, got \"plot.png\""),
        ]
        for (source, message) in cases {
            let r = runPlots(source)
            #expect(r.errors == [message], "\(source)")
            #expect(r.figures.isEmpty, "\(source)")
        }
    }

    @Test func saveWritesSVGUnderTheOutputFolderOnly() throws {
        let r = runPlots("""
        plot([1, 2, 3], title: "saved", save: "figures/line.svg")
        heatmap([[0, 1]], save: "map.svg")
        """)
        #expect(r.errors.isEmpty, "\(r.errors)")
        #expect(r.figures.count == 2, "saved figures are also shown")
        let line = try String(contentsOf: r.outputDirectory.appendingPathComponent("figures/line.svg"), encoding: .utf8)
        #expect(line.hasPrefix("<svg xmlns=\"http://www.w3.org/2000/svg\"") && line.contains("<title>saved</title>"))
        #expect(line.contains("<polyline"))
        #expect(FileManager.default.fileExists(atPath: r.outputDirectory.appendingPathComponent("map.svg").path))
        for path in ["../escape.svg", "/tmp/memento-escape.svg"] {
            let refused = runPlots("plot([1, 2], save: \"\(path)\")")
            #expect(refused.errors.count == 1 && refused.errors[0].contains("writing \(path) was refused"), "\(refused.errors)")
            #expect(refused.figures.isEmpty)
        }
        #expect(!FileManager.default.fileExists(atPath: "/tmp/memento-escape.svg"))
    }

    @Test func trainingRunsArePlottableAndShowProgress() throws {
        let source = """
        let maze = TMaze(length: 2)
        let net = Linear(maze.observation_size, 8) |> relu |> Linear(8, maze.actions)
        let run = train(DQN(net, learning_starts: 64, exploration_steps: 200), on: maze, steps: 400, stop_at_success: 2.0)
        plot(run)
        plot(run.returns, smooth: 10)
        plot(run.history("charts/epsilon"))
        """
        let r = runPlots(source, plainInterval: 0)
        #expect(r.errors.isEmpty, "\(r.errors)")
        try #require(r.figures.count == 3)
        let curve = try #require(r.figures[0] as? LinePlot)
        #expect(curve.title?.hasPrefix("DQN on TMaze") == true && curve.xLabel == "steps" && curve.yLabel == "episodic return")
        let xs = try #require(curve.series.first?.x)
        #expect(!xs.isEmpty && xs == xs.sorted() && xs.last! <= 400)
        #expect((r.figures[1] as? LinePlot)?.series[0].y.count == xs.count)
        #expect((r.figures[2] as? LinePlot)?.series[0].y.count == 4, "epsilon is logged every 100 steps")
        // A log: plain lines (one per event with interval 0), then the final line.
        let lines = r.progress.split(separator: "\n").map(String.init)
        #expect(lines.count > 2)
        #expect(lines.allSatisfy { $0.hasPrefix("train DQN on TMaze") }, "\(lines.prefix(3))")
        #expect(lines.last!.contains(": 400/400 steps in ") && lines.last!.contains("success "), "\(lines.last!)")
        #expect(lines.dropLast().last!.contains("%), "))
        #expect(!r.progress.contains("\r") && !r.progress.contains("\u{1B}"))
    }

    @Test func progressIsQuietWhenAskedAndInPlaceOnATerminal() {
        let body = """
        let maze = TMaze(length: 2)
        let net = Linear(maze.observation_size, 8) |> relu |> Linear(8, maze.actions)
        """
        let off = runPlots(body + "\ntrain(DQN(net), on: maze, steps: 200, progress: false)", plainInterval: 0)
        #expect(off.errors.isEmpty && off.progress.isEmpty, "\(off.errors) \(off.progress)")
        // A log with the default interval: only the final line for a short run.
        let log = runPlots(body + "\ntrain(DQN(net), on: maze, steps: 200)")
        #expect(log.progress.split(separator: "\n").count == 1 && log.progress.contains("200/200 steps in "), "\(log.progress)")
        // A terminal: the bar drawn in place, ended with a newline.
        let terminal = runPlots(body + "\ntrain(DQN(net), on: maze, steps: 200)", interactive: true)
        #expect(terminal.progress.hasPrefix("\r") && terminal.progress.hasSuffix("\u{1B}[K\n"), "\(terminal.progress.debugDescription)")
        #expect(terminal.progress.contains("100% ▕"))
        #expect(ANSI.strip(terminal.progress).split(separator: "\r").allSatisfy { $0.trimmingCharacters(in: .newlines).unicodeScalars.count <= 60 })
    }
}
