// How values are shown by `print`, interpolation and the REPL.

extension Interpreter {
    /// Text for a value. Strings are quoted inside containers (and when `quoted`).
    func describe(_ v: Value, quoted: Bool, depth: Int = 0) -> String {
        if depth > 50 { return "…" }
        switch v {
        case .nil: return "nil"
        case .bool(let b): return b ? "true" : "false"
        case .int(let i): return String(i)
        case .float(let d): return formatFloat(d)
        case .string(let s): return quoted ? quote(s.value) : s.value
        case .list(let l):
            return "[" + l.items.map { describe($0, quoted: true, depth: depth + 1) }.joined(separator: ", ") + "]"
        case .dict(let d):
            if d.count == 0 { return "{:}" }
            var parts: [String] = []
            for (i, k) in d.keys.enumerated() {
                parts.append(describe(k, quoted: true, depth: depth + 1) + ": " + describe(d.values[i], quoted: true, depth: depth + 1))
            }
            return "{" + parts.joined(separator: ", ") + "}"
        case .record(let r):
            var parts: [String] = []
            for (i, n) in r.names.enumerated() { parts.append("\(n): \(describe(r.values[i], quoted: true, depth: depth + 1))") }
            return "(" + parts.joined(separator: ", ") + ")"
        case .range(let r):
            if r.step == 1 { return "\(r.lower)..<\(r.upper)" }
            return "range(\(r.lower), \(r.upper), \(r.step))"
        case .function(let c): return "<fn \(c.proto.name)>"
        case .native(let f): return "<fn \(f.name)>"
        case .boundMethod(let m): return "<method \(m.method.proto.name) of \(m.receiver.typeName)>"
        case .classType(let c): return "<class \(c.name)>"
        case .instance(let o):
            var parts: [String] = []
            for (i, n) in o.cls.fieldNames.enumerated() {
                parts.append("\(n): \(describe(o.fields[i], quoted: true, depth: depth + 1))")
            }
            return "\(o.cls.name)(" + parts.joined(separator: ", ") + ")"
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
