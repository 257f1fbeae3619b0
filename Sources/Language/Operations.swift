// The semantics of operators, member access, indexing and assignment, shared by the nodes.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension Interpreter {
    // MARK: - Closures and assignment

    /// Creates a closure for `proto`, capturing cells from the current frame and closure.
    func makeClosure(_ proto: FunctionProto) -> Closure {
        var ups: [Cell] = []
        ups.reserveCapacity(proto.captures.count)
        for c in proto.captures {
            switch c {
            case .cell(let i): ups.append(cells[i])
            case .upvalue(let i): ups.append(upvalues[i])
            }
        }
        return Closure(proto: proto, upvalues: ups)
    }

    /// Stores a value into a target.
    func assign(_ target: Target, _ v: Value, span: SourceSpan) throws(RuntimeError) {
        switch target {
        case .local(let s): (fp + s).store(v)
        case .cell(let i, let fresh):
            if fresh { registers.pointee.cells[i] = Cell(v) } else { cells[i].value = v }
        case .upvalue(let i): upvalues[i].value = v
        case .global(let i): globals.set(i, v)
        case .discard: break
        case .pattern(let targets, let pspan):
            let items: [Value]
            switch v {
            case .list(let l): items = l.items
            case .record(let r): items = r.values
            case .host(let h):
                var collected: [Value] = []
                do {
                    if let next = try h.makeIterator(interpreter: self) {
                        while let x = try next() { collected.append(x) }
                    } else {
                        throw RuntimeError("cannot destructure \(h.typeName)", at: pspan)
                    }
                } catch { throw hostError(error, pspan) }
                items = collected
            default:
                throw RuntimeError("cannot destructure \(v.typeName) into \(targets.count) names", at: pspan,
                                   help: ["destructuring needs a list, tuple or record"])
            }
            guard items.count == targets.count else {
                throw RuntimeError("cannot destructure \(items.count) value\(items.count == 1 ? "" : "s") into \(targets.count) names",
                                   at: pspan)
            }
            for (t, x) in zip(targets, items) { try assign(t, x, span: span) }
        }
    }

    // MARK: - Binary operators

    /// Applies a binary operator (the general path; nodes inline the int cases).
    func binary(_ op: BinaryOperator, _ a: Value, _ b: Value, span: SourceSpan) throws(RuntimeError) -> Value {
        // Host objects first: tensors broadcast, layers compose with |>.
        if case .host(let h) = a {
            do {
                if let r = try h.binary(op, b, reversed: false, interpreter: self) { return r }
            } catch { throw hostError(error, span) }
        }
        if case .host(let h) = b {
            do {
                if let r = try h.binary(op, a, reversed: true, interpreter: self) { return r }
            } catch { throw hostError(error, span) }
        }
        switch op {
        case .add, .subtract, .multiply, .divide, .floorDivide, .modulo, .power:
            return try arithmetic(op, a, b, span: span)
        case .equal: return .bool(valuesEqual(a, b))
        case .notEqual: return .bool(!valuesEqual(a, b))
        case .less, .lessEqual, .greater, .greaterEqual:
            guard let c = compareValues(a, b) else {
                throw RuntimeError("cannot compare \(a.typeName) and \(b.typeName) with '\(op.rawValue)'", at: span,
                                   help: comparisonHelp(a, b))
            }
            switch op {
            case .less: return .bool(c < 0)
            case .lessEqual: return .bool(c <= 0)
            case .greater: return .bool(c > 0)
            default: return .bool(c >= 0)
            }
        case .contains: return .bool(try contains(b, a, span: span))
        case .matmul:
            throw RuntimeError("'@' (matrix product) needs tensors, found \(a.typeName) and \(b.typeName)", at: span,
                               help: ["make tensors first, e.g. tensor([[1, 2], [3, 4]])"])
        case .pipe:
            return try callValue(b, [a], [], span: span)
        }
    }

    /// `current op= operand`: a host object may update itself in place (then `inPlace` is
    /// true and `value` is `current`, the same object); otherwise `current op operand`.
    func compound(_ op: BinaryOperator, _ current: Value, _ operand: Value,
                  span: SourceSpan) throws(RuntimeError) -> (value: Value, inPlace: Bool) {
        if case .host(let h) = current {
            let done: Bool
            do { done = try h.binaryInPlace(op, operand, interpreter: self) } catch { throw hostError(error, span) }
            if done { return (current, true) }
        }
        return (op == .add ? try add(current, operand, span: span) : try binary(op, current, operand, span: span), false)
    }

    private func comparisonHelp(_ a: Value, _ b: Value) -> [String] {
        if a.typeName == "String" || b.typeName == "String" {
            return ["convert with int(x) or float(x) to compare numbers, or str(x) to compare text"]
        }
        if a.typeName == "nil" || b.typeName == "nil" { return ["one side is nil; check that it was assigned"] }
        return []
    }

    private func arithmetic(_ op: BinaryOperator, _ a: Value, _ b: Value, span: SourceSpan) throws(RuntimeError) -> Value {
        switch (a, b) {
        case let (.int(x), .int(y)):
            return try intArithmetic(op, x, y, span: span)
        case (.int, .float), (.float, .int), (.float, .float):
            guard let x = a.asDouble, let y = b.asDouble else { break }
            switch op {
            case .add: return .float(x + y)
            case .subtract: return .float(x - y)
            case .multiply: return .float(x * y)
            case .divide:
                guard y != 0 else { throw RuntimeError("division by zero", at: span) }
                return .float(x / y)
            case .floorDivide:
                guard y != 0 else { throw RuntimeError("division by zero", at: span) }
                return .float((x / y).rounded(.down))
            case .modulo:
                guard y != 0 else { throw RuntimeError("division by zero (modulo)", at: span) }
                let r = fmod(x, y)
                return .float(r != 0 && (r < 0) != (y < 0) ? r + y : r)
            case .power: return .float(pow(x, y))
            default: break
            }
        case let (.string(x), .string(y)) where op == .add:
            return .str(x.value + y.value)
        case let (.list(x), .list(y)) where op == .add:
            return .list(ListObject(x.items + y.items))
        case let (.string(s), .int(n)) where op == .multiply, let (.int(n), .string(s)) where op == .multiply:
            guard n <= 0 || s.value.utf8.count <= 100_000_000 / n else {
                throw RuntimeError("the repeated string would be too long", at: span)
            }
            return .str(n <= 0 ? "" : String(repeating: s.value, count: n))
        case let (.list(l), .int(n)) where op == .multiply, let (.int(n), .list(l)) where op == .multiply:
            guard n <= 0 || l.items.count <= 100_000_000 / n else {
                throw RuntimeError("the repeated list would be too long", at: span)
            }
            var out: [Value] = []
            if n > 0 { for _ in 0..<n { out.append(contentsOf: l.items) } }
            return .list(ListObject(out))
        default:
            break
        }
        var help: [String] = []
        if op == .add, a.typeName == "String" || b.typeName == "String" {
            help.append("to join text and numbers use interpolation, \"\\(x)\", or str(x)")
        } else if a.typeName == "nil" || b.typeName == "nil" {
            help.append("one side is nil; check that it was assigned")
        }
        throw RuntimeError("cannot apply '\(op.rawValue)' to \(a.typeName) and \(b.typeName)", at: span, help: help)
    }

    private func intArithmetic(_ op: BinaryOperator, _ x: Int, _ y: Int, span: SourceSpan) throws(RuntimeError) -> Value {
        func overflow() -> RuntimeError {
            RuntimeError("integer overflow in '\(op.rawValue)'", at: span,
                         help: ["integers are 64-bit; use floats (e.g. 1.0 * x) for larger numbers"])
        }
        switch op {
        case .add:
            let (r, o) = x.addingReportingOverflow(y)
            if o { throw overflow() }
            return .int(r)
        case .subtract:
            let (r, o) = x.subtractingReportingOverflow(y)
            if o { throw overflow() }
            return .int(r)
        case .multiply:
            let (r, o) = x.multipliedReportingOverflow(by: y)
            if o { throw overflow() }
            return .int(r)
        case .divide:
            guard y != 0 else { throw RuntimeError("division by zero", at: span) }
            return .float(Double(x) / Double(y))
        case .floorDivide:
            guard y != 0 else { throw RuntimeError("division by zero", at: span) }
            let (q, o) = x.dividedReportingOverflow(by: y)
            if o { throw overflow() }
            return .int((x % y != 0 && (x < 0) != (y < 0)) ? q - 1 : q)
        case .modulo:
            guard y != 0 else { throw RuntimeError("division by zero (modulo)", at: span) }
            let (r, o) = x.remainderReportingOverflow(dividingBy: y)
            if o { return .int(0) }
            return .int(r != 0 && (r < 0) != (y < 0) ? r + y : r)
        case .power:
            if y < 0 { return .float(pow(Double(x), Double(y))) }
            var result = 1, base = x, e = y
            while e > 0 {
                if e & 1 == 1 {
                    let (r, o) = result.multipliedReportingOverflow(by: base)
                    if o { throw overflow() }
                    result = r
                }
                e >>= 1
                if e > 0 {
                    let (b2, o) = base.multipliedReportingOverflow(by: base)
                    if o { throw overflow() }
                    base = b2
                }
            }
            return .int(result)
        default:
            throw RuntimeError("cannot apply '\(op.rawValue)' to Int and Int", at: span)
        }
    }

    /// `needle in haystack`.
    func contains(_ haystack: Value, _ needle: Value, span: SourceSpan) throws(RuntimeError) -> Bool {
        switch haystack {
        case .list(let l): return l.items.contains { valuesEqual($0, needle) }
        case .string(let s):
            guard case .string(let n) = needle else {
                throw RuntimeError("'in' on a String needs a String on the left, found \(needle.typeName)", at: span)
            }
            return n.value.isEmpty || s.value.contains(n.value)
        case .dict(let d): return d[needle] != nil
        case .range(let r):
            guard case .int(let i) = needle else { return false }
            if r.step > 0 { return i >= r.lower && i < r.upper && (i - r.lower) % r.step == 0 }
            return i <= r.lower && i > r.upper && (r.lower - i) % (-r.step) == 0
        case .record(let r):
            guard case .string(let n) = needle else { return false }
            return r.names.contains(n.value)
        default:
            throw RuntimeError("cannot test membership ('in') in \(haystack.typeName)", at: span)
        }
    }

    // MARK: - Members

    /// `object.name`.
    func getMember(_ v: Value, _ name: String, span: SourceSpan) throws(RuntimeError) -> Value {
        switch v {
        case .instance(let o):
            if let i = o.cls.fieldIndex[name] { return o.fields[i] }
            if let m = o.cls.methods[name] { return .boundMethod(BoundMethod(receiver: v, method: m)) }
            throw noMember(v, name, o.cls.memberNames, span)
        case .record(let r):
            if let x = r[name] { return x }
            throw noMember(v, name, r.names, span)
        case .host(let h):
            let saved = nativeCallSpan
            nativeCallSpan = span
            defer { nativeCallSpan = saved }
            let r: Value?
            do { r = try h.getMember(name, interpreter: self) } catch { throw hostError(error, span) }
            if let r { return r }
            throw noMember(v, name, h.memberNames, span)
        case .classType(let c):
            if name == "name" { return .str(c.name) }
            throw noMember(v, name, ["name"], span)
        default:
            if let f = Builtins.boundMethod(v, name) { return .native(f) }
            throw noMember(v, name, Builtins.methodNames(v), span)
        }
    }

    func noMember(_ v: Value, _ name: String, _ candidates: [String], _ span: SourceSpan) -> RuntimeError {
        var help: [String] = []
        if let hint = didYouMean(name, among: candidates) { help.append(hint) }
        if case .nil = v { help.append("the value is nil; check that it was assigned") }
        return RuntimeError("\(v.typeName) has no member '\(name)'", at: span, help: help)
    }

    /// `object.name = value`.
    func setMember(_ v: Value, _ name: String, _ x: Value, span: SourceSpan) throws(RuntimeError) {
        switch v {
        case .instance(let o):
            guard let i = o.cls.fieldIndex[name] else {
                var help: [String] = []
                if let hint = didYouMean(name, among: o.cls.fieldNames) { help.append(hint) }
                help.append("declare it in the class: var \(name) = …")
                throw RuntimeError("\(o.cls.name) has no field '\(name)'", at: span, help: help)
            }
            if !o.cls.fieldMutable[i], !constructing.contains(where: { $0 === o }) {
                throw RuntimeError("cannot assign to '\(name)': it is a 'let' field of \(o.cls.name)", at: span,
                                   help: ["declare it with 'var' to make it changeable"])
            }
            o.fields[i] = x
        case .host(let h):
            let ok: Bool
            do { ok = try h.setMember(name, x, interpreter: self) } catch { throw hostError(error, span) }
            if !ok { throw RuntimeError("cannot set member '\(name)' of \(h.typeName)", at: span) }
        case .record:
            throw RuntimeError("records cannot be changed; make a new one", at: span)
        default:
            throw RuntimeError("cannot set member '\(name)' of \(v.typeName)", at: span)
        }
    }

    /// `object.name(args)`.
    func invokeMethod(_ v: Value, _ name: String, _ positional: [Value], _ named: [(name: String, value: Value)],
                      span: SourceSpan) throws(RuntimeError) -> Value {
        switch v {
        case .instance(let o):
            if o.cls.fieldIndex[name] == nil, let m = o.cls.methods[name] {
                return try callClosure(m, receiver: v, positional, named, span: span)
            }
            return try callValue(try getMember(v, name, span: span), positional, named, span: span)
        case .host(let h):
            let saved = nativeCallSpan
            nativeCallSpan = span
            defer { nativeCallSpan = saved }
            let r: Value?
            do { r = try h.callMethod(name, Arguments(positional, named: named), interpreter: self) } catch {
                throw hostError(error, span)
            }
            if let r { return r }
            return try callValue(try getMember(v, name, span: span), positional, named, span: span)
        case .record, .classType:
            return try callValue(try getMember(v, name, span: span), positional, named, span: span)
        default:
            return try Builtins.callMethod(v, name, Arguments(positional, named: named), self, span: span)
        }
    }

    // MARK: - Indexing

    /// Resolves a possibly negative index against a count, or throws an out-of-range error.
    func checkedIndex(_ k: Value, count: Int, what: String, span: SourceSpan) throws(RuntimeError) -> Int {
        guard case .int(let i) = k else {
            throw RuntimeError("\(what) indices must be integers, found \(k.typeName)", at: span)
        }
        let j = i < 0 ? i &+ count : i
        guard j >= 0, j < count else {
            throw RuntimeError("index \(i) is out of range for a \(what) of \(count) element\(count == 1 ? "" : "s")",
                               at: span, help: count == 0 ? ["the \(what) is empty"] : ["valid indices are 0 to \(count - 1), or -\(count) to -1 from the end"])
        }
        return j
    }

    /// The indices a Python-style slice selects from `count` elements.
    func sliceIndices(_ start: Int?, _ stop: Int?, _ step: Int?, count: Int) -> [Int] {
        let step = step ?? 1
        func clamp(_ v: Int?, _ def: Int, lo: Int, hi: Int) -> Int {
            guard var v else { return def }
            if v < 0 { v = v &+ count }
            return min(max(v, lo), hi)
        }
        var out: [Int] = []
        if step > 0 {
            var i = clamp(start, 0, lo: 0, hi: count)
            let end = clamp(stop, count, lo: 0, hi: count)
            while i < end { out.append(i); i += step }
        } else {
            var i = clamp(start, count - 1, lo: -1, hi: count - 1)
            let end = clamp(stop, -1, lo: -1, hi: count - 1)
            while i > end { out.append(i); i += step }
        }
        return out
    }

    /// `object[indices]`.
    func getIndex(_ v: Value, _ idx: [SliceIndex], span: SourceSpan) throws(RuntimeError) -> Value {
        if case .host(let h) = v {
            let r: Value?
            do { r = try h.getIndex(idx, interpreter: self) } catch { throw hostError(error, span) }
            if let r { return r }
            throw RuntimeError("\(h.typeName) cannot be indexed", at: span)
        }
        if case .dict(let d) = v {
            guard idx.count == 1, case .index(let k) = idx[0] else {
                throw RuntimeError("a dictionary takes one key in [ ]", at: span)
            }
            if let x = d[k] { return x }
            var help: [String] = []
            if case .string(let s) = k {
                if let hint = didYouMean(s.value, among: d.keys.compactMap(\.asString)) { help.append(hint) }
            }
            help.append("use d.get(key, default) to get a default instead of an error")
            throw RuntimeError("key \(describe(k, quoted: true)) is not in the dictionary", at: span, help: help)
        }
        guard idx.count == 1 else {
            throw RuntimeError("a \(v.typeName) takes one index, not \(idx.count)", at: span,
                               help: ["multi-axis indexing such as x[:, 0] works on tensors"])
        }
        switch v {
        case .list(let l):
            switch idx[0] {
            case .index(let k): return l.items[try checkedIndex(k, count: l.items.count, what: "list", span: span)]
            case .slice(let a, let b, let c):
                return .list(ListObject(sliceIndices(a, b, c, count: l.items.count).map { l.items[$0] }))
            }
        case .string(let s):
            let chars = Array(s.value)
            switch idx[0] {
            case .index(let k): return .str(String(chars[try checkedIndex(k, count: chars.count, what: "string", span: span)]))
            case .slice(let a, let b, let c):
                return .str(String(sliceIndices(a, b, c, count: chars.count).map { chars[$0] }))
            }
        case .range(let r):
            switch idx[0] {
            case .index(let k): return .int(r.element(try checkedIndex(k, count: r.count, what: "range", span: span)))
            case .slice(let a, let b, let c):
                return .list(ListObject(sliceIndices(a, b, c, count: r.count).map { .int(r.element($0)) }))
            }
        case .record(let rec):
            switch idx[0] {
            case .index(.string(let s)):
                if let x = rec[s.value] { return x }
                throw noMember(v, s.value, rec.names, span)
            case .index(let k): return rec.values[try checkedIndex(k, count: rec.values.count, what: "record", span: span)]
            case .slice: throw RuntimeError("records cannot be sliced", at: span)
            }
        default:
            throw RuntimeError("\(v.typeName) cannot be indexed", at: span)
        }
    }

    /// `object[indices] = value`.
    func setIndex(_ v: Value, _ idx: [SliceIndex], _ x: Value, span: SourceSpan) throws(RuntimeError) {
        switch v {
        case .host(let h):
            let ok: Bool
            do { ok = try h.setIndex(idx, x, interpreter: self) } catch { throw hostError(error, span) }
            if !ok { throw RuntimeError("cannot assign to an element of \(h.typeName)", at: span) }
        case .dict(let d):
            guard idx.count == 1, case .index(let k) = idx[0] else {
                throw RuntimeError("a dictionary takes one key in [ ]", at: span)
            }
            guard HashKey.isHashable(k) else {
                throw RuntimeError("a \(k.typeName) cannot be a dictionary key", at: span)
            }
            d[k] = x
        case .list(let l):
            guard idx.count == 1 else { throw RuntimeError("a list takes one index, not \(idx.count)", at: span) }
            switch idx[0] {
            case .index(let k):
                let i = try checkedIndex(k, count: l.items.count, what: "list", span: span)
                l.items[i] = x
            case .slice(let a, let b, let c):
                guard c == nil || c == 1 else { throw RuntimeError("cannot assign to a slice with a step", at: span) }
                guard case .list(let src) = x else {
                    throw RuntimeError("can only assign a list to a slice, found \(x.typeName)", at: span)
                }
                let ids = sliceIndices(a, b, nil, count: l.items.count)
                let lo = ids.first ?? min(max(a.map { $0 < 0 ? $0 &+ l.items.count : $0 } ?? 0, 0), l.items.count)
                let hi = ids.last.map { $0 + 1 } ?? lo
                l.items.replaceSubrange(lo..<hi, with: src.items)
            }
        default:
            throw RuntimeError("cannot assign to an element of \(v.typeName)", at: span,
                               help: v.typeName == "String" ? ["strings cannot be changed; build a new one"] : [])
        }
    }
}

// MARK: - Ordering

/// Orders numbers, strings, booleans and lists (element-wise); nil when incomparable.
func compareValues(_ a: Value, _ b: Value) -> Int? {
    switch (a, b) {
    case let (.int(x), .int(y)): return x < y ? -1 : (x > y ? 1 : 0)
    case let (.string(x), .string(y)): return x.value < y.value ? -1 : (x.value > y.value ? 1 : 0)
    case let (.bool(x), .bool(y)): return x == y ? 0 : (!x ? -1 : 1)
    case let (.list(x), .list(y)):
        for i in 0..<min(x.items.count, y.items.count) {
            guard let c = compareValues(x.items[i], y.items[i]) else { return nil }
            if c != 0 { return c }
        }
        return x.items.count < y.items.count ? -1 : (x.items.count > y.items.count ? 1 : 0)
    default:
        guard let x = a.asDouble, let y = b.asDouble else { return nil }
        if x.isNaN || y.isNaN { return nil }
        return x < y ? -1 : (x > y ? 1 : 0)
    }
}
