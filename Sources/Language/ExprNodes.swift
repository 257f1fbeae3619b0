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
    override func eval(_ it: Interpreter) throws(RuntimeError) -> Value { it.fp[slot] }
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
        if g.defined[index] { return g.values[index] }
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
            return .bool(!v.isTruthy)
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
        if case .int(let x) = a {
            switch op {
            case .add:
                let (r, o) = x.addingReportingOverflow(constant)
                if !o { return .int(r) }
            case .subtract:
                let (r, o) = x.subtractingReportingOverflow(constant)
                if !o { return .int(r) }
            case .less: return .bool(x < constant)
            case .lessEqual: return .bool(x <= constant)
            case .greater: return .bool(x > constant)
            case .greaterEqual: return .bool(x >= constant)
            case .equal: return .bool(x == constant)
            case .notEqual: return .bool(x != constant)
            default: break
            }
        }
        return try it.binary(op, a, .int(constant), span: span)
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
        if isAnd { return a.isTruthy ? try right.eval(it) : a }
        return a.isTruthy ? a : try right.eval(it)
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
        try cond.eval(it).isTruthy ? try then.eval(it) : try other.eval(it)
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
    let args: [ExprNode]
    let labels: [String?]
    let hasLabels: Bool
    init(_ callee: ExprNode, args: [ExprNode], labels: [String?], span: SourceSpan) {
        self.callee = callee
        self.args = args
        self.labels = labels
        self.hasLabels = labels.contains { $0 != nil }
        super.init(span: span)
    }
    override func eval(_ it: Interpreter) throws(RuntimeError) -> Value {
        let f = try callee.eval(it)
        if !hasLabels, case .function(let c) = f, c.proto.arity == args.count, !c.proto.isMethod {
            // Fast path: evaluate the arguments straight into the new frame.
            let base = try it.reserveFrame(c.proto.frameSize, span: span)
            do {
                for i in 0..<args.count { it.stack[base + i] = try args[i].eval(it) }
            } catch {
                for i in 0..<args.count { it.stack[base + i] = .nil }
                it.sp = base
                throw error
            }
            return try it.invoke(c, base: base, span: span)
        }
        let (positional, named) = try evaluateArguments(args, labels, it)
        return try it.callValue(f, positional, named, span: span)
    }
}

/// `receiver.name(args)`: a method call (no bound-method object is made).
final class InvokeNode: ExprNode {
    let receiver: ExprNode
    let name: String
    let args: [ExprNode]
    let labels: [String?]
    let hasLabels: Bool
    // Weak: the cached class's methods may contain this very node (a method calling a method
    // of its own class), and a strong cache would make that a reference cycle (a leak found
    // by fuzzing).
    private weak var cachedClass: ClassObject?
    private weak var cachedMethod: Closure?
    init(_ receiver: ExprNode, name: String, args: [ExprNode], labels: [String?], span: SourceSpan) {
        self.receiver = receiver
        self.name = name
        self.args = args
        self.labels = labels
        self.hasLabels = labels.contains { $0 != nil }
        super.init(span: span)
    }
    override func eval(_ it: Interpreter) throws(RuntimeError) -> Value {
        let recv = try receiver.eval(it)
        if case .instance(let obj) = recv {
            var method: Closure?
            if obj.cls === cachedClass { method = cachedMethod } else if obj.cls.fieldIndex[name] == nil {
                method = obj.cls.methods[name]
                if method != nil {
                    cachedClass = obj.cls
                    cachedMethod = method
                }
            }
            if let m = method, !hasLabels, m.proto.arity == args.count {
                let base = try it.reserveFrame(m.proto.frameSize, span: span)
                it.stack[base] = recv
                do {
                    for i in 0..<args.count { it.stack[base + 1 + i] = try args[i].eval(it) }
                } catch {
                    for i in 0...args.count { it.stack[base + i] = .nil }
                    it.sp = base
                    throw error
                }
                return try it.invoke(m, base: base, span: span)
            }
        }
        let (positional, named) = try evaluateArguments(args, labels, it)
        return try it.invokeMethod(recv, name, positional, named, span: span)
    }
}

/// `object.name`
final class MemberNode: ExprNode {
    let object: ExprNode
    let name: String
    private weak var cachedClass: ClassObject?  // weak: see InvokeNode
    private var cachedIndex = 0
    init(_ object: ExprNode, name: String, span: SourceSpan) {
        self.object = object
        self.name = name
        super.init(span: span)
    }
    override func eval(_ it: Interpreter) throws(RuntimeError) -> Value {
        let v = try object.eval(it)
        if case .instance(let obj) = v {
            if obj.cls === cachedClass { return obj.fields[cachedIndex] }
            if let i = obj.cls.fieldIndex[name] {
                cachedClass = obj.cls
                cachedIndex = i
                return obj.fields[i]
            }
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
