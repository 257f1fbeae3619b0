import Environments

/// Steps a batch of environments with a policy and fills rollouts: the collect phase that
/// the on-policy driver and IMPALA's actors share.
///
/// Per step: store the state at chunk starts; a_t ~ π(·|s_t) for all N copies; step; fold
/// γ V(s_final) into the reward of steps cut by a time limit (the episode ends for the trace
/// but its last state was not terminal: Stable Baselines' treatment); store (s_t, a_t,
/// log μ(a_t|s_t), V(s_t), r_t, start_t, end_t). The collector carries the episode-start
/// flags and every copy's running return from one rollout to the next.
public struct RolloutCollector<B: BatchedEnvironment> {
    /// The environments (reset by `init`).
    public private(set) var environment: B
    /// γ, for the truncation bootstrap.
    public let discount: Double
    var starts: [Bool]
    var episodeReturns: [Double]
    var episodeLengths: [Int]

    /// Resets `environment` with `seed` and prepares to collect from it.
    public init(_ environment: B, seed: UInt64?, discount: Double) throws {
        self.environment = environment
        self.discount = discount
        try self.environment.reset(seed: seed)
        starts = [Bool](repeating: true, count: environment.count)
        episodeReturns = [Double](repeating: 0, count: environment.count)
        episodeLengths = [Int](repeating: 0, count: environment.count)
    }

    /// An empty buffer of T steps shaped for this environment and `policy`'s state.
    public func makeBuffer(steps: Int, sequenceLength: Int?, policy: any RolloutPolicy) throws -> RolloutBuffer {
        try RolloutBuffer(steps: steps, environments: environment.count,
                          observationSize: environment.singleObservationSpace.size,
                          actionWidth: environment.singleActionKind.width,
                          stateSize: try policy.recurrentState().count / environment.count,
                          sequenceLength: sequenceLength)
    }

    /// Fills `buffer` with `buffer.steps` steps of `policy` and closes it with the
    /// bootstrap values. Calls `episodeEnded(return, length)` for every episode that ends
    /// (with its raw rewards) and `afterStep()` after every step; when that returns true,
    /// collection stops and the method returns false (the buffer is then partial).
    public mutating func collect(
        into buffer: inout RolloutBuffer, with policy: any RolloutPolicy,
        episodeEnded: (Double, Int) throws -> Void, afterStep: () throws -> Bool = { false }
    ) throws -> Bool {
        let n = environment.count, size = environment.singleObservationSpace.size
        buffer.reset()
        for t in 0..<buffer.steps {
            if buffer.stateSize > 0, t % buffer.sequenceLength == 0 { try buffer.storeState(try policy.recurrentState()) }
            let observations = environment.observations
            let step = try policy.act(observations, episodeStarts: starts)
            try environment.step(actionRows: step.actions)
            // The learner learns from the environment's rewards (normalised, if it is
            // wrapped so); episode statistics use the original ones.
            let raw = environment.originalRewards
            var rewards = environment.rewards.map { Float($0) }
            let terminated = environment.terminations, truncated = environment.truncations
            let cut = (0..<n).filter { truncated[$0] && !terminated[$0] }
            if !cut.isEmpty {
                let finals = environment.finalObservations
                var rows = [Float]()
                rows.reserveCapacity(cut.count * size)
                for i in cut { rows += finals[i * size ..< (i + 1) * size] }
                let v = try policy.values(rows, rows: cut)
                for (k, i) in cut.enumerated() { rewards[i] += Float(discount) * v[k] }
            }
            let ends = (0..<n).map { terminated[$0] || truncated[$0] }
            try buffer.add(observations: observations, step: step, rewards: rewards, episodeStarts: starts, episodeEnds: ends)
            starts = ends
            for i in 0..<n {
                episodeReturns[i] += raw[i]
                episodeLengths[i] += 1
                if ends[i] {
                    try episodeEnded(episodeReturns[i], episodeLengths[i])
                    episodeReturns[i] = 0
                    episodeLengths[i] = 0
                }
            }
            if try afterStep() { return false }
        }
        let last = environment.observations
        try buffer.finish(lastValues: try policy.values(last, rows: Array(0..<n)), lastObservations: last)
        return true
    }
}
