import TensorCore

/// POPGym's NoisyStatelessCartPole: `StatelessCartPole` whose two observed values also
/// carry Gaussian noise.
///
/// ## Description
/// As `StatelessCartPole`, but each observation (the first included) is
/// [x + ε₁, θ + ε₂] with ε ~ N(0, σ²), clipped to the observation bounds. The agent must
/// both integrate velocities and filter noise.
///
/// ## Action space
/// `Discrete(2)`: 0 push left, 1 push right.
///
/// ## Observation space
/// `Box` of 2 floats: noisy cart position [−4.8, 4.8] and pole angle [−0.418, 0.418].
///
/// ## Rewards
/// +1/L per step, as `StatelessCartPole`.
///
/// ## Starting state
/// As CartPole: all four state variables uniform in [−0.05, 0.05).
///
/// ## Episode end
/// As `StatelessCartPole` (L = 200 for every level here, POPGym's default length).
///
/// ## Arguments
/// `noiseSigma` ≥ 0 and `maxEpisodeLength` ≥ 1, or a `Difficulty`: σ = 0.1 easy, 0.2
/// medium, 0.3 hard (POPGym's values).
///
/// ## Hidden state
/// `state` is the full noiseless [x, ẋ, θ, θ̇].
public struct NoisyStatelessCartPole: Environment {
    /// The noiseless task, whose random stream also draws the noise.
    public private(set) var base: StatelessCartPole
    public var noiseSigma: Float { base.noiseSigma }

    public init(noiseSigma: Float, maxEpisodeLength: Int = 200) throws(EnvironmentError) {
        try EnvironmentError.require(maxEpisodeLength, atLeast: 1, "maxEpisodeLength", in: "NoisyStatelessCartPole")
        if !(noiseSigma >= 0) || !noiseSigma.isFinite {
            throw .invalidArgument(environment: "NoisyStatelessCartPole", argument: "noiseSigma",
                                   value: "\(noiseSigma)", allowed: "a finite number >= 0")
        }
        base = StatelessCartPole(maxEpisodeLength: maxEpisodeLength, noiseSigma: noiseSigma)
    }

    public init(_ difficulty: Difficulty = .standard) {
        let sigma: Float = [Difficulty.easy: 0.1, .medium: 0.2, .hard: 0.3][difficulty]!
        base = StatelessCartPole(maxEpisodeLength: 200, noiseSigma: sigma)
    }

    public var name: String { "NoisyStatelessCartPole(σ: \(noiseSigma), length: \(base.maxEpisodeLength))" }
    public var observationSize: Int { 2 }
    public var observationSpace: Box { base.observationSpace }
    public var actionSpace: Discrete { base.actionSpace }
    public var state: [Float] { base.state }
    /// The simulated system.
    public var physics: CartPolePhysics { base.physics }

    public mutating func reset(seed: UInt64?, options: ResetOptions, into observation: UnsafeMutableBufferPointer<Float>) throws(EnvironmentError) -> Info {
        try base.reset(seed: seed, options: options, into: observation)
    }

    public mutating func step(_ action: Int, into observation: UnsafeMutableBufferPointer<Float>) throws(EnvironmentError) -> StepResult {
        do {
            return try base.step(action, into: observation)
        } catch {
            // Report errors under this environment's name.
            switch error {
            case .invalidAction(_, let a, let allowed): throw .invalidAction(environment: name, action: a, allowed: allowed)
            case .episodeFinished: throw .episodeFinished(environment: name)
            case .notReset: throw .notReset(environment: name)
            default: throw error
            }
        }
    }

    public func render() -> String {
        "\(name) step \(base.elapsedSteps): " + base.physics.render()
    }
}

extension NoisyStatelessCartPole: HiddenStateOracle {
    /// `CartPolePhysics.balancingAction` on the noiseless hidden state: return 1.
    public func oracleAction() -> Int { physics.balancingAction }
}
