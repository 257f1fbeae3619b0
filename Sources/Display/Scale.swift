import Foundation

// Axis scales: "nice" tick positions (steps of 1, 2 or 5 × 10ᵏ, as in Heckbert's "Nice
// numbers for graph labels") and number formatting for ticks and legends.

/// A linear axis: the drawn range and its tick values.
public struct Scale: Sendable, Equatable {
    /// The lower end of the drawn range.
    public var lower: Double
    /// The upper end of the drawn range (always > lower).
    public var upper: Double
    /// Tick values inside `lower...upper`, increasing.
    public var ticks: [Double]
    /// The distance between ticks (formats their labels with enough decimals).
    public var step: Double

    /// A scale over the finite range `lower...upper` with about `count` ticks. A zero-width
    /// range is widened around its value; with `loose`, the ends are moved out to ticks so
    /// that both ends carry a label. With `integer` (an axis of whole numbers: indices,
    /// counts) the step is at least 1, so no tick falls between two whole numbers.
    public init(lower: Double, upper: Double, count: Int, loose: Bool, integer: Bool = false) {
        var lo = lower.isFinite ? lower : 0, hi = upper.isFinite ? upper : 1
        if lo > hi { swap(&lo, &hi) }
        // Keep the span (and the loose ends) representable: beyond ±10³⁰⁷ values are clipped.
        if !(hi - lo).isFinite || Swift.max(Swift.abs(lo), Swift.abs(hi)) > 1e307 {
            lo = Swift.max(lo, -1e307)
            hi = Swift.min(hi, 1e307)
        }
        if hi - lo <= Swift.max(Swift.abs(lo), Swift.abs(hi)) * 1e-12 || hi - lo < Double.leastNormalMagnitude {
            let pad = lo == 0 ? 1 : Swift.abs(lo) * 0.1
            lo -= pad
            hi += pad
        }
        var step = Scale.niceStep((hi - lo) / Double(Swift.max(1, count - 1)))
        if integer { step = Swift.max(step, 1) }
        // A tight range may hold a single multiple of the step (0…499 with step 500): use
        // smaller steps until two ticks fit.
        while !loose && ((hi / step).rounded(.down) - (lo / step).rounded(.up)) < 1 && step > (hi - lo) * 1e-6
                && (!integer || step > 1) {
            step = Scale.smallerNiceStep(step)
        }
        if loose {
            lo = (lo / step).rounded(.down) * step
            hi = (hi / step).rounded(.up) * step
        }
        var ticks: [Double] = []
        var t = (lo / step).rounded(.up) * step
        let end = hi + step * 1e-9
        while t <= end && ticks.count < 1000 {
            ticks.append(Swift.abs(t) < step * 1e-9 ? 0 : t)
            t += step
        }
        self.lower = lo
        self.upper = hi
        self.ticks = ticks
        self.step = step
    }

    /// The position of `value` in the range, 0 at `lower` and 1 at `upper`.
    public func fraction(_ value: Double) -> Double { (value - lower) / (upper - lower) }

    /// The tick labels, formatted alike.
    public var labels: [String] { NumberFormat.ticks(ticks, step: step) }

    /// The next nice step below `step` (5 → 2 → 1 → 0.5).
    static func smallerNiceStep(_ step: Double) -> Double {
        let exponent = (log10(step) + 1e-9).rounded(.down)
        let base = pow(10, exponent)
        let f = (step / base).rounded()
        return f >= 5 ? 2 * base : f >= 2 ? base : base / 2
    }

    /// The nice step (1, 2 or 5 × 10ᵏ) nearest above `raw`.
    static func niceStep(_ raw: Double) -> Double {
        guard raw.isFinite, raw > 0 else { return 1 }
        let exponent = (log10(raw)).rounded(.down)
        let base = pow(10, exponent)
        let f = raw / base
        let nice: Double = f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10
        return nice * base
    }
}

/// Number formatting for ticks, legends and progress lines.
public enum NumberFormat {
    /// Labels of ticks `step` apart, formatted alike: as many decimals as the step needs;
    /// when the largest reaches 10 000, thousands as `20k` (millions `1.5M`, billions `2G`);
    /// magnitudes beyond 10¹² or steps below 10⁻⁴ in scientific notation (`2e-05`). Zero
    /// has the decimals of the others (`0.0` among `0.5`, `1.0`), and no unit suffix.
    public static func ticks(_ values: [Double], step: Double) -> [String] {
        let largest = values.filter(\.isFinite).map(Swift.abs).max() ?? 0
        let scientificForm = largest >= 1e12 || (step < 1e-4 && largest < 1e-2)
        let unit = [(1e9, "G"), (1e6, "M"), (1e3, "k")].first { largest >= 10 * $0.0 && step >= $0.0 / 10 }
        return values.map { value in
            guard value.isFinite else { return value.isNaN ? "nan" : value > 0 ? "inf" : "-inf" }
            if value == 0 { return scientificForm ? "0" : fixed(0, decimals: decimals(unit.map { step / $0.0 } ?? step)) }
            if scientificForm { return scientific(value, digits: digits(step / Swift.max(largest, step))) }
            if let (divisor, suffix) = unit { return fixed(value / divisor, decimals: decimals(step / divisor)) + suffix }
            return fixed(value, decimals: decimals(step))
        }
    }

    /// A single number with about three significant digits: `0.833`, `12.5`, `1.23k`,
    /// `4e-05`; integers stay whole below 10 000.
    public static func compact(_ value: Double) -> String {
        guard value.isFinite else { return value.isNaN ? "nan" : value > 0 ? "inf" : "-inf" }
        if value == 0 { return "0" }
        let magnitude = Swift.abs(value)
        if magnitude < 1e-3 || magnitude >= 1e15 { return scientific(value, digits: 3) }
        if value == value.rounded() && magnitude < 10_000 { return String(Int(value)) }
        for (divisor, suffix) in [(1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")] where magnitude >= divisor * 0.9995 {
            if magnitude < 10_000 && divisor == 1e3 { break }
            return significant(value / divisor, 3) + suffix
        }
        return significant(value, 3)
    }

    /// Decimals needed to tell apart numbers `step` apart (0…10).
    static func decimals(_ step: Double) -> Int {
        guard step.isFinite, step > 0 else { return 0 }
        return Swift.max(0, Swift.min(10, Int((-log10(step) - 1e-9).rounded(.up))))
    }

    /// Significant digits needed for a relative step.
    private static func digits(_ relativeStep: Double) -> Int {
        Swift.max(1, Swift.min(6, decimals(relativeStep) + 1))
    }

    static func fixed(_ value: Double, decimals: Int) -> String {
        let s = String(format: "%.\(decimals)f", value)
        return s == "-0" || s.hasPrefix("-0.") && Double(s) == 0 ? String(s.dropFirst()) : s
    }

    static func significant(_ value: Double, _ digits: Int) -> String {
        let magnitude = Swift.abs(value)
        let intDigits = magnitude == 0 ? 1 : Int(log10(magnitude).rounded(.down)) + 1
        var s = fixed(value, decimals: Swift.max(0, digits - intDigits))
        if s.contains(".") {
            while s.hasSuffix("0") { s.removeLast() }
            if s.hasSuffix(".") { s.removeLast() }
        }
        return s
    }

    static func scientific(_ value: Double, digits: Int) -> String {
        let s = String(format: "%.\(Swift.max(0, digits - 1))e", value)
        // 1.50e-05 → 1.5e-05
        guard let e = s.firstIndex(of: "e") else { return s }
        var mantissa = String(s[..<e])
        if mantissa.contains(".") {
            while mantissa.hasSuffix("0") { mantissa.removeLast() }
            if mantissa.hasSuffix(".") { mantissa.removeLast() }
        }
        return mantissa + s[e...]
    }

    /// Seconds as `42s`, `3:07`, `1:02:03`.
    public static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite, seconds >= 0 else { return "?" }
        let s = clampedInt(seconds, 0...(1 << 40))
        if s < 60 { return "\(s)s" }
        let (h, m, sec) = (s / 3600, (s / 60) % 60, s % 60)
        let two = { (v: Int) in v < 10 ? "0\(v)" : "\(v)" }
        return h > 0 ? "\(h):\(two(m)):\(two(sec))" : "\(m):\(two(sec))"
    }
}

/// Finite minimum and maximum of some values (nil when none is finite).
func finiteRange<S: Sequence>(_ values: S) -> (min: Double, max: Double)? where S.Element == Double {
    var lo = Double.infinity, hi = -Double.infinity
    for v in values where v.isFinite {
        if v < lo { lo = v }
        if v > hi { hi = v }
    }
    return lo <= hi ? (lo, hi) : nil
}
