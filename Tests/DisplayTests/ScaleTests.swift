import Testing
@testable import Display

@Suite("Scales and numbers")
struct ScaleTests {
    @Test func niceTicks() {
        let s = Scale(lower: 0.03, upper: 0.97, count: 5, loose: true)
        #expect(s.lower == 0 && s.upper == 1)
        #expect(s.labels == ["0", "0.2", "0.4", "0.6", "0.8", "1.0"] || s.labels == ["0", "0.5", "1.0"] || s.labels == ["0", "0.25", "0.50", "0.75", "1.00"])
        let t = Scale(lower: 0, upper: 499, count: 2, loose: false)
        #expect(t.ticks.count >= 2, "a tight range still gets two ticks")
        let big = Scale(lower: 0, upper: 20_000, count: 5, loose: false)
        #expect(big.labels == ["0", "5k", "10k", "15k", "20k"])
        let flat = Scale(lower: 3, upper: 3, count: 5, loose: true)
        #expect(flat.lower < 3 && flat.upper > 3)
        let zero = Scale(lower: 0, upper: 0, count: 3, loose: true)
        #expect(zero.lower <= -1 && zero.upper >= 1)
        let tiny = Scale(lower: 1e-7, upper: 3e-7, count: 3, loose: true)
        #expect(tiny.labels.allSatisfy { $0 == "0" || $0.contains("e-07") })
    }

    @Test func compactNumbers() {
        #expect(NumberFormat.compact(0.8333) == "0.833")
        #expect(NumberFormat.compact(12.5) == "12.5")
        #expect(NumberFormat.compact(1234) == "1234")
        #expect(NumberFormat.compact(12_345) == "12.3k")
        #expect(NumberFormat.compact(2_500_000) == "2.5M")
        #expect(NumberFormat.compact(-0.25) == "-0.25")
        #expect(NumberFormat.compact(4e-5) == "4e-05")
        #expect(NumberFormat.compact(.nan) == "nan")
        #expect(NumberFormat.compact(-.infinity) == "-inf")
        #expect(NumberFormat.duration(42) == "42s")
        #expect(NumberFormat.duration(187) == "3:07")
        #expect(NumberFormat.duration(3723) == "1:02:03")
    }

    @Test func widthsIgnoreEscapes() {
        #expect(ANSI.visibleWidth("\u{1B}[34m⣿⣿\u{1B}[0m ab") == 5)
        #expect(ANSI.strip("\u{1B}[38;5;73m█\u{1B}[0m") == "█")
        #expect(truncated("abcdef", 4) == "abc…")
        #expect(truncated("abc", 4) == "abc")
    }
}
