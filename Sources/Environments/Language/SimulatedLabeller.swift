import Foundation
import TensorCore

/// A simulated human labeller: it holds a hidden gold reward over texts and answers
/// comparisons with Bradley–Terry noise (Bradley & Terry 1952; Christiano et al. 2017):
///
///   P(a ≻ b) = σ((gold(a) − gold(b)) / τ),
///
/// and, shown k texts, picks text i with probability softmax(gold / τ)_i (the first choice
/// of a Plackett–Luce ranking, the 4-way comparisons of Stiennon et al. 2020 / Ziegler et
/// al. 2019). τ → 0 is a perfect labeller; a large τ is a coin.
public struct SimulatedLabeller: Sendable {
    /// τ > 0, the noise temperature.
    public let temperature: Double
    let goldReward: @Sendable (String) -> Double

    /// Throws for τ ≤ 0.
    public init(temperature: Double = 1, gold: @escaping @Sendable (String) -> Double = ReviewTask.gold) throws {
        guard temperature > 0, temperature.isFinite else {
            throw EnvironmentError.invalidArgument(environment: "SimulatedLabeller", argument: "temperature", value: "\(temperature)", allowed: "a finite number > 0")
        }
        self.temperature = temperature
        goldReward = gold
    }

    /// The hidden gold reward (for measuring, never for training).
    public func gold(_ text: String) -> Double { goldReward(text) }

    /// The probability of each of `texts` being chosen.
    public func choiceProbabilities(_ texts: [String]) -> [Double] {
        let z = texts.map { gold($0) / temperature }
        let m = z.max() ?? 0
        let e = z.map { Foundation.exp($0 - m) }
        let s = e.reduce(0, +)
        return e.map { $0 / s }
    }

    /// The index of the text the labeller prefers among `texts` (two for a pairwise
    /// comparison, four for a best-of-4).
    public func choose(_ texts: [String], rng: inout RNG) -> Int {
        let p = choiceProbabilities(texts)
        var u = Double(rng.uniform())
        for (i, x) in p.enumerated() {
            u -= x
            if u < 0 { return i }
        }
        return p.count - 1
    }
}
