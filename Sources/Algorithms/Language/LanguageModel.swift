import Environments
import Foundation
import NeuralNets
import TensorCore

/// A small GPT with its tokenizer: the language model of lessons 10–12. Text in, text out,
/// with the log-probabilities that treat it as a policy over tokens.
///
/// - `generate` samples continuations of many prompts at once with a KV cache
///   (temperature, top-k, top-p), returning each new token's log-probability under the model.
/// - `logProbabilities(of:after:)` scores given text token by token (no gradient);
///   `sequenceLogProbabilities` does the same through the differentiable forward pass, for
///   losses (fine-tuning, DPO, PPO's ratio, a KL to a reference).
/// - `copy()` is a frozen reference model (separate weights); `save` / `load` write and read
///   a safetensors checkpoint with the tokenizer and the configuration in its metadata.
///
/// A text is read as `<eos>` followed by its tokens; a prompt's continuation is generated
/// until `<eos>` (or the token budget).
public final class LanguageModel {
    public let tokenizer: any Tokenizer
    public let gpt: GPT

    public var config: GPTConfig { gpt.config }

    /// A fresh model: a GPT of the given size over `tokenizer`'s vocabulary.
    public init(tokenizer: any Tokenizer, contextLength: Int = 64, dModel: Int = 128, heads: Int = 4, layers: Int = 2,
                seed: UInt64 = 0) throws {
        var rng = RNG(seed: seed)
        self.tokenizer = tokenizer
        gpt = try GPT(GPTConfig(vocabSize: tokenizer.vocabularySize, contextLength: contextLength, dModel: dModel,
                                heads: heads, layers: layers), rng: &rng)
    }

    init(tokenizer: any Tokenizer, gpt: GPT) {
        self.tokenizer = tokenizer
        self.gpt = gpt
    }

    /// The ids of `text` after `<eos>` (a prompt, or a whole text to score).
    public func promptIds(_ text: String) throws -> [Int] {
        [SpecialToken.eos] + (try tokenizer.encode(text))
    }

    // MARK: - Sampling

    /// One generated continuation.
    public struct Sample: Sendable, Equatable {
        public var prompt: String
        /// The continuation's text (`<eos>` dropped).
        public var text: String
        /// Its token ids (ending with `<eos>` when the model ended the text).
        public var tokens: [Int]
        /// log π(token | prompt, earlier tokens) of each token under the model.
        public var logProbabilities: [Float]
        /// The sum of `logProbabilities`: log π(continuation | prompt).
        public var logProbability: Float { logProbabilities.reduce(0, +) }
    }

    /// Continues every prompt by up to `maxNewTokens` tokens, stopping a row at `<eos>`.
    /// Throws when a prompt has a character outside the tokenizer's alphabet (naming it),
    /// when a prompt plus `maxNewTokens` exceeds the context, or for bad sampling options.
    public func generate(_ prompts: [String], maxNewTokens: Int, sampling: SamplingOptions = SamplingOptions(),
                         rng: inout RNG) throws -> [Sample] {
        let ids = try prompts.map { try promptIds($0) }
        if let longest = ids.map(\.count).max(), longest > config.contextLength {
            throw LanguageModelError("a prompt of \(longest) tokens (with <eos>) is longer than the context of \(config.contextLength) tokens")
        }
        let g = try gpt.generate(prompts: ids, maxNewTokens: maxNewTokens, sampling: sampling, stopToken: SpecialToken.eos, rng: &rng)
        return try prompts.indices.map { r in
            Sample(prompt: prompts[r], text: try tokenizer.decode(g.tokens[r]), tokens: g.tokens[r], logProbabilities: g.logProbabilities[r])
        }
    }

    // MARK: - Scoring

    /// log p(token | prompt, earlier tokens) for each token of `continuation` after `prompt`,
    /// with each token's text. No gradient.
    public func logProbabilities(of continuation: String, after prompt: String = "") throws -> [(token: String, logProbability: Float)] {
        let head = try promptIds(prompt), tail = try tokenizer.encode(continuation)
        let all = head + tail
        guard all.count <= config.contextLength + 1 else {
            throw LanguageModelError("prompt and continuation are \(all.count) tokens with <eos>, more than the context of \(config.contextLength) plus one")
        }
        guard !tail.isEmpty else { return [] }
        let lp = try noGrad { try gpt.tokenLogProbabilities(Tensor(all.map(Float.init), shape: [1, all.count])) }.scalars
        return tail.enumerated().map { (i, id) in (tokenizer.tokens[id], lp[head.count - 1 + i]) }
    }

    /// Token ids of prompt + continuation pairs, padded to a common length, with a mask of
    /// the continuation's positions: what `sequenceLogProbabilities` reads.
    public struct Batch {
        /// [B, T] ids (`<eos>`, prompt, continuation, padding).
        public var tokens: Tensor
        /// [B, T − 1]: 1 where the target token belongs to the continuation.
        public var mask: Tensor
    }

    /// Encodes (prompt, continuation) pairs as one padded batch.
    public func batch(prompts: [String], continuations: [String]) throws -> Batch {
        guard prompts.count == continuations.count, !prompts.isEmpty else {
            throw LanguageModelError("needs as many prompts as continuations (at least one), got \(prompts.count) and \(continuations.count)")
        }
        let rows = try zip(prompts, continuations).map { (p, c) in (try promptIds(p), try tokenizer.encode(c)) }
        let t = rows.map { $0.0.count + $0.1.count }.max()!
        guard t <= config.contextLength + 1 else {
            throw LanguageModelError("a prompt with its continuation is \(t) tokens with <eos>, more than the context of \(config.contextLength) plus one")
        }
        var ids = [Float](repeating: Float(SpecialToken.pad), count: rows.count * t)
        var mask = [Float](repeating: 0, count: rows.count * (t - 1))
        for (r, (p, c)) in rows.enumerated() {
            for (i, id) in (p + c).enumerated() { ids[r * t + i] = Float(id) }
            for i in 0..<c.count { mask[r * (t - 1) + p.count - 1 + i] = 1 }
        }
        return Batch(tokens: try Tensor(ids, shape: [rows.count, t]), mask: try Tensor(mask, shape: [rows.count, t - 1]))
    }

    /// log p of each target token [B, T − 1] (differentiable), times `batch.mask`: sum over
    /// axis 1 for log π(continuation | prompt).
    public func sequenceLogProbabilities(_ batch: Batch) throws -> Tensor {
        try gpt.tokenLogProbabilities(batch.tokens) * batch.mask
    }

    // MARK: - Pretraining

    public struct PretrainingOptions: Sendable {
        /// Optimizer steps.
        public var steps = 300
        /// Windows of `contextLength` + 1 tokens per step.
        public var batch = 32
        /// AdamW's peak learning rate (linear warm-up over `warmup` steps, then cosine to 10 %).
        public var learningRate: Float = 3e-3
        public var warmup = 20
        public var weightDecay: Float = 0.01
        /// Global gradient-norm clip.
        public var clip: Float = 1
        public var seed: UInt64 = 0
        public init() {}
    }

    /// What `pretrain` measured.
    public struct PretrainingReport: Sendable {
        /// The training loss (mean next-token cross-entropy, nats) of each step.
        public var losses: [Float]
        /// exp(mean validation cross-entropy) after training.
        public var validationPerplexity: Double
        /// Wall-clock seconds of the training steps.
        public var seconds: Double
        public var tokensPerStep: Int
    }

    /// Trains on random windows of `documents` (each read as `<eos>` + text) with AdamW and
    /// reports the validation perplexity on `validation`.
    public func pretrain(documents: [String], validation: [String], options: PretrainingOptions = PretrainingOptions()) throws -> PretrainingReport {
        let stream = try documents.flatMap { try promptIds($0) }
        let t = config.contextLength
        guard stream.count > t + 1 else {
            throw LanguageModelError("the training documents are \(stream.count) tokens, fewer than one window of \(t + 1)")
        }
        guard options.steps >= 1, options.batch >= 1 else {
            throw LanguageModelError("steps and batch must be at least 1, got \(options.steps) and \(options.batch)")
        }
        let opt = try AdamW(gpt, learningRate: options.learningRate, weightDecay: options.weightDecay)
        var rng = RNG(seed: options.seed)
        var losses: [Float] = []
        gpt.train()
        let start = Date()
        for step in 0..<options.steps {
            let warm = Float(step + 1) / Float(max(options.warmup, 1))
            let progress = Float(step) / Float(max(options.steps - 1, 1))
            opt.learningRate = options.learningRate * (step < options.warmup ? warm : 0.1 + 0.45 * (1 + cos(Float.pi * progress)))
            var x = [Float](), y = [Float]()
            x.reserveCapacity(options.batch * t)
            y.reserveCapacity(options.batch * t)
            for _ in 0..<options.batch {
                let o = rng.int(below: stream.count - t)
                for i in 0..<t { x.append(Float(stream[o + i])); y.append(Float(stream[o + i + 1])) }
            }
            opt.zeroGrad()
            let loss = try crossEntropyLoss(logits: gpt(Tensor(x, shape: [options.batch, t])), targets: Tensor(y, shape: [options.batch, t]))
            try loss.backward()
            _ = try clipGradNorm(gpt, maxNorm: options.clip)
            try opt.step()
            losses.append(try loss.item())
        }
        let seconds = Date().timeIntervalSince(start)
        gpt.eval()
        return PretrainingReport(losses: losses, validationPerplexity: try perplexity(validation), seconds: seconds,
                                 tokensPerStep: options.batch * t)
    }

    /// exp of the mean next-token cross-entropy over `documents`, read as one stream of
    /// `<eos>`-separated texts cut into windows of `contextLength` + 1.
    public func perplexity(_ documents: [String]) throws -> Double {
        let stream = try documents.flatMap { try promptIds($0) } + [SpecialToken.eos]
        let t = config.contextLength
        var total = 0.0, count = 0
        var start = 0
        while start + 1 < stream.count {
            // Up to 32 windows per forward pass; the last one may be shorter.
            var windows: [[Int]] = []
            while windows.count < 32, start + 1 < stream.count {
                windows.append(Array(stream[start..<min(stream.count, start + t + 1)]))
                start += t
            }
            for group in Dictionary(grouping: windows, by: \.count).values {
                let n = group[0].count
                let lp = try noGrad { try gpt.tokenLogProbabilities(Tensor(group.flatMap { $0.map(Float.init) }, shape: [group.count, n])) }
                total -= Double(lp.scalars.reduce(0, +))
                count += group.count * (n - 1)
            }
        }
        guard count > 0 else { throw LanguageModelError("perplexity needs text of at least one token") }
        return Foundation.exp(total / Double(count))
    }

    // MARK: - Reference model and checkpoints

    /// A copy with its own weights: the frozen reference π₀ of a KL penalty.
    public func copy() throws -> LanguageModel {
        var rng = RNG(seed: 0)
        let twin = try GPT(config, rng: &rng)
        try twin.copyParameters(from: gpt)
        twin.eval()
        return LanguageModel(tokenizer: tokenizer, gpt: twin)
    }

    /// Writes the weights as safetensors, with the tokenizer and configuration as metadata.
    public func save(to path: String) throws {
        var meta = ["format": "memento-language-model", "context_length": "\(config.contextLength)", "d_model": "\(config.dModel)",
                    "heads": "\(config.heads)", "layers": "\(config.layers)", "vocab_size": "\(config.vocabSize)",
                    "unknown": tokenizer.unknown.rawValue]
        switch tokenizer {
        case let bpe as BPETokenizer:
            meta["tokenizer"] = "bpe"
            meta["alphabet"] = bpe.alphabet
            meta["merges"] = bpe.merges.map { "\($0.left) \($0.right)" }.joined(separator: ",")
        case let chars as CharacterTokenizer:
            meta["tokenizer"] = "character"
            meta["alphabet"] = chars.tokens.dropFirst(SpecialToken.count).joined()
        default:
            throw LanguageModelError("cannot save a model whose tokenizer is \(tokenizer.name) (character and BPE tokenizers can be saved)")
        }
        try gpt.saveCheckpoint(to: path, metadata: meta)
    }

    /// Reads a model written by `save`.
    public static func load(from path: String) throws -> LanguageModel {
        let meta = try SafeTensors.readHeader(from: path).metadata
        guard meta["format"] == "memento-language-model" else {
            throw LanguageModelError("\(path) is not a language model checkpoint written by LanguageModel.save")
        }
        func int(_ key: String) throws -> Int {
            guard let v = meta[key].flatMap({ Int($0) }) else { throw LanguageModelError("\(path): metadata \(key) is missing or not an integer") }
            return v
        }
        let unknown = UnknownCharacterPolicy(rawValue: meta["unknown"] ?? "error") ?? .error
        let alphabet = meta["alphabet"] ?? ""
        let tokenizer: any Tokenizer
        if meta["tokenizer"] == "bpe" {
            let merges = try (meta["merges"] ?? "").split(separator: ",").map { m -> BPETokenizer.Pair in
                let parts = m.split(separator: " ").compactMap { Int($0) }
                guard parts.count == 2 else { throw LanguageModelError("\(path): a merge \"\(m)\" is not two ids") }
                return BPETokenizer.Pair(parts[0], parts[1])
            }
            tokenizer = try BPETokenizer(alphabet: alphabet, merges: merges, unknown: unknown)
        } else {
            tokenizer = try CharacterTokenizer(alphabet: alphabet, unknown: unknown)
        }
        guard tokenizer.vocabularySize == (try int("vocab_size")) else {
            throw LanguageModelError("\(path): the tokenizer has \(tokenizer.vocabularySize) tokens but the model \(try int("vocab_size"))")
        }
        let model = try LanguageModel(tokenizer: tokenizer, contextLength: try int("context_length"), dModel: try int("d_model"),
                                      heads: try int("heads"), layers: try int("layers"))
        _ = try model.gpt.loadCheckpoint(from: path)
        model.gpt.eval()
        return model
    }
}

/// A language model refusing a call.
public struct LanguageModelError: Error, CustomStringConvertible, Sendable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { "LanguageModel: \(message)" }
}
