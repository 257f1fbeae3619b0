import Foundation
import Testing
@testable import TensorCore
@testable import NeuralNets

@Suite("Incremental decoding and sampling")
struct GenerationTests {
    static func model(tied: Bool = true, layers: Int = 2) throws -> GPT {
        var rng = RNG(seed: 7)
        let gpt = try GPT(GPTConfig(vocabSize: 23, contextLength: 16, dModel: 32, heads: 4, layers: layers, tiedHead: tied), rng: &rng)
        // Non-trivial LayerNorm parameters and biases, so that a mistake in any of them shows.
        for p in gpt.parameters where p.value.rank == 1 {
            try p.assign(Tensor.normal(p.shape, mean: 0.5, std: 0.3, rng: &rng))
        }
        return gpt
    }

    @Test("the cached decoder gives the full forward pass's logits, token by token and in blocks", arguments: [true, false])
    func decoderMatchesForward(tied: Bool) throws {
        let gpt = try Self.model(tied: tied)
        var rng = RNG(seed: 3)
        let (b, t, v) = (3, 11, 23)
        let ids = (0..<(b * t)).map { _ in rng.int(below: v) }
        let full = try gpt(Tensor(ids.map(Float.init), shape: [b, t])).scalars  // [B, T, V]
        let dec = GPTDecoder(gpt)
        // One token at a time.
        let cache = try dec.makeCache(batch: b)
        var logits: [Float] = []
        var worst: Float = 0
        for i in 0..<t {
            try dec.step((0..<b).map { ids[$0 * t + i] }, count: 1, cache: cache, logits: &logits)
            for r in 0..<b { for j in 0..<v { worst = max(worst, abs(logits[r * v + j] - full[(r * t + i) * v + j])) } }
        }
        #expect(worst < 1e-4, "one token at a time: max difference \(worst)")
        // A block of 4, then blocks of 5 and 2.
        let blocks = try dec.makeCache(batch: b)
        var start = 0
        worst = 0
        for n in [4, 5, 2] {
            let chunk = (0..<b).flatMap { r in ids[(r * t + start)..<(r * t + start + n)] }
            try dec.step(Array(chunk), count: n, cache: blocks, logits: &logits)
            for r in 0..<b { for i in 0..<n { for j in 0..<v {
                worst = max(worst, abs(logits[(r * n + i) * v + j] - full[(r * t + start + i) * v + j]))
            } } }
            start += n
        }
        #expect(worst < 1e-4, "blocks: max difference \(worst)")
        #expect(blocks.length == t)
    }

    @Test("rows decoded in groups, on several threads, give one group's logits; long caches and odd head sizes match the forward pass")
    func groupedDecoding() throws {
        // Context 80 (attention over more than 64 positions) and heads of 12 dimensions
        // (not a whole number of vectors).
        var rng = RNG(seed: 11)
        let gpt = try GPT(GPTConfig(vocabSize: 19, contextLength: 80, dModel: 24, heads: 2, layers: 2), rng: &rng)
        for p in gpt.parameters where p.value.rank == 1 { try p.assign(Tensor.normal(p.shape, mean: 0.5, std: 0.3, rng: &rng)) }
        let (b, t, v) = (9, 70, 19)
        let ids = (0..<(b * t)).map { _ in rng.int(below: v) }
        let full = try gpt(Tensor(ids.map(Float.init), shape: [b, t])).scalars  // [B, T, V]
        let dec = GPTDecoder(gpt)
        // A block of 5, then one token at a time; all positions' logits, row by row.
        func run(groupSize: Int?) throws -> [Float] {
            let cache = try dec.makeCache(batch: b)
            var logits: [Float] = [], all = [Float](repeating: 0, count: b * t * v)
            var start = 0
            for n in [5] + [Int](repeating: 1, count: t - 5) {
                let chunk = (0..<b).flatMap { r in ids[(r * t + start)..<(r * t + start + n)] }
                try dec.step(Array(chunk), count: n, cache: cache, logits: &logits, groupSize: groupSize, then: nil)
                for r in 0..<b { for i in 0..<n { for j in 0..<v { all[(r * t + start + i) * v + j] = logits[(r * n + i) * v + j] } } }
                start += n
            }
            return all
        }
        let one = try run(groupSize: b), twos = try run(groupSize: 2), fours = try run(groupSize: 4), auto = try run(groupSize: nil)
        for (name, x) in [("one group", one), ("groups of 2", twos), ("groups of 4", fours), ("default groups", auto)] {
            let worst = zip(x, full).map { abs($0 - $1) }.max()!
            #expect(worst < 1e-4, "\(name): max difference \(worst) from the forward pass")
        }
        // Grouped products are BLAS.smallProduct's: with Memento's kernel, the same bits
        // whatever the grouping.
        if BLAS.hasInPlaceKernel && GemmPolicy.kernel(for: .small) == .memento {
            #expect(twos == fours)
        } else {
            #expect(zip(twos, fours).map { abs($0 - $1) }.max()! < 1e-5)
        }
    }

    @Test("the decoder refuses a full cache, ids outside the vocabulary and a cache of another model")
    func decoderErrors() throws {
        let gpt = try Self.model()
        let dec = GPTDecoder(gpt)
        let cache = try dec.makeCache(batch: 1, capacity: 4)
        var logits: [Float] = []
        try dec.step([1, 2, 3], count: 3, cache: cache, logits: &logits)
        #expect(throws: LayerError.self) { try dec.step([1, 2], count: 2, cache: cache, logits: &logits) }
        #expect(throws: LayerError.self) { try dec.step([99], count: 1, cache: cache, logits: &logits) }
        #expect(throws: LayerError.self) { try dec.makeCache(batch: 1, capacity: 17) }
        let other = GPTDecoder(try Self.model(layers: 1))
        #expect(throws: LayerError.self) { try other.step([1], count: 1, cache: try dec.makeCache(batch: 1), logits: &logits) }
    }

    @Test("greedy generation equals the argmax of full forward passes; log-probabilities match tokenLogProbabilities")
    func greedyAndLogProbabilities() throws {
        let gpt = try Self.model()
        var rng = RNG(seed: 1)
        let prompts = [[1, 5, 6], [1, 9], [1, 4, 4, 4]]
        let g = try gpt.generate(prompts: prompts, maxNewTokens: 6, sampling: SamplingOptions(temperature: 0), rng: &rng)
        for (r, p) in prompts.enumerated() {
            var seq = p
            for _ in 0..<6 {
                let logits = try gpt(Tensor(seq.map(Float.init), shape: [1, seq.count])).scalars
                let last = Array(logits.suffix(23))
                seq.append(last.indices.max { last[$0] < last[$1] }!)
            }
            #expect(Array(seq.dropFirst(p.count)) == g.tokens[r], "row \(r)")
            let lp = try gpt.tokenLogProbabilities(Tensor(seq.map(Float.init), shape: [1, seq.count])).scalars
            for (i, x) in g.logProbabilities[r].enumerated() {
                #expect(abs(x - lp[p.count - 1 + i]) < 1e-4, "row \(r) token \(i): \(x) vs \(lp[p.count - 1 + i])")
            }
        }
    }

    @Test("sampling: same seed same text; stop token; top-k 1 is greedy; bad options and prompts are refused")
    func samplingOptions() throws {
        let gpt = try Self.model()
        func run(_ s: SamplingOptions, seed: UInt64, stop: Int? = nil) throws -> Generation {
            var rng = RNG(seed: seed)
            return try gpt.generate(prompts: [[1], [1, 3]], maxNewTokens: 10, sampling: s, stopToken: stop, rng: &rng)
        }
        #expect(try run(SamplingOptions(), seed: 4) == run(SamplingOptions(), seed: 4))
        #expect(try run(SamplingOptions(topK: 1), seed: 4).tokens == run(SamplingOptions(temperature: 0), seed: 9).tokens)
        #expect(try run(SamplingOptions(topP: 1e-6), seed: 4).tokens == run(SamplingOptions(temperature: 0), seed: 9).tokens)
        let free = try run(SamplingOptions(temperature: 2), seed: 5)
        let stop = free.tokens[0][2]
        let stopped = try run(SamplingOptions(temperature: 2), seed: 5, stop: stop)
        #expect(stopped.tokens[0].last == stop && stopped.tokens[0].count <= 3)
        for bad in [SamplingOptions(topP: 0), SamplingOptions(topP: 1.5), SamplingOptions(temperature: -1), SamplingOptions(topK: 0)] {
            #expect(throws: LayerError.self) { try run(bad, seed: 1) }
        }
        var rng = RNG(seed: 0)
        #expect(throws: LayerError.self) { try gpt.generate(prompts: [Array(repeating: 1, count: 12)], maxNewTokens: 6, rng: &rng) }
        #expect(throws: LayerError.self) { try gpt.generate(prompts: [[]], maxNewTokens: 2, rng: &rng) }
        #expect(throws: LayerError.self) { try gpt.generate(prompts: [[1, 40]], maxNewTokens: 2, rng: &rng) }
    }

    @Test("top-k and top-p draw only from the kept tokens, in proportion")
    func truncation() throws {
        let logits: [Float] = [2, 1, 0, -1, 3]  // probabilities ∝ e^z
        var rng = RNG(seed: 2)
        var counts = [Int](repeating: 0, count: 5)
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: 5)
        defer { scratch.deallocate() }
        let s = SamplingOptions(topK: 2)
        for _ in 0..<4000 { counts[logits.withUnsafeBufferPointer { s.sample($0.baseAddress!, count: 5, probabilities: scratch, rng: &rng) }] += 1 }
        #expect(counts[1] == 0 && counts[2] == 0 && counts[3] == 0)
        #expect(abs(Double(counts[4]) / 4000 - 1 / (1 + 1 / M_E)) < 0.03)  // e³ / (e³ + e²)
        // p = 0.8: the sorted probabilities are 0.64, 0.23, 0.087, …: tokens 4 and 0 are kept.
        counts = [Int](repeating: 0, count: 5)
        let nucleus = SamplingOptions(topP: 0.8)
        for _ in 0..<4000 { counts[logits.withUnsafeBufferPointer { nucleus.sample($0.baseAddress!, count: 5, probabilities: scratch, rng: &rng) }] += 1 }
        #expect(counts[1] == 0 && counts[2] == 0 && counts[3] == 0 && counts[0] > 0 && counts[4] > 0)
    }
}
