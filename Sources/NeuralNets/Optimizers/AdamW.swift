import TensorCore

/// AdamW: Adam with decoupled weight decay, Loshchilov & Hutter, "Decoupled Weight Decay
/// Regularization" (ICLR 2019), with PyTorch's `torch.optim.AdamW` semantics.
///
/// The decay shrinks the weights directly instead of entering the gradient (and so the
/// moment estimates): for each parameter θ with gradient g at its step t,
///
///     θ ← θ(1 − αλ)                        (weight decay λ, scaled by the learning rate α
///                                           as in PyTorch; the paper's schedule multiplier
///                                           η_t is folded into α)
///     m  = β₁m + (1 − β₁)g
///     v  = β₂v + (1 − β₂)g²
///     θ ← θ − α/(1 − β₁ᵗ) · m / (√v / √(1 − β₂ᵗ) + ε)
///
/// State per parameter: `exp_avg` (m), `exp_avg_sq` (v) and, with AMSGrad, `max_exp_avg_sq`.
/// The default λ is 0.01, PyTorch's. `weightDecayScope: .matricesOnly` exempts biases and
/// LayerNorm gains from the decay, as GPT-2 and nanoGPT train (PyTorch does this with two
/// parameter groups).
public final class AdamW: Optimizer, CustomStringConvertible {
    public var name: String { "AdamW" }
    /// α, the step size.
    public var learningRate: Float
    /// β₁, the decay rate of the first-moment estimate.
    public let beta1: Float
    /// β₂, the decay rate of the second-moment estimate.
    public let beta2: Float
    /// ε, added to the denominator for numerical stability.
    public let epsilon: Float
    /// λ, the decoupled weight decay rate.
    public let weightDecay: Float
    /// Whether to use the AMSGrad variant.
    public let amsgrad: Bool
    /// Which parameters λ applies to.
    public let weightDecayScope: WeightDecayScope

    var slots: OptimizerSlots

    public init(
        named parameters: [(name: String, parameter: Parameter)], learningRate: Float = 1e-3,
        beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8, weightDecay: Float = 0.01, amsgrad: Bool = false,
        weightDecayScope: WeightDecayScope = .all
    ) throws {
        try checkAdamHyperparameters("AdamW", learningRate, beta1, beta2, epsilon, weightDecay)
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
        self.amsgrad = amsgrad
        self.weightDecayScope = weightDecayScope
        slots = try OptimizerSlots(optimizer: "AdamW", parameters)
        for i in slots.slots.indices {
            slots.slots[i].decays = weightDecayScope.applies(to: slots.slots[i].name, slots.slots[i].parameter)
        }
    }

    /// An optimizer over every parameter of `module`.
    public convenience init(
        _ module: Module, learningRate: Float = 1e-3,
        beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8, weightDecay: Float = 0.01, amsgrad: Bool = false,
        weightDecayScope: WeightDecayScope = .all
    ) throws {
        try self.init(named: module.namedParameters(), learningRate: learningRate, beta1: beta1, beta2: beta2,
                      epsilon: epsilon, weightDecay: weightDecay, amsgrad: amsgrad, weightDecayScope: weightDecayScope)
    }

    /// An optimizer over a list of parameters (state names are their positions: "0", "1", …).
    public convenience init(
        _ parameters: [Parameter], learningRate: Float = 1e-3,
        beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8, weightDecay: Float = 0.01, amsgrad: Bool = false,
        weightDecayScope: WeightDecayScope = .all
    ) throws {
        try self.init(named: namedList(parameters), learningRate: learningRate, beta1: beta1, beta2: beta2,
                      epsilon: epsilon, weightDecay: weightDecay, amsgrad: amsgrad, weightDecayScope: weightDecayScope)
    }

    public var stepCount: Int { slots.stepCount }
    public var namedParameters: [(name: String, parameter: Parameter)] { slots.named }
    public var hyperparameters: [String: String] {
        ["lr": "\(learningRate)", "beta1": "\(beta1)", "beta2": "\(beta2)", "eps": "\(epsilon)",
         "weight_decay": "\(weightDecay)", "amsgrad": "\(amsgrad)", "weight_decay_scope": "\(weightDecayScope)"]
    }

    public func step() throws {
        try adamStep(&slots, learningRate: learningRate, beta1: beta1, beta2: beta2, epsilon: epsilon,
                     coupledDecay: 0, decoupledDecay: weightDecay, amsgrad: amsgrad)
    }

    public var description: String { describe(self) }

    public func state() -> [String: Tensor] { slots.state(bufferNames: adamBufferNames(amsgrad)) }
    public func loadState(_ state: [String: Tensor]) throws { try slots.load(state, bufferNames: adamBufferNames(amsgrad)) }
}
