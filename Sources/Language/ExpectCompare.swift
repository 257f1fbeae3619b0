// Comparisons for `expect a == b` and `expect a == b, tolerance: t`: whether two values are
// equal and, when they are not, where they first differ — the way pytest's assertion
// rewriting shows expected against actual. Tensors and other host values are compared by
// the host (`Interpreter.compareHostValues`).

extension Value {
    /// Whether the value is a host object (tensor, layer, environment, …).
    public var isHost: Bool {
        if case .host = self { return true }
        return false
    }
}

extension Interpreter {
    /// At most this many characters of a value are shown in an expectation's report.
    static let briefLimit = 300

    /// A value as an expectation's report shows it: quoted, and cut to `briefLimit`
    /// characters so that a huge list cannot flood the report.
    func brief(_ v: Value) -> String {
        let text = describe(v, quoted: true)
        if text.count <= Interpreter.briefLimit { return text }
        return String(text.prefix(Interpreter.briefLimit)) + "… (\(text.count) characters)"
    }

    /// Compares two values for an expectation. With a tolerance, numbers are equal when
    /// `|a − b| ≤ tolerance` (NaN equals nothing; infinities equal only themselves), and
    /// lists and tensors element by element. Without one, the comparison is exact and only the
    /// detail is of interest. With `hostOnly`, returns nil unless the host compared the values.
    func compareForExpect(_ a: Value, _ b: Value, tolerance: Double?, span: SourceSpan,
                          hostOnly: Bool = false) throws(RuntimeError) -> ValueComparison? {
        if a.isHost || b.isHost, let hook = compareHostValues {
            do {
                if let c = try hook(a, b, tolerance ?? 0) { return c }
            } catch {
                throw hostError(error, span)
            }
        }
        if hostOnly { return nil }
        return try compareValues(a, b, tolerance: tolerance, span: span, depth: 0)
    }

    private func compareValues(_ a: Value, _ b: Value, tolerance: Double?, span: SourceSpan,
                               depth: Int) throws(RuntimeError) -> ValueComparison {
        if depth > 50 { return ValueComparison(equal: false, detail: "values nested too deeply to compare") }
        switch (a, b) {
        case (.int(let x), .int(let y)) where tolerance == nil:
            return x == y ? ValueComparison(equal: true) : ValueComparison(equal: false)
        case (.int, .float), (.float, .int), (.float, .float), (.int, .int):
            let x = a.asDouble ?? .nan, y = b.asDouble ?? .nan
            return compareNumbers(x, y, tolerance: tolerance ?? 0)
        case (.string(let x), .string(let y)):
            if x.value == y.value { return ValueComparison(equal: true) }
            let xs = Array(x.value), ys = Array(y.value)
            var i = 0
            while i < xs.count, i < ys.count, xs[i] == ys[i] { i += 1 }
            if i == xs.count || i == ys.count {
                return ValueComparison(equal: false, detail: "lengths differ: \(xs.count) vs \(ys.count) characters")
            }
            return ValueComparison(equal: false, detail: "first difference at character \(i): \(quote(String(xs[i]))) vs \(quote(String(ys[i])))")
        case (.list(let x), .list(let y)):
            if x.items.count != y.items.count {
                return ValueComparison(equal: false, detail: "lengths differ: \(x.items.count) vs \(y.items.count)")
            }
            for i in 0..<x.items.count {
                let c = try compareElement(x.items[i], y.items[i], tolerance: tolerance, span: span, depth: depth)
                if !c.equal {
                    return ValueComparison(equal: false, detail: "at index [\(i)]: " + c.detail)
                }
            }
            return ValueComparison(equal: true)
        case (.record(let x), .record(let y)) where x.names == y.names:
            for i in 0..<x.names.count {
                let c = try compareElement(x.values[i], y.values[i], tolerance: tolerance, span: span, depth: depth)
                if !c.equal { return ValueComparison(equal: false, detail: "at field \(x.names[i]): " + c.detail) }
            }
            return ValueComparison(equal: true)
        default:
            if a.isHost || b.isHost, tolerance != nil {
                throw RuntimeError("cannot compare \(a.typeName) with \(b.typeName) within a tolerance", at: span)
            }
            let equal = try truth(binary(.equal, a, b, span: span), span: span)
            return ValueComparison(equal: equal, detail: equal || a.typeName == b.typeName ? "" : "types differ: \(a.typeName) vs \(b.typeName)")
        }
    }

    /// One element of a list or record: its own detail, or "x vs y" when it has none.
    private func compareElement(_ a: Value, _ b: Value, tolerance: Double?, span: SourceSpan,
                                depth: Int) throws(RuntimeError) -> ValueComparison {
        var c: ValueComparison
        if a.isHost || b.isHost, let hooked = try compareForExpect(a, b, tolerance: tolerance, span: span, hostOnly: true) {
            c = hooked
        } else {
            c = try compareValues(a, b, tolerance: tolerance, span: span, depth: depth + 1)
        }
        if !c.equal, !isCompound(a) || !isCompound(b) || c.detail.isEmpty {
            let pair = "\(brief(a)) vs \(brief(b))"
            c.detail = c.detail.isEmpty ? pair : "\(pair) (\(c.detail))"
        }
        return c
    }

    private func isCompound(_ v: Value) -> Bool {
        switch v {
        case .list, .record, .host: return true
        default: return false
        }
    }

    private func compareNumbers(_ x: Double, _ y: Double, tolerance: Double) -> ValueComparison {
        if x.isNaN || y.isNaN {
            return ValueComparison(equal: false, detail: x.isNaN && y.isNaN ? "both are nan (nan equals nothing)" : (x.isNaN ? "left is nan" : "right is nan"))
        }
        if x.isInfinite || y.isInfinite {
            return x == y ? ValueComparison(equal: true) : ValueComparison(equal: false, detail: "\(formatFloat(x)) vs \(formatFloat(y))")
        }
        let d = Swift.abs(x - y)
        if d <= tolerance { return ValueComparison(equal: true) }
        return ValueComparison(equal: false, detail: "difference \(formatFloat(d))")
    }
}
