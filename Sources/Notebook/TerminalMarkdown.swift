// Markdown for the terminal: the prose cells of a lesson, wrapped to the terminal's width.
//
// Ink turns Markdown into HTML, which a terminal cannot show, so this is a small renderer of
// its own for the subset lessons use: ATX headings, paragraphs, *emphasis*, **strong**,
// `inline code`, fenced code blocks, bullet and numbered lists (nested by indentation),
// block quotes, horizontal rules, links and images, and TeX math (`$…$`, `$$…$$`), which is
// left as written (it reads well as is) and protected from emphasis parsing, so `$a_t * b$`
// keeps its underscores and stars.
//
// With colour, styles are ANSI escapes (headings bold, underlined and coloured; code cyan;
// code blocks dim; links underlined with the URL dim). Without colour the text stays readable
// on its own: `*` and `_` markers are dropped, code keeps its backticks, level-1 and -2
// headings are underlined with `=` and `-` lines, deeper ones keep their `###`.

/// Renders Markdown as terminal text.
public enum TerminalMarkdown {
    /// `markdown` rendered for a terminal `width` columns wide; ANSI styles when `color`.
    /// The result ends without a newline.
    public static func render(_ markdown: String, width: Int, color: Bool) -> String {
        let lines = splitLines(markdown)
        let renderer = Renderer(color: color)
        return renderer.blocks(lines, width: max(width, 20)).joined(separator: "\n")
    }

    /// The number of terminal columns `s` takes: ANSI escapes take none, wide (CJK, emoji)
    /// characters two.
    public static func visibleWidth(_ s: String) -> Int {
        var n = 0
        var inEscape = false
        for scalar in s.unicodeScalars {
            if inEscape {
                if (0x40...0x7E).contains(scalar.value) && scalar != "[" { inEscape = false }
                continue
            }
            if scalar == "\u{1B}" { inEscape = true; continue }
            n += columns(of: scalar)
        }
        return n
    }

    static func columns(of scalar: Unicode.Scalar) -> Int {
        let v = scalar.value
        if v < 0x300 { return v < 0x20 ? 0 : 1 }
        if (0x300...0x36F).contains(v) || v == 0x200B || v == 0x200D || (0xFE00...0xFE0F).contains(v) { return 0 }
        if (0x1100...0x115F).contains(v) || (0x2E80...0xA4CF).contains(v) || (0xAC00...0xD7A3).contains(v)
            || (0xF900...0xFAFF).contains(v) || (0xFE30...0xFE4F).contains(v) || (0xFF00...0xFF60).contains(v)
            || (0xFFE0...0xFFE6).contains(v) || (0x1F300...0x1FAFF).contains(v) || (0x20000...0x3FFFD).contains(v) {
            return 2
        }
        return 1
    }
}

/// Inline styles.
struct InlineStyle: OptionSet {
    let rawValue: Int
    static let strong = InlineStyle(rawValue: 1)
    static let emphasis = InlineStyle(rawValue: 2)
    static let code = InlineStyle(rawValue: 4)
    static let link = InlineStyle(rawValue: 8)
    static let url = InlineStyle(rawValue: 16)
    static let math = InlineStyle(rawValue: 32)
    static let heading = InlineStyle(rawValue: 64)
}

/// A run of text in one style.
struct Span {
    var text: String
    var style: InlineStyle
}

private struct Renderer {
    let color: Bool

    // MARK: ANSI

    func sgr(_ style: InlineStyle, headingLevel: Int = 0) -> String {
        guard color else { return "" }
        var codes: [String] = []
        if style.contains(.heading) {
            codes.append("1")
            if headingLevel <= 2 { codes.append("4") }
            codes.append(headingLevel == 1 ? "35" : headingLevel == 2 ? "36" : "34")
        }
        if style.contains(.strong) { codes.append("1") }
        if style.contains(.emphasis) { codes.append("3") }
        if style.contains(.code) { codes.append("36") }
        if style.contains(.link) { codes.append("4") }
        if style.contains(.url) { codes.append("2") }
        if style.contains(.math) { codes.append("33") }
        return codes.isEmpty ? "" : "\u{1B}[" + codes.joined(separator: ";") + "m"
    }
    var reset: String { color ? "\u{1B}[0m" : "" }
    func dim(_ s: String) -> String { color ? "\u{1B}[2m\(s)\u{1B}[0m" : s }

    // MARK: Blocks

    /// Renders lines of Markdown to output lines (blank lines between blocks).
    func blocks(_ lines: [String], width: Int) -> [String] {
        var out: [String] = []
        var i = 0
        func separate() { if let last = out.last, !last.isEmpty { out.append("") } }
        while i < lines.count {
            let line = lines[i]
            let trimmed = line.trimmed(" \t")
            if trimmed.isEmpty { i += 1; continue }
            // Fenced code.
            if let fence = fenceOpening(trimmed) {
                separate()
                i += 1
                var code: [String] = []
                while i < lines.count, !isFenceClose(lines[i].trimmed(" \t"), fence) {
                    code.append(lines[i])
                    i += 1
                }
                i += 1  // the closing fence (or past the end)
                let indent = leadingSpaces(line)
                for c in code { out.append(dim("    " + String(c.dropFirst(min(indent, leadingSpaces(c)))))) }
                continue
            }
            // Display math.
            if trimmed.hasPrefix("$$") {
                separate()
                var math = [trimmed]
                let closedOnFirst = trimmed.count > 2 && trimmed.dropFirst(2).contains("$$")
                i += 1
                if !closedOnFirst {
                    while i < lines.count {
                        let l = lines[i].trimmed(" \t")
                        math.append(l)
                        i += 1
                        if l.contains("$$") { break }
                    }
                }
                for m in math { out.append("    " + sgr(.math) + m + reset) }
                continue
            }
            // Heading.
            if let (level, text) = heading(trimmed) {
                separate()
                out += headingLines(level: level, text: text, width: width)
                i += 1
                continue
            }
            // Horizontal rule.
            if isRule(trimmed) {
                separate()
                out.append(dim(String(repeating: "─", count: width)))
                i += 1
                continue
            }
            // Block quote.
            if trimmed.hasPrefix(">") {
                separate()
                var inner: [String] = []
                while i < lines.count {
                    let t = lines[i].trimmed(" \t")
                    guard t.hasPrefix(">") else { break }
                    var rest = t.dropFirst()
                    if rest.first == " " { rest = rest.dropFirst() }
                    inner.append(String(rest))
                    i += 1
                }
                let bar = color ? "\u{1B}[2m│\u{1B}[0m " : "│ "
                for l in blocks(inner, width: width - 2) { out.append(l.isEmpty ? bar.trimmed(" ") : bar + l) }
                continue
            }
            // Lists.
            if listMarker(line) != nil {
                separate()
                while i < lines.count, let item = listMarker(lines[i]) {
                    var text = item.text
                    i += 1
                    // Continuation lines: indented or lazy text that starts no other block.
                    while i < lines.count {
                        let next = lines[i]
                        let t = next.trimmed(" \t")
                        if t.isEmpty || listMarker(next) != nil || startsBlock(t) { break }
                        text += " " + t
                        i += 1
                    }
                    let level = item.indent / 2
                    let indent = String(repeating: "  ", count: level)
                    let bullet = item.ordinal.map { "\($0) " } ?? "• "
                    out += wrap(inline(text), width: width,
                                first: indent + (item.ordinal == nil ? dimBullet(bullet) : bullet),
                                firstWidth: level * 2 + bullet.count,
                                rest: String(repeating: " ", count: level * 2 + bullet.count))
                    // A blank line between items does not end the list.
                    if i + 1 < lines.count, lines[i].trimmed(" \t").isEmpty, listMarker(lines[i + 1]) != nil { i += 1 }
                }
                continue
            }
            // Paragraph.
            separate()
            var para: [String] = []
            while i < lines.count {
                let t = lines[i].trimmed(" \t")
                if t.isEmpty || (!para.isEmpty && (startsBlock(t) || listMarker(lines[i]) != nil)) { break }
                para.append(lines[i])
                i += 1
            }
            // Hard line breaks: a line ending in two spaces or a backslash.
            var pieces: [String] = []
            var current = ""
            for p in para {
                let hard = p.hasSuffix("  ") || p.hasSuffix("\\")
                var t = p.trimmed(" \t")
                if hard && t.hasSuffix("\\") { t.removeLast() }
                current += current.isEmpty ? t : " " + t
                if hard { pieces.append(current); current = "" }
            }
            if !current.isEmpty { pieces.append(current) }
            for piece in pieces { out += wrap(inline(piece), width: width, first: "", firstWidth: 0, rest: "") }
        }
        return out
    }

    func dimBullet(_ b: String) -> String { color ? "\u{1B}[2m\(b)\u{1B}[0m" : b }

    func headingLines(level: Int, text: String, width: Int) -> [String] {
        var spans = inline(text)
        if !color && level >= 3 { spans.insert(Span(text: String(repeating: "#", count: level) + " ", style: []), at: 0) }
        for k in spans.indices { spans[k].style.insert(.heading) }
        var lines = wrap(spans, width: width, first: "", firstWidth: 0, rest: "", headingLevel: level)
        if !color && level <= 2 {
            let w = lines.map { TerminalMarkdown.visibleWidth($0) }.max() ?? 0
            lines.append(String(repeating: level == 1 ? "=" : "-", count: max(w, 3)))
        }
        return lines
    }

    func leadingSpaces(_ s: String) -> Int {
        var n = 0
        for c in s {
            if c == " " { n += 1 } else if c == "\t" { n += 4 } else { break }
        }
        return n
    }

    func fenceOpening(_ t: String) -> (char: Character, count: Int)? {
        guard let c = t.first, c == "`" || c == "~" else { return nil }
        let n = t.prefix(while: { $0 == c }).count
        guard n >= 3 else { return nil }
        if c == "`" && t.dropFirst(n).contains("`") { return nil }
        return (c, n)
    }

    func isFenceClose(_ t: String, _ fence: (char: Character, count: Int)) -> Bool {
        let n = t.prefix(while: { $0 == fence.char }).count
        return n >= fence.count && String(t.dropFirst(n)).trimmed(" \t").isEmpty
    }

    func heading(_ t: String) -> (Int, String)? {
        let n = t.prefix(while: { $0 == "#" }).count
        guard (1...6).contains(n) else { return nil }
        let rest = t.dropFirst(n)
        guard rest.isEmpty || rest.first == " " || rest.first == "\t" else { return nil }
        var text = String(rest).trimmed(" \t")
        // An optional closing sequence of #s.
        if text.hasSuffix("#") {
            let stripped = String(text.reversed().drop(while: { $0 == "#" }).reversed())
            if stripped.isEmpty || stripped.hasSuffix(" ") { text = stripped.trimmed(" \t") }
        }
        return (n, text)
    }

    func isRule(_ t: String) -> Bool {
        guard let c = t.first, c == "-" || c == "*" || c == "_" else { return false }
        let chars = t.filter { $0 != " " && $0 != "\t" }
        return chars.count >= 3 && chars.allSatisfy { $0 == c }
    }

    /// A list item: indentation, the ordinal text for numbered items (`3.`), the text.
    func listMarker(_ line: String) -> (indent: Int, ordinal: String?, text: String)? {
        let indent = leadingSpaces(line)
        let t = line.trimmed(" \t")
        if let c = t.first, c == "-" || c == "*" || c == "+" {
            let rest = t.dropFirst()
            guard rest.first == " " || rest.first == "\t" else { return nil }
            if isRule(t) { return nil }
            return (indent, nil, String(rest).trimmed(" \t"))
        }
        let digits = t.prefix(while: { $0.isASCII && $0.isNumber })
        guard !digits.isEmpty, digits.count <= 9 else { return nil }
        let after = t.dropFirst(digits.count)
        guard let d = after.first, d == "." || d == ")" else { return nil }
        let rest = after.dropFirst()
        guard rest.first == " " || rest.first == "\t" else { return nil }
        return (indent, String(digits) + String(d), String(rest).trimmed(" \t"))
    }

    func startsBlock(_ t: String) -> Bool {
        fenceOpening(t) != nil || heading(t) != nil || t.hasPrefix(">") || isRule(t) || t.hasPrefix("$$")
    }

    // MARK: Inline

    /// Parses inline Markdown into styled spans.
    func inline(_ text: String, base: InlineStyle = []) -> [Span] {
        let chars = Array(text)
        var spans: [Span] = []
        var plain = ""
        func flush() {
            if !plain.isEmpty { spans.append(Span(text: plain, style: base)); plain = "" }
        }
        var i = 0
        while i < chars.count {
            let c = chars[i]
            // Backslash escapes.
            if c == "\\", i + 1 < chars.count, chars[i + 1].isPunctuation || chars[i + 1].isSymbol {
                plain.append(chars[i + 1])
                i += 2
                continue
            }
            // Code spans.
            if c == "`" {
                let n = run(chars, i, "`")
                if let close = findRun(chars, from: i + n, "`", count: n) {
                    flush()
                    var code = String(chars[(i + n)..<close])
                    if code.count >= 2, code.hasPrefix(" "), code.hasSuffix(" ") { code = String(code.dropFirst().dropLast()) }
                    spans.append(Span(text: color ? code : "`" + code + "`", style: base.union(.code)))
                    i = close + n
                    continue
                }
                plain += String(repeating: "`", count: n)
                i += n
                continue
            }
            // Math, kept as written.
            if c == "$", let close = mathClose(chars, i) {
                flush()
                spans.append(Span(text: String(chars[i...close]), style: base.union(.math)))
                i = close + 1
                continue
            }
            // Images and links.
            if c == "!" || c == "[", let link = parseLink(chars, c == "!" ? i + 1 : i) {
                flush()
                if c == "!" {
                    spans.append(Span(text: "[image: \(link.text.isEmpty ? link.url : link.text)]", style: base.union(.emphasis)))
                } else {
                    let inner = inline(link.text, base: base.union(.link))
                    spans += inner
                    let shown = inner.map(\.text).joined()
                    if shown != link.url && !link.url.isEmpty {
                        spans.append(Span(text: " (\(link.url))", style: base.union(.url)))
                    }
                }
                i = link.end
                continue
            }
            // Autolinks: <https://…>.
            if c == "<", let close = chars[(i + 1)...].firstIndex(of: ">") {
                let inside = String(chars[(i + 1)..<close])
                if inside.hasPrefix("http://") || inside.hasPrefix("https://") || inside.hasPrefix("mailto:"), !inside.contains(" ") {
                    flush()
                    spans.append(Span(text: inside, style: base.union(.url)))
                    i = close + 1
                    continue
                }
            }
            // Strong and emphasis.
            if c == "*" || c == "_" {
                let n = run(chars, i, c)
                let before: Character? = i > 0 ? chars[i - 1] : nil
                let after: Character? = i + n < chars.count ? chars[i + n] : nil
                let opens = after.map { !$0.isWhitespace } ?? false
                    && (c == "*" || !(before.map { $0.isLetter || $0.isNumber } ?? false))
                if opens, n <= 3, let close = emphasisClose(chars, from: i + n, c, count: n) {
                    flush()
                    let style: InlineStyle = n == 1 ? .emphasis : n == 2 ? .strong : [.strong, .emphasis]
                    spans += inline(String(chars[(i + n)..<close]), base: base.union(style))
                    i = close + n
                    continue
                }
                plain += String(repeating: c, count: n)
                i += n
                continue
            }
            plain.append(c)
            i += 1
        }
        flush()
        return spans
    }

    func run(_ chars: [Character], _ i: Int, _ c: Character) -> Int {
        var n = 0
        while i + n < chars.count, chars[i + n] == c { n += 1 }
        return n
    }

    func findRun(_ chars: [Character], from: Int, _ c: Character, count: Int) -> Int? {
        var j = from
        while j < chars.count {
            if chars[j] == c {
                let n = run(chars, j, c)
                if n == count { return j }
                j += n
            } else {
                j += 1
            }
        }
        return nil
    }

    /// The closing delimiter of an emphasis run: same character and length, not after a space,
    /// and (for `_`) not followed by a letter or digit.
    func emphasisClose(_ chars: [Character], from: Int, _ c: Character, count: Int) -> Int? {
        var j = from
        while j < chars.count {
            if chars[j] == "`" {  // skip code spans inside emphasis
                let n = run(chars, j, "`")
                if let close = findRun(chars, from: j + n, "`", count: n) { j = close + n; continue }
            }
            if chars[j] == c {
                let n = run(chars, j, c)
                let afterOK = c == "*" || j + n >= chars.count || !(chars[j + n].isLetter || chars[j + n].isNumber)
                if n == count, j > from, !chars[j - 1].isWhitespace, afterOK { return j }
                j += n
            } else {
                j += 1
            }
        }
        return nil
    }

    /// The index of the `$` closing math that opens at `i` (`$x$` or `$$x$$`), Pandoc's rule:
    /// the opening is followed by a non-space, the closing preceded by one and not followed
    /// by a digit (so "$5 and $10" is not math).
    func mathClose(_ chars: [Character], _ i: Int) -> Int? {
        let n = run(chars, i, "$")
        guard n <= 2, i + n < chars.count, !chars[i + n].isWhitespace else { return nil }
        var j = i + n
        while j < chars.count {
            if chars[j] == "\\" { j += 2; continue }
            if chars[j] == "$" {
                let m = run(chars, j, "$")
                if m == n, !chars[j - 1].isWhitespace, j + m >= chars.count || !chars[j + m].isNumber {
                    return j + m - 1
                }
                j += m
                continue
            }
            j += 1
        }
        return nil
    }

    /// `[text](url)` starting at `i` (the `[`): the text, the URL and the index after `)`.
    func parseLink(_ chars: [Character], _ i: Int) -> (text: String, url: String, end: Int)? {
        guard i < chars.count, chars[i] == "[" else { return nil }
        var depth = 0
        var j = i
        while j < chars.count {
            if chars[j] == "\\" { j += 2; continue }
            if chars[j] == "[" { depth += 1 }
            if chars[j] == "]" {
                depth -= 1
                if depth == 0 { break }
            }
            j += 1
        }
        guard j + 1 < chars.count, chars[j] == "]", chars[j + 1] == "(",
              let close = chars[(j + 2)...].firstIndex(of: ")") else { return nil }
        var url = String(chars[(j + 2)..<close]).trimmed(" ")
        if let space = url.firstIndex(of: " ") { url = String(url[..<space]) }  // drop a "title"
        if url.hasPrefix("<") && url.hasSuffix(">") { url = String(url.dropFirst().dropLast()) }
        return (String(chars[(i + 1)..<j]), url, close + 1)
    }

    // MARK: Wrapping

    /// Greedy word wrap of styled spans: `first` starts the first line (taking `firstWidth`
    /// columns), `rest` the others.
    func wrap(_ spans: [Span], width: Int, first: String, firstWidth: Int, rest: String,
              headingLevel: Int = 0) -> [String] {
        // Words: runs of non-space characters, each a list of styled pieces.
        var words: [[Span]] = []
        var current: [Span] = []
        for span in spans {
            var piece = ""
            for ch in span.text {
                if ch == " " || ch == "\t" || ch == "\n" {
                    if !piece.isEmpty { current.append(Span(text: piece, style: span.style)); piece = "" }
                    if !current.isEmpty { words.append(current); current = [] }
                } else {
                    piece.append(ch)
                }
            }
            if !piece.isEmpty { current.append(Span(text: piece, style: span.style)) }
        }
        if !current.isEmpty { words.append(current) }

        var lines: [String] = []
        var line = first
        var used = firstWidth
        var lineHasWord = false
        let restWidth = TerminalMarkdown.visibleWidth(rest)
        for word in words {
            let w = word.reduce(0) { $0 + TerminalMarkdown.visibleWidth($1.text) }
            if lineHasWord && used + 1 + w > width {
                lines.append(line)
                line = rest
                used = restWidth
                lineHasWord = false
            }
            if lineHasWord { line += " "; used += 1 }
            for piece in word {
                let on = sgr(piece.style, headingLevel: headingLevel)
                line += on + piece.text + (on.isEmpty ? "" : reset)
            }
            used += w
            lineHasWord = true
        }
        if lineHasWord || lines.isEmpty { lines.append(line) }
        return lines
    }
}
