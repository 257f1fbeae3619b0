// Tokens: what the lexer produces and the parser consumes.

/// The kind of a token.
public enum TokenKind: Equatable, Sendable {
    // Single- and multi-character punctuation.
    case leftParen, rightParen, leftBracket, rightBracket, leftBrace, rightBrace
    case comma, dot, colon, semicolon, arrow /* => */
    case plus, minus, star, slash, slashSlash, percent, starStar, at, pipe /* |> */
    case bang, equal, equalEqual, bangEqual, less, lessEqual, greater, greaterEqual
    case plusEqual, minusEqual, starEqual, slashEqual, percentEqual
    case andAnd, orOr, rangeHalfOpen /* ..< */, rangeClosed /* ... */
    // Literals.
    case identifier, int, float, string
    // Keywords.
    case kwLet, kwVar, kwFn, kwClass, kwIf, kwElse, kwFor, kwIn, kwWhile, kwBreak, kwContinue
    case kwReturn, kwTrue, kwFalse, kwNil, kwImport, kwTest, kwExpect, kwAnd, kwOr, kwNot, kwSelf
    // Layout and errors.
    case newline, eof
    /// A lexical error; the message is in `Token.message`.
    case error
}

/// One piece of a string literal: literal text or an interpolated expression's source range.
public enum StringPart: Sendable {
    case text(String)
    /// The byte range `start..<end` of the code inside `\( … )`.
    case code(start: Int, end: Int)
}

/// A literal's value, decoded by the lexer.
public enum TokenLiteral: Sendable {
    case none
    case int(Int)
    case float(Double)
    case string([StringPart])
}

/// A token with its exact position.
public struct Token: Sendable {
    public let kind: TokenKind
    public let span: SourceSpan
    public let literal: TokenLiteral
    /// For `.error` tokens, what went wrong.
    public let message: String

    /// The source text of the token.
    public var lexeme: String { kind == .newline ? "newline" : kind == .eof ? "end of file" : span.text }
    public var line: Int { span.line }
    public var column: Int { span.column }
    public var offset: Int { span.offset }
    public var length: Int { span.length }
}

/// Keywords by spelling.
let keywords: [String: TokenKind] = [
    "let": .kwLet, "var": .kwVar, "fn": .kwFn, "class": .kwClass, "if": .kwIf, "else": .kwElse,
    "for": .kwFor, "in": .kwIn, "while": .kwWhile, "break": .kwBreak, "continue": .kwContinue,
    "return": .kwReturn, "true": .kwTrue, "false": .kwFalse, "nil": .kwNil, "import": .kwImport,
    "test": .kwTest, "expect": .kwExpect, "and": .kwAnd, "or": .kwOr, "not": .kwNot, "self": .kwSelf,
]
