import Testing
@testable import Display

@Suite("Line plots")
struct LinePlotTests {
    @Test func brailleCanvasSetsTheExpectedDots() {
        var canvas = BrailleCanvas(columns: 2, rows: 1)
        canvas.line(0, 0, 3, 3)
        // Cell 0: dots (0,0) and (1,1) = bits 0x01 | 0x10; cell 1: (2,2) → left column row 2
        // = 0x04, (3,3) → right column row 3 = 0x80.
        #expect(canvas.render(row: 0) == "\u{2811}\u{2884}")
        #expect(canvas.render(row: 0) == "⠑⢄")
        var full = BrailleCanvas(columns: 1, rows: 1)
        for x in 0..<2 { for y in 0..<4 { full.set(x, y) } }
        #expect(full.render(row: 0) == "⣿")
        full.set(5, 9) // outside: ignored
        #expect(full.render(row: 0) == "⣿")
    }

    @Test func aKnownLineGivesTheExpectedRendering() {
        // y = x over 4 points in 20 columns: a 1-column gutter ("4"), " ┤", and 17 plot
        // columns (34 dots) by 3 rows (12 dots). The y scale is 0…4 (loose ticks), so y maps
        // to dot row (1 − y/4)·11 and x to dot column x/3·33.
        let text = LinePlot(y: [0, 1, 2, 3], height: 3).text(width: 20, color: false)
        let rows = plotRows(text)
        #expect(rows.count == 3)
        let dots = brailleDots(rows)
        for point in [[0, 11], [11, 8], [22, 6], [33, 3]] { #expect(dots.contains(point), "\(point) in\n\(text)") }
        // A shallow straight line: exactly one dot in each of the 34 dot columns, rising.
        for x in 0..<34 { #expect(dots.filter { $0[0] == x }.count == 1, "column \(x)") }
        #expect(dots.count == 34)
        #expect(text == """
        4 ┤                ⣀
        2 ┤       ⣀⣀⣀⠤⠤⠒⠒⠉⠉
        0 ┤⣀⠤⠤⠒⠒⠉⠉
          └┬──────────┬─────
           0          2
        """)
    }

    @Test func aMonotoneSeriesRendersMonotone() {
        var rng = TestRandom(state: 7)
        var y: [Double] = []
        var v = 0.0
        for _ in 0..<300 { v += rng.next(); y.append(v) }
        for width in [30, 57, 80, 133] {
            let dots = brailleDots(plotRows(LinePlot(y: y).text(width: width, color: false)))
            let columns = Set(dots.map { $0[0] }).sorted()
            #expect(columns.count > width / 2)
            var previousTop = Int.max
            for x in columns {
                let top = dots.filter { $0[0] == x }.map { $0[1] }.min()!
                #expect(top <= previousTop, "column \(x) at width \(width)")
                previousTop = top
            }
        }
    }

    @Test func widthIsRespectedExactly() {
        var rng = TestRandom(state: 3)
        let noisy = (0..<500).map { _ in rng.next() * 100 - 50 }
        let plots: [LinePlot] = [
            LinePlot([Series(noisy, label: "DRQN with a long label"), Series(noisy.map { $0 / 2 }, label: "DQN")],
                     title: "Returns of a long experiment title that goes on", xLabel: "episode", yLabel: "return", smoothing: 10),
            LinePlot(y: (0..<100).map { Double($0) * 1e6 }),
            LinePlot(y: [1e-7, 2e-7, 3e-7]),
            LinePlot(y: [.nan, 1, .infinity, 2, -.infinity]),
            LinePlot([Series([1, 2], x: [1e9, 2e9]), Series([3], label: "x")]),
        ]
        for plot in plots {
            for width in [0, 1, 5, 19, 20, 21, 25, 30, 40, 41, 60, 80, 100, 200] {
                for color in [false, true] {
                    expectFits(plot.text(width: width, color: color), width: width, "(width \(width), color \(color))")
                }
            }
        }
    }

    @Test func narrowWidthsDegrade() {
        let plot = LinePlot([Series([1, 2, 3]), Series([3, 2, 1]), Series([2, 2, 2])], title: "three")
        let tiny = plot.text(width: 19, color: false)
        #expect(!tiny.contains("\n"))
        #expect(tiny.hasPrefix("plot \"three\": 3 se"))
        #expect(plot.text(width: 80, color: false).contains("++ series 2"))
        // No legend below 40 columns, but the plot is drawn.
        let narrow = plot.text(width: 30, color: false)
        #expect(!narrow.contains("series 2") && narrow.contains("┤"))
        #expect(plot.text(width: 0, color: false) == "")
        #expect(LinePlot(y: [1, 2]).text(width: 200, color: false).contains("┤"))
        let summary = LinePlot([Series(Array(repeating: 1, count: 500)), Series([1, 2]), Series([])]).text(width: 60, color: false)
        #expect(summary.contains("┤"))
        #expect(LinePlot([Series(Array(repeating: 1, count: 500)), Series([1, 2]), Series([])]).summary == "plot: 3 series, 502 points")
    }

    @Test func badValuesNeverBreakTheFigure() {
        let cases: [LinePlot] = [
            LinePlot([]), LinePlot(y: []), LinePlot(y: [.nan, .nan]), LinePlot(y: [4]), LinePlot(y: [3, 3, 3]),
            LinePlot(y: [.infinity, -.infinity]), LinePlot([Series([1, 2, 3], x: [0, 0, 0])]),
            LinePlot([Series([1, 2, 3], x: [1])]), LinePlot(y: [1, .nan, 3], smoothing: 100),
            LinePlot(y: [-Double.greatestFiniteMagnitude, Double.greatestFiniteMagnitude]),
            LinePlot(y: [0, Double.leastNonzeroMagnitude]),
        ]
        for plot in cases {
            for width in [10, 20, 45, 80] {
                let text = plot.text(width: width, color: false)
                expectFits(text, width: width)
                #expect(!text.isEmpty)
            }
            #expect(XMLCheck.parse(plot.svg()).error == nil)
        }
        let empty = LinePlot(y: [.nan], title: "nothing").text(width: 60, color: false)
        #expect(empty == "nothing\n(no finite values to draw: 1 series, 1 point)")
        let single = LinePlot(y: [4]).text(width: 40, color: false)
        #expect(brailleDots(plotRows(single)).count == 1)
        #expect(LinePlot(y: [1, .nan, 3]).text(width: 40, color: false).contains("(1 NaN/inf value not drawn)"))
    }

    @Test func aMillionPointsAreDrawnInOnePass() {
        let n = 1_000_000
        let y = (0..<n).map { Double($0 % 1000) }
        let plot = LinePlot(y: y, smoothing: 1)
        let text = plot.text(width: 80, color: false)
        expectFits(text, width: 80)
        // The sawtooth covers the whole height in every part of the plot.
        let dots = brailleDots(plotRows(text))
        #expect(Set(dots.map { $0[1] }).count > 40)
        let svg = plot.svg()
        let polylines = XMLCheck.parse(svg).all("polyline")
        #expect(polylines.count == 1)
        let points = polylines[0]["points"]!.split(separator: " ").count
        #expect(points <= 4004 && points > 1000)
    }

    @Test func gapsSplitLines() {
        let text = LinePlot(y: [0, 0, 0, .nan, 10, 10, 10], height: 4).text(width: 40, color: false)
        let dots = brailleDots(plotRows(text))
        // No dot between the low run and the high run: the rows in between stay empty.
        let rows = Set(dots.map { $0[1] })
        #expect(rows.count == 2, "\(text)")
    }

    @Test func smoothingIsATrailingMeanOfFiniteValues() {
        #expect(LinePlot.smoothed([1, 2, 3, 4], window: 2) == [1, 1.5, 2.5, 3.5])
        let s = LinePlot.smoothed([1, .nan, 3], window: 2)
        #expect(s[0] == 1 && s[1] == 1 && s[2] == 3)
        #expect(LinePlot.smoothed([1, 2], window: 1) == [1, 2])
        // Raw values are drawn faintly only with colour.
        let plot = LinePlot(y: [0, 10, 0, 10, 0, 10], smoothing: 2)
        #expect(plot.traces(raw: true).count == 2 && plot.traces(raw: false).count == 1)
        #expect(plot.text(width: 60, color: true).contains("\u{1B}[2;34m"))
    }

    /// Raw ±1 returns fill every cell a smoothed line crosses; the line must still stand out:
    /// bold over dim raw values, and the cells it passes through hold only its own dots.
    @Test func aSmoothedLineStandsOutOverNoisyReturns() {
        var rng = TestRandom(state: 11)
        // Returns of ±1 whose success rate climbs from 20 % to 90 %.
        let returns: [Double] = (0..<2000).map { i in rng.next() < 0.2 + 0.7 * Double(i) / 2000 ? 1 : -1 }
        let plot = LinePlot(y: returns, smoothing: 100, height: 12)
        let width = 80
        let coloured = plot.text(width: width, color: true)
        let rows = coloured.components(separatedBy: "\n").prefix(12)
        var boldCells = 0, boldPerColumn: [Int: Int] = [:]
        var dimCells = 0
        for row in rows {
            // Walk the row: an SGR sequence sets the style of the cells after it.
            var style = "", column = 0
            var scalars = Array(row.unicodeScalars)[...]
            guard let bar = scalars.firstIndex(where: { $0 == "┤" || $0 == "│" }) else { continue }
            scalars = scalars[(bar + 1)...]
            while let c = scalars.first {
                if c == "\u{1B}" {
                    let end = scalars.firstIndex(of: "m")!
                    style = String(String.UnicodeScalarView(scalars[scalars.startIndex..<end].dropFirst(2)))
                    scalars = scalars[(end + 1)...]
                    continue
                }
                scalars = scalars.dropFirst()
                if c.value > 0x2800 && c.value <= 0x28FF {
                    if style.hasPrefix("1;") { boldCells += 1; boldPerColumn[column, default: 0] += 1 }
                    if style.hasPrefix("2;") { dimCells += 1 }
                }
                column += 1
            }
        }
        // The smoothed line crosses the plot: bold in nearly every column, thin (a mean of
        // 100 moves slowly: under two cells per column on average, where the raw values
        // fill all 12), and the raw values are there, dim.
        #expect(boldPerColumn.count > (width - 6) * 9 / 10, "\(coloured)")
        #expect(Double(boldCells) / Double(boldPerColumn.count) < 2, "\(coloured)")
        #expect(dimCells > boldCells, "\(coloured)")
        // Without colour only the smoothed line is drawn, as before.
        #expect(!plot.text(width: width, color: false).contains("\u{1B}"))
    }

    @Test func overlayKeepsOnlyTheTopDotsInSharedCells() {
        var below = BrailleCanvas(columns: 2, rows: 1)
        for x in 0..<4 { for y in 0..<4 { below.set(x, y, series: 1000) } }
        var top = BrailleCanvas(columns: 2, rows: 1)
        top.set(0, 3, series: 0)
        below.overlay(top)
        #expect(below.render(row: 0) == "⡀⣿")
        #expect(below.series(column: 0, row: 0) == 0 && below.series(column: 1, row: 0) == 1000)
    }

    @Test func wholeNumberDataGetsWholeTicks() {
        // Three episodes' step counts: x is 0, 1, 2 and y whole, so neither axis has a
        // tick between whole numbers.
        let text = LinePlot(y: [3, 7, 5], height: 6).text(width: 60, color: false)
        let labels = text.components(separatedBy: "\n").flatMap { $0.split(separator: " ") }.filter { Double($0) != nil }
        #expect(!labels.isEmpty && labels.allSatisfy { !$0.contains(".") }, "\(text)")
        let two = LinePlot(y: [0, 1], height: 4).text(width: 60, color: false)
        let axis = two.components(separatedBy: "\n").last!
        #expect(axis.split(separator: " ") == ["0", "1"], "\(two)")
    }

    @Test func colourOnlyWhenAsked() {
        let plot = LinePlot([Series([1, 2, 3], label: "a"), Series([3, 1, 2], label: "b")])
        #expect(!plot.text(width: 60, color: false).contains("\u{1B}"))
        let coloured = plot.text(width: 60, color: true)
        #expect(coloured.contains("\u{1B}[34m") && coloured.contains("\u{1B}[33m"))
        // Without colour the second series is drawn with markers, and the legend says so.
        let plain = plot.text(width: 60, color: false)
        #expect(plain.contains("+"))
        #expect(plain.contains("⣿⣿ a") && plain.contains("++ b"))
    }

    @Test func controlCharactersInLabelsStayOnOneLine() {
        let text = LinePlot([Series([1, 2], label: "a\nb\u{1B}[31m")], title: "x\ny").text(width: 50, color: false)
        #expect(!text.contains("\u{1B}"))
        #expect(visibleLines(text).first == String(repeating: " ", count: 23) + "x y")
    }
}
