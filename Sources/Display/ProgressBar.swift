#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A progress report for a long loop (training): steps done of the total, steps per second,
/// the estimated time left, and the latest metrics (`return 0.83`).
///
/// Two modes:
/// - **interactive** (a terminal): one line redrawn in place with `\r` and erase-to-end,
///   fitted to `width` (metrics, then ETA, then the rate are dropped when it is narrow), at
///   most every `redrawInterval` seconds (10 per second);
/// - **plain** (a log, a pipe): one complete line every `plainInterval` seconds (5 by
///   default), so that CI logs stay short.
/// Both end with `finish`, which writes a final line (in interactive mode the bar at its
/// final state, then a newline).
///
/// The clock and the writer are injected, so the text is a pure function of the calls and
/// the times, and tests need no real time. `update` is cheap when no line is due: one call
/// of the clock and a comparison.
public final class ProgressBar {
    /// Total steps (nil: unknown; no bar, no ETA).
    public let total: Int?
    /// Shown first on the line (`train`).
    public var label: String
    /// Whether to redraw in place (a terminal) or write plain lines.
    public let interactive: Bool
    /// Columns of the terminal (interactive mode).
    public var width: Int
    /// Seconds between redraws in interactive mode.
    public var redrawInterval: Double = 0.1
    /// Seconds between lines in plain mode.
    public var plainInterval: Double
    /// What the unit of `done` is called (`steps`).
    public var unit: String = "steps"

    private let clock: () -> Double
    private let write: (String) -> Void
    private let start: Double
    private var lastOutput: Double
    private var samples: [(time: Double, done: Int)] = []
    private(set) public var done = 0
    private(set) public var metrics: [(name: String, value: String)] = []
    private(set) public var isFinished = false

    /// A progress bar starting now (by `clock`, in seconds).
    public init(total: Int?, label: String = "progress", interactive: Bool, width: Int = 80, plainInterval: Double = 5,
                clock: @escaping () -> Double = ProgressBar.monotonicSeconds, write: @escaping (String) -> Void) {
        self.total = total.map { max(0, $0) }
        self.label = label
        self.interactive = interactive
        self.width = width
        self.plainInterval = plainInterval
        self.clock = clock
        self.write = write
        start = clock()
        lastOutput = start
        samples = [(start, 0)]
    }

    /// Seconds from an arbitrary fixed point (CLOCK_MONOTONIC), unaffected by clock changes.
    public static func monotonicSeconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
    }

    /// Records progress; writes a line when one is due. `metrics` (name, formatted value)
    /// replace the previous ones when given.
    public func update(_ done: Int, metrics: [(name: String, value: String)]? = nil) {
        if let metrics { self.metrics = metrics }
        update(done, lazyMetrics: nil)
    }

    /// Records progress; when a line is due, calls `lazyMetrics` for the metrics to show
    /// (so that computing them costs nothing between lines).
    public func update(_ done: Int, lazyMetrics: (() -> [(name: String, value: String)])?) {
        guard !isFinished else { return }
        self.done = done
        let now = clock()
        guard now - lastOutput >= (interactive ? redrawInterval : plainInterval) else { return }
        lastOutput = now
        if let lazyMetrics { metrics = lazyMetrics() }
        record(now)
        write(interactive ? "\r" + line(at: now) + "\u{1B}[K" : plainLine(at: now) + "\n")
    }

    /// Writes the final line (once). `note` (e.g. "interrupted") is added to it.
    public func finish(_ done: Int? = nil, metrics: [(name: String, value: String)]? = nil, note: String? = nil) {
        guard !isFinished else { return }
        isFinished = true
        if let done { self.done = done }
        if let metrics { self.metrics = metrics }
        let now = clock()
        record(now)
        if interactive {
            write("\r" + line(at: now, final: true, note: note) + "\u{1B}[K\n")
        } else {
            write(plainLine(at: now, final: true, note: note) + "\n")
        }
    }

    private func record(_ now: Double) {
        samples.append((now, done))
        // Keep about the last 20 seconds for the rate (always at least two samples).
        while samples.count > 2, now - samples[1].time >= 20 { samples.removeFirst() }
    }

    /// Steps per second: over the last ~20 seconds of samples (recent speed predicts the
    /// remaining time better when training speeds up or slows down), nil before any time
    /// has passed.
    public func rate(at now: Double) -> Double? {
        guard let first = samples.first else { return nil }
        let dt = now - first.time
        guard dt > 1e-6 else { return nil }
        return Double(done - first.done) / dt
    }

    /// The estimated seconds left.
    public func eta(at now: Double) -> Double? {
        guard let total, let r = rate(at: now), r > 0 else { return nil }
        return Double(max(0, total - done)) / r
    }

    // MARK: - Lines

    /// The interactive line at time `now`, at most `width` columns.
    public func line(at now: Double, final: Bool = false, note: String? = nil) -> String {
        let fraction = total.map { $0 == 0 ? 1 : min(1, Double(done) / Double($0)) }
        var head = label
        if let total { head += " " + padded(String(ProgressBar.percent(done, of: total)) + "%", 4, right: true) }
        var parts: [String] = []
        parts.append(total.map { "\(done)/\($0)" } ?? "\(done) \(unit)")
        if let r = rate(at: now) { parts.append("\(NumberFormat.compact(r.rounded(r < 100 ? .toNearestOrEven : .down)))/s") }
        if final {
            parts.append("in " + NumberFormat.duration(now - start))
        } else if let e = eta(at: now) {
            parts.append("ETA \(NumberFormat.duration(e))")
        }
        parts += metrics.map { "\($0.name) \($0.value)" }
        if let note { parts.append(note) }
        // Drop the least important parts (from the end; the counts stay) until the bar has
        // at least 10 columns.
        while true {
            let fixed = head.unicodeScalars.count + parts.reduce(0) { $0 + 2 + $1.unicodeScalars.count }
            let barColumns = width - fixed - 1
            if fraction == nil || barColumns >= 10 || parts.count <= (note == nil ? 1 : 2) {
                let bar = fraction.map { " " + ProgressBar.bar($0, columns: max(0, barColumns)) } ?? ""
                return truncated(head + bar + parts.map { "  " + $0 }.joined(), max(0, width))
            }
            // Keep the note (interrupted) visible: drop the part before it.
            parts.remove(at: note == nil ? parts.count - 1 : parts.count - 2)
        }
    }

    /// The plain line at time `now` (no width limit: logs wrap).
    public func plainLine(at now: Double, final: Bool = false, note: String? = nil) -> String {
        var s = "\(label): \(done)"
        if let total { s += "/\(total)" }
        s += " \(unit)"
        if let total, total > 0, !final { s += " (\(ProgressBar.percent(done, of: total))%)" }
        if final { s += " in \(NumberFormat.duration(now - start))" }
        var parts: [String] = []
        let average = now - start > 1e-6 ? Double(done) / (now - start) : nil
        if let r = final ? average : rate(at: now) { parts.append("\(NumberFormat.compact(r.rounded(r < 100 ? .toNearestOrEven : .down))) \(unit)/s") }
        if !final, let e = eta(at: now) { parts.append("ETA \(NumberFormat.duration(e))") }
        parts += metrics.map { "\($0.name) \($0.value)" }
        if let note { parts.append(note) }
        return parts.isEmpty ? s : s + ", " + parts.joined(separator: ", ")
    }

    /// Whole percent done, rounded down (exact integer arithmetic: 5800/20000 is 29%).
    static func percent(_ done: Int, of total: Int) -> Int {
        total <= 0 ? 100 : Int(min(100, max(0, done.multipliedReportingOverflow(by: 100).overflow ? Int(Double(done) / Double(total) * 100) : done * 100 / total)))
    }

    /// A bar `columns` wide between `▕` and `▏`, filled to `fraction` with eighth blocks.
    static func bar(_ fraction: Double, columns: Int) -> String {
        let inner = max(0, columns - 2)
        let eighths = clampedInt((fraction * Double(inner * 8)).rounded(.down), 0...(inner * 8))
        let full = eighths / 8, part = eighths % 8
        var s = String(repeating: "█", count: full)
        if full < inner && part > 0 { s.append(BarChart.leftEighths[part]) }
        s += String(repeating: " ", count: inner - s.unicodeScalars.count)
        return columns >= 2 ? "▕" + s + "▏" : s
    }
}
