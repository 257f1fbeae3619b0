// The lexer: UTF-8 bytes in, tokens with line, column, offset and length out.

/// A `# BEGIN SOLUTION` … `# END SOLUTION` region, recorded for grading.
public struct SolutionRegion: Sendable {
    /// The `# BEGIN SOLUTION` comment.
    public let begin: SourceSpan
    /// The `# END SOLUTION` comment.
    public let end: SourceSpan
}

/// Turns source text into tokens.
///
/// Newlines end statements, except inside `( … )` and `[ … ]` where they are skipped (a
/// `{` inside brackets, such as a lambda body, makes them significant again). Comments run
/// from `#` to the end of the line; `# %%` cell markers are comments and are recorded, as are
/// solution markers. String literals interpolate with `\(expression)`.
public struct Lexer {
    public let file: SourceFile
    private let bytes: [UInt8]
    private var pos: Int
    private let end: Int
    private var line: Int
    private var lineStart: Int
    /// Open brackets, innermost last: decides whether newlines are significant.
    private var brackets: [UInt8] = []

    /// Solution regions found (balanced pairs only).
    public private(set) var solutionRegions: [SolutionRegion] = []
    /// `# %%` cell markers found.
    public private(set) var cellMarkers: [SourceSpan] = []
    /// Unbalanced solution markers and similar problems found in comments.
    public private(set) var diagnostics: [Diagnostic] = []
    private var openSolution: SourceSpan?

    /// Lexes the whole file.
    public init(file: SourceFile) {
        self.init(file: file, start: 0, end: file.bytes.count)
    }

    /// Lexes the byte range `start..<end` of a file (used for interpolated expressions).
    public init(file: SourceFile, start: Int, end: Int) {
        self.file = file
        self.bytes = file.bytes
        self.pos = max(0, min(start, file.bytes.count))
        self.end = max(self.pos, min(end, file.bytes.count))
        self.line = file.line(at: self.pos)
        self.lineStart = file.lineStarts[self.line - 1]
        if start > 0 { brackets = [UInt8(ascii: "(")] }  // interpolation: newlines insignificant
    }

    /// All tokens up to and including `.eof`.
    public mutating func tokenize() -> [Token] {
        var tokens: [Token] = []
        while true {
            let t = next()
            // Collapse runs of newlines.
            if t.kind == .newline, let last = tokens.last, last.kind == .newline { continue }
            tokens.append(t)
            if t.kind == .eof { break }
        }
        if let open = openSolution {
            diagnostics.append(Diagnostic(
                .error, "'# BEGIN SOLUTION' has no matching '# END SOLUTION'", at: open,
                help: ["add '# END SOLUTION' after the solution code"]))
        }
        return tokens
    }

    // MARK: - Scanning

    private func peek(_ ahead: Int = 0) -> UInt8 {
        let i = pos + ahead
        return i < end ? bytes[i] : 0
    }

    private func span(from start: Int, line: Int, column: Int) -> SourceSpan {
        SourceSpan(file: file, offset: start, length: pos - start, line: line, column: column)
    }

    private func make(_ kind: TokenKind, _ start: Int, _ line: Int, _ col: Int,
                      _ literal: TokenLiteral = .none, message: String = "") -> Token {
        Token(kind: kind, span: span(from: start, line: line, column: col), literal: literal, message: message)
    }

    /// The next token.
    public mutating func next() -> Token {
        skipSpaceAndComments()
        let start = pos, l = line, c = pos - lineStart + 1
        guard pos < end else { return make(.eof, start, l, c) }
        let ch = bytes[pos]
        pos += 1
        switch ch {
        case UInt8(ascii: "\n"):
            newLine()
            return make(.newline, start, l, c)
        case UInt8(ascii: "("), UInt8(ascii: "["), UInt8(ascii: "{"):
            brackets.append(ch)
            return make(ch == UInt8(ascii: "(") ? .leftParen : ch == UInt8(ascii: "[") ? .leftBracket : .leftBrace, start, l, c)
        case UInt8(ascii: ")"), UInt8(ascii: "]"), UInt8(ascii: "}"):
            if !brackets.isEmpty { brackets.removeLast() }
            return make(ch == UInt8(ascii: ")") ? .rightParen : ch == UInt8(ascii: "]") ? .rightBracket : .rightBrace, start, l, c)
        case UInt8(ascii: ","): return make(.comma, start, l, c)
        case UInt8(ascii: ";"): return make(.semicolon, start, l, c)
        case UInt8(ascii: ":"): return make(.colon, start, l, c)
        case UInt8(ascii: "@"): return make(.at, start, l, c)
        case UInt8(ascii: "."):
            if peek() == UInt8(ascii: "."), peek(1) == UInt8(ascii: "<") { pos += 2; return make(.rangeHalfOpen, start, l, c) }
            if peek() == UInt8(ascii: "."), peek(1) == UInt8(ascii: ".") { pos += 2; return make(.rangeClosed, start, l, c) }
            return make(.dot, start, l, c)
        case UInt8(ascii: "+"): return make(match("=") ? .plusEqual : .plus, start, l, c)
        case UInt8(ascii: "-"): return make(match("=") ? .minusEqual : .minus, start, l, c)
        case UInt8(ascii: "*"):
            if match("*") { return make(.starStar, start, l, c) }
            return make(match("=") ? .starEqual : .star, start, l, c)
        case UInt8(ascii: "/"):
            if match("/") { return make(.slashSlash, start, l, c) }
            return make(match("=") ? .slashEqual : .slash, start, l, c)
        case UInt8(ascii: "%"): return make(match("=") ? .percentEqual : .percent, start, l, c)
        case UInt8(ascii: "!"): return make(match("=") ? .bangEqual : .bang, start, l, c)
        case UInt8(ascii: "="):
            if match("=") { return make(.equalEqual, start, l, c) }
            return make(match(">") ? .arrow : .equal, start, l, c)
        case UInt8(ascii: "<"): return make(match("=") ? .lessEqual : .less, start, l, c)
        case UInt8(ascii: ">"): return make(match("=") ? .greaterEqual : .greater, start, l, c)
        case UInt8(ascii: "&"):
            if match("&") { return make(.andAnd, start, l, c) }
            return make(.error, start, l, c, message: "unexpected character '&'; did you mean '&&'?")
        case UInt8(ascii: "|"):
            if match(">") { return make(.pipe, start, l, c) }
            if match("|") { return make(.orOr, start, l, c) }
            return make(.error, start, l, c, message: "unexpected character '|'; did you mean '|>' or '||'?")
        case UInt8(ascii: "\""): return string(start, l, c)
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return number(start, l, c)
        default:
            if isIdentStart(ch) { return identifier(start, l, c) }
            // Swallow the rest of a multi-byte UTF-8 character so the error covers it whole.
            if ch >= 0x80 { while pos < end, bytes[pos] & 0xC0 == 0x80 { pos += 1 } }
            let shown = file.slice(offset: start, length: pos - start)
            return make(.error, start, l, c, message: "unexpected character '\(shown)'")
        }
    }

    private mutating func match(_ s: Unicode.Scalar) -> Bool {
        if pos < end, bytes[pos] == UInt8(ascii: s) { pos += 1; return true }
        return false
    }

    private mutating func newLine() {
        line += 1
        lineStart = pos
    }

    private func isIdentStart(_ c: UInt8) -> Bool {
        (c >= UInt8(ascii: "a") && c <= UInt8(ascii: "z")) || (c >= UInt8(ascii: "A") && c <= UInt8(ascii: "Z"))
            || c == UInt8(ascii: "_")
    }

    private func isDigit(_ c: UInt8) -> Bool { c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") }

    /// Skips blanks, comments, and newlines that are not significant.
    private mutating func skipSpaceAndComments() {
        while pos < end {
            let ch = bytes[pos]
            if ch == UInt8(ascii: " ") || ch == UInt8(ascii: "\t") || ch == UInt8(ascii: "\r") {
                pos += 1
            } else if ch == UInt8(ascii: "\\"), peek(1) == UInt8(ascii: "\n") {
                pos += 2; newLine()  // explicit line continuation
            } else if ch == UInt8(ascii: "#") {
                comment()
            } else if ch == UInt8(ascii: "\n"), let open = brackets.last, open != UInt8(ascii: "{") {
                // A line starting with a statement keyword means a bracket was left open:
                // close it here so the error does not swallow the rest of the file.
                if startsStatement(at: pos + 1) {
                    while let last = brackets.last, last != UInt8(ascii: "{") { brackets.removeLast() }
                    return
                }
                pos += 1; newLine()
            } else {
                return
            }
        }
    }

    /// Whether the line starting at `start` begins with a keyword that only starts statements.
    private func startsStatement(at start: Int) -> Bool {
        var i = start
        while i < end, bytes[i] == UInt8(ascii: " ") || bytes[i] == UInt8(ascii: "\t") { i += 1 }
        var word: [UInt8] = []
        while i < end, isIdentStart(bytes[i]) || isDigit(bytes[i]), word.count < 9 { word.append(bytes[i]); i += 1 }
        switch String(decoding: word, as: UTF8.self) {
        case "let", "var", "class", "for", "while", "return", "import", "test", "break", "continue": return true
        default: return false
        }
    }

    /// Skips a comment, recording cell and solution markers.
    private mutating func comment() {
        let start = pos, l = line, c = pos - lineStart + 1
        while pos < end, bytes[pos] != UInt8(ascii: "\n") { pos += 1 }
        let sp = span(from: start, line: l, column: c)
        var body = Substring(sp.text.dropFirst())
        while body.first == " " { body = body.dropFirst() }
        while body.last == " " || body.last == "\r" { body = body.dropLast() }
        if body.hasPrefix("%%") {
            cellMarkers.append(sp)
        } else if body == "BEGIN SOLUTION" {
            if let open = openSolution {
                diagnostics.append(Diagnostic(
                    .error, "'# BEGIN SOLUTION' inside another solution region", at: sp,
                    help: ["the region opened at line \(open.line) needs '# END SOLUTION' first"]))
            } else {
                openSolution = sp
            }
        } else if body == "END SOLUTION" {
            if let open = openSolution {
                solutionRegions.append(SolutionRegion(begin: open, end: sp))
                openSolution = nil
            } else {
                diagnostics.append(Diagnostic(
                    .error, "'# END SOLUTION' without a matching '# BEGIN SOLUTION'", at: sp,
                    help: ["add '# BEGIN SOLUTION' before the solution code, or remove this line"]))
            }
        }
    }

    // MARK: - Literals

    private mutating func identifier(_ start: Int, _ l: Int, _ c: Int) -> Token {
        while pos < end, isIdentStart(bytes[pos]) || isDigit(bytes[pos]) { pos += 1 }
        let text = file.slice(offset: start, length: pos - start)
        return make(keywords[text] ?? .identifier, start, l, c)
    }

    /// number → digits ("." digits)? (("e"|"E") ("+"|"-")? digits)? | "0x" hexdigits | "0b" bits
    private mutating func number(_ start: Int, _ l: Int, _ c: Int) -> Token {
        if bytes[start] == UInt8(ascii: "0"), peek() == UInt8(ascii: "x") || peek() == UInt8(ascii: "b") {
            let radix = peek() == UInt8(ascii: "x") ? 16 : 2
            pos += 1
            var digits = ""
            while pos < end, isIdentStart(bytes[pos]) || isDigit(bytes[pos]) {
                if bytes[pos] != UInt8(ascii: "_") { digits.append(Character(Unicode.Scalar(bytes[pos]))) }
                pos += 1
            }
            guard let v = Int(digits, radix: radix) else {
                return make(.error, start, l, c, message: "invalid \(radix == 16 ? "hexadecimal" : "binary") number")
            }
            return make(.int, start, l, c, .int(v))
        }
        var isFloat = false
        digits()
        if peek() == UInt8(ascii: "."), isDigit(peek(1)) {
            isFloat = true
            pos += 1
            digits()
        }
        if peek() == UInt8(ascii: "e") || peek() == UInt8(ascii: "E") {
            let save = pos
            pos += 1
            if peek() == UInt8(ascii: "+") || peek() == UInt8(ascii: "-") { pos += 1 }
            if isDigit(peek()) { isFloat = true; digits() } else { pos = save }
        }
        if pos < end, isIdentStart(bytes[pos]) {
            while pos < end, isIdentStart(bytes[pos]) || isDigit(bytes[pos]) { pos += 1 }
            return make(.error, start, l, c, message: "invalid number '\(file.slice(offset: start, length: pos - start))'")
        }
        let text = String(file.slice(offset: start, length: pos - start).filter { $0 != "_" })
        if text.hasSuffix("_") || file.slice(offset: start, length: pos - start).hasSuffix("_") {
            return make(.error, start, l, c, message: "a number cannot end with '_'")
        }
        if isFloat {
            guard let v = Double(text) else { return make(.error, start, l, c, message: "invalid number '\(text)'") }
            return make(.float, start, l, c, .float(v))
        }
        guard let v = Int(text) else {
            return make(.error, start, l, c, message: "integer literal '\(text)' is too large (the largest is \(Int.max))")
        }
        return make(.int, start, l, c, .int(v))
    }

    private mutating func digits() {
        while pos < end, isDigit(bytes[pos]) || bytes[pos] == UInt8(ascii: "_") { pos += 1 }
    }

    /// string → '"' (char | escape | "\(" expression ")")* '"'
    private mutating func string(_ start: Int, _ l: Int, _ c: Int) -> Token {
        var parts: [StringPart] = []
        var text: [UInt8] = []
        var problem: String?  // reported after the closing quote, so lexing resumes cleanly
        func flush() {
            if !text.isEmpty { parts.append(.text(String(decoding: text, as: UTF8.self))); text = [] }
        }
        while true {
            guard pos < end, bytes[pos] != UInt8(ascii: "\n") else {
                return make(.error, start, l, c, message: "unterminated string")
            }
            let ch = bytes[pos]
            pos += 1
            if ch == UInt8(ascii: "\"") { break }
            if ch != UInt8(ascii: "\\") { text.append(ch); continue }
            guard pos < end else { return make(.error, start, l, c, message: "unterminated string") }
            let esc = bytes[pos]
            pos += 1
            switch esc {
            case UInt8(ascii: "n"): text.append(10)
            case UInt8(ascii: "t"): text.append(9)
            case UInt8(ascii: "r"): text.append(13)
            case UInt8(ascii: "0"): text.append(0)
            case UInt8(ascii: "\\"), UInt8(ascii: "\""), UInt8(ascii: "'"): text.append(esc)
            case UInt8(ascii: "("):
                flush()
                let codeStart = pos
                var depth = 1
                var inString = false
                while pos < end, bytes[pos] != UInt8(ascii: "\n") {
                    let b = bytes[pos]
                    if inString {
                        if b == UInt8(ascii: "\\") { pos += 1 } else if b == UInt8(ascii: "\"") { inString = false }
                    } else if b == UInt8(ascii: "\"") {
                        inString = true
                    } else if b == UInt8(ascii: "(") {
                        depth += 1
                    } else if b == UInt8(ascii: ")") {
                        depth -= 1
                        if depth == 0 { break }
                    }
                    pos += 1
                }
                guard depth == 0, pos < end else {
                    return make(.error, start, l, c, message: "unterminated interpolation '\\(' in string")
                }
                parts.append(.code(start: codeStart, end: pos))
                pos += 1
            case UInt8(ascii: "u"):
                guard match("{") else { problem = problem ?? "expected '{' after '\\u'"; continue }
                var hex = ""
                while pos < end, bytes[pos] != UInt8(ascii: "}"), hex.count < 8 {
                    hex.append(Character(Unicode.Scalar(bytes[pos]))); pos += 1
                }
                guard match("}"), let v = UInt32(hex, radix: 16), let scalar = Unicode.Scalar(v) else {
                    problem = problem ?? "invalid unicode escape '\\u{\(hex)}'"
                    continue
                }
                text.append(contentsOf: Array(String(Character(scalar)).utf8))
            default:
                let shown = String(decoding: [esc], as: UTF8.self)
                problem = problem ?? "unknown escape sequence '\\\(shown)' in string"
            }
        }
        if let problem { return make(.error, start, l, c, message: problem) }
        flush()
        return make(.string, start, l, c, .string(parts))
    }
}
