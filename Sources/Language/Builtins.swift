// Built-in functions (print, len, range, …) and the methods of lists, strings and dictionaries.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

enum Builtins {
    // MARK: - Global functions

    static func install(in it: Interpreter) {
        let g = it.globals
        func def(_ name: String, _ params: [NativeParameter]?, variadic: Bool = false, doc: String,
                 _ body: @escaping (inout Arguments, Interpreter) throws -> Value) {
            g.define(name, .native(NativeFunction(name, parameters: params, variadic: variadic, doc: doc, body: body)))
        }

        def("print", nil, doc: "print(values…, sep: \" \", end: \"\\n\"): prints values separated by `sep`, then `end`.") { args, it in
            let span = it.nativeCallSpan ?? Interpreter.hostSpan
            for (name, _) in args.named where name != "sep" && name != "end" {
                var help = ["print takes values and the options sep: and end:"]
                if let hint = didYouMean(name, among: ["sep", "end"]) { help.insert(hint, at: 0) }
                throw HostError("print has no parameter named '\(name)'", help: help)
            }
            var parts: [String] = []
            for v in args.positional { parts.append(try it.describeCalling(v, span: span)) }
            let sep = args.named("sep").map { it.describe($0, quoted: false) } ?? " "
            let end = args.named("end").map { it.describe($0, quoted: false) } ?? "\n"
            it.output(parts.joined(separator: sep) + end)
            return .nil
        }
        def("len", ["value"], doc: "The number of elements of a list, string, dictionary, range or record.") { args, it in
            let v = args[0]
            switch v {
            case .list(let l): return .int(l.items.count)
            case .string(let s): return .int(s.value.count)
            case .dict(let d): return .int(d.count)
            case .range(let r): return .int(r.count)
            case .record(let r): return .int(r.names.count)
            case .host(let h): if let n = h.length { return .int(n) }
            default: break
            }
            throw HostError("\(v.typeName) has no length")
        }
        def("str", ["value"], doc: "The value as text.") { args, it in
            .str(try it.describeCalling(args[0], span: it.nativeCallSpan ?? Interpreter.hostSpan))
        }
        def("repr", ["value"], doc: "The value as source-like text (strings quoted).") { args, it in
            .str(it.describe(args[0], quoted: true))
        }
        def("type_of", ["value"], doc: "The name of the value's type.") { args, _ in .str(args[0].typeName) }
        def("int", ["value"], doc: "Converts a float (truncating), string or boolean to an int.") { args, _ in
            switch args[0] {
            case .int: return args[0]
            case .bool(let b): return .int(b ? 1 : 0)
            case .float(let d):
                guard d.isFinite, abs(d) < 9.2e18 else { throw HostError("cannot convert \(formatFloat(d)) to an int") }
                return .int(Int(d))
            case .string(let s):
                if let i = Int(s.value.trimmingSpaces().filter { $0 != "_" }) { return .int(i) }
                throw HostError("cannot convert \(quote(s.value)) to an int")
            default: throw HostError("cannot convert \(args[0].typeName) to an int")
            }
        }
        def("float", ["value"], doc: "Converts an int, string or boolean to a float.") { args, _ in
            switch args[0] {
            case .float: return args[0]
            case .int(let i): return .float(Double(i))
            case .bool(let b): return .float(b ? 1 : 0)
            case .string(let s):
                let t = s.value.trimmingSpaces()
                if let d = Double(t) { return .float(d) }
                if t == "inf" { return .float(.infinity) }
                if t == "-inf" { return .float(-.infinity) }
                throw HostError("cannot convert \(quote(s.value)) to a float")
            default: throw HostError("cannot convert \(args[0].typeName) to a float")
            }
        }
        def("bool", ["value"], doc: "The value's truthiness.") { args, it in
            .bool(try it.truth(args[0], span: it.nativeCallSpan ?? Interpreter.hostSpan))
        }
        for (name, wantAll) in [("all", true), ("any", false)] {
            def(name, ["values"], doc: wantAll ? "Whether every element is true (a tensor: every element non-zero; empty: true)."
                                                 : "Whether some element is true (a tensor: some element non-zero; empty: false).") { args, it in
                let span = it.nativeCallSpan ?? Interpreter.hostSpan
                /// Nested lists and tensors count their innermost elements.
                func decide(_ v: Value, depth: Int) throws -> Bool {
                    guard depth < 64 else { throw HostError("\(name): values nested too deeply") }
                    if case .host(let h) = v, h.length == nil { return try it.truth(v, span: span) }
                    for x in try collect(v, it) {
                        let t: Bool
                        switch x {
                        case .list, .host: t = try decide(x, depth: depth + 1)
                        default: t = try it.truth(x, span: span)
                        }
                        if t != wantAll { return t }
                    }
                    return wantAll
                }
                return .bool(try decide(args[0], depth: 0))
            }
        }
        def("abs", ["x"], doc: "Absolute value.") { args, _ in
            switch args[0] {
            case .int(let i):
                guard i != Int.min else { throw HostError("integer overflow in abs") }
                return .int(Swift.abs(i))
            case .float(let d): return .float(Swift.abs(d))
            default: throw HostError("abs needs a number, found \(args[0].typeName)")
            }
        }
        for (name, isMin) in [("min", true), ("max", false)] {
            def(name, [], variadic: true, doc: "The \(isMin ? "smallest" : "largest") of the arguments, or of one list.") { args, it in
                var items = args.rest
                if items.count == 1 { items = try collect(items[0], it) }
                guard var best = items.first else { throw HostError("\(name) of an empty sequence") }
                for x in items.dropFirst() {
                    guard let c = compareValues(x, best) else {
                        throw HostError("cannot compare \(x.typeName) and \(best.typeName)")
                    }
                    if isMin ? c < 0 : c > 0 { best = x }
                }
                return best
            }
        }
        def("sum", ["values", NativeParameter("start", default: .int(0))], doc: "The sum of a list or range.") { args, it in
            var total = args[1]
            let span = it.nativeCallSpan ?? Interpreter.hostSpan
            if case .range(let r) = args[0], case .int(var t) = total {
                for i in 0..<r.count {
                    let (s, o) = t.addingReportingOverflow(r.element(i))
                    if o { throw HostError("integer overflow in sum") }
                    t = s
                }
                return .int(t)
            }
            for x in try collect(args[0], it) { total = try it.binary(.add, total, x, span: span) }
            return total
        }
        def("range", ["start", NativeParameter("stop", default: .nil), NativeParameter("step", default: .int(1))],
            doc: "range(n) is 0..<n; range(a, b, step) counts from a to b (exclusive).") { args, _ in
            guard case .int(let a) = args[0] else { throw HostError("range needs integers, found \(args[0].typeName)") }
            guard case .int(let step) = args[2], step != 0 else { throw HostError("range step must be a non-zero integer") }
            if case .nil = args[1] { return .range(RangeObject(lower: 0, upper: a)) }
            guard case .int(let b) = args[1] else { throw HostError("range needs integers, found \(args[1].typeName)") }
            return .range(RangeObject(lower: a, upper: b, step: step))
        }
        def("list", ["values"], doc: "A new list with the elements of any iterable.") { args, it in
            .list(ListObject(try collect(args[0], it)))
        }
        def("enumerate", ["values"], doc: "A list of (index, element) pairs.") { args, it in
            .list(ListObject(try collect(args[0], it).enumerated().map { .list(ListObject([.int($0.offset), $0.element])) }))
        }
        def("zip", [], variadic: true, doc: "A list of tuples taking one element from each argument.") { args, it in
            let lists = try args.rest.map { try collect($0, it) }
            let n = lists.map(\.count).min() ?? 0
            return .list(ListObject((0..<n).map { i in .list(ListObject(lists.map { $0[i] })) }))
        }
        def("sorted", ["values", NativeParameter("key", default: .nil), NativeParameter("reverse", default: .bool(false))],
            doc: "A sorted copy of a list.") { args, it in
            var items = try collect(args[0], it)
            try sortValues(&items, key: args[1], reverse: args[2].isTruthy, it)
            return .list(ListObject(items))
        }
        def("reversed", ["values"], doc: "A reversed copy of a list.") { args, it in
            .list(ListObject(try collect(args[0], it).reversed()))
        }
        def("error", ["message"], doc: "Stops the script with an error message.") { args, it in
            throw HostError(it.describe(args[0], quoted: false))
        }
        def("round", ["x", NativeParameter("digits", default: .nil)], doc: "Rounds to the nearest int, or to `digits` decimals.") { args, _ in
            guard let d = args[0].asDouble else { throw HostError("round needs a number, found \(args[0].typeName)") }
            if case .int(let n) = args[1] {
                let f = pow(10.0, Double(n))
                return .float((d * f).rounded(.toNearestOrEven) / f)
            }
            let r = d.rounded(.toNearestOrEven)
            guard r.isFinite, Swift.abs(r) < 9.2e18 else { return .float(r) }
            return .int(Int(r))
        }
        let math: [(String, (Double) -> Double)] = [
            ("sqrt", { $0.squareRoot() }), ("exp", { exp($0) }), ("log", { log($0) }),
            ("sin", { sin($0) }), ("cos", { cos($0) }), ("tanh", { tanh($0) }),
            ("floor", { $0.rounded(.down) }), ("ceil", { $0.rounded(.up) }),
        ]
        for (name, f) in math {
            def(name, ["x"], doc: "\(name)(x) of a number.") { args, _ in
                guard let d = args[0].asDouble else { throw HostError("\(name) needs a number, found \(args[0].typeName)") }
                let r = f(d)
                if name == "floor" || name == "ceil", r.isFinite, Swift.abs(r) < 9.2e18 { return .int(Int(r)) }
                return .float(r)
            }
        }
        g.define("pi", .float(Double.pi))
        g.define("inf", .float(Double.infinity))
    }

    /// The elements of any iterable value.
    static func collect(_ v: Value, _ it: Interpreter) throws -> [Value] {
        switch v {
        case .list(let l): return l.items
        case .range(let r):
            guard r.count <= 100_000_000 else { throw HostError("the range is too large to make a list") }
            return (0..<r.count).map { .int(r.element($0)) }
        case .string(let s): return s.value.map { .str(String($0)) }
        case .dict(let d): return d.keys
        case .record(let r): return r.values
        case .host(let h):
            guard let next = try h.makeIterator(interpreter: it) else { throw HostError("cannot iterate over \(h.typeName)") }
            var out: [Value] = []
            while let x = try next() { out.append(x) }
            return out
        default: throw HostError("expected a list or other sequence, found \(v.typeName)")
        }
    }

    /// Sorts values: ints and floats fast, strings, lists; `key` maps each element first.
    static func sortValues(_ items: inout [Value], key: Value, reverse: Bool, _ it: Interpreter) throws {
        if case .nil = key {
            // Fast paths for homogeneous numbers.
            var ints: [Int] = []
            ints.reserveCapacity(items.count)
            for v in items { if case .int(let i) = v { ints.append(i) } else { break } }
            if ints.count == items.count {
                ints.sort()
                if reverse { ints.reverse() }
                for i in 0..<ints.count { items[i] = .int(ints[i]) }
                return
            }
            var failure: HostError?
            items.sort { a, b in
                guard let c = compareValues(a, b) else {
                    failure = failure ?? HostError("cannot compare \(a.typeName) and \(b.typeName) while sorting")
                    return false
                }
                return reverse ? c > 0 : c < 0
            }
            if let failure { throw failure }
            return
        }
        var keyed: [(Value, Value)] = []
        keyed.reserveCapacity(items.count)
        for v in items { keyed.append((try it.call(key, [v]), v)) }
        var failure: HostError?
        keyed.sort { a, b in
            guard let c = compareValues(a.0, b.0) else {
                failure = failure ?? HostError("cannot compare keys \(a.0.typeName) and \(b.0.typeName) while sorting")
                return false
            }
            return reverse ? c > 0 : c < 0
        }
        if let failure { throw failure }
        items = keyed.map(\.1)
    }

    // MARK: - Methods of built-in types

    static let listMethods = ["append", "contains", "copy", "count", "extend", "filter", "index", "insert", "map",
                              "pop", "reduce", "remove", "reverse", "sort"]
    static let stringMethods = ["contains", "ends_with", "join", "lower", "replace", "split", "starts_with", "strip", "upper"]
    static let dictMethods = ["contains", "get", "items", "keys", "remove", "values"]

    static func methodNames(_ v: Value) -> [String] {
        switch v {
        case .list: return listMethods
        case .string: return stringMethods
        case .dict: return dictMethods
        default: return []
        }
    }

    /// `xs.append` without a call: a native function bound to the receiver.
    static func boundMethod(_ v: Value, _ name: String) -> NativeFunction? {
        guard methodNames(v).contains(name) else { return nil }
        return NativeFunction(name, doc: "\(v.typeName).\(name)") { args, it in
            try callMethodThrowing(v, name, args, it)
        }
    }

    /// Calls a method of a list, string, dictionary or range.
    static func callMethod(_ v: Value, _ name: String, _ args: Arguments, _ it: Interpreter,
                           span: SourceSpan) throws(RuntimeError) -> Value {
        let saved = it.nativeCallSpan
        it.nativeCallSpan = span
        defer { it.nativeCallSpan = saved }
        do {
            return try callMethodThrowing(v, name, args, it)
        } catch let e as RuntimeError {
            throw e
        } catch {
            if error is NoSuchMethod {
                throw it.noMember(v, name, methodNames(v), span)
            }
            throw it.hostError(error, span)
        }
    }

    struct NoSuchMethod: Error {}

    private static func arity(_ args: Arguments, _ n: Int, _ name: String) throws {
        if args.positional.count != n || !args.named.isEmpty {
            throw HostError("\(name) takes \(n) argument\(n == 1 ? "" : "s") but \(args.positional.count + args.named.count) were given")
        }
    }

    static func callMethodThrowing(_ v: Value, _ name: String, _ args: Arguments, _ it: Interpreter) throws -> Value {
        let a = args.positional
        switch v {
        case .list(let l):
            switch name {
            case "append":
                try arity(args, 1, name)
                l.items.append(a[0])
                return .nil
            case "extend":
                try arity(args, 1, name)
                l.items.append(contentsOf: try collect(a[0], it))
                return .nil
            case "pop":
                guard !l.items.isEmpty else { throw HostError("pop from an empty list") }
                if a.isEmpty { return l.items.removeLast() }
                let i = try it.checkedIndex(a[0], count: l.items.count, what: "list", span: it.nativeCallSpan ?? Interpreter.hostSpan)
                return l.items.remove(at: i)
            case "insert":
                try arity(args, 2, name)
                guard case .int(var i) = a[0] else { throw HostError("insert needs an int index") }
                if i < 0 { i += l.items.count }
                l.items.insert(a[1], at: min(max(i, 0), l.items.count))
                return .nil
            case "remove":
                try arity(args, 1, name)
                guard let i = l.items.firstIndex(where: { valuesEqual($0, a[0]) }) else {
                    throw HostError("\(it.describe(a[0], quoted: true)) is not in the list")
                }
                l.items.remove(at: i)
                return .nil
            case "contains":
                try arity(args, 1, name)
                return .bool(l.items.contains { valuesEqual($0, a[0]) })
            case "index":
                try arity(args, 1, name)
                guard let i = l.items.firstIndex(where: { valuesEqual($0, a[0]) }) else {
                    throw HostError("\(it.describe(a[0], quoted: true)) is not in the list")
                }
                return .int(i)
            case "count":
                try arity(args, 1, name)
                return .int(l.items.filter { valuesEqual($0, a[0]) }.count)
            case "copy":
                try arity(args, 0, name)
                return .list(ListObject(l.items))
            case "reverse":
                try arity(args, 0, name)
                l.items.reverse()
                return .nil
            case "sort":
                var items = l.items
                try sortValues(&items, key: args.named("key") ?? .nil, reverse: args.named("reverse")?.isTruthy ?? false, it)
                l.items = items
                return .nil
            case "map":
                try arity(args, 1, name)
                var out: [Value] = []
                out.reserveCapacity(l.items.count)
                for x in l.items { out.append(try it.call(a[0], [x])) }
                return .list(ListObject(out))
            case "filter":
                try arity(args, 1, name)
                var out: [Value] = []
                for x in l.items where try it.truth(it.call(a[0], [x]), span: it.nativeCallSpan ?? Interpreter.hostSpan) { out.append(x) }
                return .list(ListObject(out))
            case "reduce":
                try arity(args, 2, name)
                var acc = a[1]
                for x in l.items { acc = try it.call(a[0], [acc, x]) }
                return acc
            default: throw NoSuchMethod()
            }
        case .string(let so):
            let s = so.value
            switch name {
            case "upper": try arity(args, 0, name); return .str(s.uppercased())
            case "lower": try arity(args, 0, name); return .str(s.lowercased())
            case "strip": try arity(args, 0, name); return .str(s.trimmingSpaces())
            case "contains", "starts_with", "ends_with":
                try arity(args, 1, name)
                guard let t = a[0].asString else { throw HostError("\(name) needs a string, found \(a[0].typeName)") }
                return .bool(name == "contains" ? (t.isEmpty || s.contains(t)) : name == "starts_with" ? s.hasPrefix(t) : s.hasSuffix(t))
            case "split":
                if let sep = a.first?.asString, !sep.isEmpty {
                    return .list(ListObject(splitString(s, sep).map { .str($0) }))
                }
                return .list(ListObject(s.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" }).map { .str(String($0)) }))
            case "replace":
                try arity(args, 2, name)
                guard let x = a[0].asString, let y = a[1].asString, !x.isEmpty else { throw HostError("replace needs two strings") }
                return .str(splitString(s, x).joined(separator: y))
            case "join":
                try arity(args, 1, name)
                return .str(try collect(a[0], it).map { it.describe($0, quoted: false) }.joined(separator: s))
            default: throw NoSuchMethod()
            }
        case .dict(let d):
            switch name {
            case "keys": try arity(args, 0, name); return .list(ListObject(d.keys))
            case "values": try arity(args, 0, name); return .list(ListObject(d.values))
            case "items":
                try arity(args, 0, name)
                return .list(ListObject(zip(d.keys, d.values).map { .list(ListObject([$0, $1])) }))
            case "get":
                guard a.count == 1 || a.count == 2 else { throw HostError("get takes a key and an optional default") }
                return d[a[0]] ?? (a.count == 2 ? a[1] : .nil)
            case "contains":
                try arity(args, 1, name)
                return .bool(d[a[0]] != nil)
            case "remove":
                try arity(args, 1, name)
                let old = d[a[0]]
                d[a[0]] = nil
                return old ?? .nil
            default: throw NoSuchMethod()
            }
        default:
            throw NoSuchMethod()
        }
    }

    /// Splits on a separator string (no Foundation).
    static func splitString(_ s: String, _ sep: String) -> [String] {
        var out: [String] = []
        var current = Substring(s)
        while let r = current.firstRange(of: sep) {
            out.append(String(current[..<r.lowerBound]))
            current = current[r.upperBound...]
        }
        out.append(String(current))
        return out
    }
}
