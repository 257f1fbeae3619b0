import Configuration
import Environments
import Foundation
import NeuralNets
import TensorCore

/// The settings of DPO.
public struct DPOConfig: Configurable {
    /// β, the strength of the implicit KL regularisation.
    public var beta: Double = 0.1
    /// Adam's learning rate.
    public var learningRate: Float = 1e-4
    /// Passes over the preference pairs.
    public var epochs: Int = 2
    /// Pairs per minibatch.
    public var batchSize: Int = 32
    public var seed: UInt64 = 0

    public init() {}

    public static let fields: [ConfigField<DPOConfig>] = [
        ConfigField("beta", \.beta, "β, the strength of the implicit KL regularisation", .positive),
        ConfigField("lr", \.learningRate, "Adam's learning rate", .positive),
        ConfigField("epochs", \.epochs, "passes over the preference pairs", .atLeast(1)),
        ConfigField("batch_size", \.batchSize, "pairs per minibatch", .atLeast(1)),
        ConfigField("seed", \.seed, "the seed of the minibatch order"),
    ]
}

/// Direct preference optimisation (Rafailov et al. 2023): the KL-regularised reward
/// objective solved in closed form, π*(y) ∝ π_ref(y) exp(r(y)/β), turned around so that
/// r(y) = β log π(y)/π_ref(y) + const, and fitted to the preferences by Bradley–Terry:
///
///   L = −log σ(β [log π(y_w)/π_ref(y_w) − log π(y_l)/π_ref(y_l)]).
///
/// A comparison of k > 2 texts gives k − 1 pairs (the chosen text against each other one).
/// The reference is frozen; its log-probabilities are computed once.
public final class DPO {
    public let policy: LanguageModel
    public let reference: LanguageModel
    public let config: DPOConfig
    let pairs: [(prompt: String, chosen: String, rejected: String)]
    let referenceMargins: [Float]
    let optimizer: Adam
    var rng: RNG
    /// The mean loss of each epoch and the fraction of pairs whose implicit reward margin
    /// is positive after each epoch.
    public private(set) var losses: [Double] = []
    public private(set) var accuracies: [Double] = []

    /// Throws when the reference's vocabulary differs from the policy's.
    public init(policy: LanguageModel, reference: LanguageModel, data: ComparisonDataset, config: DPOConfig = DPOConfig()) throws {
        guard reference.config.vocabSize == policy.config.vocabSize, reference.tokenizer.tokens == policy.tokenizer.tokens else {
            throw RLHFError("DPO: the reference's vocabulary (\(reference.config.vocabSize) tokens, \(reference.tokenizer.name)) differs from the policy's (\(policy.config.vocabSize) tokens, \(policy.tokenizer.name))")
        }
        guard data.count > 0 else { throw RLHFError("DPO: the comparison dataset is empty") }
        self.policy = policy
        self.reference = reference
        self.config = config
        pairs = zip(data.comparisons, data.chosen).flatMap { (c, w) in
            c.indices.filter { $0 != w }.map { l in (data.prompt, data.texts[c[w]], data.texts[c[l]]) }
        }
        optimizer = try Adam(policy.gpt, learningRate: config.learningRate)
        rng = RNG(seed: config.seed)
        var margins: [Float] = []
        var start = 0
        while start < pairs.count {
            let chunk = Array(pairs[start..<min(pairs.count, start + 64)])
            let w = try reference.batch(prompts: chunk.map(\.prompt), continuations: chunk.map(\.chosen))
            let l = try reference.batch(prompts: chunk.map(\.prompt), continuations: chunk.map(\.rejected))
            let mw = try noGrad { try reference.sequenceLogProbabilities(w).sum(axis: 1) }.scalars
            let ml = try noGrad { try reference.sequenceLogProbabilities(l).sum(axis: 1) }.scalars
            margins += zip(mw, ml).map { $0 - $1 }
            start += 64
        }
        referenceMargins = margins
    }

    /// The DPO loss of the pairs `rows` (differentiable) and their implicit-reward margins.
    func loss(rows: [Int]) throws -> (Tensor, [Float]) {
        let chunk = rows.map { pairs[$0] }
        let w = try policy.batch(prompts: chunk.map(\.prompt), continuations: chunk.map(\.chosen))
        let l = try policy.batch(prompts: chunk.map(\.prompt), continuations: chunk.map(\.rejected))
        let margin = try policy.sequenceLogProbabilities(w).sum(axis: 1) - policy.sequenceLogProbabilities(l).sum(axis: 1)
        let ref = try Tensor(rows.map { referenceMargins[$0] }, shape: [rows.count])
        let z = try (margin - ref).scaled(by: Float(config.beta))          // β(log π/π_ref(y_w) − log π/π_ref(y_l))
        let loss = try z.neg().softplus().mean()                             // −log σ(z) = softplus(−z)
        return (loss, z.scalars)
    }

    /// One pass over the pairs; returns the epoch's mean loss.
    @discardableResult
    public func epoch() throws -> Double {
        var order = Array(pairs.indices)
        rng.shuffle(&order)
        var total = 0.0, right = 0
        var start = 0
        policy.gpt.train()
        while start < order.count {
            let rows = Array(order[start..<min(order.count, start + config.batchSize)])
            start += config.batchSize
            optimizer.zeroGrad()
            let (l, z) = try loss(rows: rows)
            try l.backward()
            _ = try clipGradNorm(optimizer.parameters, maxNorm: 1)
            try optimizer.step()
            total += Double(try l.item()) * Double(rows.count)
            right += z.filter { $0 > 0 }.count
        }
        policy.gpt.eval()
        losses.append(total / Double(pairs.count))
        accuracies.append(Double(right) / Double(pairs.count))
        return losses.last!
    }

    /// `config.epochs` passes.
    public func train() throws {
        for _ in 0..<config.epochs { try epoch() }
    }
}
