import Foundation

/// A colour with components in 0…1.
public struct RGB: Sendable, Equatable {
    public var r: Double, g: Double, b: Double
    public init(_ r: Double, _ g: Double, _ b: Double) { (self.r, self.g, self.b) = (r, g, b) }
    /// From `0xRRGGBB`.
    public init(hex: UInt32) {
        self.init(Double((hex >> 16) & 0xFF) / 255, Double((hex >> 8) & 0xFF) / 255, Double(hex & 0xFF) / 255)
    }
    /// `#rrggbb`.
    public var hex: String {
        func byte(_ c: Double) -> Int { clampedInt(c * 255, 0...255) }
        return String(format: "#%02x%02x%02x", byte(r), byte(g), byte(b))
    }
}

/// The colours of the figures, chosen to stay distinguishable with colour-vision deficiencies.
public enum Palette {
    /// Series colours: Okabe & Ito's palette ("Color Universal Design", 2008) without its
    /// yellow, which is unreadable on white: blue, orange, bluish green, reddish purple,
    /// sky blue, vermillion, black.
    public static let series: [RGB] = [0x0072B2, 0xE69F00, 0x009E73, 0xCC79A7, 0x56B4E9, 0xD55E00, 0x000000].map { RGB(hex: $0) }

    /// The colour of series `index` (cycling).
    public static func series(_ index: Int) -> RGB { series[((index % series.count) + series.count) % series.count] }

    /// Anchors of matplotlib's viridis (perceptually uniform, colour-blind friendly), from
    /// its low end (dark purple) to its high end (yellow), at equal spacing.
    static let viridis: [RGB] = [0x440154, 0x482878, 0x3E4A89, 0x31688E, 0x26828E, 0x1F9E89, 0x35B779, 0x6DCD59, 0xB4DE2C, 0xFDE725].map { RGB(hex: $0) }

    /// The sequential colour scale at `t` in 0…1 (clamped; NaN gives grey).
    public static func sequential(_ t: Double) -> RGB {
        guard t.isFinite else { return RGB(0.8, 0.8, 0.8) }
        let x = max(0, min(1, t)) * Double(viridis.count - 1)
        let i = min(viridis.count - 2, Int(x))
        let f = x - Double(i)
        let a = viridis[i], b = viridis[i + 1]
        return RGB(a.r + (b.r - a.r) * f, a.g + (b.g - a.g) * f, a.b + (b.b - a.b) * f)
    }
}
