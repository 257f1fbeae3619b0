// Export: a script run cell by cell, written as a Jupyter notebook (.ipynb, nbformat 4.5) or
// as one self-contained HTML page.
//
// Every code cell runs, in order, in one interpreter. A failing cell gets an error output and
// the export goes on with the next cell (as `jupyter nbconvert --execute --allow-errors`);
// `ExportResult.failures` lists the failing cells so the CLI can warn, or fail with
// `--fail-on-error`.

import Display
import Foundation
import Ink
import Language

/// A cell with the outputs of its run (nil for prose, raw and empty code cells).
public struct ExecutedCell {
    public var cell: Cell
    public var run: CellRun?

    public init(cell: Cell, run: CellRun?) {
        self.cell = cell
        self.run = run
    }
}

/// A notebook after running all its code cells.
public struct ExportResult {
    public var notebook: Notebook
    public var cells: [ExecutedCell]
    /// Extra notebook metadata (seed, source path).
    public var seed: UInt64

    public init(notebook: Notebook, cells: [ExecutedCell], seed: UInt64) {
        self.notebook = notebook
        self.cells = cells
        self.seed = seed
    }

    /// The cells that failed.
    public var failures: [(cell: Cell, error: CellError)] {
        cells.compactMap { c in c.run?.error.map { (c.cell, $0) } }
    }
}

/// Runs notebooks and writes them as `.ipynb` or HTML.
public enum NotebookExport {
    /// The formats `memento export --to` accepts.
    public enum Format: String, CaseIterable, Sendable {
        case ipynb, html
        /// The file extension, with the dot.
        public var fileExtension: String { "." + rawValue }
    }

    /// Runs every non-empty code cell of `notebook` on `runner`, going on after errors.
    /// `progress` sees each cell before it runs (index, total code cells).
    public static func execute(_ notebook: Notebook, runner: NotebookRunner, seed: UInt64 = 0,
                               progress: (Int, Int) -> Void = { _, _ in }) -> ExportResult {
        let total = notebook.cells.filter { $0.kind == .code && !$0.isEmpty }.count
        var done = 0
        var cells: [ExecutedCell] = []
        for (i, cell) in notebook.cells.enumerated() {
            guard cell.kind == .code, !cell.isEmpty else {
                cells.append(ExecutedCell(cell: cell, run: nil))
                continue
            }
            done += 1
            progress(done, total)
            cells.append(ExecutedCell(cell: cell, run: runner.run(cell, index: i)))
        }
        return ExportResult(notebook: notebook, cells: cells, seed: seed)
    }

    /// The document in `format`.
    public static func render(_ result: ExportResult, as format: Format) -> String {
        switch format {
        case .ipynb: return ipynb(result)
        case .html: return html(result)
        }
    }

    // MARK: - Text clean-up

    /// Printed text as a notebook should keep it: ANSI escapes removed, and a line rewritten
    /// with `\r` (a progress bar) reduced to its last state.
    public static func cleanTerminalText(_ s: String) -> String {
        var noEscapes = ""
        var inEscape = false
        var sawBracket = false
        for scalar in s.unicodeScalars {
            if inEscape {
                if scalar == "[" && !sawBracket { sawBracket = true; continue }
                if (0x40...0x7E).contains(scalar.value) { inEscape = false }
                continue
            }
            if scalar == "\u{1B}" { inEscape = true; sawBracket = false; continue }
            noEscapes.unicodeScalars.append(scalar)
        }
        guard noEscapes.unicodeScalars.contains("\r") else { return noEscapes }
        // Per line (at "\n"), keep what follows the last "\r" that has text after it.
        var out = String.UnicodeScalarView()
        var line: [Unicode.Scalar] = []
        func finishLine() {
            var start = 0
            for (k, c) in line.enumerated() where c == "\r" && k + 1 < line.count { start = k + 1 }
            out.append(contentsOf: line[start...].filter { $0 != "\r" })
            line = []
        }
        for scalar in noEscapes.unicodeScalars {
            if scalar == "\n" {
                finishLine()
                out.append(scalar)
            } else {
                line.append(scalar)
            }
        }
        finishLine()
        return String(out)
    }

    /// Text split into lines that keep their `\n` (nbformat's multi-line string form).
    static func lines(_ s: String) -> [String] {
        var out: [String] = []
        var current = ""
        for ch in s {
            current.append(ch)
            if ch == "\n" || ch == "\r\n" { out.append(current); current = "" }
        }
        if !current.isEmpty { out.append(current) }
        return out
    }

    /// An SVG document ready to be inlined in HTML: the XML declaration and doctype removed.
    static func inlineSVG(_ svg: String) -> String {
        var s = Substring(svg)
        while true {
            s = s.drop(while: { $0.isWhitespace })
            if s.hasPrefix("<?") || s.hasPrefix("<!DOCTYPE") || s.hasPrefix("<!doctype") {
                guard let end = s.firstIndex(of: ">") else { break }
                s = s[s.index(after: end)...]
            } else if s.hasPrefix("<!--") {
                guard let end = s.range(of: "-->") else { break }
                s = s[end.upperBound...]
            } else {
                break
            }
        }
        return String(s)
    }

    // MARK: - ipynb

    /// A figure as Jupyter shows it: SVG, and the terminal drawing (`width` columns, no
    /// colour) for front ends without images. The text is what `memento run` prints for it.
    public static func figureData(_ figure: any Figure, width: Int = 80) -> [(mime: String, text: String)] {
        [("image/svg+xml", figure.svg()), ("text/plain", figure.text(width: width, color: false))]
    }

    /// The notebook metadata's `language_info`, also the Jupyter kernel's.
    public static let languageInfo: [(key: String, value: String)] = [
        ("file_extension", ".mem"), ("mimetype", "text/x-memento"), ("name", "memento"),
        ("pygments_lexer", "python"), ("version", "0.1.0"),
    ]

    /// The notebook as nbformat 4.5 JSON: unique cell ids, markdown, raw and code cells with
    /// their outputs (`stream`, `execute_result`, `display_data` with SVG for figures, `error`).
    public static func ipynb(_ result: ExportResult) -> String {
        var cells: [JSON] = []
        for (i, executed) in result.cells.enumerated() {
            let cell = executed.cell
            var metadata: [(String, JSON)] = []
            if let title = cell.title { metadata.append(("title", .string(title))) }
            let id = JSON.string("cell-\(i + 1)")
            let source = JSON.array(lines(cell.text).map(JSON.string))
            switch cell.kind {
            case .markdown, .raw:
                cells.append(.object([
                    ("cell_type", .string(cell.kind == .raw ? "raw" : "markdown")),
                    ("id", id), ("metadata", .object(metadata)), ("source", source),
                ]))
            case .code:
                var outputs: [JSON] = []
                if let run = executed.run {
                    for o in run.outputs { outputs.append(outputJSON(o, count: run.executionCount)) }
                }
                cells.append(.object([
                    ("cell_type", .string("code")),
                    ("execution_count", executed.run.map { .int($0.executionCount) } ?? .null),
                    ("id", id), ("metadata", .object(metadata)), ("outputs", .array(outputs)), ("source", source),
                ]))
            }
        }
        let metadata = JSON.object([
            ("kernelspec", .object([("display_name", .string("Memento")), ("language", .string("memento")),
                                    ("name", .string("memento"))])),
            ("language_info", .object(languageInfo.map { ($0.key, .string($0.value)) })),
            ("memento", .object([("seed", .int(Int(truncatingIfNeeded: result.seed))),
                                 ("source", .string(result.notebook.path))])),
        ])
        let doc = JSON.object([("cells", .array(cells)), ("metadata", metadata),
                               ("nbformat", .int(4)), ("nbformat_minor", .int(5))])
        return doc.pretty() + "\n"
    }

    static func outputJSON(_ output: CellOutput, count: Int) -> JSON {
        switch output {
        case .stream(let s):
            return .object([("name", .string("stdout")), ("output_type", .string("stream")),
                            ("text", .array(lines(cleanTerminalText(s)).map(JSON.string)))])
        case .result(let text):
            return .object([("data", .object([("text/plain", .array(lines(text).map(JSON.string)))])),
                            ("execution_count", .int(count)), ("metadata", .object([])),
                            ("output_type", .string("execute_result"))])
        case .figure(let figure):
            let data = figureData(figure).map { ($0.mime, JSON.array(lines($0.text).map(JSON.string))) }
            return .object([("data", .object(data)), ("metadata", .object([])), ("output_type", .string("display_data"))])
        case .error(let e):
            return .object([("ename", .string(e.name)), ("evalue", .string(e.summary)),
                            ("output_type", .string("error")),
                            ("traceback", .array(e.traceback(color: false).map(JSON.string)))])
        }
    }

    // MARK: - HTML

    /// The notebook as one self-contained HTML page (inline CSS and SVG; no scripts, fonts
    /// or other external resources): prose through Ink, code highlighted, outputs, figures
    /// and errors under their cells.
    public static func html(_ result: ExportResult) -> String {
        let title = result.notebook.title ?? URL(fileURLWithPath: result.notebook.path).lastPathComponent
        var body = ""
        let parser = MarkdownParser()
        for executed in result.cells {
            let cell = executed.cell
            switch cell.kind {
            case .markdown:
                body += "<section class=\"cell prose\">\n\(markdownHTML(cell.text, parser: parser))\n</section>\n"
            case .raw:
                body += "<section class=\"cell raw\"><pre>\(HTML.escape(cell.text))</pre></section>\n"
            case .code:
                let count = executed.run.map { String($0.executionCount) } ?? " "
                let heading = cell.title.map { "<div class=\"cell-title\">\(HTML.escape($0))</div>" } ?? ""
                body += "<section class=\"cell code\">\(heading)\n<div class=\"input\"><span class=\"prompt\">In [\(count)]:</span>"
                body += "<pre class=\"source\" data-line=\"\(cell.firstLine)\"><code>\(Highlight.html(cell.text))</code></pre></div>\n"
                if let run = executed.run, !run.outputs.isEmpty {
                    body += "<div class=\"outputs\">\n"
                    for o in run.outputs { body += outputHTML(o, count: run.executionCount) + "\n" }
                    body += "</div>\n"
                }
                body += "</section>\n"
            }
        }
        let source = HTML.escape(result.notebook.path)
        return """
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <meta name="generator" content="memento export">
            <title>\(HTML.escape(title))</title>
            <style>
            \(css)
            </style>
            </head>
            <body>
            <main>
            <p class="source-file">\(source) · seed \(result.seed)</p>
            \(body)</main>
            </body>
            </html>

            """
    }

    static func outputHTML(_ output: CellOutput, count: Int) -> String {
        switch output {
        case .stream(let s):
            return "<pre class=\"stream\">\(HTML.escape(cleanTerminalText(s)))</pre>"
        case .result(let text):
            return "<div class=\"result\"><span class=\"prompt\">Out[\(count)]:</span><pre>\(HTML.escape(text))</pre></div>"
        case .figure(let figure):
            // The SVG draws its own title; the figure carries it as its accessible name.
            let label = figure.title.map { " aria-label=\"\(HTML.escape($0))\"" } ?? ""
            return "<figure class=\"figure\"\(label)>\(inlineSVG(figure.svg()))</figure>"
        case .error(let e):
            return "<pre class=\"error\"><strong>\(HTML.escape(e.name))</strong>\n\(HTML.escape(e.rendered(color: false)))</pre>"
        }
    }

    /// Markdown to HTML with Ink, math (`$…$`, `$$…$$`) kept as written: it is taken out
    /// before Ink sees it (so `_` and `*` in formulas are not emphasis) and put back escaped.
    ///
    /// Two things Ink gets wrong are settled before it runs: a line that starts with inline
    /// code inside a paragraph is joined to the line before (Ink would start a new paragraph
    /// there), and code spans delimited by two or more backticks (which Ink reads as empty
    /// spans) are taken out like math and put back as `<code>`.
    static func markdownHTML(_ markdown: String, parser: MarkdownParser) -> String {
        let (protected, math) = protectMath(joinLinesStartingWithCode(markdown))
        var html = parser.html(from: protected)
        for (k, m) in math.enumerated().reversed() {
            if m.hasPrefix("`") {
                html = html.replacingOccurrences(of: placeholder(k), with: "<code>\(HTML.escape(codeSpanContent(m)))</code>")
                continue
            }
            let display = m.hasPrefix("$$")
            let tag = display ? "div" : "span"
            html = html.replacingOccurrences(of: placeholder(k), with: "<\(tag) class=\"math\">\(HTML.escape(m))</\(tag)>")
        }
        return html
    }

    static func placeholder(_ k: Int) -> String { "MEMENTOMATH\(k)X" }

    /// The text of a code span written with its backticks: CommonMark strips one space from
    /// each end when both ends have one (so that ``` `` `a` `` ``` can hold backticks at its ends).
    static func codeSpanContent(_ span: String) -> String {
        let n = span.prefix { $0 == "`" }.count
        var inner = String(span.dropFirst(n).dropLast(n)).replacingOccurrences(of: "\n", with: " ")
        if inner.count >= 2, inner.hasPrefix(" "), inner.hasSuffix(" "), inner.contains(where: { $0 != " " }) {
            inner = String(inner.dropFirst().dropLast())
        }
        return inner
    }

    /// Joins each line that starts with a code span (but not a code fence) to the paragraph
    /// line before it, as CommonMark reads it; lines in fences, after blank lines, headings,
    /// rules, tables, HTML or indented code are left alone.
    static func joinLinesStartingWithCode(_ text: String) -> String {
        var out: [String] = []
        var inFence = false
        for line in text.components(separatedBy: "\n") {
            let trimmed = line.drop { $0 == " " }
            let isFence = trimmed.hasPrefix("```") || trimmed.hasPrefix("~~~")
            defer { if isFence { inFence.toggle() } }
            if !inFence, !isFence, trimmed.hasPrefix("`"), line.prefix(while: { $0 == " " }).count < 4,
               let previous = out.last, continuesParagraph(previous) {
                out[out.count - 1] = previous + " " + trimmed
                continue
            }
            out.append(line)
        }
        return out.joined(separator: "\n")
    }

    /// Whether a line is paragraph text that the next line may continue.
    private static func continuesParagraph(_ line: String) -> Bool {
        let trimmed = line.drop { $0 == " " }
        guard !trimmed.isEmpty, line.prefix(while: { $0 == " " }).count < 4, !line.hasPrefix("\t") else { return false }
        if let first = trimmed.first, "#|<".contains(first) { return false }
        if trimmed.hasPrefix("```") || trimmed.hasPrefix("~~~") { return false }
        // A rule or a setext underline (---, ***, ===, ___).
        if trimmed.allSatisfy({ "-*=_ ".contains($0) }) { return false }
        return true
    }

    /// Replaces math outside code, and code spans delimited by several backticks, with
    /// placeholders; returns the text and the pieces taken out, in order.
    static func protectMath(_ text: String) -> (String, [String]) {
        var math: [String] = []
        var out = ""
        let chars = Array(text)
        var i = 0
        var lineStart = true
        var inFence = false
        while i < chars.count {
            let c = chars[i]
            var fenceLine = false
            if lineStart {
                let rest = String(chars[i..<min(i + 3, chars.count)])
                if rest == "```" || rest == "~~~" { inFence.toggle(); fenceLine = true }
            }
            if inFence || fenceLine || c == "`" {
                // Copy code (a fence line or a line inside a fence, or an inline code span) unchanged.
                if inFence || fenceLine {
                    while i < chars.count, chars[i] != "\n" { out.append(chars[i]); i += 1 }
                    // The line's end too: the next line starts afresh (and may close the fence).
                    if i < chars.count { out.append(chars[i]); i += 1 }
                    lineStart = true
                    continue
                } else {
                    var n = 0
                    while i + n < chars.count, chars[i + n] == "`" { n += 1 }
                    var j = i + n
                    var close: Int?
                    while j < chars.count {
                        if chars[j] == "`" {
                            var m = 0
                            while j + m < chars.count, chars[j + m] == "`" { m += 1 }
                            if m == n { close = j; break }
                            j += m
                        } else { j += 1 }
                    }
                    let end = close.map { $0 + n } ?? (i + n)
                    if n >= 2, close != nil {
                        // Ink cannot read a span delimited by several backticks: keep it aside.
                        math.append(String(chars[i..<end]))
                        out += placeholder(math.count - 1)
                    } else {
                        out += String(chars[i..<end])
                    }
                    i = end
                }
                lineStart = false
                continue
            }
            if c == "$" {
                let n = (i + 1 < chars.count && chars[i + 1] == "$") ? 2 : 1
                if i + n < chars.count, !chars[i + n].isWhitespace || n == 2 {
                    var j = i + n
                    var close: Int?
                    while j < chars.count {
                        if chars[j] == "\\" { j += 2; continue }
                        if n == 1 && chars[j] == "\n" { break }
                        if chars[j] == "$" {
                            if n == 2, j + 1 < chars.count, chars[j + 1] == "$" { close = j; break }
                            if n == 1, !chars[j - 1].isWhitespace, j + 1 >= chars.count || !chars[j + 1].isNumber { close = j; break }
                        }
                        j += 1
                    }
                    if let close {
                        math.append(String(chars[i..<(close + n)]))
                        out += placeholder(math.count - 1)
                        i = close + n
                        lineStart = false
                        continue
                    }
                }
            }
            out.append(c)
            lineStart = c == "\n"
            i += 1
        }
        return (out, math)
    }

    static let css = """
        :root { --fg: #1f2328; --muted: #656d76; --bg: #ffffff; --code-bg: #f6f8fa; --border: #d0d7de;
                --accent: #0969da; --error-bg: #fff0f0; --error: #b3261e; }
        * { box-sizing: border-box; }
        body { margin: 0; background: var(--bg); color: var(--fg);
               font: 16px/1.55 -apple-system, "Segoe UI", "Helvetica Neue", Arial, sans-serif; }
        main { max-width: 54rem; margin: 0 auto; padding: 1.5rem 1.25rem 4rem; }
        .source-file { color: var(--muted); font-size: 0.85rem; margin: 0 0 1rem; }
        h1, h2, h3 { line-height: 1.25; }
        h1 { font-size: 2rem; border-bottom: 1px solid var(--border); padding-bottom: 0.3rem; }
        h2 { font-size: 1.5rem; border-bottom: 1px solid var(--border); padding-bottom: 0.2rem; }
        a { color: var(--accent); }
        code, pre { font-family: ui-monospace, "SFMono-Regular", "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 0.875rem; }
        .prose code { background: var(--code-bg); padding: 0.1em 0.3em; border-radius: 4px; }
        .prose pre { background: var(--code-bg); padding: 0.75rem; border-radius: 6px; overflow-x: auto; }
        .prose blockquote { margin: 0; padding: 0 1rem; color: var(--muted); border-left: 0.25rem solid var(--border); }
        .math { font-family: "Latin Modern Math", "STIX Two Math", "Cambria Math", serif; color: #6a3d9a; }
        div.math { margin: 0.5rem 0; text-align: center; }
        .cell { margin: 1rem 0; }
        .cell.code { border-left: 3px solid var(--accent); padding-left: 0.75rem; }
        .cell-title { font-weight: 600; color: var(--muted); font-size: 0.85rem; margin-bottom: 0.25rem; }
        .prompt { display: block; color: var(--muted); font-family: ui-monospace, monospace; font-size: 0.75rem; }
        pre.source { background: var(--code-bg); border: 1px solid var(--border); border-radius: 6px;
                     padding: 0.6rem 0.75rem; margin: 0.1rem 0 0.4rem; overflow-x: auto; }
        .kw { color: #8250df; font-weight: 600; } .st { color: #0a3069; } .nu { color: #0550ae; }
        .co { color: #6e7781; font-style: italic; } .fn { color: #953800; }
        .outputs pre { margin: 0.25rem 0; padding: 0.4rem 0.75rem; overflow-x: auto; white-space: pre-wrap; }
        pre.stream { background: #ffffff; border: 1px dashed var(--border); border-radius: 6px; }
        .result pre { background: #f3f8ff; border-radius: 6px; }
        pre.error { background: var(--error-bg); color: var(--error); border: 1px solid #f1b4b0; border-radius: 6px; }
        figure.figure { margin: 0.5rem 0; }
        figure.figure svg { max-width: 100%; height: auto; display: block; }
        figcaption { color: var(--muted); font-size: 0.85rem; text-align: center; }
        .raw pre { color: var(--muted); }
        """
}

/// HTML escaping.
enum HTML {
    /// `&`, `<`, `>`, `"` and `'` escaped; control characters XML forbids become spaces.
    static func escape(_ s: String) -> String {
        // The SVG writer's escaping (Display) is also right for HTML text and attributes.
        xmlEscaped(s)
    }
}

/// A JSON value with ordered object keys, written the way Jupyter writes notebooks
/// (one-space indentation).
indirect enum JSON {
    case null
    case bool(Bool)
    case int(Int)
    case string(String)
    case array([JSON])
    case object([(String, JSON)])

    func pretty(indent: Int = 0) -> String {
        let pad = String(repeating: " ", count: indent + 1)
        let closePad = String(repeating: " ", count: indent)
        switch self {
        case .null: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .int(let i): return String(i)
        case .string(let s): return JSON.quote(s)
        case .array(let items):
            if items.isEmpty { return "[]" }
            return "[\n" + items.map { pad + $0.pretty(indent: indent + 1) }.joined(separator: ",\n") + "\n" + closePad + "]"
        case .object(let fields):
            if fields.isEmpty { return "{}" }
            return "{\n" + fields.map { pad + JSON.quote($0.0) + ": " + $0.1.pretty(indent: indent + 1) }
                .joined(separator: ",\n") + "\n" + closePad + "}"
        }
    }

    static func quote(_ s: String) -> String { jsonString(s) }
}
