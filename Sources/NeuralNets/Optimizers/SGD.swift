import TensorCore

/// Stochastic gradient descent with momentum, Nesterov momentum and L2 weight decay, with
/// PyTorch's `torch.optim.SGD` semantics.
///
/// Momentum as in Sutskever, Martens, Dahl & Hinton, "On the importance of initialization
/// and momentum in deep learning" (ICML 2013), in PyTorch's form. For each parameter θ with
/// gradient ∇ at step t:
///
///     g  = ∇ + λθ                       (weight decay λ)
///     b  = g                            at the first step, else
///     b  = μb + (1 − τ)g                (momentum μ, dampening τ)
///     g  = g + μb  with Nesterov, else g = b     (only when μ ≠ 0)
///     θ ← θ − ηg                        (learning rate η)
///
/// State per parameter: `momentum_buffer` (b), when μ ≠ 0.
public final class SGD: Optimizer, CustomStringConvertible {
    public let name = "SGD"
    /// η, the step size.
    public var learningRate: Float
    /// μ, the momentum factor (0 disables momentum).
    public let momentum: Float
    /// τ, the dampening of the gradient's contribution to the momentum buffer.
    public let dampening: Float
    /// λ, the L2 penalty added to the gradient (coupled weight decay).
    public let weightDecay: Float
    /// Whether to use Nesterov's look-ahead form.
    public let nesterov: Bool

    var slots: OptimizerSlots
    var bufferNames: [String] { momentum != 0 ? ["momentum_buffer"] : [] }

    /// An optimizer over named parameters (their names key the saved state).
    public init(
        named parameters: [(name: String, parameter: Parameter)], learningRate: Float = 1e-2,
        momentum: Float = 0, dampening: Float = 0, weightDecay: Float = 0, nesterov: Bool = false
    ) throws {
        try require(learningRate >= 0 && learningRate.isFinite, "SGD", "learning rate must be finite and >= 0, got \(learningRate)")
        try require(momentum >= 0 && momentum.isFinite, "SGD", "momentum must be finite and >= 0, got \(momentum)")
        try require(dampening >= 0 && dampening <= 1, "SGD", "dampening must be in [0, 1], got \(dampening)")
        try require(weightDecay >= 0 && weightDecay.isFinite, "SGD", "weight decay must be finite and >= 0, got \(weightDecay)")
        try require(!nesterov || (momentum > 0 && dampening == 0), "SGD",
                    "Nesterov momentum needs momentum > 0 and dampening 0, got momentum \(momentum), dampening \(dampening)")
        self.learningRate = learningRate
        self.momentum = momentum
        self.dampening = dampening
        self.weightDecay = weightDecay
        self.nesterov = nesterov
        slots = try OptimizerSlots(optimizer: "SGD", parameters)
    }

    /// An optimizer over every parameter of `module`.
    public convenience init(
        _ module: Module, learningRate: Float = 1e-2,
        momentum: Float = 0, dampening: Float = 0, weightDecay: Float = 0, nesterov: Bool = false
    ) throws {
        try self.init(named: module.namedParameters(), learningRate: learningRate, momentum: momentum,
                      dampening: dampening, weightDecay: weightDecay, nesterov: nesterov)
    }

    /// An optimizer over a list of parameters (state names are their positions: "0", "1", …).
    public convenience init(
        _ parameters: [Parameter], learningRate: Float = 1e-2,
        momentum: Float = 0, dampening: Float = 0, weightDecay: Float = 0, nesterov: Bool = false
    ) throws {
        try self.init(named: namedList(parameters), learningRate: learningRate, momentum: momentum,
                      dampening: dampening, weightDecay: weightDecay, nesterov: nesterov)
    }

    public var stepCount: Int { slots.stepCount }
    public var namedParameters: [(name: String, parameter: Parameter)] { slots.named }
    public var hyperparameters: [String: String] {
        ["lr": "\(learningRate)", "momentum": "\(momentum)", "dampening": "\(dampening)",
         "weight_decay": "\(weightDecay)", "nesterov": "\(nesterov)"]
    }

    public func step() throws {
        let lr = learningRate, mu = momentum, damp = 1 - dampening, wd = weightDecay, nesterov = nesterov
        let useMomentum = mu != 0
        try noGrad {
            for i in slots.slots.indices {
                guard let g = try slots.gradient(i, bufferCount: bufferNames.count) else { continue }
                let first = slots.slots[i].step == 1
                let buf = useMomentum ? slots.slots[i].buffers[0].pointer : nil
                let p = slots.slots[i].parameter
                g.withUnsafeBufferPointer { gp in
                    p.value.withUnsafeMutableBufferPointer { w in
                        for j in 0..<w.count {
                            var d = gp[j]
                            if wd != 0 { d += wd * w[j] }
                            if let b = buf {
                                b[j] = first ? d : mu * b[j] + damp * d
                                d = nesterov ? d + mu * b[j] : b[j]
                            }
                            w[j] -= lr * d
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
