import TensorCore

/// The experience of one on-policy rollout: T steps of N environments, stored time-major
/// ([T, N], step t of copy n at row t·N + n), with what policy-gradient updates need —
/// behaviour log-probabilities, value estimates, episode-start flags — and, for recurrent
/// learners, the state each copy had at the start of every chunk of L steps.
///
/// A recurrent learner re-runs each chunk as one sequence from its stored state, zeroing
/// the state at every step flagged in `episodeStarts` (sb3-contrib's `episode_starts`,
/// CleanRL's `(1 − done)` mask), so sequences may span episode boundaries and every chunk
/// is full: T must be a multiple of L.
///
/// Usage per rollout: `reset()`, then T times `storeState` (at chunk starts) and `add`,
/// then `finish(lastValues:)`; the learner reads the arrays, computes advantages
/// (`generalizedAdvantages`) and draws minibatches (`minibatches`, `sequenceMinibatches`).
public struct RolloutBuffer: Sendable {
    /// T, steps per copy.
    public let steps: Int
    /// N, environment copies.
    public let environments: Int
    public let observationSize: Int
    /// Floats per action row (see `ActionSpace.width`).
    public let actionWidth: Int
    /// Floats per copy in a stored recurrent state (0: feed-forward).
    public let stateSize: Int
    /// L, the steps of one stored sequence (T for a feed-forward learner).
    public let sequenceLength: Int

    /// s_t, [T, N, observationSize].
    public private(set) var observations: [Float]
    /// a_t, [T, N, actionWidth].
    public private(set) var actions: [Float]
    /// log μ(a_t | s_t) under the policy that acted, [T, N].
    public private(set) var logProbs: [Float]
    /// V(s_t) when acting, [T, N].
    public private(set) var values: [Float]
    /// r_t, [T, N] (a step cut by a time limit carries γ V(s_final) in addition).
    public private(set) var rewards: [Float]
    /// Whether s_t is the first observation of an episode, [T, N].
    public private(set) var episodeStarts: [Bool]
    /// Whether the episode ended with step t (terminated or truncated), [T, N].
    public private(set) var episodeEnds: [Bool]
    /// The recurrent state before step c·L of every copy, [T/L, N, stateSize].
    public private(set) var states: [Float]
    /// V(s_T) of every copy after the last step, [N] (set by `finish`).
    public private(set) var lastValues: [Float]
    /// s_T of every copy, [N, observationSize] (set by `finish`; a learner whose value
    /// function has moved on since acting, such as IMPALA's, recomputes V(s_T) from it).
    public private(set) var lastObservations: [Float]
    /// Steps added since `reset` (each step is N rows).
    public private(set) var count = 0

    /// An empty buffer. Throws when a size is not positive or T is not a multiple of L.
    public init(steps: Int, environments: Int, observationSize: Int, actionWidth: Int = 1,
                stateSize: Int = 0, sequenceLength: Int? = nil) throws(AlgorithmError) {
        let c = "RolloutBuffer"
        try require(steps >= 1, c, "steps (T) must be >= 1, got \(steps)")
        try require(environments >= 1, c, "environments (N) must be >= 1, got \(environments)")
        try require(observationSize >= 1, c, "observationSize must be >= 1, got \(observationSize)")
        try require(actionWidth >= 1, c, "actionWidth must be >= 1, got \(actionWidth)")
        try require(stateSize >= 0, c, "stateSize must be >= 0, got \(stateSize)")
        let L = sequenceLength ?? steps
        try require(L >= 1 && steps % L == 0, c,
                    "the rollout length T = \(steps) must be a multiple of the sequence length L = \(L), so that every stored sequence is full")
        self.steps = steps
        self.environments = environments
        self.observationSize = observationSize
        self.actionWidth = actionWidth
        self.stateSize = stateSize
        self.sequenceLength = L
        let rows = steps * environments
        observations = [Float](repeating: 0, count: rows * observationSize)
        actions = [Float](repeating: 0, count: rows * actionWidth)
        logProbs = [Float](repeating: 0, count: rows)
        values = [Float](repeating: 0, count: rows)
        rewards = [Float](repeating: 0, count: rows)
        episodeStarts = [Bool](repeating: false, count: rows)
        episodeEnds = [Bool](repeating: false, count: rows)
        states = [Float](repeating: 0, count: (steps / L) * environments * stateSize)
        lastValues = [Float](repeating: 0, count: environments)
        lastObservations = [Float](repeating: 0, count: environments * observationSize)
    }

    /// The number of stored sequences, (T / L) · N.
    public var sequenceCount: Int { (steps / sequenceLength) * environments }

    /// Whether all T steps have been added.
    public var isFull: Bool { count == steps }

    /// Empties the buffer for the next rollout (the arrays keep their storage).
    public mutating func reset() { count = 0 }

    /// Stores the state before the next step, one row per copy ([N, stateSize]); needed
    /// when the next step starts a chunk (count a multiple of L) and `stateSize` > 0.
    public mutating func storeState(_ rows: [Float]) throws(AlgorithmError) {
        try require(count % sequenceLength == 0, "RolloutBuffer", "states are stored at chunk starts (steps 0, L, 2L, …), not at step \(count)")
        try require(rows.count == environments * stateSize, "RolloutBuffer",
                    "a state needs \(environments) × \(stateSize) = \(environments * stateSize) values, got \(rows.count)")
        let offset = (count / sequenceLength) * environments * stateSize
        states.replaceSubrange(offset ..< offset + rows.count, with: rows)
    }

    /// Adds one step of every copy.
    public mutating func add(observations obs: [Float], step: PolicyStep, rewards r: [Float],
                             episodeStarts starts: [Bool], episodeEnds ends: [Bool]) throws(AlgorithmError) {
        let n = environments, c = "RolloutBuffer"
        try require(count < steps, c, "the rollout is full (\(steps) steps); call reset() first")
        try require(obs.count == n * observationSize, c, "observations need \(n) × \(observationSize) values, got \(obs.count)")
        try require(step.actions.count == n * actionWidth, c, "actions need \(n) × \(actionWidth) values, got \(step.actions.count)")
        try require(step.logProbs.count == n && step.values.count == n && r.count == n && starts.count == n && ends.count == n, c,
                    "log-probabilities, values, rewards and flags need one value per environment (\(n))")
        let t = count
        observations.replaceSubrange(t * n * observationSize ..< (t + 1) * n * observationSize, with: obs)
        actions.replaceSubrange(t * n * actionWidth ..< (t + 1) * n * actionWidth, with: step.actions)
        logProbs.replaceSubrange(t * n ..< (t + 1) * n, with: step.logProbs)
        values.replaceSubrange(t * n ..< (t + 1) * n, with: step.values)
        rewards.replaceSubrange(t * n ..< (t + 1) * n, with: r)
        episodeStarts.replaceSubrange(t * n ..< (t + 1) * n, with: starts)
        episodeEnds.replaceSubrange(t * n ..< (t + 1) * n, with: ends)
        count += 1
    }

    /// Closes the rollout with V(s_T) and (optionally) s_T of every copy.
    public mutating func finish(lastValues v: [Float], lastObservations o: [Float]? = nil) throws(AlgorithmError) {
        try require(isFull, "RolloutBuffer", "the rollout holds \(count) of its \(steps) steps")
        try require(v.count == environments, "RolloutBuffer", "lastValues need one value per environment (\(environments)), got \(v.count)")
        if let o {
            try require(o.count == environments * observationSize, "RolloutBuffer",
                        "lastObservations need \(environments) × \(observationSize) values, got \(o.count)")
            lastObservations = o
        }
        lastValues = v
    }

    /// GAE(γ, λ) advantages and value targets of the rollout.
    public func advantages(gamma: Double, lambda: Double) -> AdvantageEstimate {
        generalizedAdvantages(rewards: rewards, values: values, episodeEnds: episodeEnds, lastValues: lastValues,
                              steps: steps, environments: environments, gamma: gamma, lambda: lambda)
    }

    // MARK: - Minibatches

    /// The T·N rows shuffled and cut into `count` minibatches of equal size (feed-forward
    /// learners). Throws when T·N is not divisible by `count`.
    public func minibatches(_ count: Int, rng: inout RNG) throws(AlgorithmError) -> [[Int]] {
        try Self.shuffledParts(steps * environments, count, what: "the rollout's T × N = \(steps) × \(environments) steps", rng: &rng)
    }

    /// The (T/L)·N sequences shuffled and cut into `count` minibatches of whole sequences
    /// (recurrent learners). A sequence id s covers copy s mod N over steps
    /// [(s / N)·L, (s / N + 1)·L). Throws when the sequences do not divide evenly.
    public func sequenceMinibatches(_ count: Int, rng: inout RNG) throws(AlgorithmError) -> [[Int]] {
        try Self.shuffledParts(sequenceCount, count, what: "the rollout's \(sequenceCount) sequences ((T / L) × N = \(steps / sequenceLength) × \(environments))", rng: &rng)
    }

    static func shuffledParts(_ total: Int, _ parts: Int, what: String, rng: inout RNG) throws(AlgorithmError) -> [[Int]] {
        try require(parts >= 1 && parts <= total && total % parts == 0, "RolloutBuffer",
                    "cannot cut \(what) into \(parts) equal minibatches")
        var order = Array(0..<total)
        rng.shuffle(&order)
        let size = total / parts
        return (0..<parts).map { Array(order[$0 * size ..< ($0 + 1) * size]) }
    }

    /// The rows `indices` (of the T·N) as a minibatch: observations [B, obs] and actions
    /// [B, width]. (Per-row arrays such as `logProbs` are read with `gather`.)
    public func rows(_ indices: [Int]) throws -> (observations: Tensor, actions: Tensor) {
        let b = indices.count, o = observationSize, w = actionWidth
        var obs = [Float](repeating: 0, count: b * o), act = [Float](repeating: 0, count: b * w)
        for (k, i) in indices.enumerated() {
            for j in 0..<o { obs[k * o + j] = observations[i * o + j] }
            for j in 0..<w { act[k * w + j] = actions[i * w + j] }
        }
        return (try Tensor(obs, shape: [b, o]), try Tensor(act, shape: [b, w]))
    }

    /// The values of a [T, N] array at `indices`, as a [B] tensor.
    public static func gather(_ array: [Float], _ indices: [Int]) throws -> Tensor {
        try Tensor(indices.map { array[$0] }, shape: [indices.count])
    }

    /// The sequences `ids` as a batch: observations [B, L, obs], actions [B, L, width],
    /// episode starts [B, L] (1 where the state is zeroed), the row index of every step
    /// [B·L] (into the [T, N] arrays, batch-major), and the stored states [B, stateSize].
    public func sequences(_ ids: [Int]) throws -> (observations: Tensor, actions: Tensor, resets: Tensor, rowIndices: [Int], states: [Float]) {
        let b = ids.count, L = sequenceLength, n = environments, o = observationSize, w = actionWidth
        var obs = [Float](repeating: 0, count: b * L * o), act = [Float](repeating: 0, count: b * L * w)
        var resets = [Float](repeating: 0, count: b * L), rowIndices = [Int](repeating: 0, count: b * L)
        var st = [Float](repeating: 0, count: b * stateSize)
        for (k, s) in ids.enumerated() {
            let chunk = s / n, env = s % n
            for t in 0..<L {
                let i = (chunk * L + t) * n + env
                let r = k * L + t
                rowIndices[r] = i
                resets[r] = episodeStarts[i] ? 1 : 0
                for j in 0..<o { obs[r * o + j] = observations[i * o + j] }
                for j in 0..<w { act[r * w + j] = actions[i * w + j] }
            }
            for j in 0..<stateSize { st[k * stateSize + j] = states[(chunk * n + env) * stateSize + j] }
        }
        return (try Tensor(obs, shape: [b, L, o]), try Tensor(act, shape: [b, L, w]), try Tensor(resets, shape: [b, L]), rowIndices, st)
    }
}
