// Cells: a `.mem` script split in the Jupytext "percent" format.
//
//     # %% [markdown]
//     # ## A heading
//     # Prose, one `# `-comment per line.
//
//     # %% Optional title
//     let x = 1
//
// `# %%` starts a code cell (the rest of the line, if any, is its title); `# %% [markdown]`
// (or `[md]`) a prose cell whose lines are comments; `# %% [raw]` a raw cell, shown as is and
// never run. Text before the first marker is a code cell when it is not blank. Jupytext
// metadata after the type (`key="value"`) is ignored.
//
// The splitter works on lines rather than on the Lexer's `cellMarkers`, so a file that does
// not lex (an unterminated string, say) still splits, and each cell gets its own diagnostics.
// Every cell keeps the 1-based line numbers it has in the whole file; `Cell.sourceFile(path:)`
// pads the cell's code with the blank lines before it, so that compile and runtime errors
// point at the right line and column of the file, and the excerpt under a diagnostic shows
// the real source line.

import Language

/// What a cell holds.
public enum CellKind: String, Sendable, Equatable {
    /// Code, run by the interpreter.
    case code
    /// Markdown prose (the `# ` comment prefixes removed).
    case markdown
    /// Text shown as is and never run (Jupytext's `[raw]`).
    case raw
}

/// One cell of a notebook script.
public struct Cell: Sendable, Equatable {
    /// Code, prose or raw.
    public var kind: CellKind
    /// The text after `# %%` (without the type and metadata), if any.
    public var title: String?
    /// The cell's lines without surrounding blank lines (prose: with `# ` removed).
    public var lines: [String]
    /// The 1-based line in the file of `lines[0]` (for an empty cell: the line after its marker).
    public var firstLine: Int
    /// The 1-based line of the `# %%` marker; nil for text before the first marker.
    public var markerLine: Int?

    public init(kind: CellKind, title: String? = nil, lines: [String], firstLine: Int, markerLine: Int? = nil) {
        self.kind = kind
        self.title = title
        self.lines = lines
        self.firstLine = firstLine
        self.markerLine = markerLine
    }

    /// The cell's text, lines joined with `\n`.
    public var text: String { lines.joined(separator: "\n") }

    /// Whether the cell has no text (only blank lines or nothing).
    public var isEmpty: Bool { lines.allSatisfy { $0.trimmed(" \t").isEmpty } }

    /// The 1-based line of the cell's last text line (its first line when empty).
    public var lastLine: Int { firstLine + max(lines.count, 1) - 1 }

    /// The code as a source file named `path` whose line numbers are those of the whole file:
    /// the cell's text is preceded by `firstLine - 1` empty lines.
    public func sourceFile(path: String) -> SourceFile {
        SourceFile(path: path, text: String(repeating: "\n", count: max(firstLine - 1, 0)) + text)
    }
}

/// Splits scripts into cells.
public enum CellSplitter {
    /// The cells of `text` (`\n` or `\r\n` line ends), in order.
    public static func split(_ text: String) -> [Cell] {
        var lines = splitLines(text)
        if lines.last == "" { lines.removeLast() }  // the final newline ends a line, it starts none
        var cells: [Cell] = []
        // The cell being collected: kind, title, marker line, raw lines with their line numbers.
        var kind = CellKind.code
        var title: String?
        var markerLine: Int?
        var body: [(number: Int, text: String)] = []
        var bodyStart = 1

        func flush() {
            var items = body
            if kind != .code {
                items = items.map { ($0.number, stripCommentPrefix($0.text)) }
            }
            while let first = items.first, isBlank(first.text) { items.removeFirst() }
            while let last = items.last, isBlank(last.text) { items.removeLast() }
            if markerLine == nil && items.isEmpty { return }  // blank text before the first marker
            cells.append(Cell(kind: kind, title: title, lines: items.map(\.text),
                              firstLine: items.first?.number ?? bodyStart, markerLine: markerLine))
        }

        for (i, line) in lines.enumerated() {
            let number = i + 1
            if let marker = parseMarker(line) {
                flush()
                kind = marker.kind
                title = marker.title
                markerLine = number
                body = []
                bodyStart = number + 1
            } else {
                body.append((number, line))
            }
        }
        flush()
        return cells
    }

    /// The kind and title of a `# %%` marker line, or nil if the line is not one.
    /// Accepts `# %%`, `#%%` and leading spaces; `# %%%` or `# %%x` are not markers.
    public static func parseMarker(_ line: String) -> (kind: CellKind, title: String?)? {
        var rest = Substring(line)
        while rest.first == " " || rest.first == "\t" { rest = rest.dropFirst() }
        guard rest.first == "#" else { return nil }
        rest = rest.dropFirst()
        while rest.first == " " { rest = rest.dropFirst() }
        guard rest.hasPrefix("%%") else { return nil }
        rest = rest.dropFirst(2)
        if let c = rest.first, c != " ", c != "\t", c != "[" { return nil }
        var kind = CellKind.code
        var titleText = String(rest)
        // The cell type in brackets: `[markdown]`, `[md]`, `[raw]` (anything else stays code).
        if let open = titleText.firstIndex(of: "["), let close = titleText[open...].firstIndex(of: "]") {
            let type = String(titleText[titleText.index(after: open)..<close]).trimmed(" ").lowercased()
            switch type {
            case "markdown", "md": kind = .markdown
            case "raw": kind = .raw
            default: break
            }
            if kind != .code || type.isEmpty {
                // Keep the title before the type; drop the type and any `key="value"` metadata after it.
                titleText = String(titleText[..<open])
            }
        }
        let title = titleText.trimmed(" \t")
        return (kind, title.isEmpty ? nil : title)
    }

    /// A prose line without its comment prefix: `# text` → `text`, `#` → ``; other lines as is.
    static func stripCommentPrefix(_ line: String) -> String {
        var rest = Substring(line)
        while rest.first == " " || rest.first == "\t" { rest = rest.dropFirst() }
        guard rest.first == "#" else { return line }
        rest = rest.dropFirst()
        if rest.first == " " { rest = rest.dropFirst() }
        return String(rest)
    }

    static func isBlank(_ s: String) -> Bool { s.allSatisfy { $0 == " " || $0 == "\t" } }
}

/// Lines of `text`, split at `\n` and `\r\n` (a Swift `Character`, so both must be named),
/// without their line ends.
func splitLines(_ text: String) -> [String] {
    text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }).map { line in
        line.hasSuffix("\r") ? String(line.dropLast()) : String(line)
    }
}

extension String {
    /// The string without leading and trailing characters from `set`.
    func trimmed(_ set: String) -> String {
        var s = Substring(self)
        while let c = s.first, set.contains(c) { s = s.dropFirst() }
        while let c = s.last, set.contains(c) { s = s.dropLast() }
        return String(s)
    }
}
