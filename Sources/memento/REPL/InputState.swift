// Deciding whether REPL input is finished or needs another line.

import Language

enum InputState {
    /// Whether `text` is an unfinished entry that should get a continuation line: a bracket
    /// or block left open, a trailing operator, comma, `.`, `=`, `=>` or keyword that needs
    /// an operand (`and`, `or`, `not`, `in`, `else`, `if`), or a trailing `\`.
    ///
    /// A lexical error ends the entry at once, so it is reported: in particular an
    /// unterminated string, since Memento strings cannot span lines and no further line
    /// could finish it.
    static func isIncomplete(_ text: String) -> Bool { analyze(text).incomplete }

    /// Whether a line that ends with an operator needs a `\` to continue: in Memento a newline
    /// ends a statement except inside `( … )` and `[ … ]`, so `1 +⏎2` is only one expression
    /// when written `1 + \⏎2`. The REPL adds the `\` itself, so the entry (and its history
    /// entry) is valid Memento source.
    static func needsLineJoin(_ text: String) -> Bool { analyze(text).join }

    private static func analyze(_ text: String) -> (incomplete: Bool, join: Bool) {
        var trimmed = Substring(text)
        while let last = trimmed.last, last == " " || last == "\t" || last == "\r" || last == "\n" {
            trimmed = trimmed.dropLast()
        }
        if trimmed.isEmpty { return (false, false) }
        if trimmed.last == "\\" { return (true, false) }
        var lexer = Lexer(file: SourceFile(path: "<input>", text: text))
        let tokens = lexer.tokenize()
        var open: [TokenKind] = []
        var unbalanced = false
        var last: TokenKind?
        for t in tokens {
            switch t.kind {
            case .error: return (false, false)
            case .leftParen, .leftBracket, .leftBrace: open.append(t.kind)
            case .rightParen, .rightBracket, .rightBrace: if open.popLast() == nil { unbalanced = true }
            default: break
            }
            if t.kind != .newline, t.kind != .eof { last = t.kind }
        }
        if unbalanced { return (false, false) }
        let newlinesIgnored = open.last == .leftParen || open.last == .leftBracket
        guard let last else { return (!open.isEmpty, false) }
        let trailingOperator: Bool
        switch last {
        case .plus, .minus, .star, .slash, .slashSlash, .percent, .starStar, .at, .pipe,
             .equalEqual, .bangEqual, .less, .lessEqual, .greater, .greaterEqual,
             .equal, .plusEqual, .minusEqual, .starEqual, .slashEqual, .percentEqual,
             .andAnd, .orOr, .kwAnd, .kwOr, .kwNot, .bang, .kwIn, .kwElse, .kwIf,
             .comma, .dot, .arrow, .rangeHalfOpen, .rangeClosed:
            trailingOperator = true
        default:
            trailingOperator = false
        }
        return (!open.isEmpty || trailingOperator, trailingOperator && !newlinesIgnored)
    }
}
