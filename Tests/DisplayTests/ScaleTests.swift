import Testing
@testable import Display

@Suite("Scales and numbers")
struct ScaleTests {
    @Test func niceTicks() {
        let s = Scale(lower: 0.03, upper: 0.97, count: 5, loose: true)
        #expect(s.lower == 0 && s.upper == 1)
        #expect(s.labels == ["0.0", "0.2", "0.4", "0.6", "0.8", "1.0"] || s.labels == ["0.0", "0.5", "1.0"] || s.labels == ["0.00", "0.25", "0.50", "0.75", "1.00"])
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

    /// Every label of an axis has one format: zero too has the others' decimals.
    @Test func labelsOfAnAxisShareOneFormat() {
        let returns = Scale(lower: -1, upper: 1, count: 5, loose: true)
        #expect(returns.labels == ["-1.0", "-0.5", "0.0", "0.5", "1.0"])
        #expect(Scale(lower: 0, upper: 0.1, count: 3, loose: true).labels.allSatisfy { $0.count == 4 })  // 0.00, 0.05, 0.10
        #expect(Scale(lower: 0, upper: 20_000, count: 5, loose: false).labels == ["0", "5k", "10k", "15k", "20k"])
        #expect(Scale(lower: -2, upper: 4, count: 4, loose: true).labels == ["-2", "0", "2", "4"])
        for (lo, hi) in [(-1.0, 1.0), (0.0, 0.03), (-0.4, 0.9), (0, 150.0), (-25, 35.0)] {
            let labels = Scale(lower: lo, upper: hi, count: 5, loose: true).labels
            let decimals = Set(labels.map { $0.contains("e") ? -1 : ($0.split(separator: ".").dropFirst().first?.count ?? 0) })
            #expect(decimals.count == 1, "\(lo)…\(hi): \(labels)")
        }
    }

    /// Whole-number axes (episode indices, counts) never get ticks between whole numbers.
    @Test func integerAxesHaveWholeTicks() {
        for (lo, hi, count) in [(0.0, 1.0, 5), (0.0, 3.0, 8), (0.0, 2.0, 3), (5.0, 6.0, 10), (0.0, 0.0, 4), (-3.0, 7.0, 12)] {
            for loose in [false, true] {
                let s = Scale(lower: lo, upper: hi, count: count, loose: loose, integer: true)
                #expect(s.step >= 1 && s.ticks.allSatisfy { $0 == $0.rounded() }, "\(lo)…\(hi) ×\(count): \(s.ticks)")
                #expect(s.labels.allSatisfy { !$0.contains(".") }, "\(s.labels)")
                #expect(!s.ticks.isEmpty)
            }
            // Without the flag the same range may well get fractional ticks.
        }
        #expect(Scale(lower: 0, upper: 1, count: 5, loose: false).ticks.contains(0.5))
        #expect(Scale(lower: 0, upper: 1, count: 5, loose: false, integer: true).ticks == [0, 1])
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
