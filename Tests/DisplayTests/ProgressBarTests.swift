import Testing
@testable import Display

/// A clock the test moves by hand.
final class FakeClock {
    var now = 100.0
}

@Suite("Progress bars")
struct ProgressBarTests {
    @Test func interactiveLinesAtGivenTimes() {
        let clock = FakeClock()
        var written: [String] = []
        let bar = ProgressBar(total: 20_000, label: "train", interactive: true, width: 72, clock: { clock.now }, write: { written.append($0) })
        bar.update(50)
        #expect(written.isEmpty, "no redraw before 0.1 s")
        clock.now += 2
        bar.update(4_000, metrics: [("return", "0.83")])
        #expect(written.count == 1)
        let line = written[0]
        #expect(line.hasPrefix("\r") && line.hasSuffix("\u{1B}[K"))
        let visible = ANSI.strip(String(line.dropFirst()))
        #expect(visible == "train  20% ▕███▌              ▏  4000/20000  2000/s  ETA 8s  return 0.83")
        #expect(visible.unicodeScalars.count == 72)
        // Throttled to 10 per second.
        for i in 1...50 { clock.now += 0.01; bar.update(4_000 + i * 10) }
        #expect(written.count == 1 + 4 || written.count == 1 + 5)
        clock.now += 0.5
        bar.finish(20_000)
        let last = ANSI.strip(written.last!)
        #expect(last.hasSuffix("\n") && last.contains("100% ▕"))
        #expect(last.contains("20000/20000") && last.contains("in 3s") && last.contains("return 0.83"))
        bar.update(5)
        bar.finish()
        #expect(ANSI.strip(written.last!) == last, "nothing after finish")
    }

    @Test func narrowTerminalsDropDetails() {
        let clock = FakeClock()
        let bar = ProgressBar(total: 100, label: "train", interactive: true, width: 30, clock: { clock.now }, write: { _ in })
        bar.update(50, metrics: [("return", "1.5")])
        clock.now += 5
        let line = bar.line(at: clock.now)
        #expect(line.unicodeScalars.count <= 30)
        #expect(line.contains("50/100") && !line.contains("return"))
        for width in [0, 5, 12, 20, 40, 200] {
            let b = ProgressBar(total: 1000, label: "a long training label", interactive: true, width: width, clock: { clock.now }, write: { _ in })
            b.update(10, metrics: [("m", "1")])
            #expect(b.line(at: clock.now + 1, note: "interrupted").unicodeScalars.count <= width)
        }
    }

    @Test func plainLinesEveryFewSeconds() {
        let clock = FakeClock()
        var written: [String] = []
        let bar = ProgressBar(total: 1000, label: "train", interactive: false, plainInterval: 5, clock: { clock.now }, write: { written.append($0) })
        for i in 1...40 {
            clock.now += 0.25
            bar.update(i * 25, lazyMetrics: { [("return", "0.5")] })
        }
        // 10 seconds of training: a line at 5 s and at 10 s.
        #expect(written.count == 2)
        #expect(written[0] == "train: 500/1000 steps (50%), 100 steps/s, ETA 5s, return 0.5\n")
        bar.finish(note: "interrupted")
        #expect(written.last == "train: 1000/1000 steps in 10s, 100 steps/s, return 0.5, interrupted\n")
        #expect(!written.joined().contains("\r") && !written.joined().contains("\u{1B}"))
    }

    @Test func metricsAreComputedOnlyForWrittenLines() {
        let clock = FakeClock()
        var calls = 0
        let bar = ProgressBar(total: nil, label: "loop", interactive: false, plainInterval: 5, clock: { clock.now }, write: { _ in })
        for i in 0..<900 {
            clock.now += 0.01
            bar.update(i, lazyMetrics: { calls += 1; return [] })
        }
        #expect(calls == 1)
        #expect(bar.plainLine(at: clock.now) == "loop: 899 steps, 100 steps/s")
        #expect(bar.line(at: clock.now) == "loop  899 steps  100/s")
    }

    @Test func rateFollowsRecentSpeed() {
        let clock = FakeClock()
        let bar = ProgressBar(total: 100_000, label: "t", interactive: false, plainInterval: 1, clock: { clock.now }, write: { _ in })
        // 60 s slow (10/s), then 30 s fast (1000/s): the rate reflects the last ~20 s.
        var done = 0
        for _ in 0..<60 { clock.now += 1; done += 10; bar.update(done) }
        for _ in 0..<30 { clock.now += 1; done += 1000; bar.update(done) }
        let rate = bar.rate(at: clock.now)!
        #expect(rate > 900 && rate <= 1000)
        #expect(ProgressBar.percent(5800, of: 20_000) == 29)
        #expect(ProgressBar.bar(0.5, columns: 12) == "▕█████     ▏")
        #expect(ProgressBar.bar(0.55, columns: 12) == "▕█████▌    ▏")
    }
}
