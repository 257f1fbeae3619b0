import Foundation

/// One line of a `LinePlot`: y values, optional x values, and a legend label.
public struct Series: Sendable, Equatable {
    /// The y values. NaN and ±inf are not drawn: they break the line (a gap).
    public var y: [Double]
    /// The x values (nil: 0, 1, 2, …). Only the first `min(x.count, y.count)` pairs are drawn
    /// when the counts differ (callers should reject that with a message; the figure never
    /// fails).
    public var x: [Double]?
    /// The legend label.
    public var label: String?

    public init(_ y: [Double], x: [Double]? = nil, label: String? = nil) {
        self.y = y
        self.x = x
        self.label = label
    }

    /// The number of drawn (x, y) pairs, before dropping non-finite values.
    public var count: Int { x.map { min($0.count, y.count) } ?? y.count }
}

/// A line plot of one or more series: learning curves, losses, any y against x.
///
/// Smoothing (`smoothing` > 1) replaces each y by the mean of the finite values in the
/// trailing window of that many points (the value at point i averages points i−w+1…i, as
/// "mean return of the last 100 episodes" does). The raw values stay visible but faint: in
/// SVG at low opacity; in colour text dim, with the smoothed line in bold over them, and a
/// cell the smoothed line passes through shows only its dots (noisy returns such as ±1
/// would otherwise fill every cell the line crosses and hide it); text without colour draws
/// only the smoothed line, to stay legible in logs.
///
/// An axis whose values are all whole numbers (episode indices, counts) gets whole ticks only.
///
/// Text form: braille dots (2 × 4 per cell), y ticks on the left, x ticks below, a legend
/// line when there is more than one series or a label. Without colour, the first series is
/// drawn in braille and each further one with a marker (`+ x o * # @`) in the cells it
/// passes through, so that series stay distinguishable in a CI log.
public struct LinePlot: Figure {
    public var series: [Series]
    public var title: String?
    public var xLabel: String?
    public var yLabel: String?
    /// The trailing moving-average window (1: no smoothing).
    public var smoothing: Int
    /// Rows of the text plot area (nil: from the width, 5…16).
    public var height: Int?

    public init(_ series: [Series], title: String? = nil, xLabel: String? = nil, yLabel: String? = nil,
                smoothing: Int = 1, height: Int? = nil) {
        self.series = series
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.smoothing = max(1, smoothing)
        self.height = height
    }

    /// A plot of one series of y values against 0, 1, 2, ….
    public init(y: [Double], title: String? = nil, xLabel: String? = nil, yLabel: String? = nil, smoothing: Int = 1, height: Int? = nil) {
        self.init([Series(y)], title: title, xLabel: xLabel, yLabel: yLabel, smoothing: smoothing, height: height)
    }

    /// Markers of series 1, 2, … in text without colour (series 0 is drawn in braille).
    static let markers: [Character] = ["+", "x", "o", "*", "#", "@"]

    public var summary: String {
        let points = series.reduce(0) { $0 + $1.count }
        let name = title.map { "plot \"\(oneLine($0))\"" } ?? "plot"
        return "\(name): \(series.count) series, \(points) point\(points == 1 ? "" : "s")"
    }

    // MARK: - Data

    /// A polyline to draw: finite (x, y) pairs with NaN entries where the line breaks.
    struct Trace {
        var x: [Double]
        var y: [Double]
        var series: Int
        var faint: Bool
    }

    /// The trailing moving average of the finite values (NaN where a window has none).
    static func smoothed(_ y: [Double], window: Int) -> [Double] {
        guard window > 1 else { return y }
        var out = [Double](repeating: .nan, count: y.count)
        var sum = 0.0, n = 0
        for i in y.indices {
            if y[i].isFinite { sum += y[i]; n += 1 }
            if i >= window, y[i - window].isFinite { sum -= y[i - window]; n -= 1 }
            // Recompute now and then to stop floating-point drift over millions of points.
            if i % 4096 == 4095 {
                sum = 0; n = 0
                for v in y[max(0, i - window + 1)...i] where v.isFinite { sum += v; n += 1 }
            }
            out[i] = n > 0 ? sum / Double(n) : .nan
        }
        return out
    }

    /// The traces to draw, with `raw` deciding whether faint raw lines accompany smoothed ones.
    func traces(raw: Bool) -> [Trace] {
        var out: [Trace] = []
        for (i, s) in series.enumerated() {
            let n = s.count
            let xs = s.x.map { Array($0.prefix(n)) } ?? (0..<n).map(Double.init)
            let ys = Array(s.y.prefix(n))
            if smoothing > 1 {
                if raw { out.append(Trace(x: xs, y: ys, series: i, faint: true)) }
                out.append(Trace(x: xs, y: LinePlot.smoothed(ys, window: smoothing), series: i, faint: false))
            } else {
                out.append(Trace(x: xs, y: ys, series: i, faint: false))
            }
        }
        // Faint lines first, so that smoothed lines are drawn over them.
        return out.filter(\.faint) + out.filter { !$0.faint }
    }

    /// Values that cannot be drawn (x or y not finite).
    var nonFiniteCount: Int {
        var total = 0
        for s in series {
            for i in 0..<s.count where !s.y[i].isFinite || !(s.x?[i].isFinite ?? true) { total += 1 }
        }
        return total
    }

    /// The finite x and y ranges of the traces.
    static func ranges(_ traces: [Trace]) -> (x: (min: Double, max: Double), y: (min: Double, max: Double))? {
        var xlo = Double.infinity, xhi = -Double.infinity, ylo = Double.infinity, yhi = -Double.infinity
        for t in traces {
            for i in t.x.indices where t.x[i].isFinite && t.y[i].isFinite {
                xlo = min(xlo, t.x[i]); xhi = max(xhi, t.x[i])
                ylo = min(ylo, t.y[i]); yhi = max(yhi, t.y[i])
            }
        }
        guard xlo <= xhi else { return nil }
        return (x: (min: xlo, max: xhi), y: (min: ylo, max: yhi))
    }

    // MARK: - Text

    public func text(width: Int, color: Bool) -> String {
        guard width >= 20 else { return summaryLine(summary + " (too narrow to draw)", width: width) }
        let traces = self.traces(raw: color)
        guard let range = LinePlot.ranges(traces) else {
            let points = series.reduce(0) { $0 + $1.count }
            return joinLines((title.map { [truncated(oneLine($0), width)] } ?? [])
                             + [summaryLine("(no finite values to draw: \(series.count) series, \(points) point\(points == 1 ? "" : "s"))", width: width)])
        }
        let rows = max(3, height ?? min(16, max(5, width / 5)))
        let whole = LinePlot.wholeAxes(traces)
        let yScale = Scale(lower: range.y.min, upper: range.y.max, count: max(3, rows / 3 + 1), loose: true, integer: whole.y)
        let yLabels = yScale.labels
        let gutter = yLabels.map(\.unicodeScalars.count).max() ?? 1
        let plotColumns = width - gutter - 2
        guard plotColumns >= 8 else { return summaryLine(summary + " (too narrow to draw)", width: width) }

        var canvas = BrailleCanvas(columns: plotColumns, rows: rows)
        // Smoothed lines go on their own layer, laid over the faint raw values at the end.
        var front = BrailleCanvas(columns: plotColumns, rows: rows)
        let layered = traces.contains(where: \.faint)
        let xScale = LinePlot.xScale(range.x, columns: plotColumns, integer: whole.x)
        let dotWidth = canvas.dotWidth, dotHeight = canvas.dotHeight
        // Positions beyond the canvas (clamped far outside) are clipped by the canvas.
        func dotX(_ v: Double) -> Int { clampedInt(xScale.fraction(v) * Double(dotWidth - 1), -dotWidth...(2 * dotWidth)) }
        func dotY(_ v: Double) -> Int { clampedInt((1 - yScale.fraction(v)) * Double(dotHeight - 1), -dotHeight...(2 * dotHeight)) }

        for t in traces {
            let id = t.faint ? t.series + 1000 : t.series
            if layered && !t.faint {
                LinePlot.draw(t, on: &front, id: id, dotX: dotX, dotY: dotY)
            } else if color || t.series == 0 {
                LinePlot.draw(t, on: &canvas, id: id, dotX: dotX, dotY: dotY)
            } else {
                var own = BrailleCanvas(columns: plotColumns, rows: rows)
                LinePlot.draw(t, on: &own, id: id, dotX: dotX, dotY: dotY)
                let marker = LinePlot.markers[(t.series - 1) % LinePlot.markers.count]
                for r in 0..<rows { for c in 0..<plotColumns where own.isSet(column: c, row: r) { canvas.mark(column: c, row: r, marker, series: t.series) } }
            }
        }
        if layered { canvas.overlay(front) }

        var lines: [String] = []
        if let title { lines.append(centered(oneLine(title), in: width)) }
        if let yLabel { lines.append(truncated(oneLine(yLabel), width)) }
        var rowLabel = [String?](repeating: nil, count: rows)
        for (t, label) in zip(yScale.ticks, yLabels) {
            let r = min(rows - 1, max(0, dotY(t) / 4))
            if rowLabel[r] == nil { rowLabel[r] = label }
        }
        // Raw values dim; the smoothed lines over them bold.
        let paint: ((Int) -> String)? = color ? { id in
            id >= 1000 ? "2;" + ANSI.seriesCode(id - 1000) : (layered ? "1;" : "") + ANSI.seriesCode(id)
        } : nil
        for r in 0..<rows {
            let axis = rowLabel[r] == nil ? "│" : "┤"
            lines.append(padded(rowLabel[r] ?? "", gutter, right: true) + " " + axis + canvas.render(row: r, color: paint))
        }
        lines += LinePlot.xAxis(xScale, gutter: gutter, columns: plotColumns, width: width, dotWidth: dotWidth)
        if let xLabel { lines.append(centered(oneLine(xLabel), in: width, from: gutter + 2)) }
        if width >= 40 { lines += legend(width: width, color: color) }
        if let note = nonFiniteNote(nonFiniteCount) { lines.append(truncated(note, width)) }
        return joinLines(lines)
    }

    /// Whether every finite x, and every finite y, of the traces is a whole number.
    static func wholeAxes(_ traces: [Trace]) -> (x: Bool, y: Bool) {
        var x = true, y = true
        for t in traces {
            for i in t.x.indices where t.x[i].isFinite && t.y[i].isFinite {
                if x && t.x[i] != t.x[i].rounded() { x = false }
                if y && t.y[i] != t.y[i].rounded() { y = false }
                if !x && !y { return (false, false) }
            }
        }
        return (x, y)
    }

    /// The x scale: the data range exactly, with as many ticks as fit without crowding
    /// (whole ticks only when `integer`).
    static func xScale(_ range: (min: Double, max: Double), columns: Int, integer: Bool = false) -> Scale {
        var count = max(2, columns / 10)
        while true {
            let s = Scale(lower: range.min, upper: range.max, count: count, loose: false, integer: integer)
            let longest = s.labels.map(\.unicodeScalars.count).max() ?? 1
            let spacing = Double(columns) / Double(max(1, s.ticks.count))
            if count <= 2 || spacing >= Double(longest + 3) { return s }
            count -= 1
        }
    }

    /// The axis line with tick marks and the tick labels under it.
    static func xAxis(_ scale: Scale, gutter: Int, columns: Int, width: Int, dotWidth: Int) -> [String] {
        var axis = Array(repeating: Character("─"), count: columns)
        var labels = Array(repeating: Character(" "), count: width)
        var nextFree = 0
        for (t, label) in zip(scale.ticks, scale.labels) {
            let c = clampedInt(scale.fraction(t) * Double(dotWidth - 1), 0...max(0, dotWidth - 1)) / 2
            let chars = Array(label.unicodeScalars).map(Character.init)
            let center = gutter + 2 + c
            let start = min(width - chars.count, max(0, center - chars.count / 2))
            guard start >= nextFree, start >= 0 else { continue }
            axis[c] = "┬"
            for (i, ch) in chars.enumerated() { labels[start + i] = ch }
            nextFree = start + chars.count + 1
        }
        return [String(repeating: " ", count: gutter + 1) + "└" + String(axis), String(labels)]
    }

    /// Draws a trace: points falling in one dot column become one vertical span, and
    /// consecutive columns are joined by straight lines — the same picture as drawing every
    /// segment, in time linear in the number of points (a million points draw quickly).
    static func draw(_ t: Trace, on canvas: inout BrailleCanvas, id: Int, dotX: (Double) -> Int, dotY: (Double) -> Int) {
        var column = -1, low = 0, high = 0, last = 0
        var open = false
        func flush() {
            if open { canvas.line(column, low, column, high, series: id) }
        }
        for i in t.x.indices {
            let (x, y) = (t.x[i], t.y[i])
            guard x.isFinite, y.isFinite else { flush(); open = false; continue }
            let c = dotX(x), r = dotY(y)
            if open && c == column {
                low = min(low, r); high = max(high, r); last = r
            } else {
                flush()
                if open { canvas.line(column, last, c, r, series: id) }
                column = c; low = r; high = r; last = r
                open = true
            }
        }
        flush()
    }

    /// A legend is shown for several series, labelled ones, or smoothed ones (it says so).
    var hasLegend: Bool { series.count > 1 || smoothing > 1 || series.contains { $0.label != nil } }

    /// The legend lines: `⣿ label` entries (coloured swatches, or the series' marker).
    func legend(width: Int, color: Bool) -> [String] {
        guard hasLegend else { return [] }
        var entries: [(text: String, visible: Int)] = []
        for (i, s) in series.enumerated() {
            var name = oneLine(s.label ?? "series \(i + 1)")
            if smoothing > 1 { name += " (mean of \(smoothing))" }
            name = truncated(name, max(8, width / 2))
            let swatch: String = color ? ANSI.paint("━━", ANSI.seriesCode(i), enabled: true) : (i == 0 ? "⣿⣿" : String(repeating: LinePlot.markers[(i - 1) % LinePlot.markers.count], count: 2))
            entries.append((swatch + " " + name, 3 + name.unicodeScalars.count))
        }
        var lines: [String] = []
        var current = "", used = 0
        for e in entries {
            let needed = (used == 0 ? 0 : 3) + e.visible
            if used > 0 && used + needed > width {
                lines.append(current)
                current = ""; used = 0
            }
            current += (used == 0 ? "" : "   ") + e.text
            used += used == 0 ? e.visible : 3 + e.visible
        }
        if used > 0 { lines.append(current) }
        return lines
    }

    // MARK: - SVG

    public func svg() -> String {
        let w = 720.0, h = 440.0
        var doc = SVGDocument(width: w, height: h)
        let traces = self.traces(raw: true)
        guard let range = LinePlot.ranges(traces) else {
            if let title { doc.text(w / 2, 24, title, anchor: .middle, size: 16, bold: true) }
            doc.text(w / 2, h / 2, "no finite values to draw", anchor: .middle, size: 14, fill: "#777")
            return doc.render(title: title ?? summary)
        }
        let top = title == nil ? 20.0 : 44.0
        let bottom = h - (xLabel == nil ? 36 : 56)
        let whole = LinePlot.wholeAxes(traces)
        let axes = SVGAxes(left: yLabel == nil ? 62 : 78, top: top, right: w - 20, bottom: bottom,
                           x: Scale(lower: range.x.min, upper: range.x.max, count: 8, loose: false, integer: whole.x),
                           y: Scale(lower: range.y.min, upper: range.y.max, count: 6, loose: true, integer: whole.y))
        axes.draw(into: &doc, title: title, xLabel: xLabel, yLabel: yLabel)
        for t in traces {
            let stroke = Palette.series(t.series).hex
            for run in LinePlot.finiteRuns(t) {
                let points = LinePlot.downsampled(run, limit: 4000).map { (axes.px($0.0), axes.py($0.1)) }
                doc.polyline(points, stroke: stroke, width: t.faint ? 1 : 1.8, opacity: t.faint ? 0.3 : 1,
                             dataLabel: series[t.series].label ?? "series \(t.series + 1)")
            }
        }
        if hasLegend {
            drawLegend(series.enumerated().map { (i, s) in
                ((s.label ?? "series \(i + 1)") + (smoothing > 1 ? " (mean of \(smoothing))" : ""), Palette.series(i).hex)
            }, right: axes.right, top: axes.top, into: &doc)
        }
        if let note = nonFiniteNote(nonFiniteCount) { doc.text(w - 20, h - 6, note, anchor: .end, size: 10, fill: "#777") }
        return doc.render(title: title ?? summary)
    }

    /// The runs of consecutive finite points (a non-finite value starts a new run).
    static func finiteRuns(_ t: Trace) -> [[(Double, Double)]] {
        var runs: [[(Double, Double)]] = []
        var current: [(Double, Double)] = []
        for i in t.x.indices {
            if t.x[i].isFinite && t.y[i].isFinite { current.append((t.x[i], t.y[i])) } else if !current.isEmpty { runs.append(current); current = [] }
        }
        if !current.isEmpty { runs.append(current) }
        return runs
    }

    /// At most about `limit` points with the same envelope: each bucket of consecutive points
    /// keeps its first, lowest, highest and last point, in order.
    static func downsampled(_ points: [(Double, Double)], limit: Int) -> [(Double, Double)] {
        guard points.count > limit else { return points }
        let size = Int((Double(points.count) / Double(limit / 4)).rounded(.up))
        var out: [(Double, Double)] = []
        out.reserveCapacity(limit + 4)
        var start = 0
        while start < points.count {
            let end = min(points.count, start + size)
            var lo = start, hi = start
            for i in start..<end {
                if points[i].1 < points[lo].1 { lo = i }
                if points[i].1 > points[hi].1 { hi = i }
            }
            for i in Set([start, lo, hi, end - 1]).sorted() { out.append(points[i]) }
            start = end
        }
        return out
    }
}

/// `text` centred in `width` columns (starting at column `from`), truncated to fit.
func centered(_ text: String, in width: Int, from: Int = 0) -> String {
    let available = max(1, width - from)
    let t = truncated(text, available)
    let left = from + max(0, (available - t.unicodeScalars.count) / 2)
    return String(repeating: " ", count: min(left, width - t.unicodeScalars.count)) + t
}
