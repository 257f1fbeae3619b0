import TensorCore

/// A batch of transitions as tensors (B = batch size, obs = observation size).
public struct TransitionBatch {
    /// s, [B, obs].
    public let observations: Tensor
    /// a as whole-number floats, [B, 1] (ready for `gather(axis: 1, _)`).
    public let actions: Tensor
    /// r, [B].
    public let rewards: Tensor
    /// s′, [B, obs].
    public let nextObservations: Tensor
    /// 1 where s′ is terminal (no bootstrap), [B]. Time-limit truncation is not terminal.
    public let terminated: Tensor
}

/// DQN's experience replay (Mnih et al. 2015, "replay memory D"): a ring buffer of the
/// last `capacity` transitions (s, a, r, s′, terminated), sampled uniformly with
/// replacement.
///
/// Storage is preallocated flat `Float` arrays ([capacity, obs] for s and s′), so adding a
/// transition copies floats and allocates nothing.
public struct TransitionReplayBuffer: Sendable {
    /// N, the number of transitions kept.
    public let capacity: Int
    /// The floats in one observation.
    public let observationSize: Int
    var observations: [Float]
    var nextObservations: [Float]
    var actions: [Int32]
    var rewards: [Float]
    var terminals: [Float]
    /// How many transitions are stored (at most `capacity`).
    public private(set) var count = 0
    /// Where the next transition goes.
    var position = 0

    public init(capacity: Int, observationSize: Int) throws {
        try require(capacity >= 1, "TransitionReplayBuffer", "capacity must be at least 1, got \(capacity)")
        try require(observationSize >= 1, "TransitionReplayBuffer", "observationSize must be at least 1, got \(observationSize)")
        self.capacity = capacity
        self.observationSize = observationSize
        observations = [Float](repeating: 0, count: capacity * observationSize)
        nextObservations = [Float](repeating: 0, count: capacity * observationSize)
        actions = [Int32](repeating: 0, count: capacity)
        rewards = [Float](repeating: 0, count: capacity)
        terminals = [Float](repeating: 0, count: capacity)
    }

    /// Stores one transition, overwriting the oldest when full.
    public mutating func add(observation: [Float], action: Int, reward: Double, nextObservation: [Float], terminated: Bool) throws {
        let n = observationSize
        try require(observation.count == n && nextObservation.count == n, "TransitionReplayBuffer",
                    "observations must have \(n) floats, got \(observation.count) and \(nextObservation.count)")
        let base = position * n
        observations.withUnsafeMutableBufferPointer { o in
            for i in 0..<n { o[base + i] = observation[i] }
        }
        nextObservations.withUnsafeMutableBufferPointer { o in
            for i in 0..<n { o[base + i] = nextObservation[i] }
        }
        actions[position] = Int32(truncatingIfNeeded: action)
        rewards[position] = Float(reward)
        terminals[position] = terminated ? 1 : 0
        position = (position + 1) % capacity
        count = Swift.min(count + 1, capacity)
    }

    /// `batchSize` transitions drawn uniformly with replacement.
    public func sample(batchSize: Int, rng: inout RNG) throws -> TransitionBatch {
        try require(count > 0, "TransitionReplayBuffer", "cannot sample from an empty buffer")
        try require(batchSize >= 1, "TransitionReplayBuffer", "batchSize must be at least 1, got \(batchSize)")
        let n = observationSize
        var s = [Float](repeating: 0, count: batchSize * n), s2 = s
        var a = [Float](repeating: 0, count: batchSize), r = a, d = a
        for b in 0..<batchSize {
            let i = rng.int(below: count)
            for j in 0..<n {
                s[b * n + j] = observations[i * n + j]
                s2[b * n + j] = nextObservations[i * n + j]
            }
            a[b] = Float(actions[i])
            r[b] = rewards[i]
            d[b] = terminals[i]
        }
        return TransitionBatch(
            observations: try Tensor(s, shape: [batchSize, n]), actions: try Tensor(a, shape: [batchSize, 1]),
            rewards: Tensor(r), nextObservations: try Tensor(s2, shape: [batchSize, n]), terminated: Tensor(d))
    }
}
