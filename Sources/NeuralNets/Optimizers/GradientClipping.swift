import Foundation
import TensorCore

/// Rescales the gradients of `parameters` so that their global L2 norm (all gradients
/// seen as one vector) is at most `maxNorm`, and returns the norm *before* clipping, as
/// PyTorch's `torch.nn.utils.clip_grad_norm_` does (Pascanu, Mikolov & Bengio, "On the
/// difficulty of training recurrent neural networks", ICML 2013).
///
/// The scale is maxNorm / (norm + 1e-6), applied only when it is below 1. Parameters
/// without a gradient are ignored. The norm is accumulated in Double. Unlike PyTorch, a
/// non-finite norm (a NaN or infinite gradient) leaves the gradients unchanged: the
/// returned value tells the caller to skip the step. A parameter listed twice counts once.
@discardableResult
public func clipGradNorm(_ parameters: [Parameter], maxNorm: Float) throws -> Float {
    guard maxNorm >= 0, !maxNorm.isNaN else {
        throw OptimizerError("clipGradNorm", "maxNorm must be >= 0, got \(maxNorm)")
    }
    // A parameter listed twice (a tied weight) counts and is scaled once.
    var seen = Set<ObjectIdentifier>()
    let parameters = parameters.filter { seen.insert(ObjectIdentifier($0)).inserted }
    var sumOfSquares: Double = 0
    for p in parameters {
        guard let g = p.grad else { continue }
        g.withUnsafeBufferPointer { gp in
            var acc: Double = 0
            for x in gp { acc += Double(x) * Double(x) }
            sumOfSquares += acc
        }
    }
    let norm = sumOfSquares.squareRoot()
    guard norm.isFinite else { return Float(norm) }
    let scale = Double(maxNorm) / (norm + 1e-6)
    if scale < 1 {
        for p in parameters { p.value.scaleGrad(by: Float(scale)) }
    }
    return Float(norm)
}

/// `clipGradNorm` over every parameter of `module`.
@discardableResult
public func clipGradNorm(_ module: Module, maxNorm: Float) throws -> Float {
    try clipGradNorm(module.parameters, maxNorm: maxNorm)
}

/// Clamps every gradient element of `parameters` to [−value, value] (PyTorch's
/// `clip_grad_value_`).
public func clipGradValue(_ parameters: [Parameter], value: Float) throws {
    guard value >= 0, !value.isNaN else {
        throw OptimizerError("clipGradValue", "value must be >= 0, got \(value)")
    }
    for p in parameters {
        guard let g = p.grad else { continue }
        let clipped = try noGrad { try g.detached().clamp(min: -value, max: value) }
        p.zeroGrad()
        try p.value.backward(gradient: clipped)
    }
}

extension Optimizer {
    /// One gradient step on `loss`, as every learner takes it: zero the gradients,
    /// backpropagate, clip their global norm to `maxGradNorm` (nil: no clipping), step.
    public func minimize(_ loss: Tensor, maxGradNorm: Float?) throws {
        zeroGrad()
        try loss.backward()
        if let m = maxGradNorm { try clipGradNorm(parameters, maxNorm: m) }
        try step()
    }
}
