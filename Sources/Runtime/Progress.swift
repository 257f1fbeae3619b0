import Algorithms
import Display
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// How `train` reports its progress (issue 6): a bar redrawn in place on a terminal, or a
/// plain line every few seconds in a log, always followed by a final line.
public struct ProgressSettings {
    /// Whether `train` reports progress at all (`train(…, progress: false)` turns it off
    /// for one call).
    public var enabled = true
    /// Whether the destination is a terminal (redraw in place, ~10 times a second) rather
    /// than a log (a plain line every `plainInterval` seconds). Default: standard error is a
    /// terminal.
    public var interactive: Bool = isatty(2) != 0
    /// Seconds between plain lines when not interactive.
    public var plainInterval: Double = 5
    /// Where the text goes (default: standard error, unbuffered, after flushing standard
    /// output so that a log keeps printed text and progress lines in order).
    public var write: (String) -> Void = { text in
        fflush(nil)
        FileHandle.standardError.write(Data(text.utf8))
    }
    /// Seconds from a fixed point; tests inject a fake clock.
    public var clock: () -> Double = ProgressBar.monotonicSeconds

    public init() {}
}

extension Session {
    /// Colour by default: standard output is a terminal, NO_COLOR is unset or empty, and
    /// TERM is not "dumb".
    static func colorByDefault() -> Bool {
        guard isatty(1) != 0 else { return false }
        if let noColor = getenv("NO_COLOR"), noColor.pointee != 0 { return false }
        if let term = getenv("TERM"), String(cString: term) == "dumb" { return false }
        return true
    }
}

/// Connects `train` to a `ProgressBar`: a training callback that updates it on every event
/// (episode ends and the logging every 100 steps), computing the shown metrics only when a
/// line is actually written, so that the cost per event is a clock read.
final class TrainingProgress {
    let bar: ProgressBar
    /// Show the success rate (the fraction of the last 100 episodes with a positive return,
    /// as `stop_at_success` measures it) besides the mean return.
    let showSuccess: Bool

    init(session: Session, total: Int, showSuccess: Bool) {
        let s = session.progress
        bar = ProgressBar(total: total, label: "train", interactive: s.interactive, width: max(20, session.columns),
                          plainInterval: s.plainInterval, clock: s.clock, write: s.write)
        self.showSuccess = showSuccess
    }

    /// The metrics of the progress line: the mean return of the last 100 episodes, the
    /// success rate when asked for, and the episodes so far.
    func metrics(_ run: Run) -> [(name: String, value: String)] {
        // Most important first: a narrow terminal drops metrics from the end.
        var out: [(name: String, value: String)] = []
        if let r = run.meanReturn(last: 100) { out.append(("return", NumberFormat.compact(r))) }
        if showSuccess, let s = run.successRate(last: 100) { out.append(("success", "\(Int((s * 100).rounded()))%")) }
        out.append(("episodes", String(run.episodeReturns.count)))
        return out
    }

    /// "train DQN on TMaze": the run's title without the environment's arguments, so that
    /// the bar keeps its room on an 80-column terminal.
    static func label(_ run: Run) -> String {
        "train " + (run.title.split(separator: "(", maxSplits: 1).first.map { $0.trimmingCharacters(in: .whitespaces) } ?? run.title)
    }

    var callback: TrainingCallback {
        { [self] _, run in
            if bar.label == "train" { bar.label = TrainingProgress.label(run) }
            bar.update(run.steps, lazyMetrics: { self.metrics(run) })
            return .continue
        }
    }

    /// The final line; `run` is nil when training failed with an error.
    func finish(_ run: Run?, note: String? = nil) {
        if let run {
            if bar.label == "train" { bar.label = TrainingProgress.label(run) }
            bar.finish(run.steps, metrics: metrics(run), note: note)
        } else {
            bar.finish(note: note)
        }
    }
}
