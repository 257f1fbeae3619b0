// Statement nodes of the executable tree.

/// The body as one expression, when every path through it ends in `return value` and the
/// statements before are `if cond { …returns… }`: `if c { return a }; return b` is `a if c
/// else b`. Functions of that shape (recursive base cases, `fn (x) => expr` lambdas) are then
/// called by evaluating the expression, with no statement flow or return register. The same
/// nodes run in the same order, so results, errors and their spans do not change.
func expressionForm(of body: ArraySlice<StmtNode>) -> ExprNode? {
    guard let first = body.first else { return nil }
    let rest = body.dropFirst()
    if let r = first as? ReturnValueNode { return r.value }  // statements after a return never run
    if let b = first as? BlockNode, rest.isEmpty { return expressionForm(of: b.body.nodes[...]) }
    guard let i = first as? IfNode, let then = expressionForm(of: i.then.nodes[...]) else { return nil }
    let other: ExprNode?
    if i.other.nodes.isEmpty {
        other = expressionForm(of: rest)
    } else {
        // `if … else …` where both branches return: what follows never runs.
        other = expressionForm(of: i.other.nodes[...])
    }
    guard let other else { return nil }
    return makeConditional(i.cond, then, other, span: i.span)
}

/// When `error` stopped the very call that `value` is (not one nested in it or inside a
/// function it called) and carries what that call had produced so far (Ctrl-C during
/// `let run = train(…)`), stores that value with `store` so the statement still binds its
/// name, then returns the error to throw on. If storing fails, the error goes on unchanged.
func bindPartial(_ error: RuntimeError, of value: ExprNode, _ it: Interpreter,
                 _ store: (Value) throws(RuntimeError) -> Void) -> RuntimeError {
    guard let partial = error.partial, error.callSites.isEmpty,
          error.span.offset == value.span.offset, error.span.length == value.span.length,
          error.span.file === value.span.file else { return error }
    var e = error
    e.partial = nil
    do { try store(partial.value) } catch { return e }
    e.help.append("the variable holds the \(partial.value.typeName) so far")
    return e
}

final class ExprStmt: StmtNode {
    let expr: ExprNode
    init(_ expr: ExprNode) {
        self.expr = expr
        super.init(span: expr.span)
    }
    override func exec(_ it: Interpreter) throws(RuntimeError) -> Flow {
        _ = try expr.eval(it)
        return .normal
    }
}

/// Stores into a frame slot (declaration or assignment of a plain local).
final class SetLocal: StmtNode {
    let slot: Int
    let value: ExprNode
    init(_ slot: Int, _ value: ExprNode, span: SourceSpan) {
        self.slot = slot
        self.value = value
        super.init(span: span)
    }
    override func exec(_ it: Interpreter) throws(RuntimeError) -> Flow {
        do {
            (it.fp + slot).store(try value.eval(it))
        } catch {
            throw bindPartial(error, of: value, it) { (it.fp + slot).store($0) }
        }
        return .normal
    }
}

/// `x += k` on an int local, the commonest loop update.
final class AddToLocal: StmtNode {
    let slot: Int
    let value: ExprNode
    init(_ slot: Int, _ value: ExprNode, span: SourceSpan) {
        self.slot = slot
        self.value = value
        super.init(span: span)
    }
    override func exec(_ it: Interpreter) throws(RuntimeError) -> Flow {
        let b = try value.eval(it)
        let a = it.fp[slot]
        if case .host = a {
            (it.fp + slot).store(try it.compound(.add, a, b, span: span).value)
            return .normal
        }
        (it.fp + slot).store(try it.add(a, b, span: span))
        return .normal
    }
}

/// `x += k` on an int local with a constant int `k` (loop counters).
final class AddIntToLocal: StmtNode {
    let slot: Int
    let constant: Int
    init(_ slot: Int, _ constant: Int, span: SourceSpan) {
        self.slot = slot
        self.constant = constant
        super.init(span: span)
    }
    override func exec(_ it: Interpreter) throws(RuntimeError) -> Flow {
        let p = it.fp + slot
        if case .int(let x) = p.pointee {
            let (r, o) = x.addingReportingOverflow(constant)
            if !o {
                p.initialize(to: .int(r))  // the slot holds an int: nothing to release
                return .normal
            }
        }
        p.store(try it.compound(.add, p.load(), .int(constant), span: span).value)
        return .normal
    }
}

/// Stores into a global.
final class SetGlobal: StmtNode {
    let index: Int
    let value: ExprNode
    init(_ index: Int, _ value: ExprNode, span: SourceSpan) {
        self.index = index
        self.value = value
        super.init(span: span)
    }
    override func exec(_ it: Interpreter) throws(RuntimeError) -> Flow {
        do {
            it.globals.set(index, try value.eval(it))
        } catch {
            throw bindPartial(error, of: value, it) { it.globals.set(index, $0) }
        }
        return .normal
    }
}

/// `g += k` on a global.
final class AddToGlobal: StmtNode {
    let index: Int
    let name: String
    let value: ExprNode
    init(_ index: Int, name: String, _ value: ExprNode, span: SourceSpan) {
        self.index = index
        self.name = name
        self.value = value
        super.init(span: span)
    }
    override func exec(_ it: Interpreter) throws(RuntimeError) -> Flow {
        let b = try value.eval(it)
        let g = it.globals
        guard g.defined[index] else {
            throw RuntimeError("'\(name)' is used before it has a value", at: span)
        }
        let sum = try it.compound(.add, g.values[index], b, span: span).value
        (g.values + index).store(sum)  // the buffer is read after `add` (host code may grow it)
        return .normal
    }
}

/// Stores into any target (cells, upvalues, destructuring patterns).
final class AssignNode: StmtNode {
    let target: Target
    let value: ExprNode
    init(_ target: Target, _ value: ExprNode, span: SourceSpan) {
        self.target = target
        self.value = value
        super.init(span: span)
    }
    override func exec(_ it: Interpreter) throws(RuntimeError) -> Flow {
        let v: Value
        do { v = try value.eval(it) } catch {
            throw bindPartial(error, of: value, it) { partial throws(RuntimeError) in try it.assign(target, partial, span: span) }
        }
        try it.assign(target, v, span: span)
        return .normal
    }
}

/// `object.name = value` or `object.name op= value`.
final class SetMemberNode: StmtNode {
    let object: ExprNode
    let name: String
    let op: BinaryOperator?
    let value: ExprNode
    init(_ object: ExprNode, name: String, op: BinaryOperator?, _ value: ExprNode, span: SourceSpan) {
        self.object = object
        self.name = name
        self.op = op
        self.value = value
        super.init(span: span)
    }
    /// The last class whose (mutable) field `name` this node stored into, and its index.
    private var cachedSerial = -1
    private var cachedIndex = 0
    override func exec(_ it: Interpreter) throws(RuntimeError) -> Flow {
        let obj = try object.eval(it)
        var v = try value.eval(it)
        if let op {
            let r = try it.compound(op, try it.getMember(obj, name, span: span), v, span: span)
            if r.inPlace { return .normal }  // the member's object changed itself; nothing to store
            v = r.value
        }
        if case .instance(let o) = obj {
            if o.cls.serial == cachedSerial {
                o.fields[cachedIndex] = v
                return .normal
            }
            if let i = o.cls.fieldIndex[name], o.cls.fieldMutable[i] {
                cachedSerial = o.cls.serial
                cachedIndex = i
            }
        }
        try it.setMember(obj, name, v, span: span)
        return .normal
    }
}

/// `x.name = value` or `x.name op= value` where `x` is a plain local of the frame
/// (typically `self`): a mutable field of the class last seen is stored with the instance
/// left in its slot. The slot cannot change while `value` is evaluated (expressions do not
/// assign variables and calls have their own frames), so reading it after is the same as
/// reading it before.
final class SetLocalMemberNode: StmtNode {
    let slot: Int
    let name: String
    let op: BinaryOperator?
    let value: ExprNode
    private var cachedSerial = -1
    private var cachedIndex = 0
    init(slot: Int, name: String, op: BinaryOperator?, _ value: ExprNode, span: SourceSpan) {
        self.slot = slot
        self.name = name
        self.op = op
        self.value = value
        super.init(span: span)
    }
    override func exec(_ it: Interpreter) throws(RuntimeError) -> Flow {
        var v = try value.eval(it)
        if let o = (it.fp + slot).instanceRef {
            let serial = cachedSerial, index = cachedIndex
            // The frame slot keeps the instance alive while the field is read and written:
            // even if `binary` runs other code (a host object's operator), nothing can store
            // into this frame's slot meanwhile.
            if o._withUnsafeGuaranteedRef({ $0.cls.serial == serial }) {
                if let op {
                    let current = o._withUnsafeGuaranteedRef { $0.fields[index] }
                    v = try it.compound(op, current, v, span: span).value
                }
                o._withUnsafeGuaranteedRef { $0.fields[index] = v }
                return .normal
            }
        }
        let obj = it.fp[slot]
        if let op {
            let r = try it.compound(op, try it.getMember(obj, name, span: span), v, span: span)
            if r.inPlace { return .normal }
            v = r.value
        }
        if case .instance(let o) = obj, let i = o.cls.fieldIndex[name], o.cls.fieldMutable[i] {
            cachedSerial = o.cls.serial
            cachedIndex = i
        }
        try it.setMember(obj, name, v, span: span)
        return .normal
    }
}

/// `object[subscripts] = value` or `object[subscripts] op= value`.
final class SetIndexNode: StmtNode {
    let object: ExprNode
    let subscripts: [SubscriptNode]
    let op: BinaryOperator?
    let value: ExprNode
    init(_ object: ExprNode, _ subscripts: [SubscriptNode], op: BinaryOperator?, _ value: ExprNode, span: SourceSpan) {
        self.object = object
        self.subscripts = subscripts
        self.op = op
        self.value = value
        super.init(span: span)
    }
    override func exec(_ it: Interpreter) throws(RuntimeError) -> Flow {
        let obj = try object.eval(it)
        let idx = try evaluateSubscripts(subscripts, it)
        var v = try value.eval(it)
        // The element read may be a copy (a tensor's slice), so it is written back even when
        // it updated itself in place.
        if let op { v = try it.compound(op, try it.getIndex(obj, idx, span: span), v, span: span).value }
        try it.setIndex(obj, idx, v, span: span)
        return .normal
    }
}

final class IfNode: StmtNode {
    let cond: ExprNode
    let then: StmtList
    let other: StmtList
    init(_ cond: ExprNode, then: [StmtNode], else other: [StmtNode], span: SourceSpan) {
        self.cond = cond
        self.then = StmtList(then)
        self.other = StmtList(other)
        super.init(span: span)
    }
    override func exec(_ it: Interpreter) throws(RuntimeError) -> Flow {
        if try cond.evalCondition(it) { return try then.exec(it) }
        return try other.exec(it)
    }
}

final class WhileNode: StmtNode {
    let cond: ExprNode
    let body: StmtList
    init(_ cond: ExprNode, _ body: [StmtNode], span: SourceSpan) {
        self.cond = cond
        self.body = StmtList(body)
        super.init(span: span)
    }
    override func exec(_ it: Interpreter) throws(RuntimeError) -> Flow {
        while try cond.evalCondition(it) {
            try it.safePoint(span)
            switch try body.exec(it) {
            case .normal, .continueLoop: continue
            case .breakLoop: return .normal
            case .returned: return .returned
            }
        }
        return .normal
    }
}

/// `for target in iterable { body }`, with a tight path for integer ranges.
final class ForNode: StmtNode {
    let target: Target
    let iterable: ExprNode
    let body: StmtList
    init(_ target: Target, _ iterable: ExprNode, _ body: [StmtNode], span: SourceSpan) {
        self.target = target
        self.iterable = iterable
        self.body = StmtList(body)
        super.init(span: span)
    }

    /// Runs the body once; returns nil to keep looping, or the flow that ends the loop.
    @inline(__always)
    private func step(_ it: Interpreter) throws(RuntimeError) -> Flow? {
        try it.safePoint(span)
        switch try body.exec(it) {
        case .normal, .continueLoop: return nil
        case .breakLoop: return .normal
        case .returned: return .returned
        }
    }

    override func exec(_ it: Interpreter) throws(RuntimeError) -> Flow {
        let seq = try iterable.eval(it)
        switch seq {
        case .range(let r):
            let n = r.count
            if case .local(let slot) = target {
                var i = 0
                while i < n {
                    (it.fp + slot).store(.int(r.element(i)))
                    if let f = try step(it) { return f }
                    i += 1
                }
            } else {
                var i = 0
                while i < n {
                    try it.assign(target, .int(r.element(i)), span: span)
                    if let f = try step(it) { return f }
                    i += 1
                }
            }
        case .list(let l):
            var i = 0
            while i < l.items.count {
                try it.assign(target, l.items[i], span: span)
                if let f = try step(it) { return f }
                i += 1
            }
        case .string(let s):
            for ch in s.value {
                try it.assign(target, .str(String(ch)), span: span)
                if let f = try step(it) { return f }
            }
        case .dict(let d):
            for k in d.keys {
                try it.assign(target, k, span: span)
                if let f = try step(it) { return f }
            }
        case .host(let h):
            let next: (() throws -> Value?)?
            do { next = try h.makeIterator(interpreter: it) } catch { throw it.hostError(error, iterable.span) }
            guard let next else {
                throw RuntimeError("cannot iterate over \(h.typeName)", at: iterable.span)
            }
            while true {
                let v: Value?
                do { v = try next() } catch { throw it.hostError(error, iterable.span) }
                guard let v else { break }
                try it.assign(target, v, span: span)
                if let f = try step(it) { return f }
            }
        default:
            throw RuntimeError("cannot iterate over \(seq.typeName)", at: iterable.span,
                               help: ["a 'for' loop needs a range, list, string, dictionary or iterable object"])
        }
        return .normal
    }
}

final class BreakNode: StmtNode {
    override func exec(_ it: Interpreter) throws(RuntimeError) -> Flow { .breakLoop }
}

final class ContinueNode: StmtNode {
    override func exec(_ it: Interpreter) throws(RuntimeError) -> Flow { .continueLoop }
}

final class ReturnNode: StmtNode {
    let value: ExprNode?
    init(_ value: ExprNode?, span: SourceSpan) {
        self.value = value
        super.init(span: span)
    }
    override func exec(_ it: Interpreter) throws(RuntimeError) -> Flow {
        it.returnValue = try value?.eval(it) ?? .nil
        return .returned
    }
}

/// `return expr` (the resolver's choice when there is a value).
final class ReturnValueNode: StmtNode {
    let value: ExprNode
    init(_ value: ExprNode, span: SourceSpan) {
        self.value = value
        super.init(span: span)
    }
    override func exec(_ it: Interpreter) throws(RuntimeError) -> Flow {
        let v = try value.eval(it)
        withUnsafeMutablePointer(to: &it.registers.pointee.returnValue) { $0.store(v) }
        return .returned
    }
}

final class BlockNode: StmtNode {
    let body: StmtList
    init(_ body: [StmtNode], span: SourceSpan) {
        self.body = StmtList(body)
        super.init(span: span)
    }
    override func exec(_ it: Interpreter) throws(RuntimeError) -> Flow { try body.exec(it) }
}

/// `fn name(…) { … }`: makes the closure and stores it.
final class FunctionDeclNode: StmtNode {
    let proto: FunctionProto
    let target: Target
    init(_ proto: FunctionProto, target: Target, span: SourceSpan) {
        self.proto = proto
        self.target = target
        super.init(span: span)
    }
    override func exec(_ it: Interpreter) throws(RuntimeError) -> Flow {
        if case .cell(let i, fresh: true) = target {
            // A local function that closures capture (itself, when it recurses): its cell
            // exists before the closure is made, so the closure captures this cell and not the
            // one left by an earlier declaration. (The closure and its cell then refer to each
            // other; see docs/LANGUAGE.md on memory.)
            it.registers.pointee.cells[i] = Cell(.nil)
            it.cells[i].value = .function(it.makeClosure(proto))
            return .normal
        }
        try it.assign(target, .function(it.makeClosure(proto)), span: span)
        return .normal
    }
}

/// `class Name { … }`: makes the class object (methods close over the current scope).
final class ClassDeclNode: StmtNode {
    let name: String
    let fieldNames: [String]
    let fieldMutable: [Bool]
    let fieldHasDefault: [Bool]
    let fieldInitializer: FunctionProto?
    let methods: [FunctionProto]
    let target: Target
    init(name: String, fieldNames: [String], fieldMutable: [Bool], fieldHasDefault: [Bool],
         fieldInitializer: FunctionProto?, methods: [FunctionProto], target: Target, span: SourceSpan) {
        self.name = name
        self.fieldNames = fieldNames
        self.fieldMutable = fieldMutable
        self.fieldHasDefault = fieldHasDefault
        self.fieldInitializer = fieldInitializer
        self.methods = methods
        self.target = target
        super.init(span: span)
    }
    override func exec(_ it: Interpreter) throws(RuntimeError) -> Flow {
        let cls = ClassObject(name: name, fieldNames: fieldNames, fieldMutable: fieldMutable, fieldHasDefault: fieldHasDefault)
        if let fieldInitializer { cls.fieldInitializer = it.makeClosure(fieldInitializer) }
        for m in methods {
            cls.methods[m.name] = it.makeClosure(m)
        }
        try it.assign(target, .classType(cls), span: span)
        return .normal
    }
}

/// `import "file.mem"`: runs the (already compiled) file once per session.
final class ImportNode: StmtNode {
    let path: String
    let chunk: CompiledChunk
    init(path: String, chunk: CompiledChunk, span: SourceSpan) {
        self.path = path
        self.chunk = chunk
        super.init(span: span)
    }
    override func exec(_ it: Interpreter) throws(RuntimeError) -> Flow {
        if it.importedPaths.contains(path) { return .normal }
        it.importedPaths.insert(path)
        it.retain(chunk)
        let base = try it.reserveFrame(chunk.proto.frameSize, span: span)
        _ = try it.invoke(Closure(proto: chunk.proto, upvalues: []), base: base, span: span)
        return .normal
    }
}

/// `test "name" (points: N, hidden: B, timeout: S) { … }`: hands the test to the host's hook
/// (or runs it).
final class TestNode: StmtNode {
    let name: String
    let points: ExprNode?
    let hidden: ExprNode?
    let timeout: ExprNode?
    let proto: FunctionProto
    init(name: String, points: ExprNode?, hidden: ExprNode?, timeout: ExprNode?, proto: FunctionProto, span: SourceSpan) {
        self.name = name
        self.points = points
        self.hidden = hidden
        self.timeout = timeout
        self.proto = proto
        super.init(span: span)
    }
    override func exec(_ it: Interpreter) throws(RuntimeError) -> Flow {
        var pts: Double?
        if let points {
            let v = try points.eval(it)
            guard let d = v.asDouble else {
                throw RuntimeError("test points must be a number, found \(v.typeName)", at: points.span)
            }
            guard d.isFinite, d >= 0 else {
                throw RuntimeError("test points must be a finite number ≥ 0, found \(formatFloat(d))", at: points.span)
            }
            pts = d
        }
        var isHidden = false
        if let hidden {
            guard case .bool(let b) = try hidden.eval(it) else {
                throw RuntimeError("the test option 'hidden' must be true or false", at: hidden.span)
            }
            isHidden = b
        }
        var limit: Double?
        if let timeout {
            let v = try timeout.eval(it)
            guard let d = v.asDouble, d.isFinite, d > 0 else {
                throw RuntimeError("the test option 'timeout' must be a positive number of seconds, found \(it.describe(v, quoted: true))",
                                   at: timeout.span)
            }
            limit = d
        }
        let closure = it.makeClosure(proto)
        let span = self.span
        var test = TestCase(name: name, points: pts, span: span) { [unowned it] in
            do throws(RuntimeError) {
                _ = try it.callClosure(closure, receiver: nil, [], [], span: span)
                return nil
            } catch {
                return error.diagnostic
            }
        }
        test.hidden = isHidden
        test.timeout = limit
        if let handler = it.testHandler {
            handler(test)
        } else if let failure = test.run() {
            if failure.severity == .error, failure.message.hasPrefix("interrupted") {
                throw RuntimeError("interrupted", at: span, kind: .interrupted)
            }
            it.output("test \"\(name)\" failed: \(failure.message)\n")
        } else {
            it.output("test \"\(name)\" passed\n")
        }
        return .normal
    }
}

/// `expect condition [, "message"] [, tolerance: t] [, points: k]`. A comparison's two sides
/// are shown when it fails, with the first difference for lists, strings and tensors.
final class ExpectNode: StmtNode {
    let cond: ExprNode
    let message: ExprNode?
    /// For `expect a op b`: the operator and both sides, evaluated separately for the report.
    let comparison: (BinaryOperator, ExprNode, ExprNode)?
    /// `tolerance:` (only with `==`).
    let tolerance: ExprNode?
    /// `points:` (partial credit inside a test).
    let points: ExprNode?
    init(_ cond: ExprNode, message: ExprNode?, comparison: (BinaryOperator, ExprNode, ExprNode)?,
         tolerance: ExprNode? = nil, points: ExprNode? = nil, span: SourceSpan) {
        self.cond = cond
        self.message = message
        self.comparison = comparison
        self.tolerance = tolerance
        self.points = points
        super.init(span: span)
    }
    override func exec(_ it: Interpreter) throws(RuntimeError) -> Flow {
        var weight: Double?
        if let points {
            let v = try points.eval(it)
            guard let d = v.asDouble, d.isFinite, d >= 0 else {
                throw RuntimeError("expect points must be a finite number ≥ 0, found \(it.describe(v, quoted: true))", at: points.span)
            }
            weight = d
        }
        guard let weight, let handler = it.expectHandler else { return try check(it, weight: nil) }
        // A weighted expect whose condition raises an error is a failed check: the test
        // goes on to its next check (when the host records it).
        do {
            return try check(it, weight: weight)
        } catch {
            if error.kind == .interrupted { throw error }
            let outcome = ExpectOutcome(passed: false, points: weight, message: "\(cond.span.text): error: \(error.message)", span: cond.span)
            if handler(outcome) { return .normal }
            throw error
        }
    }

    private func check(_ it: Interpreter, weight: Double?) throws(RuntimeError) -> Flow {
        var detail = ""
        var passed = false
        var what = cond.span.text
        if let (op, l, r) = comparison {
            let a = try l.eval(it), b = try r.eval(it)
            var extra = ""
            if let tolerance {
                let tv = try tolerance.eval(it)
                guard let t = tv.asDouble, !t.isNaN, t >= 0 else {
                    throw RuntimeError("tolerance must be a number ≥ 0, found \(it.describe(tv, quoted: true))", at: tolerance.span)
                }
                let c = try it.compareForExpect(a, b, tolerance: t, span: cond.span) ?? ValueComparison(equal: false)
                passed = c.equal
                extra = c.detail
                what += " within \(formatFloat(t))"
            } else if op == .equal || op == .notEqual, a.isHost || b.isHost,
                      let c = try it.compareForExpect(a, b, tolerance: nil, span: cond.span, hostOnly: true) {
                // Tensors: `==` is element-wise, so compare whole values here.
                passed = c.equal == (op == .equal)
                extra = c.detail
            } else {
                passed = try it.truth(it.binary(op, a, b, span: cond.span), span: cond.span)
                if !passed, op == .equal {
                    extra = (try? it.compareForExpect(a, b, tolerance: nil, span: cond.span))?.detail ?? ""
                }
            }
            if !passed {
                detail = " (left: \(it.brief(a)), right: \(it.brief(b))\(extra.isEmpty ? "" : ", " + extra))"
            }
        } else {
            passed = try it.truth(cond.eval(it), span: cond.span)
        }
        if passed && weight == nil { return .normal }
        if let message { what = it.describe(try message.eval(it), quoted: false) }
        let msg = "expectation failed: \(what)\(detail)"
        if let weight, let handler = it.expectHandler,
           handler(ExpectOutcome(passed: passed, points: weight, message: passed ? cond.span.text : msg, span: cond.span)) {
            return .normal
        }
        if passed { return .normal }
        throw RuntimeError(msg, at: cond.span, kind: .expectationFailed)
    }
}

/// The value of `x op= v` on a name: when `x` holds a host object that updates itself in
/// place (a tensor's `w -= lr * g`), that object, changed; otherwise `general`, the plain
/// `x op v` (with its fast paths for numbers). `x` is a name, so reading it twice is free of
/// side effects.
final class CompoundNameNode: ExprNode {
    let op: BinaryOperator
    let current: ExprNode
    let operand: ExprNode
    let general: ExprNode
    init(_ op: BinaryOperator, current: ExprNode, operand: ExprNode, general: ExprNode, span: SourceSpan) {
        self.op = op
        self.current = current
        self.operand = operand
        self.general = general
        super.init(span: span)
    }
    override func eval(_ it: Interpreter) throws(RuntimeError) -> Value {
        let a = try current.eval(it)
        guard case .host = a else { return try general.eval(it) }
        return try it.compound(op, a, try operand.eval(it), span: span).value
    }
}

/// `x op= v` where `x` is a constant (`let`, a loop variable): the binding cannot change,
/// but the object it holds may update itself in place (`for p in model.parameters { p -=
/// lr * p.grad }`). Any other value is the constant-assignment error, at run time.
final class UpdateConstantNode: StmtNode {
    let op: BinaryOperator
    let current: ExprNode
    let operand: ExprNode
    let name: String
    let targetSpan: SourceSpan
    let help: [String]
    init(_ op: BinaryOperator, current: ExprNode, operand: ExprNode, name: String, targetSpan: SourceSpan,
         help: [String], span: SourceSpan) {
        self.op = op
        self.current = current
        self.operand = operand
        self.name = name
        self.targetSpan = targetSpan
        self.help = help
        super.init(span: span)
    }
    override func exec(_ it: Interpreter) throws(RuntimeError) -> Flow {
        let a = try current.eval(it)
        let b = try operand.eval(it)
        if case .host(let h) = a {
            let done: Bool
            do { done = try h.binaryInPlace(op, b, interpreter: it) } catch { throw it.hostError(error, span) }
            if done { return .normal }
        }
        throw RuntimeError("cannot assign to '\(name)': it is a constant", at: targetSpan,
                           help: help + ["'\(op.rawValue)=' on a constant only updates objects that change in place (tensors, parameters); this is a \(a.typeName)"])
    }
}
