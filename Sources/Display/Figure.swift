/// Something a script shows besides printed text — a plot — in the two forms the front ends
/// need: text for a terminal or a CI log, and SVG for files, notebooks and web pages.
public protocol Figure: Sendable {
    /// The title, if any (used as a caption and as alt text).
    var title: String? { get }
    /// The figure drawn with Unicode characters in `width` columns; ANSI colours when `color`.
    func text(width: Int, color: Bool) -> String
    /// A self-contained SVG document.
    func svg() -> String
}
