import Testing
@testable import TensorCore
@testable import NeuralNets

@Suite("Attention and Transformers")
struct AttentionTests {
    /// Gradients of a fixed random weighting of a module's output w.r.t. x and every
    /// parameter, with the outputs.
    static func grads(_ m: Module, _ x: Tensor, _ f: (Tensor) throws -> [Tensor]) throws -> [Tensor] {
        m.zeroGrad()
        let xl = x.requiringGrad()
        let outs = try f(xl)
        var loss = Tensor(0)
        for (i, o) in outs.enumerated() { loss = try loss + (o * randn(o.shape, seed: 50 + UInt64(i))).sum() }
        try loss.backward()
        return outs.map { $0.detached() } + [xl.grad!] + m.parameters.map { $0.grad ?? Tensor.zeros(like: $0.value) }
    }

    /// The fused attention against `reference`: outputs, all gradients and the weights.
    /// Returns the fused weights.
    static func checkAgainstReference(_ mha: MultiHeadAttention, _ x: Tensor, causal: Bool, padding: Tensor?) throws -> Tensor {
        let fused = try grads(mha, x) { x in let r = try mha(x, causal: causal, padding: padding); return [r.output] }
        let ref = try grads(mha, x) { x in let r = try mha.reference(x, causal: causal, padding: padding); return [r.output] }
        for (i, (a, e)) in zip(fused, ref).enumerated() {
            #expect(maxDiff(a, e) < 1e-4, "item \(i): \(maxDiff(a, e))")
        }
        let w1 = try mha(x, causal: causal, padding: padding).weights, w2 = try mha.reference(x, causal: causal, padding: padding).weights
        #expect(maxDiff(w1, w2) < 1e-5)
        return w1
    }

    @Test(arguments: [(true, false), (false, false), (true, true)])
    func fusedMatchesReference(causal: Bool, padded: Bool) throws {
        var rng = RNG(seed: 1)
        let mha = try MultiHeadAttention(dModel: 8, heads: 2, rng: &rng)
        let x = randn([2, 5, 8], seed: 2)
        let padding = padded ? try Tensor([1, 1, 1, 0, 0, 1, 1, 1, 1, 1], shape: [2, 5]) : nil
        let w1 = try AttentionTests.checkAgainstReference(mha, x, causal: causal, padding: padding)
        if causal {  // no weight on the future
            #expect(try w1.element(at: [0, 1, 0, 3]) == 0)
        }
        // Each row is a distribution.
        let sums = try w1.sum(axis: -1)
        #expect(sums.scalars.allSatisfy { Swift.abs($0 - 1) < 1e-5 })
    }

    /// The same at sizes where the kernel's row blocks (4), vector blocks (16) and causal
    /// trimming all have leftovers: T = 37, head size 20.
    @Test(arguments: [(true, false), (false, true), (true, true)])
    func fusedMatchesReferenceLarger(causal: Bool, padded: Bool) throws {
        var rng = RNG(seed: 3)
        let (b, t, d) = (2, 37, 60)
        let mha = try MultiHeadAttention(dModel: d, heads: 3, rng: &rng)
        let x = randn([b, t, d], seed: 4)
        var keep = [Float](repeating: 1, count: b * t)
        for i in [5, 6, 20, 36, t + 1, t + 17, t + 33] { keep[i] = 0 }
        let padding = padded ? try Tensor(keep, shape: [b, t]) : nil
        _ = try AttentionTests.checkAgainstReference(mha, x, causal: causal, padding: padding)
    }

    @Test func layerNormMatchesReference() throws {
        let ln = try LayerNorm(6)
        try ln.gamma.assign(randn([6], seed: 3))
        try ln.beta.assign(randn([6], seed: 4))
        let x = randn([3, 4, 6], seed: 5)
        let fused = try AttentionTests.grads(ln, x) { [try ln($0)] }
        let ref = try AttentionTests.grads(ln, x) { [try LayerNorm.reference($0, ln.gamma.value, ln.beta.value)] }
        for (i, (a, b)) in zip(fused, ref).enumerated() { #expect(maxDiff(a, b) < 1e-4, "item \(i): \(maxDiff(a, b))") }
    }

    /// Inputs large enough for the backward to be split between threads (rows for dx,
    /// 64-column blocks for dγ and dβ, the last one partial at d = 100).
    @Test func layerNormSplitBackwardMatchesReference() throws {
        for d in [100, 128] {
            let ln = try LayerNorm(d)
            try ln.gamma.assign(randn([d], seed: 6))
            try ln.beta.assign(randn([d], seed: 7))
            let x = randn([6, 100, d], seed: 8)
            let fused = try AttentionTests.grads(ln, x) { [try ln($0)] }
            let ref = try AttentionTests.grads(ln, x) { [try LayerNorm.reference($0, ln.gamma.value, ln.beta.value)] }
            for (i, (a, b)) in zip(fused, ref).enumerated() {
                let scale = Swift.max(1, b.scalars.map { Swift.abs($0) }.max() ?? 0)
                #expect(maxDiff(a, b) < 1e-4 * scale, "d \(d), item \(i): \(maxDiff(a, b))")
            }
        }
    }

    @Test func gptShapesAndNames() throws {
        var rng = RNG(seed: 6)
        let gpt = try GPT(GPTConfig(vocabSize: 11, contextLength: 8, dModel: 16, heads: 4, layers: 2), rng: &rng)
        let tokens = try Tensor([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], shape: [2, 5])
        let logits = try gpt(tokens)
        #expect(logits.shape == [2, 5, 11])
        let names = gpt.namedParameters().map(\.name)
        #expect(names.first == "token_embedding.weight")
        #expect(names.contains("transformer.blocks.1.attn.qkv.weight"))
        #expect(!names.contains { $0.hasPrefix("head") })  // tied
        #expect(gpt.transformer.attentionMaps.count == 2)
        // Causality: changing a later token does not change earlier logits.
        let changed = try Tensor([1, 2, 3, 4, 0, 6, 7, 8, 9, 10], shape: [2, 5])
        let l2 = try gpt(changed)
        #expect(maxDiff(try logits[.all, .slice(0, 4)], try l2[.all, .slice(0, 4)]) < 1e-6)
        #expect(maxDiff(try logits[.all, .at(4)], try l2[.all, .at(4)]) > 1e-6)
    }

    @Test func badConfigurationsAreReported() throws {
        var rng = RNG(seed: 0)
        #expect(errorText { try MultiHeadAttention(dModel: 10, heads: 3, rng: &rng) } == "MultiHeadAttention: heads (3) must divide dModel (10)")
        let mha = try MultiHeadAttention(dModel: 8, heads: 2, rng: &rng)
        #expect(errorText { try mha(Tensor.zeros([2, 3, 4])) } == "MultiHeadAttention(dModel: 8, heads: 2): expected input of shape [batch, time, 8], got [2, 3, 4]")
        let lin = try Linear(3, 2, rng: &rng)
        #expect(errorText { try lin(Tensor.zeros([4, 5])) } == "Linear(3, 2): expected input of shape [..., 3], got [4, 5]")
        #expect(errorText { try Linear(0, 2, rng: &rng) } == "Linear: sizes must be positive, got inputs 0, outputs 2")
        let gpt = try GPT(GPTConfig(vocabSize: 5, contextLength: 4, dModel: 8, heads: 2, layers: 1), rng: &rng)
        #expect(errorText { try gpt(Tensor.zeros([1, 6])) } == "Transformer: sequence of 6 positions exceeds the context length 4")
        #expect(errorText { try gpt(Tensor([7], shape: [1, 1])) }?.contains("index 7.0 at position 0 is not an integer in 0..<5") == true)
    }

    @Test func moduleTreeAndModes() throws {
        var rng = RNG(seed: 7)
        let mlp = try MLP([4, 8, 2], rng: &rng)
        #expect(mlp.namedParameters().map(\.name) == ["layers.0.weight", "layers.0.bias", "layers.2.weight", "layers.2.bias"])
        #expect(mlp.parameterCount == 4 * 8 + 8 + 8 * 2 + 2)
        let drop = try Dropout(0.5, seed: 1)
        let seq = Sequential([mlp, drop])
        seq.eval()
        #expect(!drop.isTraining)
        let x = randn([3, 4], seed: 8)
        #expect(maxDiff(try seq(x), try mlp(x)) == 0)
        seq.train()
        let y = try drop(Tensor.ones([1000]))
        let kept = y.scalars.filter { $0 != 0 }
        #expect(kept.allSatisfy { $0 == 2 })
        #expect(Swift.abs(kept.count - 500) < 60)
        // Copying parameters (target networks).
        var rng2 = RNG(seed: 99)
        let other = try MLP([4, 8, 2], rng: &rng2)
        try other.copyParameters(from: mlp)
        #expect(maxDiff(try other(x), try mlp(x)) == 0)
    }

    @Test func orthogonalInit() throws {
        var rng = RNG(seed: 9)
        for shape in [[6, 4], [4, 6]] {
            let w = try Init.orthogonal(shape, gain: 2, rng: &rng)
            let gram = shape[0] >= shape[1] ? try w.transposed().matmul(w) : try w.matmul(w.transposed())
            let n = Swift.min(shape[0], shape[1])
            #expect(maxDiff(gram, try Tensor.eye(n) * 4) < 1e-4)
        }
    }
}
