// Syntax highlighting of code cells, for the terminal (ANSI) and for HTML (class names).
// It uses the language's own Lexer, so it agrees with the interpreter about what a keyword,
// a string or a number is; comments are the text between tokens from `#` to the line end.

import Language

/// The role of a piece of code, for colouring.
enum CodeRole {
    case plain, keyword, string, number, comment, function
}

enum Highlight {
    /// The code's lines, each as (text, role) pieces that join back to the line exactly.
    static func pieces(_ code: String) -> [[(text: String, role: CodeRole)]] {
        let file = SourceFile(path: "<cell>", text: code)
        var lexer = Lexer(file: file)
        var roles = [CodeRole](repeating: .plain, count: file.bytes.count)
        var previous: Token?
        while true {
            let t = lexer.next()
            if t.kind == .eof { break }
            let role: CodeRole
            switch t.kind {
            case .kwLet, .kwVar, .kwFn, .kwClass, .kwIf, .kwElse, .kwFor, .kwIn, .kwWhile, .kwBreak, .kwContinue,
                 .kwReturn, .kwTrue, .kwFalse, .kwNil, .kwImport, .kwTest, .kwExpect, .kwAnd, .kwOr, .kwNot, .kwSelf:
                role = .keyword
            case .string: role = .string
            case .int, .float: role = .number
            case .identifier where previous?.kind == .kwFn: role = .function
            default: role = .plain
            }
            if role != .plain {
                let end = min(t.offset + t.length, roles.count)
                if t.offset < end { for k in t.offset..<end { roles[k] = role } }
            }
            previous = t
            if t.kind == .error { break }
        }
        // Comments: a `#` outside any token, to the end of its line.
        var k = 0
        let bytes = file.bytes
        var inComment = false
        while k < bytes.count {
            if bytes[k] == UInt8(ascii: "\n") { inComment = false }
            else if !inComment, bytes[k] == UInt8(ascii: "#"), roles[k] == .plain { inComment = true }
            if inComment { roles[k] = .comment }
            k += 1
        }
        // Group bytes into pieces per line.
        var lines: [[(text: String, role: CodeRole)]] = [[]]
        var start = 0
        func emit(_ end: Int) {
            guard end > start else { return }
            lines[lines.count - 1].append((String(decoding: bytes[start..<end], as: UTF8.self), roles[start]))
        }
        k = 0
        while k < bytes.count {
            if bytes[k] == UInt8(ascii: "\n") {
                emit(k)
                lines.append([])
                start = k + 1
            } else if roles[k] != roles[start] {
                emit(k)
                start = k
            }
            k += 1
        }
        emit(bytes.count)
        return lines.map { $0.map { ($0.text.hasSuffix("\r") ? String($0.text.dropLast()) : $0.text, $0.role) } }
    }

    /// The code with ANSI colours, one string per line.
    static func ansi(_ code: String) -> [String] {
        pieces(code).map { line in
            line.map { piece in
                let c: String
                switch piece.role {
                case .plain: return piece.text
                case .keyword: c = "35"
                case .string: c = "32"
                case .number: c = "33"
                case .comment: c = "2;3"
                case .function: c = "34"
                }
                return "\u{1B}[\(c)m\(piece.text)\u{1B}[0m"
            }.joined()
        }
    }

    /// The code as escaped HTML with `<span class="…">` around keywords, strings, numbers,
    /// comments and function names.
    static func html(_ code: String) -> String {
        pieces(code).map { line in
            line.map { piece in
                let text = HTML.escape(piece.text)
                switch piece.role {
                case .plain: return text
                case .keyword: return "<span class=\"kw\">\(text)</span>"
                case .string: return "<span class=\"st\">\(text)</span>"
                case .number: return "<span class=\"nu\">\(text)</span>"
                case .comment: return "<span class=\"co\">\(text)</span>"
                case .function: return "<span class=\"fn\">\(text)</span>"
                }
            }.joined()
        }.joined(separator: "\n")
    }
}
