// Statement nodes of the executable tree.

/// Runs statements in order; stops at the first `break`, `continue` or `return`.
@inline(__always)
func execBody(_ body: [StmtNode], _ it: Interpreter) throws(RuntimeError) -> Flow {
    for s in body {
        let f = try s.exec(it)
        if f != .normal { return f }
    }
    return .normal
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
        it.fp[slot] = try value.eval(it)
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
        it.fp[slot] = try it.add(it.fp[slot], b, span: span)
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
        it.globals.set(index, try value.eval(it))
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
        g.values[index] = try it.add(g.values[index], b, span: span)
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
        try it.assign(target, try value.eval(it), span: span)
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
    override func exec(_ it: Interpreter) throws(RuntimeError) -> Flow {
        let obj = try object.eval(it)
        var v = try value.eval(it)
        if let op { v = try it.binary(op, try it.getMember(obj, name, span: span), v, span: span) }
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
        if let op { v = try it.binary(op, try it.getIndex(obj, idx, span: span), v, span: span) }
        try it.setIndex(obj, idx, v, span: span)
        return .normal
    }
}

final class IfNode: StmtNode {
    let cond: ExprNode
    let then: [StmtNode]
    let other: [StmtNode]
    init(_ cond: ExprNode, then: [StmtNode], else other: [StmtNode], span: SourceSpan) {
        self.cond = cond
        self.then = then
        self.other = other
        super.init(span: span)
    }
    override func exec(_ it: Interpreter) throws(RuntimeError) -> Flow {
        let c = try cond.eval(it)
        let taken: Bool
        if case .bool(let b) = c { taken = b } else { taken = c.isTruthy }
        return try execBody(taken ? then : other, it)
    }
}

final class WhileNode: StmtNode {
    let cond: ExprNode
    let body: [StmtNode]
    init(_ cond: ExprNode, _ body: [StmtNode], span: SourceSpan) {
        self.cond = cond
        self.body = body
        super.init(span: span)
    }
    override func exec(_ it: Interpreter) throws(RuntimeError) -> Flow {
        while try cond.eval(it).isTruthy {
            try it.safePoint(span)
            switch try execBody(body, it) {
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
    let body: [StmtNode]
    init(_ target: Target, _ iterable: ExprNode, _ body: [StmtNode], span: SourceSpan) {
        self.target = target
        self.iterable = iterable
        self.body = body
        super.init(span: span)
    }

    /// Runs the body once; returns nil to keep looping, or the flow that ends the loop.
    @inline(__always)
    private func step(_ it: Interpreter) throws(RuntimeError) -> Flow? {
        try it.safePoint(span)
        switch try execBody(body, it) {
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
                    it.fp[slot] = .int(r.element(i))
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

final class BlockNode: StmtNode {
    let body: [StmtNode]
    init(_ body: [StmtNode], span: SourceSpan) {
        self.body = body
        super.init(span: span)
    }
    override func exec(_ it: Interpreter) throws(RuntimeError) -> Flow { try execBody(body, it) }
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
            let c = it.makeClosure(m)
            c.owner = cls
            cls.methods[m.name] = c
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
                passed = try it.binary(op, a, b, span: cond.span).isTruthy
                if !passed, op == .equal {
                    extra = (try? it.compareForExpect(a, b, tolerance: nil, span: cond.span))?.detail ?? ""
                }
            }
            if !passed {
                detail = " (left: \(it.brief(a)), right: \(it.brief(b))\(extra.isEmpty ? "" : ", " + extra))"
            }
        } else {
            passed = try cond.eval(it).isTruthy
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
