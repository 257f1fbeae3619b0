import Foundation

/// Sums of points. Points are written in decimal (0.7, 0.2, 0.1) but added as binary
/// floating point they miss (0.9999999999999999), and a correct submission would be reported
/// as failed. Each value is taken as the shortest decimal that reads back as it, the sum is
/// exact in decimal, and comparisons allow for the last digit.
public enum Points {
    /// The exact decimal sum of `values`, as the nearest Double.
    public static func sum(_ values: [Double]) -> Double {
        var total = Decimal(0)
        for v in values {
            guard v.isFinite, let d = Decimal(string: "\(v)", locale: Locale(identifier: "en_US_POSIX")) else {
                return values.reduce(0, +)
            }
            total += d
        }
        return NSDecimalNumber(decimal: total).doubleValue
    }

    /// Whether `earned` reaches `maximum` (within rounding of the last digit).
    public static func reaches(_ earned: Double, _ maximum: Double) -> Bool {
        earned >= maximum - 1e-9 * Swift.max(1, Swift.abs(maximum))
    }
}
