import Configuration
import Environments
import Foundation
import NeuralNets
import TensorCore

/// The settings of reward-model training.
public struct RewardModelConfig: Configurable {
    /// Adam's learning rate.
    public var learningRate: Float = 1e-3
    /// Passes over the training comparisons.
    public var epochs: Int = 4
    /// Comparisons per minibatch.
    public var batchSize: Int = 32
    /// The seed of the head's initialisation and the minibatch order.
    public var seed: UInt64 = 0

    public init() {}

    public static let fields: [ConfigField<RewardModelConfig>] = [
        ConfigField("lr", \.learningRate, "Adam's learning rate", .positive),
        ConfigField("epochs", \.epochs, "passes over the training comparisons", .atLeast(1)),
        ConfigField("batch_size", \.batchSize, "comparisons per minibatch", .atLeast(1)),
        ConfigField("seed", \.seed, "the seed of the head's initialisation and the minibatch order"),
    ]
}

/// A reward model r_φ(x, y): the language model's trunk (a copy of its transformer, so the
/// reward model starts from what the policy knows, as in Ziegler et al. 2019) with a scalar
/// head read at a final `<eos>` appended to the text.
///
/// Trained on comparisons of k texts with the softmax (Plackett–Luce first choice) loss
///
///   L = −log softmax(r_φ(y_1), …, r_φ(y_k))_chosen,
///
/// which for k = 2 is the Bradley–Terry loss −log σ(r_φ(y_w) − r_φ(y_l)).
public final class RewardModel: Module {
    public let tokenizer: any Tokenizer
    public let gpt: GPT
    public let head: Linear
    public let config: RewardModelConfig

    /// A reward model whose trunk starts as a copy of `model`'s and whose head is zero.
    public init(_ model: LanguageModel, config: RewardModelConfig = RewardModelConfig()) throws {
        var rng = RNG(seed: config.seed)
        tokenizer = model.tokenizer
        gpt = try model.copy().gpt
        head = try Linear(model.config.dModel, 1, rng: &rng)
        try head.weight.assign(Tensor.zeros(head.weight.shape))
        self.config = config
        super.init()
        addChild("gpt", gpt)
        addChild("head", head)
    }

    /// Token rows `<eos> prompt text <eos>`, padded, with the index of each row's last token.
    func encode(_ texts: [String], prompt: String) throws -> (tokens: Tensor, last: Tensor) {
        let p = [SpecialToken.eos] + (try tokenizer.encode(prompt))
        let room = gpt.config.contextLength - p.count - 1
        guard room >= 1 else {
            throw RLHFError("RewardModel: the prompt (\(p.count) tokens with <eos>) leaves no room for a text in the context of \(gpt.config.contextLength)")
        }
        // A text longer than the context is read up to the context (a generated text
        // re-encoded can take a few more tokens than were sampled).
        let rows = texts.map { p + readable($0).prefix(room) + [SpecialToken.eos] }
        let t = rows.map(\.count).max() ?? 1
        var ids = [Float](repeating: Float(SpecialToken.pad), count: rows.count * t)
        var last = [Float](repeating: 0, count: rows.count * t)
        for (r, row) in rows.enumerated() {
            for (i, id) in row.enumerated() { ids[r * t + i] = Float(id) }
            last[r * t + row.count - 1] = 1
        }
        return (try Tensor(ids, shape: [rows.count, t]), try Tensor(last, shape: [rows.count, t, 1]))
    }

    /// The ids of `text`; characters the tokenizer refuses (a sampled `<unk>` decodes to
    /// "<unk>") are dropped, so that any generated text can be scored.
    func readable(_ text: String) -> [Int] {
        if let ids = try? tokenizer.encode(text) { return ids }
        let kept = text.filter { (try? tokenizer.encode(String($0))) != nil }
        return (try? tokenizer.encode(kept)) ?? []
    }

    /// r_φ of each text [B] (differentiable). Padding follows the read position, and the
    /// attention is causal, so it never changes a score.
    public func scores(_ texts: [String], prompt: String = "") throws -> Tensor {
        let (tokens, last) = try encode(texts, prompt: prompt)
        let h = try gpt.transformer(gpt.tokenEmbedding(tokens))          // [B, T, C]
        let final = try (h * last).sum(axis: 1)                           // [B, C]
        return try head(final).reshape([texts.count])                    // [B, 1] → [B]
    }

    /// r_φ of each text, without a gradient, 64 texts per forward pass.
    public func score(_ texts: [String], prompt: String = "") throws -> [Float] {
        var out: [Float] = []
        out.reserveCapacity(texts.count)
        var start = 0
        while start < texts.count {
            let chunk = Array(texts[start..<min(texts.count, start + 64)])
            out += try noGrad { try scores(chunk, prompt: prompt) }.scalars
            start += 64
        }
        return out
    }

    /// The comparison loss on a set of comparisons (differentiable).
    public func loss(_ data: ComparisonDataset, rows: [Int]) throws -> Tensor {
        let k = data.size
        let texts = rows.flatMap { data.comparisons[$0].map { data.texts[$0] } }
        let s = try scores(texts, prompt: data.prompt).reshape([rows.count, k])   // [B·k] → [B, k]
        let target = try Tensor(rows.map { Float(data.chosen[$0]) }, shape: [rows.count, 1])
        return try s.logSoftmax(axis: 1).gather(axis: 1, target).mean().neg()
    }

    /// The fraction of comparisons whose chosen text gets the highest score.
    public func accuracy(on data: ComparisonDataset) throws -> Double {
        guard data.count > 0 else { return 0 }
        let texts = data.comparisons.flatMap { $0.map { data.texts[$0] } }
        let s = try score(texts, prompt: data.prompt)
        let k = data.size
        var right = 0
        for n in 0..<data.count {
            let row = s[(n * k)..<(n * k + k)]
            let best = row.indices.max { row[$0] < row[$1] }! - n * k
            if best == data.chosen[n] { right += 1 }
        }
        return Double(right) / Double(data.count)
    }

    public struct TrainingReport: Sendable {
        /// The loss of each minibatch.
        public var losses: [Float]
        public var trainAccuracy: Double
        /// Accuracy on the held-out comparisons (nil without them).
        public var heldOutAccuracy: Double?
    }

    /// Trains on `data` with Adam for `config.epochs` epochs and measures the accuracy on
    /// `heldOut`.
    public func train(on data: ComparisonDataset, heldOut: ComparisonDataset? = nil) throws -> TrainingReport {
        guard data.count > 0 else { throw RLHFError("RewardModel.train: no comparisons") }
        let opt = try Adam(self, learningRate: config.learningRate)
        var rng = RNG(seed: config.seed &+ 1)
        var losses: [Float] = []
        train()
        for _ in 0..<config.epochs {
            var order = Array(0..<data.count)
            rng.shuffle(&order)
            var start = 0
            while start < order.count {
                let rows = Array(order[start..<min(order.count, start + config.batchSize)])
                start += config.batchSize
                opt.zeroGrad()
                let l = try loss(data, rows: rows)
                try l.backward()
                _ = try clipGradNorm(parameters, maxNorm: 1)
                try opt.step()
                losses.append(try l.item())
            }
        }
        eval()
        return TrainingReport(losses: losses, trainAccuracy: try accuracy(on: data), heldOutAccuracy: try heldOut.map { try accuracy(on: $0) })
    }
}
