import Foundation
import TensorCore

/// What `GPT.generate` returns, row by row.
public struct Generation: Sendable, Equatable {
    /// The new tokens of each row (after the prompt), up to and including the stop token
    /// when one was drawn.
    public var tokens: [[Int]]
    /// log π(token | prompt, earlier tokens) of each new token under the model itself —
    /// softmax of the raw logits, whatever the temperature, top-k or top-p used to draw
    /// it — the log-probability that policy gradients, PPO's ratio and the KL to a
    /// reference model need.
    public var logProbabilities: [[Float]]
}

extension GPT {
    /// Samples up to `maxNewTokens` tokens after each prompt, all rows at once with a
    /// KV cache: prompts are read (a shared prefix in one block, the rest token by token)
    /// and each step feeds one token per row. A row stops after `stopToken`.
    ///
    /// Throws when a prompt is empty, holds an id outside the vocabulary, or when the
    /// longest prompt plus `maxNewTokens` exceeds the context length; and for sampling
    /// options outside their ranges.
    public func generate(prompts: [[Int]], maxNewTokens: Int, sampling: SamplingOptions = SamplingOptions(),
                         stopToken: Int? = nil, rng: inout RNG, decoder: GPTDecoder? = nil) throws -> Generation {
        try sampling.validate()
        guard !prompts.isEmpty else { throw LayerError("GPT.generate", "needs at least one prompt") }
        guard maxNewTokens >= 0 else { throw LayerError("GPT.generate", "maxNewTokens must be >= 0, got \(maxNewTokens)") }
        let v = config.vocabSize
        for (r, p) in prompts.enumerated() {
            guard !p.isEmpty else { throw LayerError("GPT.generate", "prompt \(r) is empty (start it with the <eos> token)") }
            if let bad = p.firstIndex(where: { $0 < 0 || $0 >= v }) {
                throw LayerError("GPT.generate", "prompt \(r) has token id \(p[bad]) at position \(bad), outside the vocabulary 0..<\(v)")
            }
        }
        let longest = prompts.map(\.count).max()!, shortest = prompts.map(\.count).min()!
        guard longest + maxNewTokens <= config.contextLength + 1 else {
            throw LayerError("GPT.generate", "a prompt of \(longest) tokens plus \(maxNewTokens) new tokens does not fit the context length \(config.contextLength)")
        }
        let b = prompts.count
        var out = Generation(tokens: [[Int]](repeating: [], count: b), logProbabilities: [[Float]](repeating: [], count: b))
        if maxNewTokens == 0 { return out }
        let dec = decoder ?? GPTDecoder(self)
        let cache = try dec.makeCache(batch: b, capacity: min(config.contextLength, longest + maxNewTokens - 1))
        var logits: [Float] = []
        // The shared part of the prompts (all but each prompt's last token) in one block.
        let block = shortest - 1
        if block > 0 {
            try dec.step(prompts.flatMap { $0.prefix(block) }, count: block, cache: cache, logits: &logits)
        }
        var done = [Bool](repeating: false, count: b)
        var next = prompts.map { $0[block] }
        // Per row, for the step in flight: whether it draws a token, the uniform number it
        // draws with, and the token and its log-probability. The numbers are drawn in row
        // order before the step, as many as rows draw, so that the rows can be sampled on
        // the threads that computed their logits and give the same tokens.
        let drawing = UnsafeMutablePointer<Bool>.allocate(capacity: b)
        let uniforms = UnsafeMutablePointer<Float>.allocate(capacity: b)
        let drawn = UnsafeMutablePointer<Int>.allocate(capacity: b)
        let drawnLogP = UnsafeMutablePointer<Float>.allocate(capacity: b)
        let probabilities = UnsafeMutablePointer<Float>.allocate(capacity: b * v)
        defer { drawing.deallocate(); uniforms.deallocate(); drawn.deallocate(); drawnLogP.deallocate(); probabilities.deallocate() }
        var position = block  // the position of the tokens in `next`
        while true {
            for r in 0..<b {
                drawing[r] = position + 1 >= prompts[r].count && !done[r]
                if drawing[r] && sampling.temperature != 0 { uniforms[r] = rng.uniform() }
            }
            try dec.step(next, count: 1, cache: cache, logits: &logits) { rows, z in
                for r in rows where drawing[r] {
                    (drawn[r], drawnLogP[r]) = sampling.draw(z + r * v, count: v, probabilities: probabilities + r * v, uniform: uniforms[r])
                }
            }
            var anyActive = false
            for r in 0..<b {
                let p = prompts[r]
                if position + 1 < p.count {  // still reading the prompt
                    next[r] = p[position + 1]
                    anyActive = true
                    continue
                }
                if done[r] { next[r] = 0; continue }
                let token = drawn[r]
                out.tokens[r].append(token)
                out.logProbabilities[r].append(drawnLogP[r])
                if token == stopToken || out.tokens[r].count == maxNewTokens { done[r] = true } else { anyActive = true }
                next[r] = token
            }
            position += 1
            if !anyActive { break }
        }
        return out
    }

    /// log p(x_t | x_<t) for t = 1 ..< T of each row of `tokens` [B, T] → [B, T − 1], through
    /// the full forward pass (differentiable: the log-likelihoods a fine-tuning loss, DPO's
    /// or PPO's ratio, back-propagates through).
    public func tokenLogProbabilities(_ tokens: Tensor) throws -> Tensor {
        guard tokens.rank == 2, tokens.shape[1] >= 2 else {
            throw LayerError("GPT.tokenLogProbabilities", "expected tokens of shape [batch, time] with time >= 2, got \(shapeString(tokens.shape))")
        }
        let (b, t) = (tokens.shape[0], tokens.shape[1])
        let input = try tokens.narrow(axis: 1, start: 0, length: t - 1)
        let target = try tokens.narrow(axis: 1, start: 1, length: t - 1).reshape([b, t - 1, 1])
        return try self(input).logSoftmax(axis: -1).gather(axis: 2, target).reshape([b, t - 1])  // [B, T−1, V] → [B, T−1]
    }
}
