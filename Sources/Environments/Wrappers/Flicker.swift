import TensorCore

/// Flickering observations (Hausknecht and Stone's flickering Pong, the DRQN paper): each
/// observation, the first of an episode included, is blanked to all zeros with
/// probability `p`, independently.
///
/// With p = 0.5 a memoryless policy sees nothing half the time; a recurrent one can carry
/// the last real observation forward. `info["flickered"]` is not reported: the blanking is
/// part of the observation, not a diagnostic (see `lastBlanked`).
public struct Flicker<Inner: Environment>: Environment {
    /// The wrapped environment.
    public var inner: Inner
    /// The probability of blanking an observation.
    public let p: Double
    /// Whether the last observation was blanked.
    public var lastBlanked: Bool { blanked }

    @usableFromInline var rng: RNG
    @usableFromInline var blanked = false

    public init(_ inner: Inner, p: Double) throws(EnvironmentError) {
        try EnvironmentError.requireProbability(p, "p", in: "Flicker(\(inner.name))")
        self.inner = inner
        self.p = p
        rng = wrapperRNG(seed: 0, salt: Self.salt)
    }

    @usableFromInline static var salt: UInt64 { 0xF11C_4E45 }

    public var name: String { inner.name }

    @inlinable
    public var observationSize: Int { inner.observationSize }
    public var observationSpace: Box {
        let box = inner.observationSpace
        return Box(low: box.low.map { min($0, 0) }, high: box.high.map { max($0, 0) }, shape: box.shape)
    }

    public var actionSpace: Discrete { inner.actionSpace }
    public var state: [Float] { inner.state }

    @inlinable
    public mutating func reset(seed: UInt64?, options: ResetOptions, into observation: UnsafeMutableBufferPointer<Float>) throws(EnvironmentError) -> Info {
        let info = try inner.reset(seed: seed, options: options, into: observation)
        if let seed { rng = wrapperRNG(seed: seed, salt: Self.salt) }
        flicker(observation)
        return info
    }

    @inlinable
    public mutating func step(_ action: Int, into observation: UnsafeMutableBufferPointer<Float>) throws(EnvironmentError) -> StepResult {
        let result = try inner.step(action, into: observation)
        flicker(observation)
        return result
    }

    @inlinable
    mutating func flicker(_ observation: UnsafeMutableBufferPointer<Float>) {
        blanked = rng.bernoulli(p)
        if blanked { observation.update(repeating: 0) }
    }

    public func render() -> String {
        inner.render() + (blanked ? "  [observation blanked]" : "")
    }
}

extension Environment {
    /// This environment with each observation blanked with probability `p`.
    public func flicker(_ p: Double) throws(EnvironmentError) -> Flicker<Self> {
        try Flicker(self, p: p)
    }
}
