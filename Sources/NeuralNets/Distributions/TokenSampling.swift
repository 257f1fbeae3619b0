import CBLAS
import Foundation
import TensorCore

/// How a language model's next token is drawn from its logits z: divide by the
/// temperature τ, keep the k most likely tokens (top-k, Fan et al. 2018), keep the
/// smallest set whose probability reaches p (nucleus or top-p, Holtzman et al. 2020),
/// renormalise, and sample. τ = 0 is greedy decoding (the argmax).
public struct SamplingOptions: Sendable, Equatable {
    /// τ ≥ 0: softmax(z / τ); 0 picks the most likely token.
    public var temperature: Float
    /// Keep only the k most likely tokens (nil: all).
    public var topK: Int?
    /// p in (0, 1]: keep the most likely tokens until their probability reaches p (1: all).
    public var topP: Float

    public init(temperature: Float = 1, topK: Int? = nil, topP: Float = 1) {
        self.temperature = temperature
        self.topK = topK
        self.topP = topP
    }

    /// Throws for τ < 0, k < 1 or p outside (0, 1], naming the value.
    public func validate() throws {
        guard temperature >= 0, temperature.isFinite else {
            throw LayerError("sampling", "temperature must be a finite number >= 0 (0 is greedy), got \(temperature)")
        }
        if let topK, topK < 1 { throw LayerError("sampling", "top_k must be at least 1, got \(topK)") }
        guard topP > 0, topP <= 1 else {
            throw LayerError("sampling", "top_p must be in (0, 1] (1 keeps every token), got \(topP)")
        }
    }

    /// Draws a token from one row of logits; `probabilities` is scratch space of the row's size.
    public func sample(_ logits: UnsafePointer<Float>, count v: Int, probabilities p: UnsafeMutablePointer<Float>, rng: inout RNG) -> Int {
        draw(logits, count: v, probabilities: p, uniform: temperature == 0 ? 0 : rng.uniform()).token
    }

    /// Draws a token from one row of logits with `uniform` (in [0, 1), unused when greedy) as
    /// the random number, and returns it with its log-probability under the model itself —
    /// log softmax of the raw logits, whatever the temperature, top-k or top-p.
    func draw(_ logits: UnsafePointer<Float>, count v: Int, probabilities p: UnsafeMutablePointer<Float>,
              uniform: Float) -> (token: Int, logProbability: Float) {
        var top: Float = 0
        // log Σ_j e^{z_j − max z}, the normaliser of the log-probability.
        let logNormaliser: Float? = temperature == 1 || temperature == 0 ? nil : Foundation.log(memento_softmax_weights(logits, v, 1, p, &top))
        var total = memento_softmax_weights(logits, v, temperature == 0 ? 1 : temperature, p, &top)
        let normaliser = logNormaliser ?? Foundation.log(total)
        if temperature == 0 {
            var best = 0
            for j in 1..<max(v, 1) where logits[j] > logits[best] { best = j }
            return (best, logits[best] - top - normaliser)
        }
        if let topK, topK < v {
            // The k-th largest probability: everything below it is dropped (ties kept).
            var sorted = (0..<v).map { p[$0] }
            sorted.sort(by: >)
            let threshold = sorted[topK - 1]
            total = 0
            for j in 0..<v {
                if p[j] < threshold { p[j] = 0 }
                total += p[j]
            }
        }
        if topP < 1 {
            let order = (0..<v).sorted { p[$0] > p[$1] || (p[$0] == p[$1] && $0 < $1) }
            var cumulative: Float = 0
            var kept = 0
            for j in order {
                if cumulative >= topP * total { break }
                cumulative += p[j]
                kept += 1
            }
            for j in order[kept...] { p[j] = 0 }
            total = cumulative
        }
        var u = uniform * total
        var last = 0
        for j in 0..<v where p[j] > 0 {
            last = j
            u -= p[j]
            if u < 0 { return (j, logits[j] - top - normaliser) }
        }
        return (last, logits[last] - top - normaliser)
    }
}
