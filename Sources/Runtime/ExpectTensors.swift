import Language
import TensorCore

// `expect a == b [, tolerance: t]` for tensors: shapes must match exactly (a number or a
// nested list on one side is converted), then elements are compared with |a − b| ≤ t (NaN
// equals nothing; infinities equal only themselves). The report names the largest
// difference and where it is, and how many elements differ.

enum TensorComparison {
    /// The hook for `Interpreter.compareHostValues`: nil unless one side is a tensor.
    static func compare(_ a: Value, _ b: Value, tolerance: Double) throws -> ValueComparison? {
        guard case .host(let h) = a.isHost ? a : b, h is TensorObject else { return nil }
        let x = try a.toTensor("expect: left side"), y = try b.toTensor("expect: right side")
        guard x.shape == y.shape else {
            return ValueComparison(equal: false, detail: "shapes differ: \(x.shape) vs \(y.shape)")
        }
        let xs = x.scalars, ys = y.scalars
        var differing = 0
        var worst = -1.0, worstIndex = -1
        for i in 0..<xs.count {
            let p = Double(xs[i]), q = Double(ys[i])
            let gap: Double
            if p.isNaN || q.isNaN {
                gap = .infinity
            } else if p.isInfinite || q.isInfinite {
                gap = p == q ? 0 : .infinity
            } else {
                gap = Swift.abs(p - q)
            }
            if gap > tolerance {
                differing += 1
                if gap > worst {
                    worst = gap
                    worstIndex = i
                }
            }
        }
        if differing == 0 { return ValueComparison(equal: true) }
        // The multi-index of the worst element.
        var index: [Int] = []
        var rest = worstIndex
        for d in x.shape.reversed() {
            index.insert(d == 0 ? 0 : rest % d, at: 0)
            rest = d == 0 ? 0 : rest / d
        }
        func show(_ x: Float) -> String { x.isNaN ? "nan" : x.isInfinite ? (x < 0 ? "-inf" : "inf") : "\(x)" }
        let p = show(xs[worstIndex]), q = show(ys[worstIndex])
        let gapText = worst.isInfinite ? "" : ", difference \(worst)"
        return ValueComparison(equal: false, detail: "\(differing) of \(xs.count) element\(xs.count == 1 ? "" : "s") differ; the largest at \(index): \(p) vs \(q)\(gapText)")
    }
}
