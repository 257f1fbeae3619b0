import Foundation

// A small SVG writer shared by the figures: self-contained documents (no scripts, no
// external fonts or styles), with every piece of user text XML-escaped.

/// Text safe inside XML character data and attribute values: `& < > " '` escaped, and
/// characters XML 1.0 forbids (most control characters) replaced by spaces.
public func xmlEscaped(_ text: String) -> String {
    var out = ""
    out.reserveCapacity(text.utf8.count)
    for s in text.unicodeScalars {
        switch s {
        case "&": out += "&amp;"
        case "<": out += "&lt;"
        case ">": out += "&gt;"
        case "\"": out += "&quot;"
        case "'": out += "&apos;"
        default:
            let v = s.value
            if (v < 0x20 && v != 0x09 && v != 0x0A && v != 0x0D) || v == 0xFFFE || v == 0xFFFF { out += " " } else { out.unicodeScalars.append(s) }
        }
    }
    return out
}

/// Builds an SVG document element by element.
struct SVGDocument {
    let width: Double
    let height: Double
    private var elements: [String] = []

    init(width: Double, height: Double) {
        self.width = width
        self.height = height
    }

    /// Numbers with at most two decimals, the precision of screen coordinates.
    static func n(_ v: Double) -> String {
        guard v.isFinite else { return "0" }
        let r = (v * 100).rounded() / 100
        return r == r.rounded() ? String(Int(r)) : String(format: "%.2f", r).replacingOccurrences(of: #"0+$"#, with: "", options: .regularExpression)
    }

    mutating func raw(_ element: String) { elements.append(element) }

    mutating func line(_ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double, stroke: String = "#333", width: Double = 1, extra: String = "") {
        raw("<line x1=\"\(Self.n(x1))\" y1=\"\(Self.n(y1))\" x2=\"\(Self.n(x2))\" y2=\"\(Self.n(y2))\" stroke=\"\(stroke)\" stroke-width=\"\(Self.n(width))\"\(extra)/>")
    }

    mutating func rect(_ x: Double, _ y: Double, _ w: Double, _ h: Double, fill: String, extra: String = "") {
        raw("<rect x=\"\(Self.n(x))\" y=\"\(Self.n(y))\" width=\"\(Self.n(max(0, w)))\" height=\"\(Self.n(max(0, h)))\" fill=\"\(fill)\"\(extra)/>")
    }

    enum Anchor: String { case start, middle, end }

    mutating func text(_ x: Double, _ y: Double, _ string: String, anchor: Anchor = .start, size: Double = 12,
                       bold: Bool = false, rotate: Bool = false, fill: String = "#222") {
        let transform = rotate ? " transform=\"rotate(-90 \(Self.n(x)) \(Self.n(y)))\"" : ""
        raw("<text x=\"\(Self.n(x))\" y=\"\(Self.n(y))\" font-size=\"\(Self.n(size))\" text-anchor=\"\(anchor.rawValue)\"\(bold ? " font-weight=\"bold\"" : "") fill=\"\(fill)\"\(transform)>\(xmlEscaped(string))</text>")
    }

    mutating func polyline(_ points: [(Double, Double)], stroke: String, width: Double = 1.5, opacity: Double = 1, dataLabel: String? = nil) {
        guard !points.isEmpty else { return }
        let coords = points.map { "\(Self.n($0.0)),\(Self.n($0.1))" }.joined(separator: " ")
        let op = opacity < 1 ? " stroke-opacity=\"\(Self.n(opacity))\"" : ""
        let label = dataLabel.map { " data-series=\"\(xmlEscaped($0))\"" } ?? ""
        raw("<polyline points=\"\(coords)\" fill=\"none\" stroke=\"\(stroke)\" stroke-width=\"\(Self.n(width))\" stroke-linejoin=\"round\" stroke-linecap=\"round\"\(op)\(label)/>")
        if points.count == 1 {
            // A lone point (between gaps) has no length; mark it.
            raw("<circle cx=\"\(Self.n(points[0].0))\" cy=\"\(Self.n(points[0].1))\" r=\"\(Self.n(width * 1.5))\" fill=\"\(stroke)\"\(op.replacingOccurrences(of: "stroke-", with: "fill-"))/>")
        }
    }

    /// The document, with `title` as its accessible name.
    func render(title: String?) -> String {
        var s = "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(Self.n(width)) \(Self.n(height))\" width=\"\(Self.n(width))\" height=\"\(Self.n(height))\" font-family=\"Helvetica, Arial, sans-serif\" role=\"img\">\n"
        if let title { s += "<title>\(xmlEscaped(title))</title>\n" }
        s += "<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n"
        s += elements.joined(separator: "\n")
        s += "\n</svg>\n"
        return s
    }
}

/// The frame of a plot with two numeric axes in SVG: grid, ticks, tick labels, axis names
/// and title. Returns the functions mapping data to page coordinates.
struct SVGAxes {
    let left: Double, top: Double, right: Double, bottom: Double
    let x: Scale, y: Scale

    func px(_ v: Double) -> Double { left + x.fraction(v) * (right - left) }
    func py(_ v: Double) -> Double { bottom - y.fraction(v) * (bottom - top) }

    func draw(into doc: inout SVGDocument, title: String?, xLabel: String?, yLabel: String?, xTicks: Bool = true) {
        if let title { doc.text(doc.width / 2, 24, title, anchor: .middle, size: 16, bold: true) }
        for (t, label) in zip(y.ticks, y.labels) {
            doc.line(left, py(t), right, py(t), stroke: "#e6e6e6")
            doc.line(left - 5, py(t), left, py(t))
            doc.text(left - 8, py(t) + 4, label, anchor: .end, size: 11)
        }
        if xTicks {
            for (t, label) in zip(x.ticks, x.labels) {
                doc.line(px(t), top, px(t), bottom, stroke: "#f0f0f0")
                doc.line(px(t), bottom, px(t), bottom + 5)
                doc.text(px(t), bottom + 18, label, anchor: .middle, size: 11)
            }
        }
        doc.line(left, bottom, right, bottom)
        doc.line(left, top, left, bottom)
        if let xLabel { doc.text((left + right) / 2, bottom + 38, xLabel, anchor: .middle, size: 12) }
        if let yLabel { doc.text(16, (top + bottom) / 2, yLabel, anchor: .middle, size: 12, rotate: true) }
    }
}

/// A legend box in the top-right corner of a plot area.
func drawLegend(_ entries: [(label: String, color: String)], right: Double, top: Double, into doc: inout SVGDocument) {
    guard !entries.isEmpty else { return }
    let shown = entries.map { (truncated($0.label, 40), $0.color) }
    let longest = shown.map { Double($0.0.unicodeScalars.count) }.max() ?? 0
    let w = 34 + longest * 6.6, h = Double(shown.count) * 18 + 8
    let x = right - w - 8, y = top + 8
    doc.rect(x, y, w, h, fill: "#ffffff", extra: " fill-opacity=\"0.85\" stroke=\"#bbbbbb\"")
    for (i, (label, color)) in shown.enumerated() {
        let cy = y + 14 + Double(i) * 18
        doc.line(x + 8, cy - 4, x + 26, cy - 4, stroke: color, width: 3)
        doc.text(x + 32, cy, label, size: 11)
    }
}
