import TensorCore

/// CartPole-v1: balance a pole on a cart by pushing the cart left or right.
///
/// ## Description
/// The cart-pole problem of Barto, Sutton and Anderson (1983), with Gymnasium's
/// CartPole-v1 dynamics, start distribution, rewards and termination rules exactly (a test
/// replays seeds and action sequences in Python's `gymnasium` and compares observations to
/// 1e-5). A pole is hinged to a cart on a frictionless track; the pole starts nearly
/// upright and the agent must keep it from falling.
///
/// ## Action space
/// `Discrete(2)`: 0 pushes the cart left, 1 pushes it right, with a force of 10 N.
///
/// ## Observation space
/// `Box` of 4 floats: cart position [−4.8, 4.8], cart velocity (−∞, ∞), pole angle
/// [−0.418, 0.418] rad (±24°), pole angular velocity (−∞, ∞).
///
/// ## Rewards
/// +1 for every step, the terminating step included (Gymnasium's default). With
/// `suttonBartoReward`, 0 per non-terminating step and −1 on the terminating step.
///
/// ## Starting state
/// All four variables uniform in [−0.05, 0.05); `reset(options: ["low": a, "high": b])`
/// changes the bounds, as Gymnasium's does.
///
/// ## Episode end
/// Terminated when the pole leans more than 12° (0.2095 rad) or the cart's centre leaves
/// [−2.4, 2.4]. Truncated after `maxEpisodeSteps` steps (500, as `gym.make("CartPole-v1")`).
///
/// ## Arguments
/// - `maxEpisodeSteps`: the time limit (default 500; `nil` for none).
/// - `suttonBartoReward`: the original 0 / −1 reward (default `false`).
///
/// ## Hidden state
/// `state` is [x, ẋ, θ, θ̇]: CartPole is fully observed, so it equals the observation.
/// `physics` holds it in `Double` and may be set to replay a given start.
public struct CartPole: Environment {
    /// Indices of the velocities in the observation (for `MaskObservation`).
    public static let velocityIndices = [1, 3]
    /// Indices of the positions (cart position, pole angle): the position-only view.
    public static let positionIndices = [0, 2]

    public let maxEpisodeSteps: Int?
    public let suttonBartoReward: Bool
    /// The simulated system: the hidden state, in `Double`.
    public var physics = CartPolePhysics()
    /// Steps taken in the current episode.
    public var elapsedSteps: Int { steps }

    @usableFromInline var steps = 0
    @usableFromInline var rng = RNG(seed: 0)
    @usableFromInline var phase = EpisodePhase.idle

    /// CartPole-v1; throws if `maxEpisodeSteps` is given and below 1.
    public init(maxEpisodeSteps: Int? = 500, suttonBartoReward: Bool = false) throws(EnvironmentError) {
        if let limit = maxEpisodeSteps {
            try EnvironmentError.require(limit, atLeast: 1, "maxEpisodeSteps", in: "CartPole")
        }
        self.maxEpisodeSteps = maxEpisodeSteps
        self.suttonBartoReward = suttonBartoReward
    }

    public var name: String { "CartPole" }

    @inlinable
    public var observationSize: Int { 4 }
    public var observationSpace: Box {
        let high: [Float] = [Float(CartPolePhysics.xThreshold * 2), .infinity,
                             Float(CartPolePhysics.thetaThreshold * 2), .infinity]
        return Box(low: high.map { -$0 }, high: high)
    }

    public var actionSpace: Discrete { Discrete(2) }

    public var state: [Float] { physics.vector.map(Float.init) }

    // MARK: - Reset and step

    @inlinable
    public mutating func reset(seed: UInt64?, options: ResetOptions, into observation: UnsafeMutableBufferPointer<Float>) throws(EnvironmentError) -> Info {
        let low = options["low"] ?? -0.05
        let high = options["high"] ?? 0.05
        if !(low <= high) || !low.isFinite || !high.isFinite {
            throw .invalidArgument(environment: name, argument: "options low/high", value: "\(low), \(high)",
                                   allowed: "finite bounds with low <= high")
        }
        if let seed { rng = RNG(seed: seed) }
        physics = CartPolePhysics.random(low: low, high: high, rng: &rng)
        steps = 0
        phase = .running
        write(into: observation)
        return Info()
    }

    @inlinable
    public mutating func step(_ action: Int, into observation: UnsafeMutableBufferPointer<Float>) throws(EnvironmentError) -> StepResult {
        guard action == 0 || action == 1 else { throw invalidAction(action) }
        try phase.check(name)
        physics.advance(pushRight: action == 1)
        steps += 1
        let terminated = physics.isTerminal
        let truncated = maxEpisodeSteps.map { steps >= $0 } ?? false
        if terminated || truncated { phase = .finished }
        write(into: observation)
        let reward: Double = suttonBartoReward ? (terminated ? -1 : 0) : 1
        return StepResult(reward: reward, terminated: terminated, truncated: truncated)
    }

    @inlinable
    func write(into observation: UnsafeMutableBufferPointer<Float>) {
        precondition(observation.count >= 4, "CartPole writes 4 floats")
        observation[0] = Float(physics.x)
        observation[1] = Float(physics.xDot)
        observation[2] = Float(physics.theta)
        observation[3] = Float(physics.thetaDot)
    }

    public func render() -> String {
        "CartPole step \(elapsedSteps): " + physics.render()
    }
}

extension CartPole: HiddenStateOracle {
    /// `CartPolePhysics.balancingAction` (CartPole is fully observed, so the oracle cheats
    /// on nothing here; it is the reference the masked variants are compared with).
    public func oracleAction() -> Int { physics.balancingAction }
}
