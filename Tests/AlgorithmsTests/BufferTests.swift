import Algorithms
import TensorCore
import Testing

@Suite("Replay buffers")
struct BufferTests {
    @Test("The transition buffer is a ring that keeps the last N transitions")
    func transitionRing() throws {
        var buffer = try TransitionReplayBuffer(capacity: 3, observationSize: 2)
        for i in 0..<5 {
            try buffer.add(observation: [Float(i), 0], action: i % 3, reward: Double(i), nextObservation: [Float(i + 1), 0], terminated: i == 4)
        }
        #expect(buffer.count == 3)
        var rng = RNG(seed: 1)
        let batch = try buffer.sample(batchSize: 64, rng: &rng)
        #expect(batch.observations.shape == [64, 2])
        #expect(batch.actions.shape == [64, 1])
        let rewards = Set(batch.rewards.scalars)
        #expect(rewards == [2, 3, 4])                   // transitions 0 and 1 were overwritten
        for (r, s2) in zip(batch.rewards.scalars, try batch.nextObservations[.all, .at(0)].scalars) { #expect(s2 == r + 1) }
        for (r, d) in zip(batch.rewards.scalars, batch.terminated.scalars) { #expect(d == (r == 4 ? 1 : 0)) }
    }

    @Test("Bad sizes and empty buffers throw")
    func transitionErrors() throws {
        #expect(throws: AlgorithmError.self) { try TransitionReplayBuffer(capacity: 0, observationSize: 2) }
        var buffer = try TransitionReplayBuffer(capacity: 3, observationSize: 2)
        var rng = RNG(seed: 0)
        #expect(throws: AlgorithmError.self) { try buffer.sample(batchSize: 1, rng: &rng) }
        #expect(throws: AlgorithmError.self) {
            try buffer.add(observation: [1], action: 0, reward: 0, nextObservation: [1, 2], terminated: false)
        }
    }

    /// An episode of `steps` steps whose observation at row t is [id, t].
    func addEpisode(_ buffer: inout SequenceReplayBuffer, id: Int, steps: Int, terminal: Bool = true) throws {
        for t in 0..<steps {
            let state: [Float] = [Float(id), Float(t)]
            try state.withUnsafeBufferPointer { s in
                try buffer.append(observation: [Float(id), Float(t)], action: t % 3, reward: Double(t),
                                  terminated: terminal && t == steps - 1, state: s)
            }
        }
        try buffer.endEpisode(finalObservation: [Float(id), Float(steps)])
    }

    @Test("Whole episodes come back padded at the end, with masks and resets")
    func wholeEpisodes() throws {
        var buffer = try SequenceReplayBuffer(capacity: 100, observationSize: 2, stateSize: 2)
        try addEpisode(&buffer, id: 0, steps: 3)
        try addEpisode(&buffer, id: 1, steps: 5)
        #expect(buffer.episodeCount == 2 && buffer.stepCount == 8)
        let batch = try buffer.gather(ids: [0, 1], trainingStarts: [0, 0], length: 5, burnIn: 0)
        #expect(batch.observations.shape == [2, 6, 2])
        #expect(batch.mask.scalars == [1, 1, 1, 0, 0, 1, 1, 1, 1, 1])
        #expect(batch.terminated.scalars == [0, 0, 1, 0, 0, 0, 0, 0, 0, 1])
        #expect(batch.resets.scalars == [1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0])
        #expect(batch.lastSteps == [2, 4])
        // Row 3 of episode 0 is its final observation; rows past it are zero padding.
        #expect(try batch.observations[.at(0), .at(3)].scalars == [0, 3])
        #expect(try batch.observations[.at(0), .at(4)].scalars == [0, 0])
        #expect(try batch.observations[.at(1), .at(5)].scalars == [1, 5])
    }

    @Test("Windows with burn-in are front-padded at the episode start and carry the stored state")
    func windowsWithBurnIn() throws {
        var buffer = try SequenceReplayBuffer(capacity: 100, observationSize: 2, stateSize: 2)
        try addEpisode(&buffer, id: 7, steps: 10)
        // Training window at rows 1 ..< 4 with 2 burn-in steps: rows −1, 0 burn in.
        let early = try buffer.gather(ids: [0], trainingStarts: [1], length: 3, burnIn: 2)
        #expect(early.windowStarts == [-1])
        #expect(early.resets.scalars == [1, 1, 0, 0, 0, 0])
        #expect(try early.observations[.at(0), .all, .at(1)].scalars == [0, 0, 1, 2, 3, 4])
        #expect(early.actions.scalars == [1, 2, 0])
        #expect(early.storedStates == [0, 0])           // padded rows start from zeros
        // Training window at rows 5 ..< 8: burn-in rows 3, 4; the stored state is row 3's.
        let late = try buffer.gather(ids: [0], trainingStarts: [5], length: 3, burnIn: 2)
        #expect(late.resets.scalars == [0, 0, 0, 0, 0, 0])
        #expect(late.storedStates == [7, 3])
        #expect(late.rewards.scalars == [5, 6, 7])
        // Sampled windows always fit the episode.
        var rng = RNG(seed: 3)
        for _ in 0..<20 {
            let b = try buffer.sample(batchSize: 4, length: 4, burnIn: 2, rng: &rng)
            #expect(b.mask.scalars.allSatisfy { $0 == 1 })
            #expect(b.observations.shape == [4, 7, 2])
        }
    }

    @Test("New episodes evict the oldest when the rows run out")
    func eviction() throws {
        var buffer = try SequenceReplayBuffer(capacity: 10, observationSize: 2)
        try addEpisode(&buffer, id: 0, steps: 3)   // rows 0..<4
        try addEpisode(&buffer, id: 1, steps: 3)   // rows 4..<8
        try addEpisode(&buffer, id: 2, steps: 4)   // wraps to rows 0..<5: evicts 0 and 1
        #expect(buffer.episodeIDs == 2..<3)
        try addEpisode(&buffer, id: 3, steps: 2)   // rows 5..<8
        #expect(buffer.episodeIDs == 2..<4)
        let batch = try buffer.gather(ids: [2, 3], trainingStarts: [0, 0], length: 4, burnIn: 0)
        #expect(try batch.observations[.all, .at(0), .at(0)].scalars == [2, 3])
        #expect(throws: AlgorithmError.self) { try buffer.gather(ids: [0], trainingStarts: [0], length: 1, burnIn: 0) }
        // An episode longer than the whole buffer is refused with a message.
        var small = try SequenceReplayBuffer(capacity: 4, observationSize: 2)
        #expect(throws: AlgorithmError.self) { try addEpisode(&small, id: 0, steps: 5) }
    }
}

@Suite("Rollout buffer")
struct RolloutBufferTests {
    /// A rollout of T = 4 steps of N = 2 copies, chunks of L = 2, a one-float state: step t
    /// of copy n observes [10t + n], and copy 1's episode ends after step 1.
    func filled() throws -> RolloutBuffer {
        var buffer = try RolloutBuffer(steps: 4, environments: 2, observationSize: 1, stateSize: 1, sequenceLength: 2)
        var starts = [true, true]
        for t in 0..<4 {
            if t % 2 == 0 { try buffer.storeState([Float(100 + t), Float(200 + t)]) }
            let ends = [false, t == 1]
            try buffer.add(observations: [Float(10 * t), Float(10 * t + 1)],
                           step: PolicyStep(actions: [Float(t), Float(t)], logProbs: [-1, -2], values: [0, 0]),
                           rewards: [1, 1], episodeStarts: starts, episodeEnds: ends)
            starts = ends
        }
        try buffer.finish(lastValues: [0, 0])
        return buffer
    }

    @Test("Steps are stored time-major and sequences carry their stored state and resets")
    func layout() throws {
        let buffer = try filled()
        #expect(buffer.observations == [0, 1, 10, 11, 20, 21, 30, 31])
        #expect(buffer.episodeStarts == [true, true, false, false, false, true, false, false])
        #expect(buffer.sequenceCount == 4)
        // Sequence 3 is chunk 1 of copy 1: steps 2 and 3, state stored before step 2 (202),
        // and a reset at step 2, where its second episode starts.
        let s = try buffer.sequences([3, 0])
        #expect(s.observations.shape == [2, 2, 1])
        #expect(s.observations.scalars == [21, 31, 0, 10])
        #expect(s.resets.scalars == [1, 0, 1, 0])
        #expect(s.states == [202, 100])
        #expect(s.rowIndices == [5, 7, 0, 2])
    }

    @Test("Minibatches cover every row or sequence once")
    func minibatches() throws {
        let buffer = try filled()
        var rng = RNG(seed: 3)
        let rows = try buffer.minibatches(4, rng: &rng)
        #expect(rows.count == 4 && rows.allSatisfy { $0.count == 2 })
        #expect(rows.flatMap { $0 }.sorted() == Array(0..<8))
        let sequences = try buffer.sequenceMinibatches(2, rng: &rng)
        #expect(sequences.flatMap { $0 }.sorted() == [0, 1, 2, 3])
        #expect(throws: AlgorithmError.self) { try buffer.minibatches(3, rng: &rng) }
        #expect(throws: AlgorithmError.self) { try buffer.sequenceMinibatches(5, rng: &rng) }
    }

    @Test("Bad shapes and a rollout that is not a whole number of sequences throw")
    func errors() throws {
        #expect(throws: AlgorithmError.self) { try RolloutBuffer(steps: 5, environments: 2, observationSize: 1, sequenceLength: 2) }
        #expect(throws: AlgorithmError.self) { try RolloutBuffer(steps: 0, environments: 2, observationSize: 1) }
        var buffer = try RolloutBuffer(steps: 2, environments: 2, observationSize: 3)
        #expect(throws: AlgorithmError.self) {
            try buffer.add(observations: [1, 2], step: PolicyStep(actions: [0, 0], logProbs: [0, 0], values: [0, 0]),
                           rewards: [0, 0], episodeStarts: [true, true], episodeEnds: [false, false])
        }
        #expect(throws: AlgorithmError.self) { try buffer.finish(lastValues: [0, 0]) }   // not full
    }
}
