import CBLAS
import Foundation
import TensorCore

/// Adam: Kingma & Ba, "Adam: A Method for Stochastic Optimization" (ICLR 2015), with
/// PyTorch's `torch.optim.Adam` semantics (ε added after the bias-corrected square root;
/// weight decay added to the gradient, i.e. an L2 penalty; see `AdamW` for the decoupled form).
///
/// For each parameter θ with gradient ∇ at its step t = 1, 2, …:
///
///     g  = ∇ + λθ                          (weight decay λ, coupled)
///     m  = β₁m + (1 − β₁)g                 (first moment)
///     v  = β₂v + (1 − β₂)g²                (second moment)
///     v̂max = max(v̂max, v)                 (AMSGrad only; then v̂max replaces v below)
///     θ ← θ − α/(1 − β₁ᵗ) · m / (√v / √(1 − β₂ᵗ) + ε)
///
/// α is the learning rate; the two divisions by 1 − βᵗ are the bias corrections of the
/// paper's Algorithm 1 (m̂, v̂). State per parameter: `exp_avg` (m), `exp_avg_sq` (v) and,
/// with AMSGrad, `max_exp_avg_sq`.
public final class Adam: Optimizer, CustomStringConvertible {
    public var name: String { "Adam" }
    /// α, the step size.
    public var learningRate: Float
    /// β₁, the decay rate of the first-moment estimate.
    public let beta1: Float
    /// β₂, the decay rate of the second-moment estimate.
    public let beta2: Float
    /// ε, added to the denominator for numerical stability.
    public let epsilon: Float
    /// λ, the L2 penalty added to the gradient.
    public let weightDecay: Float
    /// Whether to use the AMSGrad variant (Reddi, Kale & Kumar, ICLR 2018).
    public let amsgrad: Bool

    var slots: OptimizerSlots

    public init(
        named parameters: [(name: String, parameter: Parameter)], learningRate: Float = 1e-3,
        beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8, weightDecay: Float = 0, amsgrad: Bool = false
    ) throws {
        try checkAdamHyperparameters("Adam", learningRate, beta1, beta2, epsilon, weightDecay)
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
        self.amsgrad = amsgrad
        slots = try OptimizerSlots(optimizer: "Adam", parameters)
    }

    /// An optimizer over every parameter of `module`.
    public convenience init(
        _ module: Module, learningRate: Float = 1e-3,
        beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8, weightDecay: Float = 0, amsgrad: Bool = false
    ) throws {
        try self.init(named: module.namedParameters(), learningRate: learningRate, beta1: beta1, beta2: beta2,
                      epsilon: epsilon, weightDecay: weightDecay, amsgrad: amsgrad)
    }

    /// An optimizer over a list of parameters (state names are their positions: "0", "1", …).
    public convenience init(
        _ parameters: [Parameter], learningRate: Float = 1e-3,
        beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8, weightDecay: Float = 0, amsgrad: Bool = false
    ) throws {
        try self.init(named: namedList(parameters), learningRate: learningRate, beta1: beta1, beta2: beta2,
                      epsilon: epsilon, weightDecay: weightDecay, amsgrad: amsgrad)
    }

    public var stepCount: Int { slots.stepCount }
    public var namedParameters: [(name: String, parameter: Parameter)] { slots.named }
    public var hyperparameters: [String: String] {
        ["lr": "\(learningRate)", "beta1": "\(beta1)", "beta2": "\(beta2)", "eps": "\(epsilon)",
         "weight_decay": "\(weightDecay)", "amsgrad": "\(amsgrad)"]
    }

    public func step() throws {
        try adamStep(&slots, learningRate: learningRate, beta1: beta1, beta2: beta2, epsilon: epsilon,
                     coupledDecay: weightDecay, decoupledDecay: 0, amsgrad: amsgrad)
    }

    public var description: String { describe(self) }

    public func state() -> [String: Tensor] { slots.state(bufferNames: adamBufferNames(amsgrad)) }
    public func loadState(_ state: [String: Tensor]) throws { try slots.load(state, bufferNames: adamBufferNames(amsgrad)) }
}

func adamBufferNames(_ amsgrad: Bool) -> [String] {
    amsgrad ? ["exp_avg", "exp_avg_sq", "max_exp_avg_sq"] : ["exp_avg", "exp_avg_sq"]
}

func checkAdamHyperparameters(_ name: String, _ lr: Float, _ beta1: Float, _ beta2: Float, _ eps: Float, _ wd: Float) throws {
    try require(lr >= 0 && lr.isFinite, name, "learning rate must be finite and >= 0, got \(lr)")
    try require(beta1 >= 0 && beta1 < 1, name, "beta1 must be in [0, 1), got \(beta1)")
    try require(beta2 >= 0 && beta2 < 1, name, "beta2 must be in [0, 1), got \(beta2)")
    try require(eps >= 0 && eps.isFinite, name, "epsilon must be finite and >= 0, got \(eps)")
    try require(wd >= 0 && wd.isFinite, name, "weight decay must be finite and >= 0, got \(wd)")
}

/// One Adam / AdamW step over every slot with a gradient: a single pass per parameter.
func adamStep(
    _ slots: inout OptimizerSlots, learningRate lr: Float, beta1 b1: Float, beta2 b2: Float, epsilon eps: Float,
    coupledDecay wd: Float, decoupledDecay decay: Float, amsgrad: Bool
) throws {
    let bufferCount = amsgrad ? 3 : 2
    try noGrad {
        for i in slots.slots.indices {
            guard let g = try slots.gradient(i, bufferCount: bufferCount) else { continue }
            let slot = slots.slots[i]
            // Bias corrections in Double: β₂ᵗ loses precision in Float over long runs.
            let t = Double(slot.step)
            let correction1 = 1 - Foundation.pow(Double(b1), t)
            let correction2 = 1 - Foundation.pow(Double(b2), t)
            let stepSize = Float(Double(lr) / correction1)
            let inverseRootCorrection2 = Float(1 / correction2.squareRoot())
            let decay = slot.decays ? decay : 0
            let shrink = 1 - lr * decay
            let m = slot.buffers[0].pointer, v = slot.buffers[1].pointer
            let vmax = amsgrad ? slot.buffers[2].pointer : nil
            g.withUnsafeBufferPointer { gp in
                slot.parameter.value.withUnsafeMutableBufferPointer { wp in
                    guard let w = wp.baseAddress, let g = gp.baseAddress else { return }
                    let n = wp.count
                    if vmax == nil {
                        // The common case: a vectorised kernel (CBLAS/vmath.c), split over the cores.
                        Parallel.forChunks(n, grain: 1 << 16) { r in
                            let o = r.lowerBound
                            memento_adam_update(w + o, g + o, m + o, v + o, r.count, b1, b2, stepSize,
                                                inverseRootCorrection2, eps, shrink, wd)
                        }
                        return
                    }
                    for j in 0..<n {
                        var d = g[j]
                        if decay != 0 { w[j] *= shrink }
                        if wd != 0 { d += wd * w[j] }
                        m[j] = b1 * m[j] + (1 - b1) * d
                        v[j] = b2 * v[j] + (1 - b2) * d * d
                        var second = v[j]
                        if let vmax {
                            vmax[j] = Swift.max(vmax[j], second)
                            second = vmax[j]
                        }
                        w[j] -= stepSize * m[j] / (second.squareRoot() * inverseRootCorrection2 + eps)
                    }
                }
            }
        }
    }
    slots.stepCount += 1
}
