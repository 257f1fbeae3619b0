import Foundation
import TensorCore

/// The token-level generation task RLHF fine-tunes in lesson 12: short reviews such as
/// "great food, cold room." — a list of adjective–noun pairs — with a hidden gold reward
/// that a simulated labeller (`SimulatedLabeller`) reveals only through comparisons.
///
/// ## Description
/// A review is `pair (", " pair)* "."` with `pair = adjective " " noun`. Five adjectives are
/// positive, five negative. The gold reward, the "human" taste the labellers have and the
/// learner never sees, is
///
///   gold(x) = Σ_pairs s(adjective) − λ · max(0, pairs − L)²  −  2 · [x is not a review],
///
/// s = +1 for a positive and −1 for a negative adjective, L the length the readers like
/// best (3 pairs) and λ the weight of their dislike of longer reviews (0.5). Text the
/// grammar cannot read (a cut-off review, a stray word) scores its readable pairs and the
/// malformation penalty.
///
/// ## Why the length term
/// The corpus has reviews of 1–6 pairs, but lesson 12's labellers compare only short samples
/// (at most 40 characters, about three pairs: short ones are cheap to read), so the length
/// dislike is never shown to the reward model: within its data "more positive pairs" is
/// always better, and a policy that writes ever longer positive reviews fools it — Gao et
/// al.'s (2022) over-optimisation by distribution shift, built in on purpose so that it can
/// be measured.
public enum ReviewTask {
    public static let positive = ["great", "good", "nice", "fresh", "lovely"]
    public static let negative = ["bad", "dull", "cold", "rude", "awful"]
    public static let nouns = ["food", "room", "staff", "view", "bed"]

    /// The corpus's distribution of review lengths (pairs 1…6).
    public static let lengthWeights: [Double] = [0.28, 0.28, 0.22, 0.12, 0.06, 0.04]

    /// The length readers like best (L) and the weight of their dislike of more (λ).
    public static let preferredPairs = 3
    public static let lengthPenalty = 0.5

    /// One review drawn from the corpus's grammar; `maxPairs` caps its length.
    public static func review(rng: inout RNG, maxPairs: Int = 6) -> String {
        let cap = max(1, min(maxPairs, lengthWeights.count))
        let w = Array(lengthWeights.prefix(cap))
        var u = Double(rng.uniform()) * w.reduce(0, +)
        var n = cap
        for (i, x) in w.enumerated() {
            u -= x
            if u < 0 { n = i + 1; break }
        }
        let pairs = (0..<n).map { _ -> String in
            let adjectives = rng.uniform() < 0.5 ? positive : negative
            return adjectives[rng.int(below: adjectives.count)] + " " + nouns[rng.int(below: nouns.count)]
        }
        return pairs.joined(separator: ", ") + "."
    }

    /// `count` reviews from `seed`.
    public static func corpus(_ count: Int, seed: UInt64, maxPairs: Int = 6) -> [String] {
        var rng = RNG(seed: seed)
        return (0..<max(count, 0)).map { _ in review(rng: &rng, maxPairs: maxPairs) }
    }

    /// What the grammar reads in a text.
    public struct Reading: Sendable, Equatable {
        public var positive = 0
        public var negative = 0
        /// Whether the whole text is one well-formed review.
        public var wellFormed = false
        public var pairs: Int { positive + negative }
    }

    /// Reads `text` pair by pair; a pair the grammar does not know is skipped and makes the
    /// text malformed.
    public static func read(_ text: String) -> Reading {
        var r = Reading()
        let trimmed = text.hasSuffix(".") ? String(text.dropLast()) : text
        var ok = text.hasSuffix(".") && !trimmed.isEmpty
        for part in trimmed.components(separatedBy: ", ") {
            let words = part.split(separator: " ", omittingEmptySubsequences: false).map(String.init)
            guard words.count == 2, nouns.contains(words[1]) else { ok = false; continue }
            if positive.contains(words[0]) { r.positive += 1 } else if negative.contains(words[0]) { r.negative += 1 } else { ok = false }
        }
        r.wellFormed = ok
        return r
    }

    /// The hidden gold reward of a text (see the type's documentation).
    public static func gold(_ text: String) -> Double {
        let r = read(text)
        let over = Double(max(0, r.pairs - preferredPairs))
        return Double(r.positive - r.negative) - lengthPenalty * over * over - (r.wellFormed ? 0 : 2)
    }
}
