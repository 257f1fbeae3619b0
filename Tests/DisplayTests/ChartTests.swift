import Testing
@testable import Display

@Suite("Heatmaps, histograms and bar charts")
struct ChartTests {
    @Test func heatmapExtremesMapToThePaletteEnds() {
        let map = Heatmap([[-3, 0, 5], [1, 2, 4]])
        #expect(map.scalePosition(-3) == 0 && map.scalePosition(5) == 1)
        #expect(map.shade(-3) == "·" && map.shade(5) == "█")
        #expect(Palette.sequential(0) == Palette.viridis.first && Palette.sequential(1) == Palette.viridis.last)
        let text = map.text(width: 40, color: false)
        let rows = visibleLines(text)
        #expect(rows.contains { $0.hasPrefix("0 ······") }, "\(text)")
        #expect(rows.last == "scale: -3 ·░▒▓█ 5")
        // Fixed limits clamp.
        let clamped = Heatmap([[0, 10]], lower: 2, upper: 4)
        #expect(clamped.scalePosition(0) == 0 && clamped.scalePosition(10) == 1 && clamped.scalePosition(3) == 0.5)
        // Colour: the 256-colour codes of the palette ends.
        let coloured = map.text(width: 40, color: true)
        #expect(coloured.contains(ANSI.code(for: Palette.sequential(0))) && coloured.contains(ANSI.code(for: Palette.sequential(1))))
    }

    @Test func heatmapFitsAndReduces() {
        let attention = (0..<64).map { i in (0..<64).map { j in j <= i ? 1.0 / Double(i + 1) : 0 } }
        let map = Heatmap(attention, title: "attention")
        for width in [0, 19, 20, 30, 80, 120] {
            expectFits(map.text(width: width, color: false), width: width)
            expectFits(map.text(width: width, color: true), width: width)
        }
        let text = map.text(width: 80, color: false)
        #expect(text.contains("64×64 shown as 32×64 block means"), "\(text)")
        #expect(Heatmap([]).text(width: 40, color: false) == "heatmap: 0×0 (empty matrix)")
        let labelled = Heatmap([[1, 2], [3, 4]], rowLabels: ["left", "right"], columnLabels: ["a", "b"]).text(width: 30, color: false)
        #expect(visibleLines(labelled)[1].hasPrefix("left "))
        #expect(visibleLines(labelled)[0].contains("a") && visibleLines(labelled)[0].contains("b"))
    }

    @Test func histogramCountsEveryFiniteValueOnce() {
        let h = Histogram([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, .nan], bins: 5)
        #expect(h.bins.map(\.count) == [2, 2, 2, 2, 3])
        #expect(h.bins.first?.lower == 0 && h.bins.last?.upper == 10)
        #expect(h.leftOut == 1)
        let constant = Histogram([2, 2, 2], bins: 3)
        #expect(constant.bins.map(\.count) == [0, 3, 0])
        #expect(Histogram([], bins: 4).bins.isEmpty)
        let text = h.text(width: 50, color: false)
        expectFits(text, width: 50)
        #expect(text.contains("█") && text.contains("(1 value left out (NaN, inf or out of range))"))
        for width in [0, 15, 20, 33, 80] { expectFits(Histogram((0..<500).map { Double($0 % 37) }, bins: 200).text(width: width, color: true), width: width) }
    }

    @Test func histogramBarsAreProportional() {
        let rows = plotRows(Histogram([0, 1, 1, 1, 1], bins: 2).text(width: 30, color: false))
        // 4 values in the second bin, 1 in the first: the second bar is 4 times as tall.
        func height(_ column: Int) -> Double {
            let levels: [Character: Double] = [" ": 0, "▁": 1, "▂": 2, "▃": 3, "▄": 4, "▅": 5, "▆": 6, "▇": 7, "█": 8]
            return rows.reduce(0) { sum, row in
                let chars = Array(row)
                return sum + (column < chars.count ? levels[chars[column]] ?? 0 : 0)
            }
        }
        let width = Array(rows[0]).count
        #expect(abs(height(width - 2) / height(1) - 4) < 0.5, "\(rows)")
    }

    @Test func barChartsHandleNegativeValues() {
        let chart = BarChart(labels: ["up", "down", "none", "bad"], values: [2, -1, 0, .nan], title: "Q")
        let text = chart.text(width: 40, color: false)
        expectFits(text, width: 40)
        let lines = visibleLines(text)
        #expect(lines.count == 5)
        // The zero line is in the same column on every bar line.
        let axisColumns = lines.dropFirst().map { line in Array(line).firstIndex(of: "│") }
        #expect(Set(axisColumns).count == 1 && axisColumns[0] != nil, "\(lines)")
        // Positive bar right of the axis, negative left of it.
        let up = lines[1], down = lines[2]
        #expect(up[up.index(after: up.firstIndex(of: "│")!)] == "█")
        #expect(down[down.index(before: down.firstIndex(of: "│")!)] == "█")
        #expect(up.hasSuffix(" 2") && down.hasSuffix(" -1") && lines[4].hasSuffix(" nan"))
        // Twice as long: 2 vs -1 with equal scales.
        let upLength = up.filter { $0 == "█" }.count, downLength = down.filter { $0 == "█" }.count
        #expect(abs(Double(upLength) / Double(downLength) - 2) < 0.3)
        for width in [0, 10, 20, 25, 80] { expectFits(chart.text(width: width, color: true), width: width) }
    }
}
