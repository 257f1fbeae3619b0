import TensorCore

/// POPGym's StatelessCartPole: CartPole with the velocities hidden, so the agent must
/// infer them from successive positions.
///
/// ## Description
/// Gymnasium CartPole-v1 physics, start state and termination (see `CartPole`), observed
/// through the cart position and pole angle only.
///
/// ## Action space
/// `Discrete(2)`: 0 push left, 1 push right.
///
/// ## Observation space
/// `Box` of 2 floats: cart position [−4.8, 4.8] and pole angle [−0.418, 0.418].
///
/// ## Rewards
/// +1/L per step, the terminating step included (L = `maxEpisodeLength`), so returns lie
/// in [0, 1] (POPGym's scaling).
///
/// ## Starting state
/// All four state variables uniform in [−0.05, 0.05).
///
/// ## Episode end
/// Terminated as CartPole (pole past 12°, cart past ±2.4); truncated after L steps.
///
/// ## Arguments
/// `maxEpisodeLength` ≥ 1, or a `Difficulty`: easy 200, medium 400, hard 600 (POPGym's values).
///
/// ## Hidden state
/// `state` is the full [x, ẋ, θ, θ̇].
public struct StatelessCartPole: Environment {
    public let maxEpisodeLength: Int
    /// The standard deviation of the observation noise (0 here; see `NoisyStatelessCartPole`).
    let noiseSigma: Float
    /// The simulated system.
    public var physics = CartPolePhysics()
    /// Steps taken in the current episode.
    public private(set) var elapsedSteps = 0
    var rng = RNG(seed: 0)
    var phase = EpisodePhase.idle

    public init(maxEpisodeLength: Int) throws(EnvironmentError) {
        try EnvironmentError.require(maxEpisodeLength, atLeast: 1, "maxEpisodeLength", in: "StatelessCartPole")
        self.maxEpisodeLength = maxEpisodeLength
        noiseSigma = 0
    }

    public init(_ difficulty: Difficulty = .standard) {
        maxEpisodeLength = Self.length(difficulty)
        noiseSigma = 0
    }

    init(maxEpisodeLength: Int, noiseSigma: Float) {
        self.maxEpisodeLength = maxEpisodeLength
        self.noiseSigma = noiseSigma
    }

    static func length(_ difficulty: Difficulty) -> Int {
        [Difficulty.easy: 200, .medium: 400, .hard: 600][difficulty]!
    }

    public var name: String { "StatelessCartPole(length: \(maxEpisodeLength))" }

    public var observationSize: Int { 2 }
    public var observationSpace: Box {
        let high: [Float] = [Float(CartPolePhysics.xThreshold * 2), Float(CartPolePhysics.thetaThreshold * 2)]
        return Box(low: high.map { -$0 }, high: high)
    }

    public var actionSpace: Discrete { Discrete(2) }
    public var state: [Float] { physics.vector.map(Float.init) }

    public mutating func reset(seed: UInt64?, options: ResetOptions, into observation: UnsafeMutableBufferPointer<Float>) throws(EnvironmentError) -> Info {
        if let seed { rng = RNG(seed: seed) }
        physics = CartPolePhysics.random(low: -0.05, high: 0.05, rng: &rng)
        elapsedSteps = 0
        phase = .running
        write(into: observation)
        return Info()
    }

    public mutating func step(_ action: Int, into observation: UnsafeMutableBufferPointer<Float>) throws(EnvironmentError) -> StepResult {
        guard action == 0 || action == 1 else { throw invalidAction(action) }
        try phase.check(name)
        physics.advance(pushRight: action == 1)
        elapsedSteps += 1
        let result = StepResult(reward: 1 / Double(maxEpisodeLength), terminated: physics.isTerminal,
                                truncated: elapsedSteps >= maxEpisodeLength)
        if result.done { phase = .finished }
        write(into: observation)
        return result
    }

    /// Writes [x, θ], with clipped Gaussian noise when `noiseSigma > 0`.
    mutating func write(into observation: UnsafeMutableBufferPointer<Float>) {
        observation[0] = Float(physics.x)
        observation[1] = Float(physics.theta)
        if noiseSigma > 0 {
            let high: [Float] = [Float(CartPolePhysics.xThreshold * 2), Float(CartPolePhysics.thetaThreshold * 2)]
            for i in 0..<2 {
                observation[i] = min(max(observation[i] + noiseSigma * rng.normal(), -high[i]), high[i])
            }
        }
    }

    public func render() -> String {
        "\(name) step \(elapsedSteps): " + physics.render()
    }
}

extension StatelessCartPole: HiddenStateOracle {
    /// `CartPolePhysics.balancingAction` on the hidden velocities: return 1.
    public func oracleAction() -> Int { physics.balancingAction }
}
