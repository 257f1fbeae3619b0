/// Something a script shows besides printed text — a plot — in the two forms the front ends
/// need: text for a terminal or a CI log, and SVG for files, notebooks and web pages.
///
/// The figures of this module: `LinePlot`, `Heatmap`, `Histogram`, `BarChart`. They are
/// values (immutable once built), render deterministically, and never fail: bad numbers
/// (NaN, ±inf) are left out and counted, narrow widths degrade to fewer ticks, no legend and
/// finally a one-line `summary`.
public protocol Figure: Sendable {
    /// The title, if any (used as a caption and as alt text).
    var title: String? { get }
    /// The figure drawn with Unicode characters in `width` columns; ANSI colours when `color`.
    ///
    /// No line is longer than `width` (counted in Unicode scalars, escape sequences not
    /// counted); lines are separated by "\n" with no final newline.
    func text(width: Int, color: Bool) -> String
    /// A self-contained SVG document.
    func svg() -> String
    /// One line describing the figure (`plot "returns": 2 series, 500 points`): the text form
    /// when there is no room to draw, and alt text for exports.
    var summary: String { get }
}

extension Figure {
    public var summary: String { title.map { "figure \"\($0)\"" } ?? "figure" }
}
