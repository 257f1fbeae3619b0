import TensorCore

/// A categorical distribution over K classes for each position of a batch, parametrised
/// by logits (PyTorch's `torch.distributions.Categorical(logits=…)`): the policy of a
/// discrete-action agent, or a language model's next-token distribution.
///
/// Shapes: logits [..., K]; samples, actions, log-probabilities and entropies [...].
/// Everything except `sample` is differentiable with respect to the logits. A logit of
/// −∞ gives a class probability 0 (an action mask); entropy and KL treat 0 · log 0 as 0.
public struct Categorical {
    /// The normalised logits, log p: logits − logsumexp(logits) along the last axis.
    public let logits: Tensor

    /// The distribution softmax(`logits`) for each row of `logits` ([..., K], K > 0).
    public init(logits: Tensor) throws {
        guard logits.rank >= 1, let k = logits.shape.last, k > 0 else {
            throw DistributionError("Categorical", "logits must have shape [..., K] with K > 0, got \(shapeString(logits.shape))")
        }
        self.logits = try logits.logSoftmax(axis: -1)
    }

    /// K, the number of classes.
    public var classCount: Int { logits.shape.last ?? 0 }
    /// The batch shape [...].
    public var batchShape: [Int] { Array(logits.shape.dropLast()) }
    /// The class probabilities, [..., K].
    public var probabilities: Tensor { logits.exp() }

    /// One class per position, drawn with `rng` ([...], whole-number Floats; not differentiable).
    public func sample(rng: inout RNG) throws -> Tensor {
        try Tensor.sampleCategorical(logits: logits.detached(), rng: &rng)
    }

    /// The most likely class per position ([...]).
    public func mode() throws -> Tensor {
        try logits.detached().argmax(axis: -1)
    }

    /// log p(action) per position; `actions` has the batch shape [...] and holds class indices.
    public func logProb(_ actions: Tensor) throws -> Tensor {
        guard actions.shape == batchShape else {
            throw DistributionError("Categorical.logProb", "actions \(shapeString(actions.shape)) must have the batch shape \(shapeString(batchShape))")
        }
        let k = classCount
        try actions.withUnsafeBufferPointer { a in
            for (i, v) in a.enumerated() where !(v == v.rounded() && v >= 0 && v < Float(k)) {
                throw DistributionError("Categorical.logProb", "action \(v) at flat position \(i) is not a class index in 0..<\(k)")
            }
        }
        let picked = try logits.gather(axis: -1, actions.detached().unsqueezed(axis: -1))  // [..., 1]
        return try picked.reshape(batchShape)
    }

    /// log p(action) per position, with the actions as integers (one per position).
    public func logProb(_ actions: [Int]) throws -> Tensor {
        guard actions.count == batchShape.reduce(1, *) else {
            throw DistributionError("Categorical.logProb", "\(actions.count) actions for batch shape \(shapeString(batchShape))")
        }
        return try logProb(Tensor(actions.map(Float.init), shape: batchShape))
    }

    /// The entropy H(p) = −Σ p log p per position ([...]).
    public func entropy() throws -> Tensor {
        try (probabilities * finiteLogits).sum(axis: -1).neg()
    }

    /// KL(self ‖ other) = Σ p (log p − log q) per position ([...]). Infinite where `other`
    /// gives probability 0 to a class `self` can pick.
    public func klDivergence(to other: Categorical) throws -> Tensor {
        guard other.logits.shape == logits.shape else {
            throw DistributionError("Categorical.klDivergence", "distributions over shapes \(shapeString(logits.shape)) and \(shapeString(other.logits.shape)) differ")
        }
        // Where p = 0 the term is 0 whatever q is (PyTorch's convention).
        // The difference is zeroed there before the product, so neither the value nor the
        // gradient sees −∞ − (−∞).
        let p = probabilities
        let zero = try Tensor.eq(p.detached(), Tensor(0))
        let difference = try Tensor.where(zero, Tensor(0), logits - other.logits)
        return try (p * difference).sum(axis: -1)
    }

    /// The log-probabilities with −∞ replaced by the lowest finite Float, so that
    /// 0 · log 0 evaluates to 0 (and its gradient to 0).
    var finiteLogits: Tensor {
        (try? logits.clamp(min: -Float.greatestFiniteMagnitude)) ?? logits
    }
}

/// KL(p ‖ q) between two categorical distributions, per position.
public func klDivergence(_ p: Categorical, _ q: Categorical) throws -> Tensor {
    try p.klDivergence(to: q)
}

/// The error a distribution throws for parameters or values of the wrong shape.
public struct DistributionError: Error, CustomStringConvertible, Sendable {
    public let distribution: String
    public let message: String
    public init(_ distribution: String, _ message: String) {
        self.distribution = distribution
        self.message = message
    }
    public var description: String { "\(distribution): \(message)" }
}
