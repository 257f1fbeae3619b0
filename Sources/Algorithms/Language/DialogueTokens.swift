import Environments
import Foundation
import NeuralNets
import TensorCore

// Logged dialogues as the token rows that BC fine-tuning and ILQL learn from, and the
// utterance sampler that plays a language model (with or without ILQL's perturbation) as
// the agent of a dialogue.
//
// A dialogue is read as `<eos>` followed by its segments, each encoded on its own (so a
// token never spans the environment's words and the agent's). Position t of a row predicts
// token t + 1; it is an **action** when that token belongs to an utterance. Rewards sit on
// the last token of each utterance; the state after an utterance's last token is the first
// token of the agent's next utterance (the environment's words in between are not actions).

/// One dialogue as tokens, with ILQL's per-position targets.
struct DialogueRow {
    /// `<eos>` and the dialogue's tokens.
    var ids: [Int]
    /// [ids.count − 1]: whether the token at t + 1 is the agent's.
    var action: [Bool]
    /// [ids.count − 1]: the reward of an utterance on its last token, 0 elsewhere.
    var reward: [Float]
    /// [ids.count − 1]: the position of the next action (its state s′), or t itself at the end.
    var next: [Int]
    /// [ids.count − 1]: no action follows (the dialogue ended after this token).
    var done: [Bool]
}

/// A padded minibatch of dialogue rows: [B, T] tensors with T the longest row minus one.
struct DialogueBatch {
    var inputs: Tensor, targets: Tensor
    /// 1 on real (non-padding) positions.
    var valid: Tensor
    /// 1 on action positions.
    var action: Tensor
    var reward: Tensor, next: Tensor, done: Tensor
    var count: Int { inputs.shape[0] }
    var length: Int { inputs.shape[1] }
}

enum DialogueTokens {
    /// Tokenizes every dialogue of `data` for `model`, checking that each fits its context.
    /// With `truncate`, a dialogue longer than the context is cut to it (for scoring text a
    /// model wrote); otherwise it is an error.
    static func rows(_ data: DialogueDataset, model: LanguageModel, component: String, truncate: Bool = false) throws -> [DialogueRow] {
        try require(data.count > 0, component, "the dialogue dataset is empty")
        return try data.dialogues.enumerated().map { (d, dialogue) in
            var ids = [SpecialToken.eos]
            var utterances: [Range<Int>] = []       // target positions of each utterance
            for turn in dialogue.turns {
                ids += try model.tokenizer.encode(turn.context)
                let u = try model.tokenizer.encode(turn.utterance)
                try require(!u.isEmpty, component, "dialogue \(d) has an empty utterance")
                utterances.append((ids.count - 1) ..< (ids.count - 1 + u.count))
                ids += u
            }
            ids += try model.tokenizer.encode(dialogue.closing)
            if truncate, ids.count > model.config.contextLength + 1 {
                ids = Array(ids.prefix(model.config.contextLength + 1))
                utterances = utterances.compactMap { r in r.lowerBound >= ids.count - 1 ? nil : r.lowerBound ..< min(r.upperBound, ids.count - 1) }
            }
            try require(ids.count <= model.config.contextLength + 1, component,
                        "dialogue \(d) is \(ids.count) tokens with <eos>, more than the model's context of \(model.config.contextLength) plus one")
            let n = ids.count - 1
            var row = DialogueRow(ids: ids, action: .init(repeating: false, count: n), reward: .init(repeating: 0, count: n),
                                  next: Array(0..<n), done: .init(repeating: false, count: n))
            for (k, r) in utterances.enumerated() {
                for t in r {
                    row.action[t] = true
                    if t + 1 < r.upperBound { row.next[t] = t + 1 } else if k + 1 < utterances.count { row.next[t] = utterances[k + 1].lowerBound } else { row.done[t] = true }
                }
                row.reward[r.upperBound - 1] = dialogue.turns[k].reward
            }
            return row
        }
    }

    /// The rows `indices` padded to a common length.
    static func batch(_ rows: [DialogueRow], _ indices: [Int]) throws -> DialogueBatch {
        let t = indices.map { rows[$0].ids.count - 1 }.max()!
        let b = indices.count
        var x = [Float](repeating: Float(SpecialToken.pad), count: b * t), y = x
        var valid = [Float](repeating: 0, count: b * t), action = valid, reward = valid, done = valid
        var next = [Float](repeating: 0, count: b * t)
        for (r, i) in indices.enumerated() {
            let row = rows[i]
            for p in 0..<(row.ids.count - 1) {
                let k = r * t + p
                x[k] = Float(row.ids[p])
                y[k] = Float(row.ids[p + 1])
                valid[k] = 1
                action[k] = row.action[p] ? 1 : 0
                reward[k] = row.reward[p]
                next[k] = Float(row.next[p])
                done[k] = row.done[p] ? 1 : 0
            }
            for p in (row.ids.count - 1) ..< t { next[r * t + p] = Float(p) }
        }
        func tensor(_ v: [Float]) throws -> Tensor { try Tensor(v, shape: [b, t]) }
        return DialogueBatch(inputs: try tensor(x), targets: try tensor(y), valid: try tensor(valid), action: try tensor(action),
                             reward: try tensor(reward), next: try tensor(next), done: try tensor(done))
    }

    /// The final hidden states [B, T, C] of `gpt` on token ids [B, T].
    static func hidden(_ gpt: GPT, _ tokens: Tensor) throws -> Tensor {
        try gpt.transformer(gpt.tokenEmbedding(tokens))
    }

    /// The language-model logits [..., V] of hidden states [..., C] (the tied or separate head).
    static func lmLogits(_ gpt: GPT, _ h: Tensor) throws -> Tensor {
        try Tensor.linear(h, weight: gpt.head?.weight.value ?? gpt.tokenEmbedding.weight.value, bias: nil)
    }

    /// Token rows right-padded to one length: [N, T] ids and each row's last real position.
    static func padded(_ prompts: [[Int]]) throws -> (tokens: Tensor, last: [Int]) {
        let t = prompts.map(\.count).max()!
        var x = [Float](repeating: Float(SpecialToken.pad), count: prompts.count * t)
        for (r, p) in prompts.enumerated() { for (i, id) in p.enumerated() { x[r * t + i] = Float(id) } }
        return (try Tensor(x, shape: [prompts.count, t]), prompts.map { $0.count - 1 })
    }

    /// The hidden state [N, C] at each row's last real position.
    static func lastHidden(_ gpt: GPT, _ prompts: [[Int]]) throws -> Tensor {
        let (x, last) = try padded(prompts)
        let h = try hidden(gpt, x)                                                        // [N, T, C]
        let c = gpt.config.dModel
        var index = [Float](repeating: 0, count: prompts.count * c)
        for (r, p) in last.enumerated() { for j in 0..<c { index[r * c + j] = Float(p) } }
        return try h.gather(axis: 1, Tensor(index, shape: [prompts.count, 1, c])).reshape([prompts.count, c])   // [N, C]
    }

    /// Samples one utterance per prompt, token by token, until a token holding a newline (or
    /// `maxTokens`); `logits` maps the token rows still speaking (each the prompt and what
    /// it has said so far) to their next-token logits, N × V floats. Temperature 0 takes the most likely token.
    static func speak(_ model: LanguageModel, prompts: [String], maxTokens: Int, temperature: Float, rng: inout RNG,
                      logits: ([[Int]]) throws -> [Float]) throws -> [String] {
        try require(maxTokens >= 1, "speak", "maxTokens must be at least 1, got \(maxTokens)")
        try require(temperature >= 0 && temperature.isFinite, "speak", "temperature must be >= 0, got \(temperature)")
        var rows = try prompts.map { try model.promptIds($0) }
        var said = [[Int]](repeating: [], count: prompts.count)
        var active = Array(prompts.indices)
        let v = model.config.vocabSize
        let tokens = model.tokenizer.tokens
        for _ in 0..<maxTokens where !active.isEmpty {
            if let long = active.first(where: { rows[$0].count >= model.config.contextLength }) {
                throw AlgorithmError("speak", "dialogue \(long) has grown to \(rows[long].count) tokens, the model's whole context")
            }
            let z = try noGrad { try logits(active.map { rows[$0] }) }
            var still: [Int] = []
            for (k, r) in active.enumerated() {
                // The special tokens are not words: an utterance never holds them.
                var row = Array(z[(k * v) ..< ((k + 1) * v)])
                for s in 0..<SpecialToken.count { row[s] = -.infinity }
                let token = temperature == 0 ? argmax(row) : sample(row, temperature: temperature, rng: &rng)
                rows[r].append(token)
                said[r].append(token)
                if !tokens[token].contains("\n") { still.append(r) }
            }
            active = still
        }
        return try said.map { try model.tokenizer.decode($0) }
    }

    static func argmax(_ z: [Float]) -> Int {
        var best = 0
        for i in 1..<z.count where z[i] > z[best] { best = i }
        return best
    }

    static func sample(_ z: [Float], temperature: Float, rng: inout RNG) -> Int {
        let m = z.max()!
        let w = z.map { Foundation.exp(Double(($0 - m) / temperature)) }
        var u = rng.uniformDouble() * w.reduce(0, +)
        for (i, x) in w.enumerated() {
            u -= x
            if u <= 0 { return i }
        }
        return z.count - 1
    }
}

