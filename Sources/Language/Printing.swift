// How values are shown by `print`, interpolation and the REPL.

extension Interpreter {
    /// Text for a value. Strings are quoted inside containers (and when `quoted`).
    func describe(_ v: Value, quoted: Bool, depth: Int = 0) -> String {
        var path: [ObjectIdentifier] = []
        var budget = Self.describeBudget
        return describe(v, quoted: quoted, depth: depth, path: &path, budget: &budget)
    }

    /// How many values one `describe` spells out before it writes "…" for the rest: a list
    /// holding the same list twice, nested 40 deep, has 2⁴⁰ leaves.
    static let describeBudget = 100_000

    /// `path` holds the containers being printed around this value: a container that contains
    /// itself prints as `[...]`, `{...}` or `Name(...)`, as Python does, instead of recursing.
    private func describe(_ v: Value, quoted: Bool, depth: Int, path: inout [ObjectIdentifier], budget: inout Int) -> String {
        if depth > 50 || budget <= 0 { return "…" }
        budget -= 1
        func nested(_ id: ObjectIdentifier, _ cycle: String, _ body: (inout [ObjectIdentifier], inout Int) -> String) -> String {
            if path.contains(id) { return cycle }
            path.append(id)
            defer { path.removeLast() }
            return body(&path, &budget)
        }
        switch v {
        case .nil: return "nil"
        case .bool(let b): return b ? "true" : "false"
        case .int(let i): return String(i)
        case .float(let d): return formatFloat(d)
        case .string(let s): return quoted ? quote(s.value) : s.value
        case .list(let l):
            return nested(ObjectIdentifier(l), "[...]") { path, budget in
                "[" + l.items.map { describe($0, quoted: true, depth: depth + 1, path: &path, budget: &budget) }.joined(separator: ", ") + "]"
            }
        case .dict(let d):
            if d.count == 0 { return "{:}" }
            return nested(ObjectIdentifier(d), "{...}") { path, budget in
                var parts: [String] = []
                for (i, k) in d.keys.enumerated() {
                    parts.append(describe(k, quoted: true, depth: depth + 1, path: &path, budget: &budget) + ": "
                                 + describe(d.values[i], quoted: true, depth: depth + 1, path: &path, budget: &budget))
                }
                return "{" + parts.joined(separator: ", ") + "}"
            }
        case .record(let r):
            return nested(ObjectIdentifier(r), "(...)") { path, budget in
                var parts: [String] = []
                for (i, n) in r.names.enumerated() {
                    parts.append("\(n): \(describe(r.values[i], quoted: true, depth: depth + 1, path: &path, budget: &budget))")
                }
                return "(" + parts.joined(separator: ", ") + ")"
            }
        case .range(let r):
            if r.step == 1 { return "\(r.lower)..<\(r.upper)" }
            return "range(\(r.lower), \(r.upper), \(r.step))"
        case .function(let c): return "<fn \(c.proto.name)>"
        case .native(let f): return "<fn \(f.name)>"
        case .boundMethod(let m): return "<method \(m.method.proto.name) of \(m.receiver.typeName)>"
        case .classType(let c): return "<class \(c.name)>"
        case .instance(let o):
            return nested(ObjectIdentifier(o), "\(o.cls.name)(...)") { path, budget in
                var parts: [String] = []
                for (i, n) in o.cls.fieldNames.enumerated() {
                    parts.append("\(n): \(describe(o.fields[i], quoted: true, depth: depth + 1, path: &path, budget: &budget))")
                }
                return "\(o.cls.name)(" + parts.joined(separator: ", ") + ")"
            }
        case .host(let h): return h.description
        }
    }

    /// Like `describe`, but calls an instance's `description()` method if its class has one.
    func describeCalling(_ v: Value, span: SourceSpan) throws(RuntimeError) -> String {
        if case .instance(let o) = v, let m = o.cls.methods["description"] {
            let r = try callClosure(m, receiver: v, [], [], span: span)
            return describe(r, quoted: false)
        }
        return describe(v, quoted: false)
    }
}

/// Floats print like Python's: `1.0`, `0.1`, `1e-05`, `inf`, `nan`.
func formatFloat(_ d: Double) -> String {
    if d.isNaN { return "nan" }
    if d.isInfinite { return d < 0 ? "-inf" : "inf" }
    return "\(d)"
}

/// A string in double quotes with escapes, as written in source.
func quote(_ s: String) -> String {
    var out = "\""
    for ch in s.unicodeScalars {
        switch ch {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\t": out += "\\t"
        case "\r": out += "\\r"
        default: out.unicodeScalars.append(ch)
        }
    }
    return out + "\""
}
