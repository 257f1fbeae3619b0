import Testing
@testable import Display

@Suite("SVG")
struct SVGTests {
    @Test func linePlotIsValidXMLWithOnePolylinePerSeries() {
        let plot = LinePlot([Series([1, 4, 9, 16, 25], label: "squares <&>"), Series([2, 3, 5, 7, 11], x: [0, 1, 2, 3, 4], label: "primes")],
                            title: "A & B \"quoted\" <title>", xLabel: "x", yLabel: "y")
        let svg = plot.svg()
        #expect(svg.hasPrefix("<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 "))
        let xml = XMLCheck.parse(svg)
        #expect(xml.error == nil, "\(String(describing: xml.error))")
        let lines = xml.all("polyline")
        #expect(lines.count == 2)
        #expect(lines.map { $0["points"]!.split(separator: " ").count } == [5, 5])
        #expect(lines[0]["stroke"] == Palette.series(0).hex && lines[1]["stroke"] == Palette.series(1).hex)
        // Text is escaped, and comes back intact through the parser.
        #expect(svg.contains("A &amp; B &quot;quoted&quot; &lt;title&gt;"))
        #expect(xml.texts.joined().contains("squares <&>"))
        #expect(xml.all("title").count == 1)
        // Axes with tick labels.
        #expect(xml.texts.contains("x") && xml.texts.contains("y") && xml.texts.contains("25"))
    }

    @Test func gapsSplitPolylines() {
        let svg = LinePlot(y: [1, 2, .nan, 4, 5, 6, .infinity, 8]).svg()
        let lines = XMLCheck.parse(svg).all("polyline")
        #expect(lines.map { $0["points"]!.split(separator: " ").count } == [2, 3, 1])
        #expect(XMLCheck.parse(svg).all("circle").count == 1, "a lone point is marked")
    }

    @Test func smoothedPlotsKeepRawValuesFaint() {
        let lines = XMLCheck.parse(LinePlot(y: [1, 5, 2, 6, 3, 7], smoothing: 3).svg()).all("polyline")
        #expect(lines.count == 2)
        #expect(lines[0]["stroke-opacity"] == "0.3" && lines[1]["stroke-opacity"] == nil)
    }

    @Test func everyFigureIsWellFormed() {
        var rng = TestRandom(state: 11)
        let figures: [any Figure] = [
            LinePlot([]), LinePlot(y: [.nan]),
            Heatmap([[1, 2, 3], [4, 5, 6]], rowLabels: ["a<", "b&"], columnLabels: ["x", "y", "a long column name"], title: "Q & A"),
            Heatmap([]), Heatmap([[.nan]]), Heatmap((0..<300).map { i in (0..<300).map { j in Double(i * j) } }),
            Histogram((0..<1000).map { _ in rng.next() }, title: "uniform"), Histogram([]), Histogram([.nan, 1]),
            BarChart(labels: ["a", "b\u{0}c", "d"], values: [1, -2, .nan], title: "bars"), BarChart(labels: [], values: []),
        ]
        for figure in figures {
            let svg = figure.svg()
            let xml = XMLCheck.parse(svg)
            #expect(xml.error == nil, "\(figure.summary): \(String(describing: xml.error))")
            #expect(xml.elements.first?.name == "svg" && xml.elements.first?.attributes["viewBox"] != nil)
        }
    }

    @Test func heatmapHasAColourBarFromPaletteEnds() {
        let svg = Heatmap([[0, 0.5], [1, 0.25]], title: "beliefs").svg()
        let xml = XMLCheck.parse(svg)
        #expect(xml.error == nil)
        let fills = xml.all("rect").compactMap { $0["fill"] }
        let low = Palette.sequential(0).hex, high = Palette.sequential(1).hex
        // The cell with 0 and the cell with 1, and both ends of the colour bar.
        #expect(fills.filter { $0 == low }.count >= 2)
        #expect(fills.filter { $0 == high }.count >= 2)
        #expect(xml.texts.contains("min 0") && xml.texts.contains("max 1"))
    }

    @Test func bigHeatmapsAreReduced() {
        let big = Heatmap((0..<1000).map { i in (0..<10).map { j in Double(i + j) } })
        let cells = XMLCheck.parse(big.svg()).all("rect").count
        #expect(cells < 3000)
    }
}
