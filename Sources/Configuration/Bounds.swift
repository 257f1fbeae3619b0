/// The numbers a field accepts: an interval, open or closed at each end, or unbounded.
/// `.closed(0, 1)` for γ, `.greaterThan(0)` for a learning rate, `.atLeast(1)` for sizes.
public struct Bounds: Sendable, Equatable, CustomStringConvertible {
    public var lower: Double?
    public var lowerInclusive: Bool
    public var upper: Double?
    public var upperInclusive: Bool

    public init(lower: Double?, lowerInclusive: Bool = true, upper: Double?, upperInclusive: Bool = true) {
        self.lower = lower
        self.lowerInclusive = lowerInclusive
        self.upper = upper
        self.upperInclusive = upperInclusive
    }

    /// `x ≥ a`.
    public static func atLeast(_ a: Double) -> Bounds { Bounds(lower: a, upper: nil) }
    /// `x > a`.
    public static func greaterThan(_ a: Double) -> Bounds { Bounds(lower: a, lowerInclusive: false, upper: nil) }
    /// `a ≤ x ≤ b`.
    public static func closed(_ a: Double, _ b: Double) -> Bounds { Bounds(lower: a, upper: b) }
    /// `a < x ≤ b`.
    public static func openClosed(_ a: Double, _ b: Double) -> Bounds { Bounds(lower: a, lowerInclusive: false, upper: b) }
    /// `a ≤ x < b`.
    public static func closedOpen(_ a: Double, _ b: Double) -> Bounds { Bounds(lower: a, upper: b, upperInclusive: false) }
    /// `x > 0`: rates, norms, temperatures.
    public static let positive = greaterThan(0)
    /// `x ≥ 0`: counts that may be zero.
    public static let nonNegative = atLeast(0)
    /// `0 ≤ x ≤ 1`: probabilities, discounts, λ.
    public static let unit = closed(0, 1)

    public func contains(_ x: Double) -> Bool {
        guard !x.isNaN else { return false }
        if let a = lower, lowerInclusive ? x < a : x <= a { return false }
        if let b = upper, upperInclusive ? x > b : x >= b { return false }
        return true
    }

    /// ">= 1", "> 0", "in [0, 1]", "in (0, 1]", "<= 5".
    public var description: String {
        switch (lower, upper) {
        case let (a?, b?): return "in \(lowerInclusive ? "[" : "(")\(Bounds.format(a)), \(Bounds.format(b))\(upperInclusive ? "]" : ")")"
        case let (a?, nil): return "\(lowerInclusive ? ">=" : ">") \(Bounds.format(a))"
        case let (nil, b?): return "\(upperInclusive ? "<=" : "<") \(Bounds.format(b))"
        case (nil, nil): return "any number"
        }
    }

    static func format(_ d: Double) -> String {
        d == d.rounded() && abs(d) < 1e15 ? String(Int(d)) : String(d)
    }
}
