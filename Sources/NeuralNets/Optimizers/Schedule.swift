import Foundation

/// A value as a function of the step: learning-rate schedules, and equally exploration
/// rates (ε-greedy) or loss coefficients that change during training.
///
/// `step` counts from 0 (the step about to be taken; pass `optimizer.stepCount`). Negative
/// steps count as 0. Schedules compose: `.warmup(steps: 100, then: .cosine(from: 3e-4, to:
/// 3e-5, steps: 900))` ramps up for 100 steps, then decays over the next 900.
public indirect enum Schedule: Sendable, Equatable, CustomStringConvertible {
    /// Always `value`.
    case constant(Float)
    /// From `from` at step 0 linearly to `to` at step `steps`, then `to` (linear decay, or
    /// growth when `to > from`).
    case linear(from: Float, to: Float, steps: Int)
    /// Cosine annealing (Loshchilov & Hutter, "SGDR", ICLR 2017, without restarts): from
    /// `from` at step 0 to `to` at step `steps` along half a cosine, then `to`.
    case cosine(from: Float, to: Float, steps: Int)
    /// Linear warm-up: for step t < `steps`, the value is then(0) · (t + 1) / steps (so the
    /// first step is not wasted at zero and step `steps` − 1 reaches the full value); from
    /// step `steps` on, it is then(t − steps).
    case warmup(steps: Int, then: Schedule)

    /// The value at `step`.
    public func value(at step: Int) -> Float {
        let t = Swift.max(step, 0)
        switch self {
        case .constant(let v):
            return v
        case .linear(let from, let to, let steps):
            guard t < steps else { return to }
            let fraction = Double(t) / Double(steps)
            return Float(Double(from) + (Double(to) - Double(from)) * fraction)
        case .cosine(let from, let to, let steps):
            guard t < steps else { return to }
            let fraction = Double(t) / Double(steps)
            return Float(Double(to) + (Double(from) - Double(to)) * 0.5 * (1 + Foundation.cos(Double.pi * fraction)))
        case .warmup(let warmupSteps, let then):
            let steps = Swift.max(warmupSteps, 0)
            guard t < steps else { return then.value(at: t - steps) }
            return Float(Double(then.value(at: 0)) * Double(t + 1) / Double(steps))
        }
    }

    /// The value at `step`.
    public func callAsFunction(_ step: Int) -> Float { value(at: step) }

    /// This schedule preceded by a linear warm-up of `steps` steps.
    public func withWarmup(steps: Int) -> Schedule { .warmup(steps: steps, then: self) }

    public var description: String {
        switch self {
        case .constant(let v): return "constant(\(v))"
        case .linear(let from, let to, let steps): return "linear(from: \(from), to: \(to), steps: \(steps))"
        case .cosine(let from, let to, let steps): return "cosine(from: \(from), to: \(to), steps: \(steps))"
        case .warmup(let steps, let then): return "warmup(steps: \(steps), then: \(then))"
        }
    }
}
