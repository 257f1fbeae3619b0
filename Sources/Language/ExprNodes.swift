// Expression nodes of the executable tree.

// MARK: - Literals and variables

final class ConstantNode: ExprNode {
    let value: Value
    init(_ value: Value, span: SourceSpan) {
        self.value = value
        super.init(span: span)
    }
    override func eval(_ it: Interpreter) throws(RuntimeError) -> Value { value }
}

/// A local variable in the current frame.
final class LocalGet: ExprNode {
    let slot: Int
    init(_ slot: Int, span: SourceSpan) {
        self.slot = slot
        super.init(span: span)
    }
    override func eval(_ it: Interpreter) throws(RuntimeError) -> Value { (it.fp + slot).load() }
}

/// A local variable of the current frame that a closure captured.
final class CellGet: ExprNode {
    let index: Int
    init(_ index: Int, span: SourceSpan) {
        self.index = index
        super.init(span: span)
    }
    override func eval(_ it: Interpreter) throws(RuntimeError) -> Value { it.cells[index].value }
}

/// A variable captured from an enclosing function.
final class UpvalueGet: ExprNode {
    let index: Int
    init(_ index: Int, span: SourceSpan) {
        self.index = index
        super.init(span: span)
    }
    override func eval(_ it: Interpreter) throws(RuntimeError) -> Value { it.upvalues[index].value }
}

final class GlobalGet: ExprNode {
    let index: Int
    let name: String
    init(_ index: Int, name: String, span: SourceSpan) {
        self.index = index
        self.name = name
        super.init(span: span)
    }
    override func eval(_ it: Interpreter) throws(RuntimeError) -> Value {
        let g = it.globals
        if g.defined[index] { return (g.values + index).load() }
        throw RuntimeError("'\(name)' is used before it has a value", at: span,
                           help: ["run the line that defines '\(name)' first"])
    }
}

/// `"text \(expr) text"`
final class InterpolationNode: ExprNode {
    enum Part { case text(String), expr(ExprNode) }
    let parts: [Part]
    init(_ parts: [Part], span: SourceSpan) {
        self.parts = parts
        super.init(span: span)
    }
    override func eval(_ it: Interpreter) throws(RuntimeError) -> Value {
        var s = ""
        for p in parts {
            switch p {
            case .text(let t): s += t
            case .expr(let e): s += try it.describeCalling(try e.eval(it), span: e.span)
            }
        }
        return .str(s)
    }
}

final class ListNode: ExprNode {
    let items: [ExprNode]
    init(_ items: [ExprNode], span: SourceSpan) {
        self.items = items
        super.init(span: span)
    }
    override func eval(_ it: Interpreter) throws(RuntimeError) -> Value {
        var out: [Value] = []
        out.reserveCapacity(items.count)
        for e in items { out.append(try e.eval(it)) }
        return .list(ListObject(out))
    }
}

final class DictNode: ExprNode {
    let keys: [ExprNode]
    let values: [ExprNode]
    init(keys: [ExprNode], values: [ExprNode], span: SourceSpan) {
        self.keys = keys
        self.values = values
        super.init(span: span)
    }
    override func eval(_ it: Interpreter) throws(RuntimeError) -> Value {
        let d = DictObject()
        for i in 0..<keys.count {
            let k = try keys[i].eval(it)
            guard HashKey.isHashable(k) else {
                throw RuntimeError("a \(k.typeName) cannot be a dictionary key", at: keys[i].span,
                                   help: ["use numbers, strings, booleans or records of them as keys"])
            }
            d[k] = try values[i].eval(it)
        }
        return .dict(d)
    }
}

final class RecordNode: ExprNode {
    let names: [String]
    let values: [ExprNode]
    init(names: [String], values: [ExprNode], span: SourceSpan) {
        self.names = names
        self.values = values
        super.init(span: span)
    }
    override func eval(_ it: Interpreter) throws(RuntimeError) -> Value {
        var out: [Value] = []
        out.reserveCapacity(values.count)
        for e in values { out.append(try e.eval(it)) }
        return .record(RecordObject(names: names, values: out))
    }
}

/// `a..<b` and `a...b`
final class RangeNode: ExprNode {
    let lower: ExprNode, upper: ExprNode, closed: Bool
    init(_ lower: ExprNode, _ upper: ExprNode, closed: Bool, span: SourceSpan) {
        self.lower = lower
        self.upper = upper
        self.closed = closed
        super.init(span: span)
    }
    override func eval(_ it: Interpreter) throws(RuntimeError) -> Value {
        let a = try lower.eval(it), b = try upper.eval(it)
        guard case .int(let lo) = a, case .int(var hi) = b else {
            throw RuntimeError("a range needs integer bounds, found \(a.typeName) and \(b.typeName)", at: span,
                               help: ["convert with int(x)"])
        }
        if closed {
            guard hi < Int.max else { throw RuntimeError("range bound is too large", at: upper.span) }
            hi += 1
        }
        return .range(RangeObject(lower: lo, upper: hi))
    }
}

/// `fn (params) => expr` and `fn (params) { … }`: makes a closure.
final class LambdaNode: ExprNode {
    let proto: FunctionProto
    init(_ proto: FunctionProto, span: SourceSpan) {
        self.proto = proto
        super.init(span: span)
    }
    override func eval(_ it: Interpreter) throws(RuntimeError) -> Value { .function(it.makeClosure(proto)) }
}

// MARK: - Operators

final class UnaryNode: ExprNode {
    let op: UnaryOperator
    let operand: ExprNode
    init(_ op: UnaryOperator, _ operand: ExprNode, span: SourceSpan) {
        self.op = op
        self.operand = operand
        super.init(span: span)
    }
    override func eval(_ it: Interpreter) throws(RuntimeError) -> Value {
        let v = try operand.eval(it)
        switch op {
        case .negate:
            switch v {
            case .int(let i):
                guard i != Int.min else { throw RuntimeError("integer overflow in negation", at: span) }
                return .int(-i)
            case .float(let d): return .float(-d)
            case .host(let h):
                do {
                    if let r = try h.unary(.negate, interpreter: it) { return r }
                } catch { throw it.hostError(error, span) }
                throw RuntimeError("cannot negate \(h.typeName)", at: span)
            default:
                throw RuntimeError("cannot negate \(v.typeName); '-' needs a number", at: span)
            }
        case .not:
            if case .host(let h) = v {
                do {
                    if let r = try h.unary(.not, interpreter: it) { return r }
                } catch { throw it.hostError(error, span) }
            }
            return .bool(!(try it.truth(v, span: span)))
        }
    }
}

/// A binary operator, with the integer cases inline and the rest in `Interpreter.binary`.
final class BinaryNode: ExprNode {
    let op: BinaryOperator
    let left: ExprNode, right: ExprNode
    init(_ op: BinaryOperator, _ left: ExprNode, _ right: ExprNode, span: SourceSpan) {
        self.op = op
        self.left = left
        self.right = right
        super.init(span: span)
    }
    override func eval(_ it: Interpreter) throws(RuntimeError) -> Value {
        let a = try left.eval(it)
        let b = try right.eval(it)
        if case .int(let x) = a, case .int(let y) = b {
            switch op {
            case .add:
                let (r, o) = x.addingReportingOverflow(y)
                if !o { return .int(r) }
            case .subtract:
                let (r, o) = x.subtractingReportingOverflow(y)
                if !o { return .int(r) }
            case .multiply:
                let (r, o) = x.multipliedReportingOverflow(by: y)
                if !o { return .int(r) }
            case .less: return .bool(x < y)
            case .lessEqual: return .bool(x <= y)
            case .greater: return .bool(x > y)
            case .greaterEqual: return .bool(x >= y)
            case .equal: return .bool(x == y)
            case .notEqual: return .bool(x != y)
            default: break
            }
        }
        return try it.binary(op, a, b, span: span)
    }
    override func evalCondition(_ it: Interpreter) throws(RuntimeError) -> Bool {
        let a = try left.eval(it)
        let b = try right.eval(it)
        if case .int(let x) = a, case .int(let y) = b {
            switch op {
            case .less: return x < y
            case .lessEqual: return x <= y
            case .greater: return x > y
            case .greaterEqual: return x >= y
            case .equal: return x == y
            case .notEqual: return x != y
            default: break
            }
        }
        return try it.binaryTruth(op, a, b, span: span)
    }
}

/// `a + b` where both sides are usually ints (a specialised node for the commonest case).
final class AddNode: ExprNode {
    let left: ExprNode, right: ExprNode
    init(_ left: ExprNode, _ right: ExprNode, span: SourceSpan) {
        self.left = left
        self.right = right
        super.init(span: span)
    }
    override func eval(_ it: Interpreter) throws(RuntimeError) -> Value {
        let a = try left.eval(it)
        let b = try right.eval(it)
        return try it.add(a, b, span: span)
    }
}

extension Interpreter {
    /// `a + b` with the int and float cases inline (the hot path of loops and `+=`); the
    /// rest, and int overflow, go through `binary`.
    @inline(__always)
    func add(_ a: Value, _ b: Value, span: SourceSpan) throws(RuntimeError) -> Value {
        if case .int(let x) = a, case .int(let y) = b {
            let (r, o) = x.addingReportingOverflow(y)
            if !o { return .int(r) }
        } else if case .float(let x) = a, case .float(let y) = b {
            return .float(x + y)
        }
        return try binary(.add, a, b, span: span)
    }
}

/// `a - k` or `a < k` with a constant int `k` (recursion and loop conditions).
final class IntConstantOpNode: ExprNode {
    let op: BinaryOperator
    let left: ExprNode
    let constant: Int
    init(_ op: BinaryOperator, _ left: ExprNode, _ constant: Int, span: SourceSpan) {
        self.op = op
        self.left = left
        self.constant = constant
        super.init(span: span)
    }
    override func eval(_ it: Interpreter) throws(RuntimeError) -> Value {
        let a = try left.eval(it)
        if case .int(let x) = a, let r = intOperation(op, x, constant) { return r }
        return try it.binary(op, a, .int(constant), span: span)
    }
    override func evalCondition(_ it: Interpreter) throws(RuntimeError) -> Bool {
        let a = try left.eval(it)
        if case .int(let x) = a, let r = compareInts(op, x, constant) { return r }
        return try it.binaryTruth(op, a, .int(constant), span: span)
    }
}

/// `x op y` on ints for the operators with an inline path (`+ - *` without overflow, and
/// comparisons); nil for the others and on overflow (the general `binary` reports it).
@inline(__always)
func intOperation(_ op: BinaryOperator, _ x: Int, _ y: Int) -> Value? {
    switch op {
    case .add:
        let (r, o) = x.addingReportingOverflow(y)
        return o ? nil : .int(r)
    case .subtract:
        let (r, o) = x.subtractingReportingOverflow(y)
        return o ? nil : .int(r)
    case .multiply:
        let (r, o) = x.multipliedReportingOverflow(by: y)
        return o ? nil : .int(r)
    case .less: return .bool(x < y)
    case .lessEqual: return .bool(x <= y)
    case .greater: return .bool(x > y)
    case .greaterEqual: return .bool(x >= y)
    case .equal: return .bool(x == y)
    case .notEqual: return .bool(x != y)
    default: return nil
    }
}

/// The result of comparing two ints with `op`; nil when `op` is not a comparison.
@inline(__always)
func compareInts(_ op: BinaryOperator, _ x: Int, _ y: Int) -> Bool? {
    switch op {
    case .less: return x < y
    case .lessEqual: return x <= y
    case .greater: return x > y
    case .greaterEqual: return x >= y
    case .equal: return x == y
    case .notEqual: return x != y
    default: return nil
    }
}

/// `x - k`, `x < k`, … where `x` is a plain local of the current frame and `k` a constant
/// int: the int case reads the slot in place (no operand node to call).
final class LocalIntConstantOpNode: ExprNode {
    let op: BinaryOperator
    let slot: Int
    let constant: Int
    init(_ op: BinaryOperator, slot: Int, _ constant: Int, span: SourceSpan) {
        self.op = op
        self.slot = slot
        self.constant = constant
        super.init(span: span)
    }
    override func eval(_ it: Interpreter) throws(RuntimeError) -> Value {
        if case .int(let x) = it.fp[slot], let r = intOperation(op, x, constant) { return r }
        return try it.binary(op, it.fp[slot], .int(constant), span: span)
    }
    override func evalCondition(_ it: Interpreter) throws(RuntimeError) -> Bool {
        if case .int(let x) = it.fp[slot], let r = compareInts(op, x, constant) { return r }
        return try it.binaryTruth(op, it.fp[slot], .int(constant), span: span)
    }
}

/// `x op y` where both are plain locals of the frame (`i < n`, `a * b`, …): the operands are
/// read in place; ints (and floats for `+ - *`) are done inline.
final class LocalsOpNode: ExprNode {
    let op: BinaryOperator
    let a: Int, b: Int
    init(_ op: BinaryOperator, _ a: Int, _ b: Int, span: SourceSpan) {
        self.op = op
        self.a = a
        self.b = b
        super.init(span: span)
    }
    override func eval(_ it: Interpreter) throws(RuntimeError) -> Value {
        let fp = it.fp
        if case .int(let x) = fp[a], case .int(let y) = fp[b] {
            if let r = intOperation(op, x, y) { return r }
        } else if case .float(let x) = fp[a], case .float(let y) = fp[b] {
            switch op {
            case .add: return .float(x + y)
            case .subtract: return .float(x - y)
            case .multiply: return .float(x * y)
            default: break
            }
        }
        return try it.binary(op, (fp + a).load(), (fp + b).load(), span: span)
    }
    override func evalCondition(_ it: Interpreter) throws(RuntimeError) -> Bool {
        let fp = it.fp
        if case .int(let x) = fp[a], case .int(let y) = fp[b], let r = compareInts(op, x, y) { return r }
        return try it.binaryTruth(op, (fp + a).load(), (fp + b).load(), span: span)
    }
}

extension Interpreter {
    /// The truthiness of `a op b` (the slow path of conditions).
    @inline(never)
    func binaryTruth(_ op: BinaryOperator, _ a: Value, _ b: Value, span: SourceSpan) throws(RuntimeError) -> Bool {
        try truth(binary(op, a, b, span: span), span: span)
    }

    /// A value's truth in a condition. Host objects may have none (a tensor of several
    /// elements): that is an error at `span`, not a silent `true`.
    @inline(__always)
    public func truth(_ v: Value, span: SourceSpan) throws(RuntimeError) -> Bool {
        guard case .host(let h) = v else { return v.isTruthy }
        do {
            return try h.truthValue()
        } catch {
            throw hostError(error, span)
        }
    }

    /// Evaluates positional arguments into the frame at `base` (reserved by `reserveFrame`);
    /// on an error, clears what was stored and releases the frame.
    @inline(__always)
    func evaluateArguments(_ args: ExprList, into base: Int) throws(RuntimeError) {
        let frame = stack + base
        var i = 0
        do {
            for a in args.refs {
                (frame + i).store(try a.eval(self))
                i += 1
            }
        } catch {
            for j in 0..<i { frame[j] = .nil }
            sp = base
            throw error
        }
    }
}

/// `and` / `or`: short-circuiting; the result is the operand that decided (as in Python).
final class LogicalNode: ExprNode {
    let isAnd: Bool
    let left: ExprNode, right: ExprNode
    init(isAnd: Bool, _ left: ExprNode, _ right: ExprNode, span: SourceSpan) {
        self.isAnd = isAnd
        self.left = left
        self.right = right
        super.init(span: span)
    }
    override func eval(_ it: Interpreter) throws(RuntimeError) -> Value {
        let a = try left.eval(it)
        if isAnd { return try it.truth(a, span: left.span) ? try right.eval(it) : a }
        return try it.truth(a, span: left.span) ? a : try right.eval(it)
    }
    override func evalCondition(_ it: Interpreter) throws(RuntimeError) -> Bool {
        let a = try left.evalCondition(it)
        if isAnd { return a ? try right.evalCondition(it) : false }
        return a ? true : try right.evalCondition(it)
    }
}

/// `a if cond else b` (also a function body of the shape `if c { return a }; return b`,
/// see `expressionForm`). When `cond` compares a local with a constant int, the comparison
/// is done in place (`LocalCompareConditionalNode`).
func makeConditional(_ cond: ExprNode, _ then: ExprNode, _ other: ExprNode, span: SourceSpan) -> ExprNode {
    if let c = cond as? LocalIntConstantOpNode, compareInts(c.op, 0, 0) != nil {
        return LocalCompareConditionalNode(c, then, other, span: span)
    }
    return ConditionalNode(cond, then, other, span: span)
}

/// `a if x op k else b` where `x` is a plain local, `k` an int constant and `op` a comparison.
final class LocalCompareConditionalNode: ExprNode {
    let cond: LocalIntConstantOpNode
    let slot: Int, op: BinaryOperator, constant: Int
    let then: ExprNode, other: ExprNode
    /// The slot when `then` is a plain local (`if n < 2 { return n }`), read in place; else -1.
    let thenSlot: Int
    init(_ cond: LocalIntConstantOpNode, _ then: ExprNode, _ other: ExprNode, span: SourceSpan) {
        self.cond = cond
        slot = cond.slot
        op = cond.op
        constant = cond.constant
        self.then = then
        self.other = other
        thenSlot = (then as? LocalGet)?.slot ?? -1
        super.init(span: span)
    }
    override func eval(_ it: Interpreter) throws(RuntimeError) -> Value {
        let taken: Bool
        if case .int(let x) = it.fp[slot], let r = compareInts(op, x, constant) {
            taken = r
        } else {
            taken = try cond.evalCondition(it)
        }
        if taken {
            if thenSlot >= 0 { return (it.fp + thenSlot).load() }
            return try then.eval(it)
        }
        return try other.eval(it)
    }
}

/// `a if cond else b`
final class ConditionalNode: ExprNode {
    let cond: ExprNode, then: ExprNode, other: ExprNode
    init(_ cond: ExprNode, _ then: ExprNode, _ other: ExprNode, span: SourceSpan) {
        self.cond = cond
        self.then = then
        self.other = other
        super.init(span: span)
    }
    override func eval(_ it: Interpreter) throws(RuntimeError) -> Value {
        try cond.evalCondition(it) ? try then.eval(it) : try other.eval(it)
    }
}

// MARK: - Calls, members, indexing

/// Evaluates call arguments into positional and named lists.
@inline(__always)
func evaluateArguments(_ args: [ExprNode], _ labels: [String?], _ it: Interpreter) throws(RuntimeError)
    -> ([Value], [(name: String, value: Value)]) {
    var positional: [Value] = []
    positional.reserveCapacity(args.count)
    var named: [(name: String, value: Value)] = []
    for i in 0..<args.count {
        let v = try args[i].eval(it)
        if let label = labels[i] { named.append((label, v)) } else { positional.append(v) }
    }
    return (positional, named)
}

/// `callee(args)`
final class CallNode: ExprNode {
    let callee: ExprNode
    let args: ExprList
    let labels: [String?]
    let hasLabels: Bool
    /// Each argument's span, for errors about one argument.
    let argSpans: [SourceSpan]
    init(_ callee: ExprNode, args: [ExprNode], labels: [String?], argSpans: [SourceSpan], span: SourceSpan) {
        self.callee = callee
        self.args = ExprList(args)
        self.labels = labels
        self.hasLabels = labels.contains { $0 != nil }
        self.argSpans = argSpans
        super.init(span: span)
    }
    override func eval(_ it: Interpreter) throws(RuntimeError) -> Value {
        let f = try callee.eval(it)
        if !hasLabels, case .function(let c) = f, c.proto.arity == args.count, !c.proto.isMethod {
            // Fast path: evaluate the arguments straight into the new frame.
            let base = try it.reserveFrame(c.proto.frameSize, span: span)
            try it.evaluateArguments(args, into: base)
            if c.proto.isPlain { return try it.invokePlain(c.proto, base: base, span: span) }
            return try it.invoke(c, base: base, span: span)
        }
        let (positional, named) = try evaluateArguments(args.nodes, labels, it)
        do {
            return try it.callValue(f, positional, named, span: span)
        } catch {
            throw it.pointAtArgument(error, call: span, arguments: argSpans, labels: labels)
        }
    }
}

/// `f(args)` where `f` names a global and every argument is positional (the commonest
/// call): the global is read in place and plain script functions take `invokePlain`.
/// Otherwise it behaves exactly as `CallNode` with a `GlobalGet` callee.
final class GlobalCallNode: ExprNode {
    let index: Int
    let name: String
    let calleeSpan: SourceSpan
    let args: ExprList
    let argSpans: [SourceSpan]
    init(global index: Int, name: String, calleeSpan: SourceSpan, args: [ExprNode], argSpans: [SourceSpan], span: SourceSpan) {
        self.index = index
        self.name = name
        self.calleeSpan = calleeSpan
        self.args = ExprList(args)
        self.argSpans = argSpans
        super.init(span: span)
    }
    override func eval(_ it: Interpreter) throws(RuntimeError) -> Value {
        var plain: Unmanaged<FunctionProto>?
        // A global that is not defined holds nil (values are only ever set together with
        // `defined`), so a function in the slot means it is defined.
        if case .function(let c) = it.globalStorage.pointee.values[index], c.plainArity == args.count {
            // Unretained: the proto is owned by the tree of a chunk the interpreter keeps
            // (see `Interpreter.retainedChunks`), so it outlives this call even if the
            // global is reassigned while the arguments or the body run. A plain call needs
            // nothing else from the closure.
            plain = Unmanaged.passUnretained(c.proto)
        }
        guard let plain else { return try call(it) }
        let base = try it.reserveFrame(plain._withUnsafeGuaranteedRef { $0.frameSize }, span: span)
        try it.evaluateArguments(args, into: base)
        return try it.invokePlain(plain, base: base, span: span)
    }

    /// Every other case, as `CallNode` does it.
    @inline(never)
    private func call(_ it: Interpreter) throws(RuntimeError) -> Value {
        let g = it.globals
        guard g.defined[index] else {
            throw RuntimeError("'\(name)' is used before it has a value", at: calleeSpan,
                               help: ["run the line that defines '\(name)' first"])
        }
        let f = g.values[index]
        if case .function(let c) = f, c.proto.arity == args.count, !c.proto.isMethod {
            let base = try it.reserveFrame(c.proto.frameSize, span: span)
            try it.evaluateArguments(args, into: base)
            if c.proto.isPlain { return try it.invokePlain(c.proto, base: base, span: span) }
            return try it.invoke(c, base: base, span: span)
        }
        var positional: [Value] = []
        positional.reserveCapacity(args.count)
        for a in args.refs { positional.append(try a.eval(it)) }
        do {
            return try it.callValue(f, positional, [], span: span)
        } catch {
            throw it.pointAtArgument(error, call: span, arguments: argSpans, labels: Array(repeating: nil, count: argSpans.count))
        }
    }
}

/// `receiver.name(args)`: a method call (no bound-method object is made).
final class InvokeNode: ExprNode {
    let receiver: ExprNode
    let name: String
    let args: ExprList
    let labels: [String?]
    let hasLabels: Bool
    /// The last class (by `ClassObject.serial`) whose method `name` this node called, and
    /// that method, unretained: a class with that serial is the very object the receiver
    /// holds (serials are never reused), and it keeps its methods for its whole life.
    private var cachedSerial = -1
    private var cachedMethod: Unmanaged<Closure>?
    /// The method's proto when a call from here takes the plain path (a plain method taking
    /// exactly the positional arguments given), with its frame size.
    private var cachedPlainProto: Unmanaged<FunctionProto>?
    private var cachedFrameSize = 0
    let argSpans: [SourceSpan]
    init(_ receiver: ExprNode, name: String, args: [ExprNode], labels: [String?], argSpans: [SourceSpan], span: SourceSpan) {
        self.receiver = receiver
        self.name = name
        self.args = ExprList(args)
        self.labels = labels
        self.hasLabels = labels.contains { $0 != nil }
        self.argSpans = argSpans
        super.init(span: span)
    }
    override func eval(_ it: Interpreter) throws(RuntimeError) -> Value {
        let recv = try receiver.eval(it)
        if case .instance(let obj) = recv {
            if obj.cls.serial == cachedSerial, let proto = cachedPlainProto {
                // The receiver moves into the frame's slot 0, which keeps it (and so its
                // class and the method) alive for the call.
                let base = try it.reserveFrame(cachedFrameSize, span: span)
                (it.stack + base).store(consume recv)
                do {
                    try it.evaluateArguments(args, into: base + 1)
                } catch {
                    it.stack[base] = .nil
                    it.sp = base
                    throw error
                }
                return try it.invokePlain(proto, base: base, span: span)
            }
            var method: Closure?
            if obj.cls.serial == cachedSerial {
                method = cachedMethod?.takeUnretainedValue()
            } else if obj.cls.fieldIndex[name] == nil {
                method = obj.cls.methods[name]
                if let method {
                    cachedSerial = obj.cls.serial
                    cachedMethod = Unmanaged.passUnretained(method)
                    let plain = method.proto.isPlain && !hasLabels && method.proto.arity == args.count
                    cachedPlainProto = plain ? Unmanaged.passUnretained(method.proto) : nil
                    cachedFrameSize = method.proto.frameSize
                }
            }
            if let m = method, !hasLabels, m.proto.arity == args.count {
                let base = try it.reserveFrame(m.proto.frameSize, span: span)
                it.stack[base] = recv
                do {
                    try it.evaluateArguments(args, into: base + 1)
                } catch {
                    it.stack[base] = .nil
                    it.sp = base
                    throw error
                }
                if m.proto.isPlain { return try it.invokePlain(m.proto, base: base, span: span) }
                return try it.invoke(m, base: base, span: span)
            }
        }
        let (positional, named) = try evaluateArguments(args.nodes, labels, it)
        do {
            return try it.invokeMethod(recv, name, positional, named, span: span)
        } catch {
            throw it.pointAtArgument(error, call: span, arguments: argSpans, labels: labels)
        }
    }
}

/// `object.name`
final class MemberNode: ExprNode {
    let object: ExprNode
    let name: String
    /// The last class (by `ClassObject.serial`) whose field `name` this node read, and its index.
    private var cachedSerial = -1
    private var cachedIndex = 0
    init(_ object: ExprNode, name: String, span: SourceSpan) {
        self.object = object
        self.name = name
        super.init(span: span)
    }
    override func eval(_ it: Interpreter) throws(RuntimeError) -> Value {
        let v = try object.eval(it)
        if case .instance(let obj) = v {
            if obj.cls.serial == cachedSerial { return obj.fields[cachedIndex] }
            if let i = obj.cls.fieldIndex[name] {
                cachedSerial = obj.cls.serial
                cachedIndex = i
                return obj.fields[i]
            }
        }
        return try it.getMember(v, name, span: span)
    }
}

/// `x.name` where `x` is a plain local of the frame (typically `self`): a field of the
/// class last seen is read with the instance left in its slot (no reference counting).
final class LocalMemberNode: ExprNode {
    let slot: Int
    let name: String
    private var cachedSerial = -1
    private var cachedIndex = 0
    init(slot: Int, name: String, span: SourceSpan) {
        self.slot = slot
        self.name = name
        super.init(span: span)
    }
    override func eval(_ it: Interpreter) throws(RuntimeError) -> Value {
        if let o = (it.fp + slot).instanceRef {
            let serial = cachedSerial, index = cachedIndex
            // The frame slot keeps the instance alive while the field is read.
            if let v = o._withUnsafeGuaranteedRef({ obj -> Value? in obj.cls.serial == serial ? obj.fields[index] : nil }) {
                return v
            }
        }
        return try lookUp(it)
    }

    /// The general path (as `MemberNode`), remembering the class when it has the field.
    @inline(never)
    private func lookUp(_ it: Interpreter) throws(RuntimeError) -> Value {
        let v = it.fp[slot]
        if case .instance(let obj) = v, let i = obj.cls.fieldIndex[name] {
            cachedSerial = obj.cls.serial
            cachedIndex = i
            return obj.fields[i]
        }
        return try it.getMember(v, name, span: span)
    }
}

/// One axis of an index expression.
enum SubscriptNode {
    case single(ExprNode)
    case slice(ExprNode?, ExprNode?, ExprNode?)
}

/// Evaluates subscripts into slice indices.
func evaluateSubscripts(_ subs: [SubscriptNode], _ it: Interpreter) throws(RuntimeError) -> [SliceIndex] {
    var out: [SliceIndex] = []
    out.reserveCapacity(subs.count)
    for s in subs {
        switch s {
        case .single(let e): out.append(.index(try e.eval(it)))
        case .slice(let a, let b, let c):
            func bound(_ e: ExprNode?) throws(RuntimeError) -> Int? {
                guard let e else { return nil }
                let v = try e.eval(it)
                if case .nil = v { return nil }
                guard case .int(let i) = v else {
                    throw RuntimeError("slice bounds must be integers, found \(v.typeName)", at: e.span)
                }
                return i
            }
            let step = try bound(c)
            if step == 0, let c { throw RuntimeError("slice step cannot be zero", at: c.span) }
            out.append(.slice(start: try bound(a), stop: try bound(b), step: step))
        }
    }
    return out
}

/// `object[subscripts]`
final class IndexNode: ExprNode {
    let object: ExprNode
    let subscripts: [SubscriptNode]
    init(_ object: ExprNode, _ subscripts: [SubscriptNode], span: SourceSpan) {
        self.object = object
        self.subscripts = subscripts
        super.init(span: span)
    }
    override func eval(_ it: Interpreter) throws(RuntimeError) -> Value {
        let v = try object.eval(it)
        if subscripts.count == 1, case .single(let e) = subscripts[0], case .list(let l) = v {
            let k = try e.eval(it)
            if case .int(var i) = k {
                if i < 0 { i += l.items.count }
                if i >= 0 && i < l.items.count { return l.items[i] }
            }
            return try it.getIndex(v, [.index(k)], span: span)
        }
        return try it.getIndex(v, try evaluateSubscripts(subscripts, it), span: span)
    }
}
