import Foundation

/// A matrix drawn as coloured cells: attention weights, Q-tables, belief states.
///
/// Colour scale: `lower` maps to the low end of the palette and `upper` to the high end
/// (defaults: the finite minimum and maximum); values outside are clamped. SVG uses viridis
/// with a colour bar; text uses five shades `·░▒▓█` (or viridis in 256 colours when `color`)
/// with a legend line giving the values at both ends. A matrix larger than the space is
/// shown as block means (each shown cell the mean of the finite values it covers), with a
/// note. Short rows are padded with NaN; NaN cells are left blank.
public struct Heatmap: Figure {
    /// The matrix, row by row.
    public var values: [[Double]]
    public var rowLabels: [String]?
    public var columnLabels: [String]?
    public var title: String?
    /// The value at the low end of the colour scale (nil: the finite minimum).
    public var lower: Double?
    /// The value at the high end of the colour scale (nil: the finite maximum).
    public var upper: Double?

    public init(_ values: [[Double]], rowLabels: [String]? = nil, columnLabels: [String]? = nil, title: String? = nil,
                lower: Double? = nil, upper: Double? = nil) {
        self.values = values
        self.rowLabels = rowLabels
        self.columnLabels = columnLabels
        self.title = title
        self.lower = lower
        self.upper = upper
    }

    /// The shades of the text form, lowest first.
    public static let shades: [Character] = ["·", "░", "▒", "▓", "█"]

    public var rowCount: Int { values.count }
    public var columnCount: Int { values.map(\.count).max() ?? 0 }

    public var summary: String {
        let name = title.map { "heatmap \"\(oneLine($0))\"" } ?? "heatmap"
        return "\(name): \(rowCount)×\(columnCount)"
    }

    /// The colour scale's ends (a zero-width range is widened so every value maps to the
    /// middle).
    public var colorRange: (lower: Double, upper: Double) {
        let data = finiteRange(values.joined())
        var lo = lower ?? data?.min ?? 0, hi = upper ?? data?.max ?? 1
        if lo > hi { swap(&lo, &hi) }
        if lo == hi { lo -= 0.5; hi += 0.5 }
        return (lo, hi)
    }

    /// The position of `value` on the colour scale, 0…1 (NaN for NaN).
    public func scalePosition(_ value: Double) -> Double { Heatmap.position(value, in: colorRange) }

    static func position(_ value: Double, in range: (lower: Double, upper: Double)) -> Double {
        guard !value.isNaN else { return .nan }
        return max(0, min(1, (value - range.lower) / (range.upper - range.lower)))
    }

    /// The shade of a value in the text form.
    public func shade(_ value: Double) -> Character? { Heatmap.shade(value, in: colorRange) }

    static func shade(_ value: Double, in range: (lower: Double, upper: Double)) -> Character? {
        let t = position(value, in: range)
        guard t.isFinite else { return nil }
        return shades[min(shades.count - 1, Int(t * Double(shades.count)))]
    }

    /// The matrix reduced to at most `rows` × `columns` by block means, and the factors.
    func reduced(rows maxRows: Int, columns maxColumns: Int) -> (cells: [[Double]], rowStep: Int, columnStep: Int) {
        let rs = max(1, Int((Double(rowCount) / Double(max(1, maxRows))).rounded(.up)))
        let cs = max(1, Int((Double(columnCount) / Double(max(1, maxColumns))).rounded(.up)))
        if rs == 1 && cs == 1 {
            return (values.map { $0 + Array(repeating: .nan, count: columnCount - $0.count) }, 1, 1)
        }
        var out: [[Double]] = []
        for r0 in stride(from: 0, to: rowCount, by: rs) {
            var row: [Double] = []
            for c0 in stride(from: 0, to: columnCount, by: cs) {
                var sum = 0.0, n = 0
                for r in r0..<min(rowCount, r0 + rs) {
                    for c in c0..<min(values[r].count, c0 + cs) where values[r][c].isFinite { sum += values[r][c]; n += 1 }
                }
                row.append(n > 0 ? sum / Double(n) : .nan)
            }
            out.append(row)
        }
        return (out, rs, cs)
    }

    /// The label of shown row `i` (covering `step` rows).
    func label(_ labels: [String]?, _ i: Int, step: Int, count: Int) -> String {
        let first = i * step, last = min(count, first + step) - 1
        func one(_ k: Int) -> String { labels.flatMap { k < $0.count ? oneLine($0[k]) : nil } ?? String(k) }
        return step == 1 ? one(first) : "\(one(first))–\(one(last))"
    }

    // MARK: - Text

    public func text(width: Int, color: Bool) -> String {
        guard width >= 20 else { return summaryLine(summary + " (too narrow to draw)", width: width) }
        guard rowCount > 0, columnCount > 0 else { return summaryLine(summary + " (empty matrix)", width: width) }
        let longestRowLabel = (0..<rowCount).map { label(rowLabels, $0, step: 1, count: rowCount).unicodeScalars.count }.max() ?? 1
        let labelWidth = min(longestRowLabel, max(3, width / 4))
        let available = width - labelWidth - 1
        let (cells, rs, cs) = reduced(rows: 40, columns: available)
        let shownColumns = cells.first?.count ?? 0
        let cellWidth = max(1, min(6, available / max(1, shownColumns)))

        var lines: [String] = []
        if let title { lines.append(centered(oneLine(title), in: width)) }
        // Column labels where they fit without overlapping, centred on their cells.
        var header = Array(repeating: Character(" "), count: width)
        var nextFree = labelWidth + 1
        var anyHeader = false
        for j in 0..<shownColumns {
            let text = Array(label(columnLabels, j, step: cs, count: columnCount).unicodeScalars).map(Character.init)
            let center = labelWidth + 1 + j * cellWidth + cellWidth / 2
            let start = max(labelWidth + 1, center - (text.count - 1) / 2)
            guard start >= nextFree, start + text.count <= width else { continue }
            for (k, ch) in text.enumerated() { header[start + k] = ch }
            nextFree = start + text.count + 1
            anyHeader = true
        }
        if anyHeader { lines.append(String(header)) }
        let range = colorRange
        for (i, row) in cells.enumerated() {
            var line = padded(label(rowLabels, i, step: rs, count: rowCount), labelWidth) + " "
            for v in row {
                guard let s = Heatmap.shade(v, in: range) else { line += String(repeating: " ", count: cellWidth); continue }
                let block = String(repeating: color ? "█" : String(s), count: cellWidth)
                line += color ? ANSI.paint(block, ANSI.code(for: Palette.sequential(Heatmap.position(v, in: range))), enabled: true) : block
            }
            lines.append(line)
        }
        let (lo, hi) = range
        let ramp: String = color
            ? (0..<10).map { ANSI.paint("█", ANSI.code(for: Palette.sequential(Double($0) / 9)), enabled: true) }.joined()
            : String(Heatmap.shades)
        lines.append(truncatedVisible("scale: \(NumberFormat.compact(lo)) \(ramp) \(NumberFormat.compact(hi))", width))
        var notes: [String] = []
        if rs > 1 || cs > 1 { notes.append("\(rowCount)×\(columnCount) shown as \(cells.count)×\(shownColumns) block means") }
        if values.joined().contains(where: \.isNaN) { notes.append("blank: NaN") }
        if !notes.isEmpty { lines.append(truncated("(" + notes.joined(separator: "; ") + ")", width)) }
        return joinLines(lines)
    }

    // MARK: - SVG

    public func svg() -> String {
        let (cells, rs, cs) = reduced(rows: 200, columns: 200)
        let rows = cells.count, columns = cells.first?.count ?? 0
        let rowNames = (0..<rows).map { label(rowLabels, $0, step: rs, count: rowCount) }
        let columnNames = (0..<columns).map { label(columnLabels, $0, step: cs, count: columnCount) }
        let charWidth = 6.6
        let left = 12 + min(160, Double(rowNames.map(\.unicodeScalars.count).max() ?? 1) * charWidth)
        let longestColumn = Double(columnNames.map(\.unicodeScalars.count).max() ?? 1) * charWidth
        let cell = max(2, min(40, 560 / Double(max(1, columns)), 480 / Double(max(1, rows))))
        let rotate = longestColumn > cell
        let top = (title == nil ? 12.0 : 40.0) + (rotate ? min(120, longestColumn) : 16) + 6
        let gridWidth = cell * Double(columns), gridHeight = cell * Double(rows)
        let width = left + gridWidth + 110, height = max(top + gridHeight + 20, 200)
        var doc = SVGDocument(width: width, height: height)
        if let title { doc.text(width / 2, 24, title, anchor: .middle, size: 16, bold: true) }
        let range = colorRange, (lo, hi) = range
        let tooltips = rows * columns <= 1024
        for (i, row) in cells.enumerated() {
            for (j, v) in row.enumerated() {
                let fill = Palette.sequential(Heatmap.position(v, in: range)).hex
                let x = left + Double(j) * cell, y = top + Double(i) * cell
                if tooltips {
                    doc.raw("<rect x=\"\(SVGDocument.n(x))\" y=\"\(SVGDocument.n(y))\" width=\"\(SVGDocument.n(cell))\" height=\"\(SVGDocument.n(cell))\" fill=\"\(fill)\"><title>\(xmlEscaped("\(rowNames[i]), \(columnNames[j]): \(NumberFormat.compact(v))"))</title></rect>")
                } else {
                    doc.rect(x, y, cell, cell, fill: fill)
                }
            }
        }
        // Labels: every k-th one, so that they do not overlap.
        let rowEvery = max(1, Int((12 / cell).rounded(.up)))
        for i in stride(from: 0, to: rows, by: rowEvery) {
            doc.text(left - 6, top + (Double(i) + 0.5) * cell + 4, truncated(rowNames[i], 24), anchor: .end, size: 11)
        }
        let columnEvery = max(1, Int(((rotate ? 12 : longestColumn + 6) / cell).rounded(.up)))
        for j in stride(from: 0, to: columns, by: columnEvery) {
            let x = left + (Double(j) + 0.5) * cell
            if rotate {
                doc.raw("<text x=\"\(SVGDocument.n(x + 4))\" y=\"\(SVGDocument.n(top - 6))\" font-size=\"11\" text-anchor=\"start\" fill=\"#222\" transform=\"rotate(-90 \(SVGDocument.n(x + 4)) \(SVGDocument.n(top - 6)))\">\(xmlEscaped(truncated(columnNames[j], 18)))</text>")
            } else {
                doc.text(x, top - 6, columnNames[j], anchor: .middle, size: 11)
            }
        }
        // The colour bar: 64 bands from the low end (bottom) to the high end (top).
        let barX = left + gridWidth + 24, barHeight = max(80, min(gridHeight, 320)), bands = 64
        for k in 0..<bands {
            let t = Double(k) / Double(bands - 1)
            let y = top + barHeight * (1 - Double(k + 1) / Double(bands))
            doc.rect(barX, y, 16, barHeight / Double(bands) + 0.5, fill: Palette.sequential(t).hex)
        }
        doc.rect(barX, top, 16, barHeight, fill: "none", extra: " stroke=\"#555\"")
        let scale = Scale(lower: lo, upper: hi, count: 5, loose: false)
        for (t, label) in zip(scale.ticks, scale.labels) {
            let y = top + barHeight * (1 - (t - lo) / (hi - lo))
            doc.line(barX + 16, y, barX + 20, y)
            doc.text(barX + 23, y + 4, label, size: 10)
        }
        doc.text(barX + 8, top + barHeight + 14, "min \(NumberFormat.compact(lo))", anchor: .start, size: 9, fill: "#555")
        doc.text(barX + 8, top - 4, "max \(NumberFormat.compact(hi))", anchor: .start, size: 9, fill: "#555")
        return doc.render(title: title ?? summary)
    }
}

/// `text` (which may hold ANSI codes) cut to `width` visible columns.
func truncatedVisible(_ text: String, _ width: Int) -> String {
    guard ANSI.visibleWidth(text) > width else { return text }
    return truncated(ANSI.strip(text), width)
}
