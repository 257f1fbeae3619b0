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

    init(_ message: String, at span: SourceSpan, help: [String] = [], kind: Kind = .error) {
        self.kind = kind
        self.message = message
        self.span = span
        self.help = help
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

// MARK: - Base classes

/// An expression node.
class ExprNode {
    let span: SourceSpan
    init(span: SourceSpan) { self.span = span }
    func eval(_ it: Interpreter) throws(RuntimeError) -> Value {
        throw RuntimeError("internal error: unevaluable node", at: span)
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
    let body: [StmtNode]
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

    enum Capture {
        case cell(Int)
        case upvalue(Int)
    }

    init(draft: ProtoDraft, frameSize: Int, cellCount: Int, captures: [Capture]) {
        name = draft.name
        parameterNames = draft.parameterNames
        span = draft.span
        defaults = draft.defaults
        body = draft.body
        self.frameSize = frameSize
        self.cellCount = cellCount
        parameterCells = draft.parameterCells
        self.captures = captures
        isMethod = draft.isMethod
        arity = draft.parameterNames.count
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
