import TensorCore

/// RMSprop: Tieleman & Hinton, "Lecture 6.5 — rmsprop" (COURSERA: Neural Networks for
/// Machine Learning, 2012); the centered form is Graves, "Generating Sequences With Recurrent
/// Neural Networks" (2013). PyTorch's `torch.optim.RMSprop` semantics: ε is added *outside*
/// the square root (TensorFlow adds it inside), and momentum accumulates the scaled step.
///
/// For each parameter θ with gradient ∇:
///
///     g  = ∇ + λθ                              (weight decay λ, coupled)
///     s  = αs + (1 − α)g²                      (smoothing constant α)
///     ḡ  = αḡ + (1 − α)g                       (centered only)
///     d  = √max(s − ḡ², 0) + ε  if centered, else √s + ε
///     b  = μb + g/d ;  θ ← θ − ηb              (momentum μ > 0)
///     θ ← θ − η g/d                            (μ = 0)
///
/// State per parameter: `square_avg` (s), and `momentum_buffer` (b) when μ > 0, and
/// `grad_avg` (ḡ) when centered. Defaults are PyTorch's (η = 0.01, α = 0.99, ε = 1e-8).
public final class RMSprop: Optimizer, CustomStringConvertible {
    public let name = "RMSprop"
    /// η, the step size.
    public var learningRate: Float
    /// α, the smoothing constant of the running averages.
    public let alpha: Float
    /// ε, added to the denominator for numerical stability.
    public let epsilon: Float
    /// λ, the L2 penalty added to the gradient.
    public let weightDecay: Float
    /// μ, the momentum factor (0 disables momentum).
    public let momentum: Float
    /// Whether to normalise by an estimate of the gradient's variance instead of its
    /// second moment.
    public let centered: Bool

    var slots: OptimizerSlots
    var bufferNames: [String] {
        ["square_avg"] + (momentum > 0 ? ["momentum_buffer"] : []) + (centered ? ["grad_avg"] : [])
    }

    public init(
        named parameters: [(name: String, parameter: Parameter)], learningRate: Float = 1e-2,
        alpha: Float = 0.99, epsilon: Float = 1e-8, weightDecay: Float = 0, momentum: Float = 0, centered: Bool = false
    ) throws {
        try require(learningRate >= 0 && learningRate.isFinite, "RMSprop", "learning rate must be finite and >= 0, got \(learningRate)")
        try require(alpha >= 0 && alpha <= 1, "RMSprop", "alpha must be in [0, 1], got \(alpha)")
        try require(epsilon >= 0 && epsilon.isFinite, "RMSprop", "epsilon must be finite and >= 0, got \(epsilon)")
        try require(weightDecay >= 0 && weightDecay.isFinite, "RMSprop", "weight decay must be finite and >= 0, got \(weightDecay)")
        try require(momentum >= 0 && momentum.isFinite, "RMSprop", "momentum must be finite and >= 0, got \(momentum)")
        self.learningRate = learningRate
        self.alpha = alpha
        self.epsilon = epsilon
        self.weightDecay = weightDecay
        self.momentum = momentum
        self.centered = centered
        slots = try OptimizerSlots(optimizer: "RMSprop", parameters)
    }

    /// An optimizer over every parameter of `module`.
    public convenience init(
        _ module: Module, learningRate: Float = 1e-2,
        alpha: Float = 0.99, epsilon: Float = 1e-8, weightDecay: Float = 0, momentum: Float = 0, centered: Bool = false
    ) throws {
        try self.init(named: module.namedParameters(), learningRate: learningRate, alpha: alpha, epsilon: epsilon,
                      weightDecay: weightDecay, momentum: momentum, centered: centered)
    }

    /// An optimizer over a list of parameters (state names are their positions: "0", "1", …).
    public convenience init(
        _ parameters: [Parameter], learningRate: Float = 1e-2,
        alpha: Float = 0.99, epsilon: Float = 1e-8, weightDecay: Float = 0, momentum: Float = 0, centered: Bool = false
    ) throws {
        try self.init(named: namedList(parameters), learningRate: learningRate, alpha: alpha, epsilon: epsilon,
                      weightDecay: weightDecay, momentum: momentum, centered: centered)
    }

    public var stepCount: Int { slots.stepCount }
    public var namedParameters: [(name: String, parameter: Parameter)] { slots.named }
    public var hyperparameters: [String: String] {
        ["lr": "\(learningRate)", "alpha": "\(alpha)", "eps": "\(epsilon)", "weight_decay": "\(weightDecay)",
         "momentum": "\(momentum)", "centered": "\(centered)"]
    }

    public func step() throws {
        let lr = learningRate, a = alpha, eps = epsilon, wd = weightDecay, mu = momentum
        let useMomentum = momentum > 0, centered = centered
        let count = bufferNames.count
        try noGrad {
            for i in slots.slots.indices {
                guard let g = try slots.gradient(i, bufferCount: count) else { continue }
                let slot = slots.slots[i]
                let s = slot.buffers[0].pointer
                let b = useMomentum ? slot.buffers[1].pointer : nil
                let mean = centered ? slot.buffers[count - 1].pointer : nil
                g.withUnsafeBufferPointer { gp in
                    slot.parameter.value.withUnsafeMutableBufferPointer { w in
                        for j in 0..<w.count {
                            var d = gp[j]
                            if wd != 0 { d += wd * w[j] }
                            s[j] = a * s[j] + (1 - a) * d * d
                            var variance = s[j]
                            if let mean {
                                mean[j] = a * mean[j] + (1 - a) * d
                                variance -= mean[j] * mean[j]
                            }
                            // Rounding can make s − ḡ² slightly negative; PyTorch would give NaN.
                            let scaled = d / (Swift.max(variance, 0).squareRoot() + eps)
                            if let b {
                                b[j] = mu * b[j] + scaled
                                w[j] -= lr * b[j]
                            } else {
                                w[j] -= lr * scaled
                            }
                        }
                    }
                }
            }
        }
        slots.stepCount += 1
    }

    public var description: String { describe(self) }

    public func state() -> [String: Tensor] { slots.state(bufferNames: bufferNames) }
    public func loadState(_ state: [String: Tensor]) throws { try slots.load(state, bufferNames: bufferNames) }
}
