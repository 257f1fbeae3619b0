import TensorCore

// Classification losses: cross-entropy on class indices (with a mask for padded sequence
// positions), and binary cross-entropy on logits.

/// Cross-entropy between softmax(logits) and class indices (PyTorch's `cross_entropy` with
/// class-index targets), with an optional mask.
///
/// - Parameters:
///   - logits: unnormalised log-probabilities, [N, C] or [B, T, C] (any [..., C]).
///   - targets: class indices as whole-number Floats, shape [...] (the logits' shape without C).
///   - mask: optional weights of shape [...] (1 keeps a position, 0 drops it, e.g. padding);
///     with `.mean` the loss is the sum over kept positions divided by the mask's sum (0 when
///     everything is masked, where PyTorch's `ignore_index` gives NaN).
///   - labelSmoothing: ε in [0, 1): the target is (1 − ε)·one-hot + ε/C (Szegedy et al. 2016).
///   - reduction: `.none` returns the per-position losses [...] (masked positions 0).
public func crossEntropyLoss(
    logits: Tensor, targets: Tensor, mask: Tensor? = nil, labelSmoothing: Float = 0, reduction: Reduction = .mean
) throws -> Tensor {
    let name = "crossEntropyLoss"
    guard logits.rank >= 1, let classes = logits.shape.last, classes > 0 else {
        throw LossError(name, "logits must have shape [..., C] with C > 0, got \(shapeString(logits.shape))")
    }
    let positions = Array(logits.shape.dropLast())
    guard targets.shape == positions else {
        throw LossError(name, "targets \(shapeString(targets.shape)) must have the logits' shape without the class axis, \(shapeString(positions)) (logits \(shapeString(logits.shape)))")
    }
    try targets.withUnsafeBufferPointer { t in
        for (i, v) in t.enumerated() where !(v == v.rounded() && v >= 0 && v < Float(classes)) {
            throw LossError(name, "target \(v) at flat position \(i) is not a class index in 0..<\(classes)")
        }
    }
    guard labelSmoothing >= 0, labelSmoothing < 1 else {
        throw LossError(name, "labelSmoothing must be in [0, 1), got \(labelSmoothing)")
    }
    if let mask, mask.shape != positions {
        throw LossError(name, "mask \(shapeString(mask.shape)) must have the targets' shape \(shapeString(positions))")
    }
    let logProbs = try logits.logSoftmax(axis: -1)                                  // [..., C]
    let picked = try logProbs.gather(axis: -1, targets.detached().unsqueezed(axis: -1))  // [..., 1]
    var perPosition = try picked.reshape(positions).neg()                           // [...]
    if labelSmoothing > 0 {
        let uniform = try logProbs.mean(axis: -1).neg()                             // [...]
        perPosition = try perPosition * (1 - labelSmoothing) + uniform * labelSmoothing
    }
    guard let mask else { return try perPosition.reduced(reduction) }
    let weights = mask.detached()
    let masked = try perPosition * weights
    switch reduction {
    case .none: return masked
    case .sum: return masked.sum()
    case .mean:
        let kept = weights.sum()
        let total = try kept.item()
        return total == 0 ? masked.sum() * 0 : masked.sum() / total
    }
}

/// `crossEntropyLoss` with targets given as integers; `targets.count` must equal the number
/// of positions (the product of the logits' shape without C).
public func crossEntropyLoss(
    logits: Tensor, targets: [Int], mask: Tensor? = nil, labelSmoothing: Float = 0, reduction: Reduction = .mean
) throws -> Tensor {
    let positions = Array(logits.shape.dropLast())
    guard targets.count == positions.reduce(1, *) else {
        throw LossError("crossEntropyLoss", "\(targets.count) targets for logits \(shapeString(logits.shape)) (\(positions.reduce(1, *)) positions)")
    }
    let t = try Tensor(targets.map(Float.init), shape: positions)
    return try crossEntropyLoss(logits: logits, targets: t, mask: mask, labelSmoothing: labelSmoothing, reduction: reduction)
}

/// Binary cross-entropy on logits (PyTorch's `binary_cross_entropy_with_logits`):
/// −[y log σ(x) + (1 − y) log(1 − σ(x))], computed stably as softplus(x) − y·x, which
/// neither overflows for large |x| nor loses precision where σ(x) rounds to 0 or 1.
/// Targets may be soft (in [0, 1]); the shapes must be equal. `positiveWeight` multiplies
/// the positive term (PyTorch's `pos_weight`), for unbalanced labels.
public func binaryCrossEntropyWithLogits(
    _ logits: Tensor, _ targets: Tensor, positiveWeight: Float = 1, reduction: Reduction = .mean
) throws -> Tensor {
    try requireSameShape("binaryCrossEntropyWithLogits", logits, targets)
    guard positiveWeight >= 0, positiveWeight.isFinite else {
        throw LossError("binaryCrossEntropyWithLogits", "positiveWeight must be finite and >= 0, got \(positiveWeight)")
    }
    let y = targets.detached()
    if positiveWeight == 1 {
        return try (logits.softplus() - y * logits).reduced(reduction)
    }
    // −[p·y·log σ(x) + (1 − y)·log(1 − σ(x))] = p·y·softplus(−x) + (1 − y)·softplus(x)
    let positive = try y * logits.neg().softplus() * positiveWeight
    let negative = try (1 - y) * logits.softplus()
    return try (positive + negative).reduced(reduction)
}
