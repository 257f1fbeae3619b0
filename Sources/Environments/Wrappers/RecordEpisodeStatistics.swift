#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Gymnasium's `RecordEpisodeStatistics`: at the end of each episode, `info["episode"]`
/// holds `["r": return, "l": length, "t": seconds since the episode began]`, and the last
/// `bufferLength` returns and lengths are kept in `returnQueue` and `lengthQueue`.
public struct RecordEpisodeStatistics<Inner: Environment>: Environment {
    /// The wrapped environment.
    public var inner: Inner
    /// How many finished episodes the queues keep (100, as Gymnasium).
    public let bufferLength: Int
    /// The returns of the most recent finished episodes, oldest first.
    public private(set) var returnQueue: [Double] = []
    /// The lengths of the most recent finished episodes, oldest first.
    public private(set) var lengthQueue: [Int] = []
    /// Finished episodes so far.
    public private(set) var episodeCount = 0
    /// The return of the current episode so far.
    public var episodeReturn: Double { runningReturn }
    /// The length of the current episode so far.
    public var episodeLength: Int { runningLength }

    @usableFromInline var runningReturn: Double = 0
    @usableFromInline var runningLength = 0
    @usableFromInline var startTime: Double = 0

    public init(_ inner: Inner, bufferLength: Int = 100) throws(EnvironmentError) {
        try EnvironmentError.require(bufferLength, atLeast: 1, "bufferLength", in: "RecordEpisodeStatistics(\(inner.name))")
        self.inner = inner
        self.bufferLength = bufferLength
    }

    public var name: String { inner.name }
    @inlinable
    public var observationSize: Int { inner.observationSize }
    public var observationSpace: Box { inner.observationSpace }
    public var actionSpace: Discrete { inner.actionSpace }
    public var state: [Float] { inner.state }

    @inlinable
    public mutating func reset(seed: UInt64?, options: ResetOptions, into observation: UnsafeMutableBufferPointer<Float>) throws(EnvironmentError) -> Info {
        let info = try inner.reset(seed: seed, options: options, into: observation)
        runningReturn = 0
        runningLength = 0
        startTime = Self.now()
        return info
    }

    @inlinable
    public mutating func step(_ action: Int, into observation: UnsafeMutableBufferPointer<Float>) throws(EnvironmentError) -> StepResult {
        var result = try inner.step(action, into: observation)
        runningReturn += result.reward
        runningLength += 1
        if result.done { record(into: &result.info) }
        return result
    }

    @usableFromInline
    mutating func record(into info: inout Info) {
        let elapsed = ((Self.now() - startTime) * 1e6).rounded() / 1e6
        info["episode"] = .info(["r": .double(runningReturn), "l": .int(runningLength), "t": .double(elapsed)])
        returnQueue.append(runningReturn)
        lengthQueue.append(runningLength)
        if returnQueue.count > bufferLength {
            returnQueue.removeFirst()
            lengthQueue.removeFirst()
        }
        episodeCount += 1
    }

    /// Monotonic seconds.
    @usableFromInline
    static func now() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_MONOTONIC, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
    }

    public func render() -> String {
        inner.render() + "  [return \(runningReturn), length \(runningLength)]"
    }
}

extension Environment {
    /// This environment reporting `info["episode"]` at the end of each episode.
    public func recordEpisodeStatistics(bufferLength: Int = 100) throws(EnvironmentError) -> RecordEpisodeStatistics<Self> {
        try RecordEpisodeStatistics(self, bufferLength: bufferLength)
    }
}
