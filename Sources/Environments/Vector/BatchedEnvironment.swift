/// N copies of an environment stepped together with one flat row of actions per copy,
/// whatever the action space: what the on-policy driver collects rollouts from.
///
/// Copies reset themselves in the step that ends their episode (Gymnasium 0.x's
/// same-step autoreset): `observations` then holds the next episode's first observation
/// and `finalObservations` the observation the episode ended on, which a learner needs to
/// bootstrap a step cut by a time limit.
public protocol BatchedEnvironment {
    /// A name for messages ("VectorEnvironment(8 × CartPole-v1)").
    var name: String { get }
    /// N, the number of copies.
    var count: Int { get }
    /// The observation space of one copy.
    var singleObservationSpace: Box { get }
    /// The action space of one copy.
    var singleActionKind: ActionSpace { get }
    /// The latest observation of every copy, [N, observation size] row-major.
    var observations: [Float] { get }
    /// The reward of every copy's last step, [N] (what a learner learns from).
    var rewards: [Double] { get }
    /// The rewards as the environments gave them, before any normalisation by a wrapper:
    /// what episode returns are reported in. The same as `rewards` unless a wrapper scales them.
    var originalRewards: [Double] { get }
    /// Whether every copy's last step ended its episode in a terminal state, [N].
    var terminations: [Bool] { get }
    /// Whether every copy's last step was cut by a time limit, [N].
    var truncations: [Bool] { get }
    /// The observation each copy's last episode ended on, [N, observation size] (rows of
    /// copies whose episode did not end hold stale values).
    var finalObservations: [Float] { get }
    /// Resets every copy (copy i with seed + i).
    mutating func reset(seed: UInt64?) throws
    /// Steps every copy with its row of `actions` ([N, width] row-major).
    mutating func step(actionRows actions: [Float]) throws
}

extension BatchedEnvironment {
    public var originalRewards: [Double] { rewards }
}

extension VectorEnvironment: BatchedEnvironment {
    public var singleActionKind: ActionSpace { .discrete(singleActionSpace) }

    public mutating func reset(seed: UInt64?) throws {
        try reset(seed: seed, options: [:])
    }

    /// Steps with each row's single float read as a discrete action. Needs same-step
    /// autoreset (`finalObservations` is empty otherwise).
    public mutating func step(actionRows actions: [Float]) throws {
        guard autoresetMode == .sameStep else {
            throw EnvironmentError.invalidArgument(environment: name, argument: "autoresetMode", value: autoresetMode.rawValue,
                                                   allowed: "sameStep (a batched learner needs each episode's final observation)")
        }
        try step(actions.map { Int($0) })
    }
}
