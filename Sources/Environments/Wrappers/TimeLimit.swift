/// Gymnasium's `TimeLimit`: sets `truncated` once an episode reaches `maxEpisodeSteps`.
///
/// As in Gymnasium, `truncated` is set on the step that reaches the limit even when the
/// same step also terminates; a later `step` without `reset` throws.
public struct TimeLimit<Inner: Environment>: Environment {
    /// The wrapped environment.
    public var inner: Inner
    public let maxEpisodeSteps: Int
    /// Steps taken in the current episode.
    public var elapsedSteps: Int { steps }

    @usableFromInline var steps = 0
    @usableFromInline var phase = EpisodePhase.idle

    public init(_ inner: Inner, maxEpisodeSteps: Int) throws(EnvironmentError) {
        try EnvironmentError.require(maxEpisodeSteps, atLeast: 1, "maxEpisodeSteps", in: "TimeLimit(\(inner.name))")
        self.inner = inner
        self.maxEpisodeSteps = maxEpisodeSteps
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
        steps = 0
        phase = .running
        return info
    }

    @inlinable
    public mutating func step(_ action: Int, into observation: UnsafeMutableBufferPointer<Float>) throws(EnvironmentError) -> StepResult {
        try phase.check(name)
        var result = try inner.step(action, into: observation)
        steps += 1
        if steps >= maxEpisodeSteps { result.truncated = true }
        if result.done { phase = .finished }
        return result
    }

    public func render() -> String {
        inner.render() + "  [time \(steps)/\(maxEpisodeSteps)]"
    }
}

extension Environment {
    /// This environment with Gymnasium's `TimeLimit`.
    public func timeLimit(_ maxEpisodeSteps: Int) throws(EnvironmentError) -> TimeLimit<Self> {
        try TimeLimit(self, maxEpisodeSteps: maxEpisodeSteps)
    }
}
