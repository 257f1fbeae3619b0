// The syntax tree the parser builds: names are still names; the resolver turns them into slots.

/// A binary operator. Host objects see these in `HostObject.binary(_:_:reversed:)`.
public enum BinaryOperator: String, Sendable {
    case add = "+", subtract = "-", multiply = "*", divide = "/", floorDivide = "//"
    case modulo = "%", power = "**", matmul = "@", pipe = "|>"
    case equal = "==", notEqual = "!=", less = "<", lessEqual = "<=", greater = ">", greaterEqual = ">="
    case contains = "in"
}

/// A prefix operator.
public enum UnaryOperator: String, Sendable {
    case negate = "-", not = "!"
}

/// An expression with its source span.
public struct Expr: Sendable {
    public var kind: ExprKind
    public var span: SourceSpan
}

/// One piece of an interpolated string.
public enum InterpolationPart: Sendable {
    case text(String)
    case expr(Expr)
}

/// A call argument, positional (`label == nil`) or named (`steps: 10`).
public struct Argument: Sendable {
    public var label: String?
    public var labelSpan: SourceSpan?
    public var value: Expr
}

/// One axis of an index: `x[i]`, `x[a:b:c]`, `x[:, 0]`.
public enum SubscriptSyntax: Sendable {
    case single(Expr)
    case slice(start: Expr?, stop: Expr?, step: Expr?)
}

/// A `name: value` field of a record literal.
public struct FieldInit: Sendable {
    public var name: String
    public var nameSpan: SourceSpan
    public var value: Expr
}

/// The kinds of expression.
public indirect enum ExprKind: Sendable {
    case int(Int)
    case float(Double)
    case string([InterpolationPart])
    case bool(Bool)
    case `nil`
    case name(String)
    case selfRef
    case list([Expr])
    /// `(a, b)`: a list written with parentheses (a tuple in Python).
    case tuple([Expr])
    /// `(x: 1, y: 2)`
    case record([FieldInit])
    /// `{"a": 1}`
    case dict([(key: Expr, value: Expr)])
    case unary(UnaryOperator, Expr)
    case binary(BinaryOperator, Expr, Expr, operatorSpan: SourceSpan)
    /// `and` / `or` (short-circuiting).
    case logical(isAnd: Bool, Expr, Expr)
    case range(Expr, Expr, closed: Bool)
    case call(Expr, [Argument])
    case member(Expr, String, nameSpan: SourceSpan)
    case index(Expr, [SubscriptSyntax])
    case lambda(FunctionDecl)
    /// `a if cond else b`
    case conditional(cond: Expr, then: Expr, else: Expr)
    /// Stands in for an expression that failed to parse.
    case invalid
}

/// A binding pattern: `x` or `(a, b)`.
public indirect enum Pattern: Sendable {
    case name(String, SourceSpan)
    case tuple([Pattern], SourceSpan)

    var span: SourceSpan {
        switch self {
        case .name(_, let s), .tuple(_, let s): return s
        }
    }
}

/// A function parameter, optionally with a default value.
public struct Parameter: Sendable {
    public var name: String
    public var span: SourceSpan
    public var defaultValue: Expr?
}

/// `fn name(params) { body }`, a method, or a lambda.
public struct FunctionDecl: Sendable {
    public var name: String
    public var nameSpan: SourceSpan
    public var parameters: [Parameter]
    public var body: [Stmt]
    public var span: SourceSpan
}

/// A field of a class: `var x = 0`, `let n`.
public struct FieldDecl: Sendable {
    public var name: String
    public var span: SourceSpan
    public var mutable: Bool
    public var defaultValue: Expr?
}

/// `class Name { fields and methods }`.
public struct ClassDecl: Sendable {
    public var name: String
    public var nameSpan: SourceSpan
    public var fields: [FieldDecl]
    public var methods: [FunctionDecl]
    public var span: SourceSpan
}

/// A statement with its source span.
public struct Stmt: Sendable {
    public var kind: StmtKind
    public var span: SourceSpan
}

/// The kinds of statement.
public indirect enum StmtKind: Sendable {
    case expression(Expr)
    case binding(Pattern, mutable: Bool, Expr?)
    /// `target = value` or `target op= value`.
    case assign(target: Expr, op: BinaryOperator?, value: Expr, operatorSpan: SourceSpan)
    case function(FunctionDecl)
    case classDecl(ClassDecl)
    case ifStmt(cond: Expr, then: [Stmt], else: Stmt?)
    case forStmt(Pattern, Expr, [Stmt])
    case whileStmt(Expr, [Stmt])
    case breakStmt
    case continueStmt
    case returnStmt(Expr?)
    case block([Stmt])
    case importStmt(path: String, pathSpan: SourceSpan)
    case test(name: String, options: TestOptions, body: [Stmt])
    /// `expect cond [, message] [, tolerance: x] [, points: k]`.
    case expect(Expr, message: Expr?, tolerance: Expr?, points: Expr?)
}

/// The options of a test block: `test "name" (points: 2, hidden: true, timeout: 10) { … }`.
public struct TestOptions: Sendable {
    /// Points the test is worth (default 1 when graded).
    public var points: Expr?
    /// Whether the test is hidden from students (removed by `memento assign`, redacted in reports).
    public var hidden: Expr?
    /// The test's time limit in seconds when graded.
    public var timeout: Expr?
    public init(points: Expr? = nil, hidden: Expr? = nil, timeout: Expr? = nil) {
        self.points = points
        self.hidden = hidden
        self.timeout = timeout
    }
}

/// A parsed file or REPL input.
public struct Program: Sendable {
    public var file: SourceFile
    public var statements: [Stmt]
    public var diagnostics: [Diagnostic]
    public var solutionRegions: [SolutionRegion]
    public var cellMarkers: [SourceSpan]
}
