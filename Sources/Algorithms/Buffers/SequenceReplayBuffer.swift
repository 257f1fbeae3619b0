import TensorCore

/// A batch of replayed subsequences (B sequences; l burn-in steps; L training steps; a window
/// of W = l + L + 1 observations, the last one only for the bootstrap target).
///
/// Window position j holds episode row `windowStarts[b] + j`. Positions before the
/// episode's start or after its last observation are padding (zero observations); the
/// state is reset at every front-padding position and at the episode's first row, so
/// padding never reaches the state that the real steps see.
public struct SequenceBatch {
    /// B.
    public let batchSize: Int
    /// l, the burn-in steps at the front of the window (only warm the state).
    public let burnIn: Int
    /// L, the training steps.
    public let length: Int
    /// W = l + L + 1.
    public var window: Int { burnIn + length + 1 }
    /// o, [B, W, obs].
    public let observations: Tensor
    /// 1 where the state must be zeroed before the step (an episode start or front padding), [B, W].
    public let resets: Tensor
    /// a of the training steps as whole-number floats, [B, L] (0 at padding).
    public let actions: Tensor
    /// r of the training steps, [B, L].
    public let rewards: Tensor
    /// 1 where the training step ended the episode in a terminal state, [B, L].
    public let terminated: Tensor
    /// 1 at real training steps, 0 at padding, [B, L].
    public let mask: Tensor
    /// The recurrent state the actor had on entering window position 0, flat [B, stateSize]
    /// (zeros for front-padded rows, whose state is reset anyway); nil when the buffer does
    /// not store states.
    public let storedStates: [Float]?
    /// Which stored episode each row comes from (ids as `SequenceReplayBuffer.episodeIDs`).
    public let episodes: [Int]
    /// The episode row at window position 0 (negative when the window is front-padded).
    public let windowStarts: [Int]
    /// The last real training step of each row, in 0 ..< L.
    public let lastSteps: [Int]
}

/// Experience replay of whole episodes for recurrent agents (Hausknecht & Stone 2015;
/// Kapturowski et al. 2019).
///
/// An episode of T steps occupies T + 1 rows: row t holds the observation o_t, the action
/// a_t, the reward r_t, whether the step terminated the episode, and (optionally) the
/// recurrent state the actor had on entering step t; row T holds only the last
/// observation (for the bootstrap target). Rows live in preallocated flat arrays used as a
/// ring: a new episode that does not fit evicts the oldest episodes. Steps are staged in
/// reusable arrays until `endEpisode` commits them, so nothing is allocated per step.
///
/// Sampling picks episodes uniformly, then either the whole episode (padded to the longest
/// in the batch) or a training window of L steps starting uniformly in 0 ... max(0, T − L),
/// preceded by l burn-in steps (front-padded at the episode start).
public struct SequenceReplayBuffer: Sendable {
    /// The number of rows (steps plus one per episode) kept.
    public let capacity: Int
    public let observationSize: Int
    /// The floats of one stored recurrent state (0: states are not stored).
    public let stateSize: Int

    var observations: [Float]
    var actions: [Int32]
    var rewards: [Float]
    var terminals: [Float]
    var states: [Float]

    // Stored episodes, oldest first: ids firstID ..< firstID + starts.count - base.
    var starts: [Int] = []
    var lengths: [Int] = []          // T (steps) per episode
    var base = 0                     // index in starts/lengths of the oldest episode
    /// The id of the oldest stored episode.
    public private(set) var firstID = 0
    var writeRow = 0

    // The episode being collected.
    var pendingObservations: [Float] = []
    var pendingActions: [Int32] = []
    var pendingRewards: [Float] = []
    var pendingTerminals: [Float] = []
    var pendingStates: [Float] = []

    public init(capacity: Int, observationSize: Int, stateSize: Int = 0) throws {
        try require(capacity >= 2, "SequenceReplayBuffer", "capacity must be at least 2 rows, got \(capacity)")
        try require(observationSize >= 1, "SequenceReplayBuffer", "observationSize must be at least 1, got \(observationSize)")
        try require(stateSize >= 0, "SequenceReplayBuffer", "stateSize must be >= 0, got \(stateSize)")
        self.capacity = capacity
        self.observationSize = observationSize
        self.stateSize = stateSize
        observations = [Float](repeating: 0, count: capacity * observationSize)
        actions = [Int32](repeating: 0, count: capacity)
        rewards = [Float](repeating: 0, count: capacity)
        terminals = [Float](repeating: 0, count: capacity)
        states = [Float](repeating: 0, count: capacity * stateSize)
    }

    /// The number of complete episodes stored.
    public var episodeCount: Int { starts.count - base }
    /// The ids of the stored episodes, oldest first.
    public var episodeIDs: Range<Int> { firstID ..< firstID + episodeCount }
    /// The number of steps (transitions) stored.
    public var stepCount: Int { lengths[base...].reduce(0, +) }
    /// The steps of the episode being collected.
    public var pendingSteps: Int { pendingActions.count }

    /// The number of steps of a stored episode.
    public func steps(ofEpisode id: Int) throws -> Int {
        try require(episodeIDs.contains(id), "SequenceReplayBuffer", "episode \(id) is not stored (stored: \(episodeIDs))")
        return lengths[base + id - firstID]
    }

    // MARK: - Adding

    /// Appends one step of the current episode: the observation o_t the action was chosen
    /// on, a_t, r_t, whether the step terminated the episode, and (when `stateSize` > 0)
    /// the recurrent state the actor had on entering the step.
    public mutating func append(
        observation: [Float], action: Int, reward: Double, terminated: Bool, state: UnsafeBufferPointer<Float>? = nil
    ) throws {
        try require(observation.count == observationSize, "SequenceReplayBuffer",
                    "observation has \(observation.count) floats, expected \(observationSize)")
        try require(pendingSteps + 2 <= capacity, "SequenceReplayBuffer",
                    "the episode has grown past the capacity of \(capacity) rows; use a larger capacity or a time limit")
        pendingObservations.append(contentsOf: observation)
        pendingActions.append(Int32(truncatingIfNeeded: action))
        pendingRewards.append(Float(reward))
        pendingTerminals.append(terminated ? 1 : 0)
        if stateSize > 0 {
            if let state {
                try require(state.count == stateSize, "SequenceReplayBuffer", "state has \(state.count) floats, expected \(stateSize)")
                pendingStates.append(contentsOf: state)
            } else {
                pendingStates.append(contentsOf: repeatElement(0, count: stateSize))
            }
        }
    }

    /// Ends the current episode with its last observation o_T and commits it, evicting the
    /// oldest episodes as needed. An episode with no steps is dropped.
    public mutating func endEpisode(finalObservation: [Float], finalState: UnsafeBufferPointer<Float>? = nil) throws {
        try require(finalObservation.count == observationSize, "SequenceReplayBuffer",
                    "final observation has \(finalObservation.count) floats, expected \(observationSize)")
        defer { clearPending() }
        let steps = pendingSteps
        guard steps > 0 else { return }
        let rows = steps + 1
        if writeRow + rows > capacity { writeRow = 0 }
        let lo = writeRow, hi = writeRow + rows
        // Evict the oldest episodes until none overlaps the rows we are about to write.
        while episodeCount > 0, (base..<starts.count).contains(where: { starts[$0] < hi && starts[$0] + lengths[$0] + 1 > lo }) {
            base += 1
            firstID += 1
        }
        if base > 1024 && base * 2 > starts.count {
            starts.removeFirst(base)
            lengths.removeFirst(base)
            base = 0
        }
        let n = observationSize
        observations.withUnsafeMutableBufferPointer { o in
            for i in 0..<(steps * n) { o[lo * n + i] = pendingObservations[i] }
            for i in 0..<n { o[(lo + steps) * n + i] = finalObservation[i] }
        }
        for t in 0..<steps {
            actions[lo + t] = pendingActions[t]
            rewards[lo + t] = pendingRewards[t]
            terminals[lo + t] = pendingTerminals[t]
        }
        actions[lo + steps] = 0
        rewards[lo + steps] = 0
        terminals[lo + steps] = 0
        if stateSize > 0 {
            let m = stateSize
            states.withUnsafeMutableBufferPointer { s in
                for i in 0..<(steps * m) { s[lo * m + i] = pendingStates[i] }
                for i in 0..<m { s[(lo + steps) * m + i] = finalState.map { $0[i] } ?? 0 }
            }
        }
        starts.append(lo)
        lengths.append(steps)
        writeRow = hi
    }

    /// Forgets the steps of the episode being collected.
    public mutating func clearPending() {
        pendingObservations.removeAll(keepingCapacity: true)
        pendingActions.removeAll(keepingCapacity: true)
        pendingRewards.removeAll(keepingCapacity: true)
        pendingTerminals.removeAll(keepingCapacity: true)
        pendingStates.removeAll(keepingCapacity: true)
    }

    // MARK: - Sampling

    /// B sequences: whole episodes (`length` nil; padded at the end to the longest, no
    /// burn-in) or training windows of `length` steps after `burnIn` warm-up steps.
    public func sample(batchSize: Int, length: Int? = nil, burnIn: Int = 0, rng: inout RNG) throws -> SequenceBatch {
        try require(episodeCount > 0, "SequenceReplayBuffer", "cannot sample from a buffer with no complete episode")
        try require(batchSize >= 1, "SequenceReplayBuffer", "batchSize must be at least 1, got \(batchSize)")
        try require(burnIn >= 0, "SequenceReplayBuffer", "burnIn must be >= 0, got \(burnIn)")
        if let length { try require(length >= 1, "SequenceReplayBuffer", "length must be at least 1, got \(length)") }
        let ids = (0..<batchSize).map { _ in firstID + rng.int(below: episodeCount) }
        let stepsOf = ids.map { lengths[base + $0 - firstID] }
        let L: Int, l: Int
        var trainingStarts: [Int]
        if let length {
            L = length
            l = burnIn
            trainingStarts = stepsOf.map { rng.int(below: Swift.max(0, $0 - length) + 1) }
        } else {
            L = stepsOf.max()!
            l = 0
            trainingStarts = [Int](repeating: 0, count: batchSize)
        }
        return try gather(ids: ids, trainingStarts: trainingStarts, length: L, burnIn: l)
    }

    /// The batch of the given episodes and training-window starts (what `sample` draws),
    /// for replaying chosen sequences, e.g. to compare replay strategies on the same data.
    public func gather(ids: [Int], trainingStarts: [Int], length L: Int, burnIn l: Int) throws -> SequenceBatch {
        let B = ids.count, W = l + L + 1, n = observationSize, m = stateSize
        try require(B >= 1 && trainingStarts.count == B, "SequenceReplayBuffer", "need one training start per episode, got \(trainingStarts.count) for \(B)")
        var obs = [Float](repeating: 0, count: B * W * n)
        var resets = [Float](repeating: 0, count: B * W)
        var acts = [Float](repeating: 0, count: B * L), rews = acts, terms = acts, mask = acts
        var stored: [Float]? = m > 0 ? [Float](repeating: 0, count: B * m) : nil
        var windowStarts = [Int](repeating: 0, count: B), lastSteps = windowStarts
        for b in 0..<B {
            try require(episodeIDs.contains(ids[b]), "SequenceReplayBuffer", "episode \(ids[b]) is not stored (stored: \(episodeIDs))")
            let k = base + ids[b] - firstID
            let start = starts[k], T = lengths[k]
            let s = trainingStarts[b]
            try require(s >= 0 && s < T, "SequenceReplayBuffer", "training start \(s) is outside episode \(ids[b]) of \(T) steps")
            let w0 = s - l
            windowStarts[b] = w0
            for j in 0..<W {
                let r = w0 + j
                if r <= 0 { resets[b * W + j] = 1 }
                guard r >= 0 && r <= T else { continue }
                for i in 0..<n { obs[(b * W + j) * n + i] = observations[(start + r) * n + i] }
            }
            var last = 0
            for i in 0..<L {
                let r = s + i
                guard r < T else { break }
                acts[b * L + i] = Float(actions[start + r])
                rews[b * L + i] = rewards[start + r]
                terms[b * L + i] = terminals[start + r]
                mask[b * L + i] = 1
                last = i
            }
            lastSteps[b] = last
            if m > 0, w0 >= 0 {
                for i in 0..<m { stored![b * m + i] = states[(start + w0) * m + i] }
            }
        }
        return SequenceBatch(
            batchSize: B, burnIn: l, length: L,
            observations: try Tensor(obs, shape: [B, W, n]), resets: try Tensor(resets, shape: [B, W]),
            actions: try Tensor(acts, shape: [B, L]), rewards: try Tensor(rews, shape: [B, L]),
            terminated: try Tensor(terms, shape: [B, L]), mask: try Tensor(mask, shape: [B, L]),
            storedStates: stored, episodes: ids, windowStarts: windowStarts, lastSteps: lastSteps)
    }

    /// The observations of whole episodes from their first row, [B, maxRows, obs] (zero
    /// padding at the end), for unrolling the network from each episode's start.
    public func episodeObservations(_ ids: [Int]) throws -> Tensor {
        let n = observationSize
        var rowsOf: [Int] = []
        for id in ids { rowsOf.append(try steps(ofEpisode: id) + 1) }
        let P = rowsOf.max() ?? 1
        var obs = [Float](repeating: 0, count: ids.count * P * n)
        for (b, id) in ids.enumerated() {
            let start = starts[base + id - firstID]
            for r in 0..<rowsOf[b] {
                for i in 0..<n { obs[(b * P + r) * n + i] = observations[(start + r) * n + i] }
            }
        }
        return try Tensor(obs, shape: [ids.count, P, n])
    }

    /// The stored recurrent state at row `row` of episode `id` (empty when states are not stored).
    public func storedState(episode id: Int, row: Int) throws -> [Float] {
        let T = try steps(ofEpisode: id)
        try require(row >= 0 && row <= T, "SequenceReplayBuffer", "row \(row) is outside episode \(id) of \(T + 1) rows")
        let start = starts[base + id - firstID]
        return Array(states[(start + row) * stateSize ..< (start + row + 1) * stateSize])
    }
}
