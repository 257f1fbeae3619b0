import Foundation

/// One logged value: the global step it was logged at and the value.
public struct MetricPoint: Sendable, Equatable {
    public let step: Int
    public let value: Double
}

/// Why a run ended.
public enum StopReason: String, Sendable {
    /// The step budget was used up.
    case completed
    /// A callback returned `.stop`.
    case callback
    /// The stop signal or `shouldStop` asked for it (Ctrl-C).
    case interrupted
}

/// A training run: the metric history under CleanRL's keys and the episodes.
///
/// Keys: `charts/episodic_return`, `charts/episodic_length`, `charts/epsilon`,
/// `charts/SPS`, `losses/td_loss`, `losses/q_values`, `losses/delta_q` (DRQN),
/// `losses/delta_q_first`, `eval/episodic_return`, and any an agent adds.
public final class Run {
    /// The algorithm and environment, for printing.
    public let title: String
    /// Every logged value by key, in logging order.
    public private(set) var history: [String: [MetricPoint]] = [:]
    /// The return of every finished training episode.
    public private(set) var episodeReturns: [Double] = []
    /// The length of every finished training episode.
    public private(set) var episodeLengths: [Int] = []
    /// Environment steps taken.
    public internal(set) var steps = 0
    /// Why the run ended (nil while it runs).
    public internal(set) var stopReason: StopReason?
    /// Wall-clock seconds of training.
    public internal(set) var seconds: Double = 0

    public init(title: String) { self.title = title }

    /// Appends a value under `key` at `step`.
    public func log(_ key: String, _ value: Double, step: Int) {
        history[key, default: []].append(MetricPoint(step: step, value: value))
    }

    func recordEpisode(return r: Double, length: Int, step: Int) {
        episodeReturns.append(r)
        episodeLengths.append(length)
        log("charts/episodic_return", r, step: step)
        log("charts/episodic_length", Double(length), step: step)
    }

    /// The values logged under `key`.
    public func values(_ key: String) -> [Double] { history[key]?.map(\.value) ?? [] }

    /// The last value logged under `key`.
    public func last(_ key: String) -> Double? { history[key]?.last?.value }

    /// The mean return of the last `n` episodes (nil before any episode).
    public func meanReturn(last n: Int = 100) -> Double? {
        guard !episodeReturns.isEmpty else { return nil }
        let tail = episodeReturns.suffix(n)
        return tail.reduce(0, +) / Double(tail.count)
    }

    /// The fraction of the last `n` episodes whose return exceeded `threshold` (a T-maze
    /// episode succeeds when its return is positive).
    public func successRate(last n: Int = 100, threshold: Double = 0) -> Double? {
        guard !episodeReturns.isEmpty else { return nil }
        let tail = episodeReturns.suffix(n)
        return Double(tail.filter { $0 > threshold }.count) / Double(tail.count)
    }
}

extension Run: CustomStringConvertible {
    public var description: String {
        var s = "Run(\(title): \(steps) steps, \(episodeReturns.count) episodes"
        if let m = meanReturn() { s += String(format: ", mean return (last 100) %.3f", m) }
        if let r = stopReason { s += ", \(r.rawValue)" }
        return s + ")"
    }
}
