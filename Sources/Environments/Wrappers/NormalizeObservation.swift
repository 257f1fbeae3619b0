/// Gymnasium's `NormalizeObservation`: each observation element is standardised with a
/// running mean and variance, `(x − mean) / sqrt(var + epsilon)`.
///
/// The statistics start at mean 0, variance 1 and a pseudo-count of 1e-4, and are updated
/// with every observation (reset and step) by the parallel-variance rule, as Gymnasium's
/// `RunningMeanStd`; set `updatesStatistics = false` to freeze them for evaluation.
public struct NormalizeObservation<Inner: Environment>: Environment {
    /// The wrapped environment.
    public var inner: Inner
    public let epsilon: Double
    /// Whether new observations update the running statistics.
    public var updatesStatistics = true
    /// The running mean of each element.
    public private(set) var mean: [Double]
    /// The running variance of each element.
    public private(set) var variance: [Double]
    /// The number of observations seen (plus the initial pseudo-count 1e-4).
    public private(set) var count: Double = 1e-4

    public init(_ inner: Inner, epsilon: Double = 1e-8) throws(EnvironmentError) {
        if !(epsilon > 0) || !epsilon.isFinite {
            throw .invalidArgument(environment: "NormalizeObservation(\(inner.name))", argument: "epsilon",
                                   value: "\(epsilon)", allowed: "a finite number > 0")
        }
        self.inner = inner
        self.epsilon = epsilon
        mean = [Double](repeating: 0, count: inner.observationSize)
        variance = [Double](repeating: 1, count: inner.observationSize)
    }

    public var name: String { inner.name }

    public var observationSize: Int { inner.observationSize }
    public var observationSpace: Box {
        let box = inner.observationSpace
        return Box(low: -.infinity, high: .infinity, shape: box.shape)
    }

    public var actionSpace: Discrete { inner.actionSpace }
    public var state: [Float] { inner.state }

    public mutating func reset(seed: UInt64?, options: ResetOptions, into observation: UnsafeMutableBufferPointer<Float>) throws(EnvironmentError) -> Info {
        let info = try inner.reset(seed: seed, options: options, into: observation)
        normalize(observation)
        return info
    }

    public mutating func step(_ action: Int, into observation: UnsafeMutableBufferPointer<Float>) throws(EnvironmentError) -> StepResult {
        let result = try inner.step(action, into: observation)
        normalize(observation)
        return result
    }

    /// Updates the statistics with `observation` (a batch of one), then standardises it.
    mutating func normalize(_ observation: UnsafeMutableBufferPointer<Float>) {
        if updatesStatistics {
            let total = count + 1
            for i in 0..<mean.count {
                let delta = Double(observation[i]) - mean[i]
                mean[i] += delta / total
                // M2 = var·count + 0·1 + delta²·count·1 / total
                variance[i] = (variance[i] * count + delta * delta * count / total) / total
            }
            count = total
        }
        for i in 0..<mean.count {
            observation[i] = Float((Double(observation[i]) - mean[i]) / (variance[i] + epsilon).squareRoot())
        }
    }

    public func render() -> String { inner.render() }
}

extension Environment {
    /// This environment with running observation normalisation.
    public func normalizeObservation(epsilon: Double = 1e-8) throws(EnvironmentError) -> NormalizeObservation<Self> {
        try NormalizeObservation(self, epsilon: epsilon)
    }
}
