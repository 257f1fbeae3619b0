import Environments
import Foundation
import NeuralNets
import TensorCore

/// Preferences between texts: each comparison shows k of the dataset's texts (two for a
/// pairwise comparison, four for Ziegler et al.'s best-of-4) and records which one the
/// labeller chose. Saved as safetensors like the other datasets (the indices as tensors, the
/// texts in the metadata).
public struct ComparisonDataset: Sendable {
    /// The texts compared, each continuing `prompt`.
    public var prompt: String
    public var texts: [String]
    /// Each comparison: k distinct indices into `texts`.
    public var comparisons: [[Int]]
    /// The position (0 ..< k) of the chosen text within each comparison.
    public var chosen: [Int]

    /// Throws when a comparison names a text twice or one outside `texts`, when comparisons
    /// differ in size or have fewer than two texts, or when a choice is out of range.
    public init(prompt: String = "", texts: [String], comparisons: [[Int]], chosen: [Int]) throws {
        guard comparisons.count == chosen.count else {
            throw RLHFError("ComparisonDataset: \(comparisons.count) comparisons but \(chosen.count) choices")
        }
        let k = comparisons.first?.count ?? 2
        for (n, c) in comparisons.enumerated() {
            guard c.count == k, k >= 2 else {
                throw RLHFError("ComparisonDataset: comparison \(n) shows \(c.count) texts; every comparison must show the same number (at least 2, here \(k))")
            }
            if let bad = c.first(where: { $0 < 0 || $0 >= texts.count }) {
                throw RLHFError("ComparisonDataset: comparison \(n) names text \(bad), but there are \(texts.count) texts")
            }
            var seen = Set<Int>()
            for i in c where !seen.insert(i).inserted {
                throw RLHFError("ComparisonDataset: comparison \(n) names sample \(i) twice (\(c)); a text cannot be compared with itself")
            }
            guard chosen[n] >= 0, chosen[n] < k else {
                throw RLHFError("ComparisonDataset: comparison \(n) chose position \(chosen[n]) of \(k)")
            }
        }
        self.prompt = prompt
        self.texts = texts
        self.comparisons = comparisons
        self.chosen = chosen
    }

    /// Texts per comparison.
    public var size: Int { comparisons.first?.count ?? 2 }
    public var count: Int { comparisons.count }

    /// `count` comparisons of `size` distinct texts drawn at random from `texts`, each
    /// answered by `labeller`.
    public static func collect(texts: [String], prompt: String = "", size: Int, count: Int, labeller: SimulatedLabeller,
                               seed: UInt64) throws -> ComparisonDataset {
        guard size >= 2, texts.count >= size else {
            throw RLHFError("ComparisonDataset.collect: a comparison needs at least 2 texts and no more than there are (\(texts.count)), got \(size)")
        }
        guard count >= 1 else { throw RLHFError("ComparisonDataset.collect: count must be at least 1, got \(count)") }
        guard Set(texts).count >= size else { throw RLHFError("ComparisonDataset.collect: fewer than \(size) distinct texts") }
        var rng = RNG(seed: seed)
        var comparisons: [[Int]] = [], chosen: [Int] = []
        for _ in 0..<count {
            var c: [Int] = []
            while c.count < size {
                let i = rng.int(below: texts.count)
                // Distinct texts, not just distinct indices: a duplicate would be a coin flip.
                if !c.contains(where: { texts[$0] == texts[i] }) { c.append(i) }
            }
            comparisons.append(c)
            chosen.append(labeller.choose(c.map { texts[$0] }, rng: &rng))
        }
        return try ComparisonDataset(prompt: prompt, texts: texts, comparisons: comparisons, chosen: chosen)
    }

    /// The first `1 − heldOut` of the comparisons and the rest (the texts are shared).
    public func split(heldOut: Double) throws -> (train: ComparisonDataset, test: ComparisonDataset) {
        guard heldOut > 0, heldOut < 1 else { throw RLHFError("split: held_out must be in (0, 1), got \(heldOut)") }
        let cut = max(1, min(count - 1, Int((Double(count) * (1 - heldOut)).rounded())))
        return (try ComparisonDataset(prompt: prompt, texts: texts, comparisons: Array(comparisons[..<cut]), chosen: Array(chosen[..<cut])),
                try ComparisonDataset(prompt: prompt, texts: texts, comparisons: Array(comparisons[cut...]), chosen: Array(chosen[cut...])))
    }

    // MARK: - Files

    public func save(to path: String) throws {
        let k = size
        let texts = try String(data: JSONEncoder().encode(self.texts), encoding: .utf8) ?? "[]"
        try SafeTensors.write([
            "comparisons": Tensor(comparisons.flatMap { $0.map(Float.init) }, shape: [count, k]),
            "chosen": Tensor(chosen.map(Float.init), shape: [count]),
        ], metadata: ["format": "memento-comparisons", "prompt": prompt, "texts": texts], to: path)
    }

    public static func load(from path: String) throws -> ComparisonDataset {
        let contents = try SafeTensors.read(from: path)
        guard contents.metadata["format"] == "memento-comparisons" else {
            throw RLHFError("\(path) is not a comparison dataset written by ComparisonDataset.save")
        }
        guard let c = contents.tensors["comparisons"], let ch = contents.tensors["chosen"], c.rank == 2,
              let data = contents.metadata["texts"]?.data(using: .utf8), let texts = try? JSONDecoder().decode([String].self, from: data) else {
            throw RLHFError("\(path): the comparisons, the choices or the texts are missing")
        }
        let k = c.shape[1], v = c.scalars
        let rows = (0..<c.shape[0]).map { r in (0..<k).map { Int(v[r * k + $0]) } }
        return try ComparisonDataset(prompt: contents.metadata["prompt"] ?? "", texts: texts, comparisons: rows, chosen: ch.scalars.map { Int($0) })
    }
}
