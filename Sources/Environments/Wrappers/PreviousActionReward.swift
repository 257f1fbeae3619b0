/// The RL² input (Duan et al., 2016; Wang et al., 2016): the observation followed by the
/// one-hot previous action and the previous reward, so that a recurrent policy can learn
/// from its own history within a trial.
///
/// Layout: `[inner observation (n), one-hot previous action (actions), previous reward]`.
/// At the start of an episode the action part is all zeros and the reward is 0.
public struct PreviousActionReward<Inner: Environment>: Environment {
    /// The wrapped environment.
    public var inner: Inner

    @usableFromInline let innerSize: Int
    @usableFromInline let actionCount: Int

    public init(_ inner: Inner) {
        self.inner = inner
        innerSize = inner.observationSize
        actionCount = inner.actionSpace.n
    }

    public var name: String { inner.name }

    @inlinable
    public var observationSize: Int { innerSize + actionCount + 1 }
    public var observationSpace: Box {
        let box = inner.observationSpace
        return Box(low: box.low + [Float](repeating: 0, count: actionCount) + [-.infinity],
                   high: box.high + [Float](repeating: 1, count: actionCount) + [.infinity])
    }

    public var actionSpace: Discrete { inner.actionSpace }
    public var state: [Float] { inner.state }

    @inlinable
    public mutating func reset(seed: UInt64?, options: ResetOptions, into observation: UnsafeMutableBufferPointer<Float>) throws(EnvironmentError) -> Info {
        let info = try inner.reset(seed: seed, options: options,
                                   into: UnsafeMutableBufferPointer(rebasing: observation[0 ..< innerSize]))
        for i in innerSize ..< innerSize + actionCount + 1 { observation[i] = 0 }
        return info
    }

    @inlinable
    public mutating func step(_ action: Int, into observation: UnsafeMutableBufferPointer<Float>) throws(EnvironmentError) -> StepResult {
        let result = try inner.step(action, into: UnsafeMutableBufferPointer(rebasing: observation[0 ..< innerSize]))
        let start = inner.actionSpace.start
        for a in 0 ..< actionCount { observation[innerSize + a] = a + start == action ? 1 : 0 }
        observation[innerSize + actionCount] = Float(result.reward)
        return result
    }

    public func render() -> String { inner.render() }
}

extension Environment {
    /// This environment with the previous action (one-hot) and reward appended.
    public func previousActionReward() -> PreviousActionReward<Self> {
        PreviousActionReward(self)
    }
}
