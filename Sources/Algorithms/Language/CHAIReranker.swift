import Configuration
import TensorCore

// CHAI-style reranking: Verma, Fu, Yang & Levine, "CHAI: A CHatbot AI for Task-Oriented
// Dialogue with Offline Reinforcement Learning", NAACL 2022. Instead of changing how the
// language model writes, propose N whole utterances from it and let an offline Q-function
// choose:
//
//     u₁ … u_N ~ π(· | dialogue so far)          (sampled from the language model)
//     u* = argmax_k Q(dialogue so far, u_k)
//
// N = 1 is the language model itself; as N grows the choice covers more of what the model
// can say, and the result can only be as good as Q's ranking. Here Q is ILQL's value of an
// utterance's last token (`ILQL.utteranceValues`), trained on the same logs.

/// The settings of the reranker.
public struct CHAIConfig: Configurable {
    /// N, the candidates sampled per turn.
    public var candidates: Int = 4
    /// The temperature the candidates are sampled at.
    public var temperature: Float = 1
    /// The longest candidate, in tokens.
    public var maxTokens: Int = 8
    public init() {}

    public static let fields: [ConfigField<CHAIConfig>] = [
        ConfigField("candidates", \.candidates, "N, the candidate utterances sampled per turn", .atLeast(1)),
        ConfigField("temperature", \.temperature, "the sampling temperature of the candidates", .positive),
        ConfigField("max_tokens", \.maxTokens, "the longest candidate, in tokens", .atLeast(1)),
    ]
}

/// Picks the highest-Q of N sampled candidate utterances.
public final class CHAIReranker {
    public let config: CHAIConfig
    /// The proposal: the language model the candidates are sampled from.
    public let proposal: LanguageModel
    /// The offline Q over (dialogue so far, candidate).
    public let critic: ILQL

    public init(proposal: LanguageModel, critic: ILQL, config: CHAIConfig = CHAIConfig()) throws {
        try require(config.candidates >= 1, "CHAI", "the number of candidates N must be at least 1, got \(config.candidates)")
        try require(config.temperature > 0 && config.temperature.isFinite, "CHAI", "temperature must be > 0, got \(config.temperature)")
        try require(config.maxTokens >= 1, "CHAI", "maxTokens must be at least 1, got \(config.maxTokens)")
        guard proposal.tokenizer.name == critic.model.tokenizer.name else {
            throw AlgorithmError("CHAI", "the proposal model uses the tokenizer \(proposal.tokenizer.name) but the critic \(critic.model.tokenizer.name)")
        }
        self.config = config
        self.proposal = proposal
        self.critic = critic
    }

    /// The index of the largest score (the first on ties): the candidate chosen.
    public static func choose(_ scores: [Float]) throws -> Int {
        guard !scores.isEmpty else { throw AlgorithmError("CHAI", "there are no candidates to choose from") }
        var best = 0
        for (i, s) in scores.enumerated() where s > scores[best] { best = i }
        return best
    }

    /// The candidates of every prompt and their Q-values, row by row.
    public func candidates(after prompts: [String], rng: inout RNG) throws -> [(utterances: [String], q: [Float])] {
        let n = config.candidates
        let repeated = prompts.flatMap { Array(repeating: $0, count: n) }
        let said = try sampleUtterances(of: proposal, after: repeated, temperature: config.temperature, maxTokens: config.maxTokens, rng: &rng)
        let q = try critic.utteranceValues(prompts: repeated, candidates: said.map { $0.isEmpty ? " " : $0 })
        var out: [(utterances: [String], q: [Float])] = []
        for r in prompts.indices {
            let rows = (r * n) ..< ((r + 1) * n)
            out.append((Array(said[rows]), Array(q[rows])))
        }
        return out
    }

    /// The chosen utterance after each prompt.
    public func utterances(after prompts: [String], rng: inout RNG) throws -> [String] {
        try candidates(after: prompts, rng: &rng).map { c in c.utterances[try Self.choose(c.q)] }
    }
}
