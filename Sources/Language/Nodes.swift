// The executable tree. The resolver lowers the syntax tree into these nodes, with every
// variable already turned into a frame slot, a captured cell or a global index; each node
// evaluates itself (`eval` for expressions, `exec` for statements).

// MARK: - Errors and control flow

/// What a statement did: carry on, or leave a loop or function.
enum Flow {
    case normal, breakLoop, continueLoop, returned
}

/// A runtime error on its way up the script's call stack.
public struct RuntimeError: Error {
    public enum Kind: Sendable { case error, stackOverflow, interrupted, budgetExhausted, expectationFailed }
    public var kind: Kind
    public var message: String
    public var span: SourceSpan
    public var help: [String]
    /// Functions the error passed through, innermost first.
    var functions: [String] = []
    /// The call sites of those functions, innermost first.
    var callSites: [SourceSpan] = []
    /// The argument of the call at `span` that the error is about, until the call's node
    /// moves `span` onto that argument.
    var argument: ArgumentReference?
    /// The value the call at `span` had produced when it was stopped, for a `let` or an
    /// assignment whose value is that very call to bind (see `bindPartial`).
    public internal(set) var partial: PartialResult?

    init(_ message: String, at span: SourceSpan, help: [String] = [], kind: Kind = .error) {
        self.kind = kind
        self.message = message
        self.span = span
        self.help = help
    }

    /// Records that the error left `function`, called at `span` (for the traceback).
    mutating func addCall(_ function: String, at span: SourceSpan) {
        // Leaving a function: a partial value belongs to a statement inside it, never to the caller's.
        partial = nil
        functions.append(function)
        callSites.append(span)
    }

    /// The error as a diagnostic with its traceback (outermost call first).
    public var diagnostic: Diagnostic {
        var trace: [TraceEntry] = []
        if !callSites.isEmpty {
            let locations = [span] + callSites
            let names = functions + ["<script>"]
            for i in (0..<min(locations.count, names.count)).reversed() {
                trace.append(TraceEntry(function: names[i], span: locations[i]))
            }
            // Runaway recursion: keep the outermost and innermost calls.
            if trace.count > 200 { trace = Array(trace.prefix(100)) + Array(trace.suffix(100)) }
        }
        return Diagnostic(.error, message, at: span, help: help, trace: trace)
    }
}

// MARK: - Calling child nodes without reference counting
//
// Swift retains a class reference loaded from an array around every method call on it,
// which costs two atomic operations per child node evaluated. Nodes keep their child lists
// strongly (which owns them for as long as the parent lives) and also as `Unmanaged`
// references, through which the hot paths call them at +0: a node runs only while its
// parent runs, so the parent's strong list keeps the child alive for the whole call.

/// Unretained references to the nodes of a list (the list itself must be kept alongside).
@inline(__always)
func unretained<T: AnyObject>(_ nodes: [T]) -> [Unmanaged<T>] {
    nodes.map { Unmanaged.passUnretained($0) }
}

extension Unmanaged where Instance == ExprNode {
    /// Evaluates the node without retaining it (see above).
    @inline(__always)
    func eval(_ it: Interpreter) throws(RuntimeError) -> Value {
        // The body does not throw (`_withUnsafeGuaranteedRef` rethrows untyped errors, whose
        // conversion costs more than a `Result`).
        try _withUnsafeGuaranteedRef { node in Result { () throws(RuntimeError) in try node.eval(it) } }.get()
    }
}

extension Unmanaged where Instance == StmtNode {
    /// Runs the statement without retaining it (see above).
    @inline(__always)
    func exec(_ it: Interpreter) throws(RuntimeError) -> Flow {
        try _withUnsafeGuaranteedRef { node in Result { () throws(RuntimeError) in try node.exec(it) } }.get()
    }
}

/// A statement list (a body or block): owned by `nodes`, run through `refs`.
struct StmtList {
    let nodes: [StmtNode]
    let refs: [Unmanaged<StmtNode>]
    init(_ nodes: [StmtNode]) {
        self.nodes = nodes
        refs = unretained(nodes)
    }
    /// Runs the statements in order; stops at the first `break`, `continue` or `return`.
    @inline(__always)
    func exec(_ it: Interpreter) throws(RuntimeError) -> Flow {
        for s in refs {
            let f = try s.exec(it)
            if f != .normal { return f }
        }
        return .normal
    }
}

/// An expression list (call arguments, list items): owned by `nodes`, evaluated through `refs`.
struct ExprList {
    let nodes: [ExprNode]
    let refs: [Unmanaged<ExprNode>]
    init(_ nodes: [ExprNode]) {
        self.nodes = nodes
        refs = unretained(nodes)
    }
    var count: Int { @inline(__always) get { refs.count } }
}

// MARK: - Base classes

/// An expression node.
class ExprNode {
    let span: SourceSpan
    init(span: SourceSpan) { self.span = span }
    func eval(_ it: Interpreter) throws(RuntimeError) -> Value {
        throw RuntimeError("internal error: unevaluable node", at: span)
    }
    /// The value's truthiness (`if`, `while`, `and`/`or` conditions). Comparisons override it
    /// to skip making a `Bool` value; the result is always `it.truth(eval(it))`.
    func evalCondition(_ it: Interpreter) throws(RuntimeError) -> Bool {
        try it.truth(eval(it), span: span)
    }
}

/// A statement node.
class StmtNode {
    let span: SourceSpan
    init(span: SourceSpan) { self.span = span }
    func exec(_ it: Interpreter) throws(RuntimeError) -> Flow { .normal }
}

/// Where a value is stored: the target of a declaration, assignment or loop variable.
indirect enum Target {
    /// A slot in the current frame.
    case local(Int)
    /// A captured variable's cell in the current frame; `fresh` creates a new cell (a declaration).
    case cell(Int, fresh: Bool)
    case upvalue(Int)
    case global(Int)
    /// `(a, b)`: destructure a list, tuple or record.
    case pattern([Target], SourceSpan)
    /// Discard (`_`).
    case discard
}

/// A compiled function: parameters, body and frame layout. Immutable once built (so reading
/// it needs no exclusivity checks).
final class FunctionProto {
    let name: String
    let parameterNames: [String]
    let span: SourceSpan
    /// Default-value expressions (evaluated in the new frame, so they may use earlier parameters).
    let defaults: [ExprNode?]
    let body: StmtList
    /// The body as a single expression, when it has that shape (see `expressionForm`),
    /// and an unretained reference to it for the call path (the proto owns it).
    let bodyExpression: ExprNode?
    let bodyExpressionRef: Unmanaged<ExprNode>?
    /// Slots needed by the frame (self, parameters, then locals).
    let frameSize: Int
    /// Number of captured-variable cells the frame needs.
    let cellCount: Int
    /// Parameters (by slot) that closures capture, and the cell each moves into.
    let parameterCells: [(slot: Int, cell: Int)]
    /// Where each of the closure's upvalues comes from in the enclosing frame.
    let captures: [Capture]
    /// Methods receive `self` in slot 0 and their parameters after it.
    let isMethod: Bool
    let arity: Int
    /// No captured variables in or out (no cells, no upvalues): calls take the lean path
    /// (`Interpreter.invokePlain`), which does not touch the cell and upvalue registers.
    let isPlain: Bool

    enum Capture {
        case cell(Int)
        case upvalue(Int)
    }

    init(draft: ProtoDraft, frameSize: Int, cellCount: Int, captures: [Capture]) {
        name = draft.name
        parameterNames = draft.parameterNames
        span = draft.span
        defaults = draft.defaults
        body = StmtList(draft.body)
        bodyExpression = expressionForm(of: draft.body[...])
        bodyExpressionRef = bodyExpression.map { Unmanaged.passUnretained($0) }
        self.frameSize = frameSize
        self.cellCount = cellCount
        parameterCells = draft.parameterCells
        self.captures = captures
        isMethod = draft.isMethod
        arity = draft.parameterNames.count
        isPlain = cellCount == 0 && captures.isEmpty && draft.parameterCells.isEmpty
    }
}

/// A function being compiled: the resolver fills it in, then freezes it into a `FunctionProto`.
final class ProtoDraft {
    let name: String
    let parameterNames: [String]
    let span: SourceSpan
    var defaults: [ExprNode?] = []
    var body: [StmtNode] = []
    var parameterCells: [(slot: Int, cell: Int)] = []
    var isMethod = false
    init(name: String, parameterNames: [String], span: SourceSpan) {
        self.name = name
        self.parameterNames = parameterNames
        self.span = span
    }
    var arity: Int { parameterNames.count }
}

/// A whole compiled file or REPL input: a function with no parameters.
public final class CompiledChunk {
    let proto: FunctionProto
    /// The file it came from.
    public let file: SourceFile
    init(proto: FunctionProto, file: SourceFile) {
        self.proto = proto
        self.file = file
    }
}
