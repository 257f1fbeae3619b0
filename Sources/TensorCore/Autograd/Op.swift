/// Every differentiable operation of TensorCore, by name.
///
/// Each op records itself on the tape under one of these cases, and the gradient-check suite
/// iterates `Op.allCases`: an op added here without a finite-difference check fails the
/// tests (see `Tests/TensorCoreTests/GradCheckTests.swift`).
public enum Op: String, CaseIterable, Sendable {
    // Leaves
    case leaf
    // Element-wise, binary (with broadcasting)
    case add, sub, mul, div, pow, maximum, minimum
    // Element-wise, with a scalar
    case addScalar, mulScalar, powScalar, rsubScalar, rdivScalar
    // Element-wise, unary
    case neg, exp, log, sqrt, tanh, sigmoid, relu, gelu, geluTanh, softplus, abs, clamp, sin, cos
    case leakyRelu, square
    // Selection
    case whereSelect
    // Reductions and normalisations
    case sum, max, min, cumsum, softmax, logSoftmax
    // Shape
    case reshape, permute, broadcastTo, slice, indexSelect, gather, scatterAdd, maskedSelect, concat, pad
    // Linear algebra
    case matmul, linear
    // A fused kernel defined outside TensorCore (LSTM, attention, …), named by its label;
    // those kernels are checked by their own module's tests.
    case custom
}

extension Op {
    /// Ops built from the primitives above (they record primitive nodes, so need no rule of
    /// their own) but that the gradient-check suite checks too.
    public static let composites: [String] = [
        "mean", "variance", "std", "logsumexp", "stack", "split", "maskedFill", "transpose",
        "normalize", "huber", "mse",
    ]
}
