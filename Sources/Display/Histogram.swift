import Foundation

/// Counts of values in equal-width bins, drawn as vertical bars.
///
/// The bins span the finite minimum to maximum of the values (or `range`), the last bin
/// closed on the right as in NumPy; values outside `range` and non-finite values are left
/// out and counted in a note. Text bars use eighth blocks (`▁▂▃▄▅▆▇█`) for sub-cell heights;
/// when there are more bins than columns, neighbouring bins are summed for the text form.
public struct Histogram: Figure {
    /// One bin: `lower ≤ v < upper` (the last includes `upper`).
    public struct Bin: Sendable, Equatable {
        public var lower: Double
        public var upper: Double
        public var count: Int
    }

    public let bins: [Bin]
    public var title: String?
    public var xLabel: String?
    /// Values not counted (NaN, ±inf, or outside `range`).
    public let leftOut: Int
    /// Rows of the text plot area (nil: from the width, 4…12).
    public var height: Int?

    /// Bins `values`. `bins` nil chooses Sturges' rule (⌈log₂ n⌉ + 1, at most 50); counts are
    /// clamped to 1…1000.
    public init(_ values: [Double], bins: Int? = nil, range: ClosedRange<Double>? = nil, title: String? = nil, xLabel: String? = nil) {
        self.title = title
        self.xLabel = xLabel
        let finite = values.filter { $0.isFinite && (range?.contains($0) ?? true) }
        leftOut = values.count - finite.count
        let count = max(1, min(1000, bins ?? min(50, Int(log2(Double(max(1, finite.count))).rounded(.up)) + 1)))
        guard let data = range.map({ (min: $0.lowerBound, max: $0.upperBound) }) ?? finiteRange(finite) else {
            self.bins = []
            return
        }
        // Bin edges stay representable: beyond ±10³⁰⁷ values go to the outer bins.
        var lo = max(data.min, -1e307), hi = min(data.max, 1e307)
        if lo >= hi { lo = data.min - 0.5; hi = data.min + 0.5 }
        let width = (hi - lo) / Double(count)
        var counts = [Int](repeating: 0, count: count)
        for v in finite { counts[clampedInt(((v - lo) / width).rounded(.down), 0...(count - 1))] += 1 }
        self.bins = (0..<count).map { Bin(lower: lo + Double($0) * width, upper: $0 == count - 1 ? hi : lo + Double($0 + 1) * width, count: counts[$0]) }
    }

    public var summary: String {
        let name = title.map { "histogram \"\(oneLine($0))\"" } ?? "histogram"
        let n = bins.reduce(0) { $0 + $1.count }
        return "\(name): \(n) value\(n == 1 ? "" : "s") in \(bins.count) bins"
    }

    static let eighths: [Character] = [" ", "▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"]

    public func text(width: Int, color: Bool) -> String {
        guard width >= 20 else { return summaryLine(summary + " (too narrow to draw)", width: width) }
        guard let first = bins.first, let last = bins.last else { return summaryLine(summary + " (no finite values)", width: width) }
        let rows = max(2, height ?? min(12, max(4, width / 6)))
        let maxCount = bins.map(\.count).max() ?? 0
        // Counts are whole: no tick step below 1.
        let yScale = Scale(lower: 0, upper: Double(max(1, maxCount)), count: max(3, rows / 3 + 1), loose: true, integer: true)
        let yLabels = yScale.labels
        let gutter = yLabels.map(\.unicodeScalars.count).max() ?? 1
        let available = width - gutter - 2
        guard available >= 8 else { return summaryLine(summary + " (too narrow to draw)", width: width) }
        // Bins per drawn bar, and columns per bar (a gap between bars when they are wide).
        let group = max(1, Int((Double(bins.count) / Double(available)).rounded(.up)))
        let bars = stride(from: 0, to: bins.count, by: group).map { bins[$0..<min(bins.count, $0 + group)].reduce(0) { $0 + $1.count } }
        let barWidth = max(1, available / bars.count)
        let gap = barWidth >= 3 ? 1 : 0
        let used = barWidth * bars.count

        var lines: [String] = []
        if let title { lines.append(centered(oneLine(title), in: width)) }
        var rowLabel = [String?](repeating: nil, count: rows)
        for (t, label) in zip(yScale.ticks, yLabels) {
            let r = clampedInt((1 - yScale.fraction(t)) * Double(rows * 8 - 1), 0...(rows * 8 - 1)) / 8
            if rowLabel[r] == nil { rowLabel[r] = label }
        }
        for r in 0..<rows {
            var line = padded(rowLabel[r] ?? "", gutter, right: true) + " " + (rowLabel[r] == nil ? "│" : "┤")
            var cells = ""
            for count in bars {
                let eighths = clampedInt(Double(count) / yScale.upper * Double(rows * 8), 0...(rows * 8))
                let level = max(0, min(8, eighths - (rows - 1 - r) * 8))
                let ch = Histogram.eighths[count > 0 && r == rows - 1 && level == 0 ? 1 : level]
                cells += String(repeating: ch, count: barWidth - gap) + String(repeating: " ", count: gap)
            }
            line += ANSI.paint(cells, ANSI.seriesCode(0), enabled: color)
            lines.append(line)
        }
        let xScale = LinePlot.xScale((first.lower, last.upper), columns: used)
        lines += LinePlot.xAxis(xScale, gutter: gutter, columns: used, width: width, dotWidth: used * 2)
        if let xLabel { lines.append(centered(oneLine(xLabel), in: width, from: gutter + 2)) }
        var notes: [String] = []
        if group > 1 { notes.append("\(bins.count) bins drawn as \(bars.count) bars") }
        if leftOut > 0 { notes.append("\(leftOut) value\(leftOut == 1 ? "" : "s") left out (NaN, inf or out of range)") }
        if !notes.isEmpty { lines.append(truncated("(" + notes.joined(separator: "; ") + ")", width)) }
        return joinLines(lines)
    }

    public func svg() -> String {
        let w = 720.0, h = 420.0
        var doc = SVGDocument(width: w, height: h)
        guard let first = bins.first, let last = bins.last else {
            if let title { doc.text(w / 2, 24, title, anchor: .middle, size: 16, bold: true) }
            doc.text(w / 2, h / 2, "no finite values", anchor: .middle, size: 14, fill: "#777")
            return doc.render(title: title ?? summary)
        }
        let axes = SVGAxes(left: 62, top: title == nil ? 20 : 44, right: w - 20, bottom: h - (xLabel == nil ? 36 : 56),
                           x: Scale(lower: first.lower, upper: last.upper, count: 8, loose: false),
                           y: Scale(lower: 0, upper: Double(max(1, bins.map(\.count).max() ?? 1)), count: 6, loose: true, integer: true))
        axes.draw(into: &doc, title: title, xLabel: xLabel, yLabel: "count")
        let fill = Palette.series(0).hex
        for b in bins where b.count > 0 {
            let x0 = axes.px(b.lower), x1 = axes.px(b.upper)
            doc.raw("<rect x=\"\(SVGDocument.n(x0))\" y=\"\(SVGDocument.n(axes.py(Double(b.count))))\" width=\"\(SVGDocument.n(max(0.5, x1 - x0)))\" height=\"\(SVGDocument.n(axes.bottom - axes.py(Double(b.count))))\" fill=\"\(fill)\" stroke=\"#ffffff\" stroke-width=\"0.5\"><title>\(xmlEscaped("\(NumberFormat.compact(b.lower))–\(NumberFormat.compact(b.upper)): \(b.count)"))</title></rect>")
        }
        if leftOut > 0 { doc.text(w - 20, h - 6, "\(leftOut) values left out (NaN, inf or out of range)", anchor: .end, size: 10, fill: "#777") }
        return doc.render(title: title ?? summary)
    }
}

/// Labelled values drawn as horizontal bars from zero (negative values to the left).
///
/// Text: one line per bar, `label │████▍ 3.2`; bars use eighth blocks (`▏▎▍▌▋▊▉█`) for
/// sub-cell lengths to the right of zero and full/half blocks to the left. NaN and ±inf
/// values get no bar and are printed as such.
public struct BarChart: Figure {
    public var labels: [String]
    public var values: [Double]
    public var title: String?
    /// Name of the value axis (SVG, and the last text line).
    public var valueLabel: String?

    /// Bars for `labels` and `values`; extra labels or values beyond the shorter list are
    /// dropped (callers should reject unequal counts with a message).
    public init(labels: [String], values: [Double], title: String? = nil, valueLabel: String? = nil) {
        let n = min(labels.count, values.count)
        self.labels = Array(labels.prefix(n))
        self.values = Array(values.prefix(n))
        self.title = title
        self.valueLabel = valueLabel
    }

    public var summary: String {
        let name = title.map { "bar chart \"\(oneLine($0))\"" } ?? "bar chart"
        return "\(name): \(values.count) bar\(values.count == 1 ? "" : "s")"
    }

    static let leftEighths: [Character] = ["", "▏", "▎", "▍", "▌", "▋", "▊", "▉", "█"].map { $0.first ?? " " }

    /// The range from zero to the values' extremes.
    var span: (lo: Double, hi: Double) {
        let r = finiteRange(values)
        let lo = min(0, r?.min ?? 0), hi = max(0, r?.max ?? 0)
        return hi > lo ? (lo, hi) : (0, 1)
    }

    public func text(width: Int, color: Bool) -> String {
        guard width >= 20 else { return summaryLine(summary + " (too narrow to draw)", width: width) }
        guard !values.isEmpty else { return summaryLine(summary + " (nothing to draw)", width: width) }
        let valueTexts = values.map { NumberFormat.compact($0) }
        let valueWidth = valueTexts.map(\.unicodeScalars.count).max() ?? 1
        let labelWidth = min(labels.map { oneLine($0).unicodeScalars.count }.max() ?? 1, max(4, width / 4))
        let area = width - labelWidth - valueWidth - 3
        guard area >= 6 else { return summaryLine(summary + " (too narrow to draw)", width: width) }
        let (lo, hi) = span
        // Columns left of the zero line, and right of it.
        let leftColumns = lo < 0 ? clampedInt(Double(area) * (-lo / (hi - lo)), 1...(area - 1)) : 0
        let rightColumns = area - leftColumns
        var lines: [String] = []
        if let title { lines.append(centered(oneLine(title), in: width)) }
        for (i, v) in values.enumerated() {
            var left = String(repeating: " ", count: leftColumns)
            var right = String(repeating: " ", count: rightColumns)
            if v.isFinite && v > 0 {
                let eighths = clampedInt(v / hi * Double(rightColumns * 8), 0...(rightColumns * 8))
                let full = min(rightColumns, eighths / 8), part = eighths % 8
                right = String(repeating: "█", count: full) + (full < rightColumns && part > 0 ? String(BarChart.leftEighths[part]) : "")
                right += String(repeating: " ", count: rightColumns - right.unicodeScalars.count)
                right = ANSI.paint(right, ANSI.seriesCode(0), enabled: color)
            } else if v.isFinite && v < 0 {
                let halves = clampedInt(v / lo * Double(leftColumns * 2), 0...(leftColumns * 2))
                let full = min(leftColumns, halves / 2), half = halves % 2 == 1 && full < leftColumns
                let bar = (half ? "▐" : "") + String(repeating: "█", count: full)
                left = String(repeating: " ", count: leftColumns - bar.unicodeScalars.count) + ANSI.paint(bar, ANSI.seriesCode(1), enabled: color)
            }
            let label = padded(oneLine(labels[i]), labelWidth)
            lines.append(label + " " + left + "│" + right + " " + valueTexts[i])
        }
        if let valueLabel { lines.append(centered(oneLine(valueLabel), in: width, from: labelWidth + 1)) }
        return joinLines(lines)
    }

    public func svg() -> String {
        let n = max(1, values.count)
        let barHeight = max(6, min(28, 420 / Double(n)))
        let labelWidth = min(200, Double(labels.map(\.unicodeScalars.count).max() ?? 1) * 6.6 + 12)
        let top = title == nil ? 20.0 : 44.0
        let plotHeight = barHeight * Double(n) * 1.25
        let w = 720.0, h = top + plotHeight + (valueLabel == nil ? 40 : 60)
        var doc = SVGDocument(width: w, height: h)
        let (lo, hi) = span
        let axes = SVGAxes(left: labelWidth, top: top, right: w - 70, bottom: top + plotHeight,
                           x: Scale(lower: lo, upper: hi, count: 7, loose: true), y: Scale(lower: 0, upper: 1, count: 2, loose: false))
        if let title { doc.text(w / 2, 24, title, anchor: .middle, size: 16, bold: true) }
        for (t, label) in zip(axes.x.ticks, axes.x.labels) {
            doc.line(axes.px(t), axes.top, axes.px(t), axes.bottom, stroke: "#eeeeee")
            doc.text(axes.px(t), axes.bottom + 16, label, anchor: .middle, size: 11)
        }
        let zero = axes.px(0)
        for (i, v) in values.enumerated() {
            let y = top + Double(i) * barHeight * 1.25 + barHeight * 0.125
            doc.text(labelWidth - 8, y + barHeight / 2 + 4, truncated(labels[i], 30), anchor: .end, size: 11)
            guard v.isFinite else {
                doc.text(zero + 4, y + barHeight / 2 + 4, NumberFormat.compact(v), size: 10, fill: "#777")
                continue
            }
            let x = axes.px(v)
            let color = v < 0 ? Palette.series(5).hex : Palette.series(0).hex
            doc.raw("<rect x=\"\(SVGDocument.n(min(x, zero)))\" y=\"\(SVGDocument.n(y))\" width=\"\(SVGDocument.n(abs(x - zero)))\" height=\"\(SVGDocument.n(barHeight))\" fill=\"\(color)\"><title>\(xmlEscaped("\(labels[i]): \(NumberFormat.compact(v))"))</title></rect>")
            // Value labels right of the bar's right end (for a negative bar, right of zero).
            doc.text(max(x, zero) + 4, y + barHeight / 2 + 4, NumberFormat.compact(v), size: 10)
        }
        doc.line(zero, axes.top, zero, axes.bottom, stroke: "#333")
        if let valueLabel { doc.text((axes.left + axes.right) / 2, axes.bottom + 38, valueLabel, anchor: .middle, size: 12) }
        return doc.render(title: title ?? summary)
    }
}
