// Shared pieces of the text renderings: ANSI colours, width counting and truncation.
//
// Widths are counted in Unicode scalars with ANSI escape sequences skipped. Every character
// the renderers draw themselves (braille, blocks, box drawing, ASCII) is one column wide in
// a terminal; labels supplied by users are truncated by the same count.

/// ANSI terminal colours and helpers for measuring coloured text.
public enum ANSI {
    /// Foreground colours of the series, in order (blue, orange, green, magenta, cyan, red):
    /// the basic eight-colour codes, so that terminal themes keep them readable.
    public static let seriesCodes = ["34", "33", "32", "35", "36", "31"]
    /// Resets all attributes.
    public static let reset = "\u{1B}[0m"

    /// `text` wrapped in the SGR sequence `code` when `enabled`, unchanged otherwise.
    public static func paint(_ text: String, _ code: String, enabled: Bool) -> String {
        enabled && !text.isEmpty ? "\u{1B}[\(code)m\(text)\u{1B}[0m" : text
    }

    /// The SGR code of series `index` (cycling through `seriesCodes`).
    public static func seriesCode(_ index: Int) -> String { seriesCodes[((index % seriesCodes.count) + seriesCodes.count) % seriesCodes.count] }

    /// The SGR code of the 256-colour palette entry nearest to `rgb` (foreground), or as a
    /// background with `background`.
    public static func code(for rgb: RGB, background: Bool = false) -> String {
        func level(_ c: Double) -> Int { clampedInt(c * 5, 0...5) }
        let index = 16 + 36 * level(rgb.r) + 6 * level(rgb.g) + level(rgb.b)
        return "\(background ? 48 : 38);5;\(index)"
    }

    /// `text` without ANSI escape sequences (CSI sequences such as `ESC[34m`, `ESC[K`).
    public static func strip(_ text: String) -> String {
        var out = String.UnicodeScalarView()
        var it = text.unicodeScalars.makeIterator()
        while let s = it.next() {
            if s == "\u{1B}" {
                guard let next = it.next() else { break }
                if next == "[" {
                    // Parameters and intermediates, then one final byte in @…~.
                    while let c = it.next(), !(0x40...0x7E).contains(c.value) {}
                }
                continue
            }
            out.append(s)
        }
        return String(out)
    }

    /// The number of columns `text` takes: Unicode scalars, ANSI sequences not counted.
    public static func visibleWidth(_ text: String) -> Int { strip(text).unicodeScalars.count }
}

/// `x` rounded to an integer and clamped to `range` (NaN gives the lower end): conversions
/// of screen positions never trap, whatever the data.
func clampedInt(_ x: Double, _ range: ClosedRange<Int>) -> Int {
    guard !x.isNaN else { return range.lowerBound }
    let r = x.rounded()
    if r <= Double(range.lowerBound) { return range.lowerBound }
    if r >= Double(range.upperBound) { return range.upperBound }
    return Int(r)
}

/// `text` cut to at most `width` scalars, ending in "…" when something was cut.
func truncated(_ text: String, _ width: Int) -> String {
    guard width > 0 else { return "" }
    let scalars = Array(text.unicodeScalars)
    guard scalars.count > width else { return text }
    var view = String.UnicodeScalarView()
    view.append(contentsOf: scalars.prefix(width - 1))
    view.append("…")
    return String(view)
}

/// `text` padded with spaces (or truncated) to exactly `width` scalars.
func padded(_ text: String, _ width: Int, right: Bool = false) -> String {
    let t = truncated(text, width)
    let pad = String(repeating: " ", count: max(0, width - t.unicodeScalars.count))
    return right ? pad + t : t + pad
}

/// Removes control characters (newlines, escapes) from user text drawn in a single line.
func oneLine(_ text: String) -> String {
    String(String.UnicodeScalarView(text.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7F ? " " : $0 }))
}

/// The one-line form used when a figure does not fit: `plot: 3 series, 500 points (too
/// narrow to draw)`, cut to `width`.
func summaryLine(_ text: String, width: Int) -> String { truncated(oneLine(text), width) }

/// Joins rendered lines, removing trailing spaces so that logs stay clean.
func joinLines(_ lines: [String]) -> String {
    lines.map { line in
        var l = line
        while l.hasSuffix(" ") { l.removeLast() }
        return l
    }.joined(separator: "\n")
}

/// Counts of values a figure could not draw, for its note line.
func nonFiniteNote(_ count: Int) -> String? {
    count == 0 ? nil : "(\(count) NaN/inf value\(count == 1 ? "" : "s") not drawn)"
}
