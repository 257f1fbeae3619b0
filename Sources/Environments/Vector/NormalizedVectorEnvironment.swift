/// Running mean and variance of a stream of vectors, merged batch by batch with the
/// parallel-variance rule (Chan, Golub & LeVeque 1979), as Stable Baselines'
/// `RunningMeanStd`: mean 0, variance 1 and a pseudo-count of 1e-4 at the start.
public struct RunningMeanStd: Sendable, Equatable {
    /// The running mean of each element.
    public private(set) var mean: [Double]
    /// The running (population) variance of each element.
    public private(set) var variance: [Double]
    /// The number of vectors seen, plus the initial pseudo-count.
    public private(set) var count: Double

    public init(size: Int, count: Double = 1e-4) {
        mean = [Double](repeating: 0, count: size)
        variance = [Double](repeating: 1, count: size)
        self.count = count
    }

    /// Statistics given explicitly (to freeze a trained agent's normalisation).
    public init(mean: [Double], variance: [Double], count: Double) {
        precondition(mean.count == variance.count, "mean and variance must have the same size")
        self.mean = mean
        self.variance = variance
        self.count = count
    }

    public var size: Int { mean.count }

    /// Merges a batch of `rows` vectors (row-major, `size` floats each).
    public mutating func update(_ batch: some Collection<Float>, rows: Int) {
        let d = size
        precondition(batch.count == rows * d && rows > 0, "a batch of \(rows) rows needs \(rows * d) values")
        var batchMean = [Double](repeating: 0, count: d), batchVariance = [Double](repeating: 0, count: d)
        var k = 0
        for v in batch { batchMean[k % d] += Double(v); k += 1 }
        for j in 0..<d { batchMean[j] /= Double(rows) }
        k = 0
        for v in batch {
            let e = Double(v) - batchMean[k % d]
            batchVariance[k % d] += e * e
            k += 1
        }
        let n = Double(rows), total = count + n
        for j in 0..<d {
            let delta = batchMean[j] - mean[j]
            mean[j] += delta * n / total
            let m2 = variance[j] * count + batchVariance[j] + delta * delta * count * n / total
            variance[j] = m2 / total
        }
        count = total
    }
}

/// Stable Baselines' `VecNormalize` (what the RL Zoo's `normalize: true` turns on): the
/// observations of all copies standardised by one running mean and variance,
/// clip((o − μ) / √(σ² + ε), ±`clipObservation`), and the rewards divided by the running
/// standard deviation of the discounted return R ← γR + r (reset where an episode ends),
/// clip(r / √(σ_R² + ε), ±`clipReward`) — rewards are scaled, not shifted, so their sign
/// and the meaning of 0 are kept.
///
/// The statistics are updated after each step with the new observations (of the copies
/// that reset, their first observation) and the new returns, then applied, as Stable
/// Baselines does. `finalObservations` are normalised with the same statistics (a learner
/// bootstraps from them). `originalRewards` keeps the rewards as the environment gave them,
/// for the episode returns a driver reports.
public struct NormalizedVectorEnvironment<Inner: BatchedEnvironment>: BatchedEnvironment {
    /// The wrapped environments.
    public private(set) var inner: Inner
    /// Whether observations are normalised.
    public let normalizesObservations: Bool
    /// Whether rewards are scaled.
    public let normalizesRewards: Bool
    /// γ of the discounted return whose spread scales the rewards (the learner's γ).
    public let gamma: Double
    /// Normalised observations are clipped to ± this.
    public let clipObservation: Double
    /// Scaled rewards are clipped to ± this.
    public let clipReward: Double
    /// ε added to the variances.
    public let epsilon: Double
    /// Whether steps update the statistics (false: frozen, for evaluation).
    public var updatesStatistics = true
    /// The observation statistics.
    public var observationStatistics: RunningMeanStd
    /// The statistics of the discounted return (one scalar).
    public var returnStatistics = RunningMeanStd(size: 1)

    private var returns: [Double]
    private var _observations: [Float] = []
    private var _finals: [Float] = []
    private var _rewards: [Double] = []

    public init(_ inner: Inner, observations: Bool = true, rewards: Bool = true, gamma: Double = 0.99,
                clipObservation: Double = 10, clipReward: Double = 10, epsilon: Double = 1e-8) throws(EnvironmentError) {
        let c = "NormalizedVectorEnvironment(\(inner.name))"
        if !(gamma >= 0 && gamma <= 1) { throw .invalidArgument(environment: c, argument: "gamma", value: "\(gamma)", allowed: "[0, 1]") }
        if !(clipObservation > 0) { throw .invalidArgument(environment: c, argument: "clipObservation", value: "\(clipObservation)", allowed: "> 0") }
        if !(clipReward > 0) { throw .invalidArgument(environment: c, argument: "clipReward", value: "\(clipReward)", allowed: "> 0") }
        if !(epsilon > 0) { throw .invalidArgument(environment: c, argument: "epsilon", value: "\(epsilon)", allowed: "> 0") }
        self.inner = inner
        normalizesObservations = observations
        normalizesRewards = rewards
        self.gamma = gamma
        self.clipObservation = clipObservation
        self.clipReward = clipReward
        self.epsilon = epsilon
        observationStatistics = RunningMeanStd(size: inner.singleObservationSpace.size)
        returns = [Double](repeating: 0, count: inner.count)
    }

    public var name: String { inner.name }
    public var count: Int { inner.count }
    public var singleObservationSpace: Box {
        let one = inner.singleObservationSpace
        return normalizesObservations ? Box(low: -Float(clipObservation), high: Float(clipObservation), shape: one.shape) : one
    }
    public var singleActionKind: ActionSpace { inner.singleActionKind }
    public var observations: [Float] { _observations }
    public var rewards: [Double] { _rewards }
    public var originalRewards: [Double] { inner.originalRewards }
    public var terminations: [Bool] { inner.terminations }
    public var truncations: [Bool] { inner.truncations }
    public var finalObservations: [Float] { _finals }

    public mutating func reset(seed: UInt64?) throws {
        try inner.reset(seed: seed)
        for i in returns.indices { returns[i] = 0 }
        let raw = inner.observations
        if normalizesObservations && updatesStatistics { observationStatistics.update(raw, rows: count) }
        _observations = normalize(raw)
        _rewards = [Double](repeating: 0, count: count)
        _finals = [Float](repeating: 0, count: raw.count)
    }

    public mutating func step(actionRows actions: [Float]) throws {
        try inner.step(actionRows: actions)
        let raw = inner.observations
        if normalizesObservations && updatesStatistics { observationStatistics.update(raw, rows: count) }
        _observations = normalize(raw)
        _finals = normalize(inner.finalObservations)
        let r = inner.rewards, terminated = inner.terminations, truncated = inner.truncations
        if normalizesRewards {
            if updatesStatistics {
                for i in returns.indices { returns[i] = returns[i] * gamma + r[i] }
                returnStatistics.update(returns.map { Float($0) }, rows: count)
            }
            let scale = 1 / (returnStatistics.variance[0] + epsilon).squareRoot()
            _rewards = r.map { Swift.min(Swift.max($0 * scale, -clipReward), clipReward) }
        } else {
            _rewards = r
        }
        for i in returns.indices where terminated[i] || truncated[i] { returns[i] = 0 }
    }

    /// `rows` standardised with the current observation statistics and clipped.
    public func normalize(_ rows: [Float]) -> [Float] {
        guard normalizesObservations else { return rows }
        let d = observationStatistics.size
        let mean = observationStatistics.mean, variance = observationStatistics.variance
        let scale = variance.map { 1 / ($0 + epsilon).squareRoot() }
        var out = rows
        for k in out.indices {
            let v = (Double(rows[k]) - mean[k % d]) * scale[k % d]
            out[k] = Float(Swift.min(Swift.max(v, -clipObservation), clipObservation))
        }
        return out
    }
}
