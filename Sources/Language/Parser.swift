// The parser: recursive descent for statements, Pratt precedence climbing for expressions.
// Each method parses one grammar rule, written in EBNF in its comment (docs/LANGUAGE.md has
// the whole grammar). On an error the parser reports it, enters panic mode, and skips to the
// start of the next statement, so one mistake gives one diagnostic.

/// Thrown to unwind to the nearest statement boundary after a syntax error.
struct ParseError: Error {}

/// Binding power of infix operators, lowest first.
enum Precedence: Int, Comparable {
    case none, conditional, pipe, or, and, not, comparison, range, term, factor, unary, power, postfix
    static func < (a: Precedence, b: Precedence) -> Bool { a.rawValue < b.rawValue }
}

/// Parses tokens into a `Program`.
public struct Parser {
    /// How deeply blocks and expressions may nest before the parser gives up with a diagnostic.
    public static let maxNesting = 100
    /// Diagnostics beyond this many are dropped (a file that bad needs its first errors fixed).
    public static let maxDiagnostics = 50

    private let file: SourceFile
    private var tokens: [Token]
    private var current = 0
    private var depth = 0
    private var panicking = false
    private(set) var diagnostics: [Diagnostic] = []
    private var lexerInfo: (regions: [SolutionRegion], cells: [SourceSpan]) = ([], [])

    /// Parses a whole source file.
    public static func parse(_ file: SourceFile) -> Program {
        var lexer = Lexer(file: file)
        let tokens = lexer.tokenize()
        var parser = Parser(file: file, tokens: tokens)
        parser.diagnostics = lexer.diagnostics
        let statements = parser.program()
        return Program(file: file, statements: statements, diagnostics: parser.diagnostics,
                       solutionRegions: lexer.solutionRegions, cellMarkers: lexer.cellMarkers)
    }

    init(file: SourceFile, tokens: [Token], depth: Int = 0) {
        self.file = file
        self.tokens = tokens.isEmpty
            ? [Token(kind: .eof, span: SourceSpan(file: file, offset: 0, length: 0, line: 1, column: 1), literal: .none, message: "")]
            : tokens
        self.depth = depth
    }

    // MARK: - Token helpers

    private var peek: Token { tokens[current] }
    private var previous: Token { tokens[max(current - 1, 0)] }
    private var isAtEnd: Bool { peek.kind == .eof }

    private func check(_ kind: TokenKind) -> Bool { peek.kind == kind }

    private func peekKind(_ ahead: Int) -> TokenKind {
        let i = current + ahead
        return i < tokens.count ? tokens[i].kind : .eof
    }

    @discardableResult
    private mutating func advance() -> Token {
        let t = tokens[current]
        if t.kind != .eof { current += 1 }
        return t
    }

    private mutating func match(_ kinds: TokenKind...) -> Bool {
        for k in kinds where check(k) {
            advance()
            return true
        }
        return false
    }

    private mutating func skipNewlines() {
        while check(.newline) { advance() }
    }

    /// Consumes a token of `kind` or reports `message` at the current token and panics.
    @discardableResult
    private mutating func consume(_ kind: TokenKind, _ message: String, help: [String] = []) throws(ParseError) -> Token {
        if check(kind) { return advance() }
        throw error(message, at: peek, help: help)
    }

    // MARK: - Errors

    /// Reports an error at a token (using the lexer's message for an error token).
    @discardableResult
    private mutating func error(_ message: String, at token: Token, help: [String] = []) -> ParseError {
        if token.kind == .error {
            report(token.message, at: token.span, help: help)
        } else if token.kind != .newline, current > 0, token.line > previous.line, previous.kind != .newline {
            // The newline was swallowed inside brackets: point at the end of the line where
            // the missing token belongs, not at the next line.
            let p = previous.span
            let at = SourceSpan(file: p.file, offset: p.offset + p.length, length: 1, line: p.line, column: p.column + p.length)
            report("\(message), found end of line", at: at, help: help)
        } else {
            let found: String
            switch token.kind {
            case .eof: found = "end of file"
            case .newline: found = "end of line"
            default: found = "'\(token.lexeme)'"
            }
            report("\(message), found \(found)", at: token.span, help: help)
        }
        return ParseError()
    }

    /// Records a diagnostic unless already panicking (panic mode suppresses cascades).
    private mutating func report(_ message: String, at span: SourceSpan, help: [String] = []) {
        if panicking || diagnostics.count >= Parser.maxDiagnostics { return }
        panicking = true
        diagnostics.append(Diagnostic(.error, message, at: span, help: help))
    }

    /// Records a diagnostic that does not disturb parsing (no panic).
    private mutating func note(_ message: String, at span: SourceSpan, help: [String] = []) {
        if panicking || diagnostics.count >= Parser.maxDiagnostics { return }
        diagnostics.append(Diagnostic(.error, message, at: span, help: help))
    }

    /// Skips tokens until a statement boundary: after a newline or ';', or before a keyword that
    /// starts a statement, or before a '}' that may close the enclosing block.
    private mutating func synchronize() {
        panicking = false
        var openBraces = 0  // braces opened while skipping, whose '}' must be skipped too
        while !isAtEnd {
            if openBraces == 0, previous.kind == .newline || previous.kind == .semicolon { return }
            switch peek.kind {
            case .kwLet, .kwVar, .kwFn, .kwClass, .kwIf, .kwFor, .kwWhile, .kwReturn, .kwImport, .kwTest,
                 .kwExpect:
                if openBraces == 0 { return }
                advance()
            case .rightBrace:
                if openBraces == 0 { return }
                openBraces -= 1
                advance()
            case .leftBrace:
                openBraces += 1
                advance()
            default:
                advance()
            }
        }
    }

    private mutating func nest(_ span: SourceSpan) throws(ParseError) {
        depth += 1
        if depth > Parser.maxNesting {
            report("code is nested too deeply (more than \(Parser.maxNesting) levels)", at: span,
                   help: ["split the expression or block into smaller functions or variables"])
            throw ParseError()
        }
    }

    // MARK: - Statements

    /// program → declaration* EOF
    mutating func program() -> [Stmt] {
        var statements: [Stmt] = []
        while true {
            while match(.newline, .semicolon) {}
            if isAtEnd { break }
            if check(.rightBrace) {
                report("unexpected '}' with no block to close", at: peek.span,
                       help: ["remove this '}' or add the '{' it should match"])
                advance()
                synchronize()
                continue
            }
            if let s = declaration() { statements.append(s) }
        }
        return statements
    }

    /// declaration → classDecl | fnDecl | binding | statement   (recovers from errors)
    private mutating func declaration() -> Stmt? {
        let savedDepth = depth
        let start = current
        do {
            let stmt: Stmt
            if check(.kwClass) {
                stmt = try classDeclaration()
            } else if check(.kwFn), peekKind(1) == .identifier {
                stmt = try functionDeclaration()
            } else if check(.kwLet) || check(.kwVar) {
                stmt = try binding()
                try endOfStatement("declaration")
            } else {
                stmt = try statement()
            }
            return stmt
        } catch {
            depth = savedDepth
            // Always make progress, or a token no rule accepts would be reported forever.
            if current == start { advance() }
            synchronize()
            return nil
        }
    }

    /// Requires a newline, ';', '}' or end of file after a simple statement.
    private mutating func endOfStatement(_ what: String) throws(ParseError) {
        if match(.newline, .semicolon) || check(.rightBrace) || isAtEnd { return }
        throw error("expected newline or ';' after \(what)", at: peek)
    }

    /// binding → ("let" | "var") pattern ("=" expression)?
    private mutating func binding() throws(ParseError) -> Stmt {
        let keyword = advance()
        let mutable = keyword.kind == .kwVar
        let pattern = try self.pattern()
        var value: Expr?
        if match(.equal) {
            value = try expression()
        } else if !mutable {
            note("a 'let' constant needs a value", at: pattern.span,
                 help: ["write 'let \(pattern.span.text) = …', or use 'var' for a variable assigned later"])
        } else if case .tuple = pattern {
            throw error("expected '=' after a destructuring pattern", at: peek)
        }
        let end = value?.span ?? pattern.span
        return Stmt(kind: .binding(pattern, mutable: mutable, value), span: keyword.span.through(end))
    }

    /// pattern → IDENTIFIER | "(" pattern ("," pattern)* ","? ")"
    private mutating func pattern() throws(ParseError) -> Pattern {
        if check(.identifier) {
            let t = advance()
            return .name(t.lexeme, t.span)
        }
        if check(.leftParen) {
            let open = advance()
            var parts: [Pattern] = []
            repeat {
                if check(.rightParen) { break }
                parts.append(try pattern())
            } while match(.comma)
            let close = try consume(.rightParen, "expected ')' after destructuring pattern")
            return .tuple(parts, open.span.through(close.span))
        }
        if case .kwSelf = peek.kind { throw error("'self' cannot be rebound; expected a variable name", at: peek) }
        throw error("expected a variable name", at: peek)
    }

    /// fnDecl → "fn" IDENTIFIER "(" parameters? ")" block
    private mutating func functionDeclaration() throws(ParseError) -> Stmt {
        let keyword = advance()
        let decl = try function(keyword: keyword)
        return Stmt(kind: .function(decl), span: keyword.span.through(decl.nameSpan))
    }

    private mutating func function(keyword: Token) throws(ParseError) -> FunctionDecl {
        let name = try consume(.identifier, "expected a function name after 'fn'")
        try consume(.leftParen, "expected '(' after the function name '\(name.lexeme)'")
        let params = try parameters()
        let body = try block("function body")
        return FunctionDecl(name: name.lexeme, nameSpan: name.span, parameters: params, body: body,
                            span: keyword.span.through(previous.span))
    }

    /// parameters → parameter ("," parameter)* ","? ")"   ;   parameter → IDENTIFIER ("=" expression)?
    private mutating func parameters() throws(ParseError) -> [Parameter] {
        var params: [Parameter] = []
        var sawDefault = false
        while !check(.rightParen) {
            let name = try consume(.identifier, "expected a parameter name")
            if params.contains(where: { $0.name == name.lexeme }) {
                note("duplicate parameter '\(name.lexeme)'", at: name.span)
            }
            var def: Expr?
            if match(.equal) {
                def = try expression()
                sawDefault = true
            } else if sawDefault {
                note("parameter '\(name.lexeme)' needs a default value because an earlier one has one",
                     at: name.span, help: ["move parameters with defaults to the end"])
            }
            params.append(Parameter(name: name.lexeme, span: name.span, defaultValue: def))
            if !match(.comma) { break }
        }
        try consume(.rightParen, "expected ')' after parameters")
        return params
    }

    /// classDecl → "class" IDENTIFIER "{" (("var" | "let") IDENTIFIER ("=" expression)? | fnDecl)* "}"
    private mutating func classDeclaration() throws(ParseError) -> Stmt {
        let keyword = advance()
        let name = try consume(.identifier, "expected a class name after 'class'")
        let open = try consume(.leftBrace, "expected '{' after the class name '\(name.lexeme)'")
        try nest(open.span)
        var fields: [FieldDecl] = []
        var methods: [FunctionDecl] = []
        while true {
            while match(.newline, .semicolon) {}
            if check(.rightBrace) || isAtEnd { break }
            let start = current
            do {
                if check(.kwVar) || check(.kwLet) {
                    let kw = advance()
                    let field = try consume(.identifier, "expected a field name after '\(kw.lexeme)'")
                    var def: Expr?
                    if match(.equal) { def = try expression() }
                    fields.append(FieldDecl(name: field.lexeme, span: field.span, mutable: kw.kind == .kwVar, defaultValue: def))
                    try endOfStatement("field declaration")
                } else if check(.kwFn) {
                    let kw = advance()
                    methods.append(try function(keyword: kw))
                } else {
                    throw error("expected 'var', 'let' or 'fn' in the body of class '\(name.lexeme)'", at: peek)
                }
            } catch {
                if current == start { advance() }
                synchronize()
            }
        }
        try consume(.rightBrace, "expected '}' to close class '\(name.lexeme)' opened at line \(open.line)")
        depth -= 1
        let decl = ClassDecl(name: name.lexeme, nameSpan: name.span, fields: fields, methods: methods,
                             span: keyword.span.through(previous.span))
        return Stmt(kind: .classDecl(decl), span: keyword.span.through(name.span))
    }

    /// statement → ifStmt | forStmt | whileStmt | returnStmt | "break" | "continue" | importStmt
    ///           | testStmt | expectStmt | block | assignment
    private mutating func statement() throws(ParseError) -> Stmt {
        let t = peek
        switch t.kind {
        case .kwIf: return try ifStatement()
        case .kwFor: return try forStatement()
        case .kwWhile:
            advance()
            let cond = try expression()
            let body = try block("'while' body")
            return Stmt(kind: .whileStmt(cond, body), span: t.span.through(cond.span))
        case .kwReturn:
            advance()
            var value: Expr?
            if !(check(.newline) || check(.semicolon) || check(.rightBrace) || isAtEnd) { value = try expression() }
            try endOfStatement("'return'")
            return Stmt(kind: .returnStmt(value), span: t.span.through(value?.span ?? t.span))
        case .kwBreak:
            advance()
            try endOfStatement("'break'")
            return Stmt(kind: .breakStmt, span: t.span)
        case .kwContinue:
            advance()
            try endOfStatement("'continue'")
            return Stmt(kind: .continueStmt, span: t.span)
        case .kwImport: return try importStatement()
        case .kwTest: return try testStatement()
        case .kwExpect:
            advance()
            let cond = try expression()
            var message: Expr?
            var tolerance: Expr?, points: Expr?
            // expect cond [, message] {, tolerance: x | points: k}
            while match(.comma) {
                if check(.identifier), peekKind(1) == .colon {
                    let label = advance()
                    advance()
                    let value = try expression()
                    switch label.lexeme {
                    case "tolerance" where tolerance == nil: tolerance = value
                    case "points" where points == nil: points = value
                    case "tolerance", "points":
                        note("the option '\(label.lexeme)' is given twice", at: label.span)
                    default:
                        note("unknown expect option '\(label.lexeme)'", at: label.span,
                             help: (didYouMean(label.lexeme, among: ["tolerance", "points"]).map { [$0] } ?? [])
                                + ["expect takes 'tolerance: x' (for ==) and 'points: k' (partial credit in a test)"])
                    }
                } else if message == nil && tolerance == nil && points == nil {
                    message = try expression()
                } else {
                    throw error("expected 'tolerance:' or 'points:' after the expectation's message", at: peek)
                }
            }
            try endOfStatement("'expect'")
            return Stmt(kind: .expect(cond, message: message, tolerance: tolerance, points: points), span: t.span.through(cond.span))
        case .leftBrace where peekKind(1) == .newline:
            let body = try block("block")
            return Stmt(kind: .block(body), span: t.span)
        default:
            return try assignment()
        }
    }

    /// ifStmt → "if" expression block ("else" (ifStmt | block))?
    private mutating func ifStatement() throws(ParseError) -> Stmt {
        let keyword = advance()
        let cond = try expression()
        let then = try block("'if' body")
        var elseBranch: Stmt?
        // Allow `}` and `else` on separate lines.
        var look = current
        while look < tokens.count, tokens[look].kind == .newline { look += 1 }
        if look < tokens.count, tokens[look].kind == .kwElse {
            current = look
            advance()
            if check(.kwIf) {
                elseBranch = try ifStatement()
            } else {
                let open = peek
                let body = try block("'else' body")
                elseBranch = Stmt(kind: .block(body), span: open.span)
            }
        }
        return Stmt(kind: .ifStmt(cond: cond, then: then, else: elseBranch), span: keyword.span.through(cond.span))
    }

    /// forStmt → "for" pattern "in" expression block
    private mutating func forStatement() throws(ParseError) -> Stmt {
        let keyword = advance()
        let pat = try pattern()
        try consume(.kwIn, "expected 'in' after the loop variable", help: ["write 'for x in items { … }'"])
        let seq = try expression()
        let body = try block("'for' body")
        return Stmt(kind: .forStmt(pat, seq, body), span: keyword.span.through(seq.span))
    }

    /// importStmt → "import" STRING
    private mutating func importStatement() throws(ParseError) -> Stmt {
        let keyword = advance()
        let path = try consume(.string, "expected a file name in quotes after 'import'", help: ["write 'import \"helpers.mem\"'"])
        guard case .string(let parts) = path.literal, let text = plainText(parts) else {
            throw error("an import path cannot use interpolation", at: path)
        }
        try endOfStatement("import")
        return Stmt(kind: .importStmt(path: text, pathSpan: path.span), span: keyword.span.through(path.span))
    }

    /// testStmt → "test" STRING ("(" option ("," option)* ")")? block, where an option is
    /// `points: N`, `hidden: true|false` or `timeout: seconds`.
    private mutating func testStatement() throws(ParseError) -> Stmt {
        let keyword = advance()
        let nameToken = try consume(.string, "expected the test's name in quotes after 'test'", help: ["write 'test \"name\" (points: 1) { expect … }'"])
        guard case .string(let parts) = nameToken.literal, let name = plainText(parts) else {
            throw error("a test name cannot use interpolation", at: nameToken)
        }
        var options = TestOptions()
        if match(.leftParen) {
            repeat {
                if check(.rightParen) { break }
                let label = try consume(.identifier, "expected a test option ('points', 'hidden' or 'timeout')")
                try consume(.colon, "expected ':' after '\(label.lexeme)'")
                let value = try expression()
                switch label.lexeme {
                case "points" where options.points == nil: options.points = value
                case "hidden" where options.hidden == nil: options.hidden = value
                case "timeout" where options.timeout == nil: options.timeout = value
                case "points", "hidden", "timeout":
                    note("the test option '\(label.lexeme)' is given twice", at: label.span)
                default:
                    note("unknown test option '\(label.lexeme)'", at: label.span,
                         help: (didYouMean(label.lexeme, among: ["points", "hidden", "timeout"]).map { [$0] } ?? [])
                            + ["the options are 'points: N', 'hidden: true' and 'timeout: seconds'"])
                }
            } while match(.comma)
            try consume(.rightParen, "expected ')' after the test's options")
        }
        let body = try block("test body")
        return Stmt(kind: .test(name: name, options: options, body: body), span: keyword.span.through(nameToken.span))
    }

    private func plainText(_ parts: [StringPart]) -> String? {
        var s = ""
        for p in parts {
            guard case .text(let t) = p else { return nil }
            s += t
        }
        return s
    }

    /// The `{` ending a line at or after `line` whose block, by indentation, ends without a
    /// `}`: the next non-blank line indented no deeper than the brace's line does not start
    /// with `}`. Nil when indentation does not tell.
    static func unclosedBrace(in file: SourceFile, from line: Int) -> SourceSpan? {
        let count = file.lineStarts.count
        func indent(_ l: Int) -> Int { file.lineText(l).prefix { $0 == " " || $0 == "\t" }.count }
        func blank(_ l: Int) -> Bool {
            let t = file.lineText(l).trimmingSpaces()
            return t.isEmpty || t.hasPrefix("#")
        }
        guard count - line < 100_000 else { return nil }
        var l = line
        while l <= count {
            var text = file.lineText(l)
            if let hash = text.firstIndex(of: "#") { text = String(text[..<hash]) }
            let trimmed = text.trimmingSpaces()
            if trimmed.hasSuffix("{") {
                let depth = indent(l)
                var m = l + 1
                while m <= count, blank(m) || indent(m) > depth { m += 1 }
                if m > count || !file.lineText(m).trimmingSpaces().hasPrefix("}") {
                    guard let brace = text.utf8.lastIndex(of: UInt8(ascii: "{")) else { return nil }
                    let column = text.utf8.distance(from: text.utf8.startIndex, to: brace)
                    return SourceSpan(file: file, offset: file.lineStarts[l - 1] + column, length: 1, line: l, column: column + 1)
                }
            }
            l += 1
        }
        return nil
    }

    /// block → "{" declaration* "}"
    private mutating func block(_ what: String) throws(ParseError) -> [Stmt] {
        let open = try consume(.leftBrace, "expected '{' to start the \(what)",
                               help: check(.equal) ? ["'=' assigns; use '==' to compare"] : [])
        try nest(open.span)
        var statements: [Stmt] = []
        while true {
            while match(.newline, .semicolon) {}
            if check(.rightBrace) || isAtEnd { break }
            if let s = declaration() { statements.append(s) }
        }
        if isAtEnd {
            // Report at the brace that was opened, not at the end of the file: by indentation,
            // the block that lost its '}' is the first one inside whose lines dedent without it.
            let culprit = Parser.unclosedBrace(in: open.span.file, from: open.line) ?? open.span
            let here = culprit.line == open.line ? "the \(what)" : "this block"
            report("this '{' is never closed: \(here) runs to the end of the file", at: culprit,
                   help: ["add '}' where the block ends (the lines after it are indented less)"])
            throw ParseError()
        }
        advance()
        depth -= 1
        return statements
    }

    /// assignment → expression (("=" | "+=" | "-=" | "*=" | "/=" | "%=") expression)?
    private mutating func assignment() throws(ParseError) -> Stmt {
        let target = try expression()
        let ops: [TokenKind: BinaryOperator?] = [
            .equal: nil, .plusEqual: .add, .minusEqual: .subtract, .starEqual: .multiply,
            .slashEqual: .divide, .percentEqual: .modulo,
        ]
        if let op = ops[peek.kind] {
            let opToken = advance()
            switch target.kind {
            case .name, .member, .index: break
            default:
                note("cannot assign to this expression", at: target.span,
                     help: ["only variables, fields (a.b) and elements (a[i]) can be assigned"])
            }
            let value = try expression()
            try endOfStatement("assignment")
            return Stmt(kind: .assign(target: target, op: op, value: value, operatorSpan: opToken.span),
                        span: target.span.through(value.span))
        }
        try endOfStatement("expression")
        return Stmt(kind: .expression(target), span: target.span)
    }

    // MARK: - Expressions

    /// expression → conditional
    mutating func expression() throws(ParseError) -> Expr {
        try nest(peek.span)
        defer { depth -= 1 }
        return try parsePrecedence(.conditional)
    }

    /// The infix binding power of a token, or `.none` if it is not an infix operator.
    private func infixPrecedence(_ kind: TokenKind) -> Precedence {
        switch kind {
        case .kwIf: return .conditional
        case .pipe: return .pipe
        case .kwOr, .orOr: return .or
        case .kwAnd, .andAnd: return .and
        case .equalEqual, .bangEqual, .less, .lessEqual, .greater, .greaterEqual, .kwIn: return .comparison
        case .rangeHalfOpen, .rangeClosed: return .range
        case .plus, .minus: return .term
        case .star, .slash, .slashSlash, .percent, .at: return .factor
        case .starStar: return .power
        case .leftParen, .leftBracket, .dot: return .postfix
        default: return .none
        }
    }

    /// Operators that may start a continuation line (`|> relu`, `.method()`, `and …`).
    private func continuesLine(_ kind: TokenKind) -> Bool {
        switch kind {
        case .pipe, .dot, .kwAnd, .kwOr, .andAnd, .orOr: return true
        default: return false
        }
    }

    /// Pratt loop: a prefix expression, then infix operators binding at least as tightly as `minimum`.
    ///
    ///     conditional → pipeline ("if" pipeline "else" conditional)?
    ///     pipeline    → or ("|>" or)*
    ///     or          → and (("or" | "||") and)*
    ///     and         → not (("and" | "&&") not)*
    ///     not         → "not" not | comparison
    ///     comparison  → range (("==" | "!=" | "<" | "<=" | ">" | ">=" | "in") range)?
    ///     range       → term (("..<" | "...") term)?
    ///     term        → factor (("+" | "-") factor)*
    ///     factor      → unary (("*" | "/" | "//" | "%" | "@") unary)*
    ///     unary       → ("-" | "!") unary | power
    ///     power       → postfix ("**" unary)?
    private mutating func parsePrecedence(_ minimum: Precedence) throws(ParseError) -> Expr {
        var left = try prefix(minimum)
        while true {
            if check(.newline) {
                var look = current
                while look < tokens.count, tokens[look].kind == .newline { look += 1 }
                guard look < tokens.count, continuesLine(tokens[look].kind),
                      infixPrecedence(tokens[look].kind) >= minimum else { break }
                current = look
            }
            let prec = infixPrecedence(peek.kind)
            if prec == .none || prec < minimum { break }
            left = try infix(left, prec)
        }
        return left
    }

    /// Prefix rules: `not`, unary minus and `!`, then postfix/primary.
    private mutating func prefix(_ minimum: Precedence) throws(ParseError) -> Expr {
        let t = peek
        switch t.kind {
        case .kwNot where minimum <= .not:
            advance()
            try nest(t.span)
            defer { depth -= 1 }
            let operand = try parsePrecedence(.not)
            return Expr(kind: .unary(.not, operand), span: t.span.through(operand.span))
        case .kwNot, .minus, .bang:
            advance()
            try nest(t.span)
            defer { depth -= 1 }
            let operand = try parsePrecedence(.unary)
            return Expr(kind: .unary(t.kind == .minus ? .negate : .not, operand), span: t.span.through(operand.span))
        default:
            return try primary()
        }
    }

    /// Infix rules: binary operators, ranges, calls, indexing, member access, conditionals.
    private mutating func infix(_ left: Expr, _ prec: Precedence) throws(ParseError) -> Expr {
        let op = advance()
        switch op.kind {
        case .leftParen: return try call(left)
        case .leftBracket: return try index(left)
        case .dot:
            let name = try consume(.identifier, "expected a member name after '.'")
            return Expr(kind: .member(left, name.lexeme, nameSpan: name.span), span: left.span.through(name.span))
        case .kwIf:
            let cond = try parsePrecedence(.pipe)
            try consume(.kwElse, "expected 'else' in conditional expression", help: ["write 'a if condition else b'"])
            let other = try parsePrecedence(.conditional)
            return Expr(kind: .conditional(cond: cond, then: left, else: other), span: left.span.through(other.span))
        case .kwAnd, .andAnd, .kwOr, .orOr:
            let right = try parsePrecedence(Precedence(rawValue: prec.rawValue + 1) ?? .postfix)
            let isAnd = op.kind == .kwAnd || op.kind == .andAnd
            return Expr(kind: .logical(isAnd: isAnd, left, right), span: left.span.through(right.span))
        case .rangeHalfOpen, .rangeClosed:
            let right = try parsePrecedence(.term)
            if infixPrecedence(peek.kind) == .range {
                note("ranges cannot be chained", at: peek.span)
            }
            return Expr(kind: .range(left, right, closed: op.kind == .rangeClosed), span: left.span.through(right.span))
        case .starStar:
            try nest(op.span)
            defer { depth -= 1 }
            let right = try parsePrecedence(.unary)  // right-associative; allows 2 ** -1
            return Expr(kind: .binary(.power, left, right, operatorSpan: op.span), span: left.span.through(right.span))
        default:
            let binop: BinaryOperator
            switch op.kind {
            case .pipe: binop = .pipe
            case .equalEqual: binop = .equal
            case .bangEqual: binop = .notEqual
            case .less: binop = .less
            case .lessEqual: binop = .lessEqual
            case .greater: binop = .greater
            case .greaterEqual: binop = .greaterEqual
            case .kwIn: binop = .contains
            case .plus: binop = .add
            case .minus: binop = .subtract
            case .star: binop = .multiply
            case .slash: binop = .divide
            case .slashSlash: binop = .floorDivide
            case .percent: binop = .modulo
            default: binop = .matmul
            }
            // Left-associative: the right operand binds one level tighter.
            let right = try parsePrecedence(Precedence(rawValue: prec.rawValue + 1) ?? .postfix)
            if prec == .comparison, infixPrecedence(peek.kind) == .comparison {
                note("comparisons cannot be chained", at: peek.span,
                     help: ["write 'a < b and b < c' instead of 'a < b < c'"])
            }
            return Expr(kind: .binary(binop, left, right, operatorSpan: op.span), span: left.span.through(right.span))
        }
    }

    /// call → postfix "(" (argument ("," argument)* ","?)? ")"   ;   argument → (IDENTIFIER ":")? expression
    private mutating func call(_ callee: Expr) throws(ParseError) -> Expr {
        var args: [Argument] = []
        var sawLabel = false
        while !check(.rightParen) {
            if check(.identifier), peekKind(1) == .colon {
                let label = advance()
                advance()
                if args.contains(where: { $0.label == label.lexeme }) {
                    note("argument '\(label.lexeme)' is given twice", at: label.span)
                }
                args.append(Argument(label: label.lexeme, labelSpan: label.span, value: try expression()))
                sawLabel = true
            } else {
                let value = try expression()
                if sawLabel {
                    note("a positional argument cannot follow a named argument", at: value.span,
                         help: ["put positional arguments first, or name this one"])
                }
                args.append(Argument(label: nil, labelSpan: nil, value: value))
            }
            if !match(.comma) { break }
        }
        let close = try consume(.rightParen, "expected ')' after arguments")
        return Expr(kind: .call(callee, args), span: callee.span.through(close.span))
    }

    /// index → postfix "[" subscript ("," subscript)* "]"
    /// subscript → expression | expression? ":" expression? (":" expression?)?
    private mutating func index(_ target: Expr) throws(ParseError) -> Expr {
        var subs: [SubscriptSyntax] = []
        repeat {
            if check(.rightBracket), !subs.isEmpty { break }
            var start: Expr?
            if !check(.colon) { start = try expression() }
            if match(.colon) {
                var stop: Expr?, step: Expr?
                if !check(.colon), !check(.comma), !check(.rightBracket) { stop = try expression() }
                if match(.colon), !check(.comma), !check(.rightBracket) { step = try expression() }
                subs.append(.slice(start: start, stop: stop, step: step))
            } else if let start {
                subs.append(.single(start))
            }
        } while match(.comma)
        let close = try consume(.rightBracket, "expected ']' after index")
        return Expr(kind: .index(target, subs), span: target.span.through(close.span))
    }

    /// primary → NUMBER | STRING | "true" | "false" | "nil" | IDENTIFIER | "self" | list | dict
    ///         | "(" expression ")" | tuple | record | lambda
    private mutating func primary() throws(ParseError) -> Expr {
        let t = peek
        switch t.kind {
        case .int:
            advance()
            if case .int(let v) = t.literal { return Expr(kind: .int(v), span: t.span) }
            return Expr(kind: .invalid, span: t.span)
        case .float:
            advance()
            if case .float(let v) = t.literal { return Expr(kind: .float(v), span: t.span) }
            return Expr(kind: .invalid, span: t.span)
        case .string:
            advance()
            return try stringLiteral(t)
        case .kwTrue: advance(); return Expr(kind: .bool(true), span: t.span)
        case .kwFalse: advance(); return Expr(kind: .bool(false), span: t.span)
        case .kwNil: advance(); return Expr(kind: .nil, span: t.span)
        case .kwSelf: advance(); return Expr(kind: .selfRef, span: t.span)
        case .identifier: advance(); return Expr(kind: .name(t.lexeme), span: t.span)
        case .leftParen: return try parenthesized()
        case .leftBracket: return try listLiteral()
        case .leftBrace: return try dictLiteral()
        case .kwFn: return try lambda()
        case .error:
            advance()
            report(t.message, at: t.span)
            throw ParseError()
        default:
            var help: [String] = []
            if t.kind == .equal { help = ["'=' assigns; use '==' to compare"] }
            throw error("expected an expression", at: t, help: help)
        }
    }

    /// Parses the pieces of an interpolated string literal.
    private mutating func stringLiteral(_ t: Token) throws(ParseError) -> Expr {
        guard case .string(let parts) = t.literal else { return Expr(kind: .invalid, span: t.span) }
        var out: [InterpolationPart] = []
        for part in parts {
            switch part {
            case .text(let s): out.append(.text(s))
            case .code(let start, let end):
                var lexer = Lexer(file: file, start: start, end: end)
                var sub = Parser(file: file, tokens: lexer.tokenize(), depth: depth)
                sub.panicking = panicking
                if sub.isAtEnd {
                    report("empty interpolation '\\()' in string", at: t.span)
                    throw ParseError()
                }
                let e: Expr
                do {
                    e = try sub.expression()
                    if !sub.isAtEnd { throw sub.error("expected ')' to end the interpolation", at: sub.peek) }
                } catch {
                    diagnostics.append(contentsOf: sub.diagnostics)
                    panicking = true
                    throw ParseError()
                }
                out.append(.expr(e))
            }
        }
        return Expr(kind: .string(out), span: t.span)
    }

    /// "(" ")" | "(" expression ")" | "(" expression "," (expression ("," expression)*)? ")"
    /// | "(" IDENTIFIER ":" expression ("," IDENTIFIER ":" expression)* ")"
    private mutating func parenthesized() throws(ParseError) -> Expr {
        let open = advance()
        if check(.rightParen) {
            let close = advance()
            return Expr(kind: .tuple([]), span: open.span.through(close.span))
        }
        if check(.identifier), peekKind(1) == .colon {
            var fields: [FieldInit] = []
            repeat {
                if check(.rightParen) { break }
                let name = try consume(.identifier, "expected a field name in record")
                try consume(.colon, "expected ':' after field name '\(name.lexeme)'")
                if fields.contains(where: { $0.name == name.lexeme }) {
                    note("duplicate field '\(name.lexeme)' in record", at: name.span)
                }
                fields.append(FieldInit(name: name.lexeme, nameSpan: name.span, value: try expression()))
            } while match(.comma)
            let close = try consume(.rightParen, "expected ')' after record fields")
            return Expr(kind: .record(fields), span: open.span.through(close.span))
        }
        let first = try expression()
        if match(.comma) {
            var items = [first]
            while !check(.rightParen) {
                items.append(try expression())
                if !match(.comma) { break }
            }
            let close = try consume(.rightParen, "expected ')' after tuple elements")
            return Expr(kind: .tuple(items), span: open.span.through(close.span))
        }
        try consume(.rightParen, "expected ')' after expression")
        return Expr(kind: first.kind, span: first.span)
    }

    /// list → "[" (expression ("," expression)* ","?)? "]"
    private mutating func listLiteral() throws(ParseError) -> Expr {
        let open = advance()
        var items: [Expr] = []
        while !check(.rightBracket) {
            items.append(try expression())
            if !match(.comma) { break }
        }
        let close = try consume(.rightBracket, "expected ']' after list elements")
        return Expr(kind: .list(items), span: open.span.through(close.span))
    }

    /// dict → "{" (expression ":" expression ("," expression ":" expression)* ","?)? "}" | "{" ":" "}"
    private mutating func dictLiteral() throws(ParseError) -> Expr {
        let open = advance()
        try nest(open.span)
        defer { depth -= 1 }
        var entries: [(key: Expr, value: Expr)] = []
        skipNewlines()
        if match(.colon) { skipNewlines() }
        while !check(.rightBrace) {
            let key = try expression()
            skipNewlines()
            try consume(.colon, "expected ':' after dictionary key")
            skipNewlines()
            let value = try expression()
            entries.append((key, value))
            skipNewlines()
            if !match(.comma) { break }
            skipNewlines()
        }
        let close = try consume(.rightBrace, "expected '}' after dictionary entries")
        return Expr(kind: .dict(entries), span: open.span.through(close.span))
    }

    /// lambda → "fn" "(" parameters? ")" ("=>" expression | block)
    private mutating func lambda() throws(ParseError) -> Expr {
        let keyword = advance()
        try consume(.leftParen, "expected '(' after 'fn' in an anonymous function")
        let params = try parameters()
        var body: [Stmt]
        if match(.arrow) {
            let e = try expression()
            body = [Stmt(kind: .returnStmt(e), span: e.span)]
        } else if check(.leftBrace) {
            body = try block("function body")
        } else {
            throw error("expected '=>' or '{' after the parameters of an anonymous function", at: peek)
        }
        let span = keyword.span.through(previous.span)
        let decl = FunctionDecl(name: "<lambda>", nameSpan: keyword.span, parameters: params, body: body, span: span)
        return Expr(kind: .lambda(decl), span: span)
    }
}
