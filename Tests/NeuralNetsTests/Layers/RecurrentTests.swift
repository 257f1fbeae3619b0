import Testing
@testable import TensorCore
@testable import NeuralNets

/// Every fused recurrent kernel agrees with the same computation written with primitive
/// ops: outputs, final state and every gradient within 1e-4.
@Suite("Recurrent layers")
struct RecurrentTests {
    enum Kind: String, CaseIterable { case lstm, gru, rnnTanh, rnnRelu }

    static func make(_ kind: Kind, _ i: Int, _ h: Int, seed: UInt64) throws -> RecurrentLayer {
        var rng = RNG(seed: seed)
        switch kind {
        case .lstm: return try LSTM(i, h, rng: &rng)
        case .gru: return try GRU(i, h, rng: &rng)
        case .rnnTanh: return try RNN(i, h, rng: &rng)
        case .rnnRelu: return try RNN(i, h, nonlinearity: "relu", rng: &rng)
        }
    }

    /// Runs `unroll` on leaves and returns the outputs and all gradients of a fixed random
    /// weighting of (outputs, h_T, c_T).
    static func run(
        _ layer: RecurrentLayer, x: Tensor, h0: Tensor, c0: Tensor?, resets: Tensor?, fused: Bool
    ) throws -> [Tensor] {
        layer.zeroGrad()
        let xl = x.requiringGrad(), hl = h0.requiringGrad(), cl = c0?.requiringGrad()
        let state = RecurrentState(h: hl, c: cl)
        let (out, s) = fused ? try layer.forward(xl, state: state, resets: resets) : try layer.reference(xl, state: state, resets: resets)
        var loss = try (out * randn(out.shape, seed: 91)).sum() + (s.h * randn(s.h.shape, seed: 92)).sum()
        if let c = s.c { loss = try loss + (c * randn(c.shape, seed: 93)).sum() }
        try loss.backward()
        var result = [out, s.h, xl.grad!, hl.grad!]
        if let cl { result += [s.c!, cl.grad!] }
        result += layer.parameters.map { $0.grad! }
        return result
    }

    @Test(arguments: Kind.allCases)
    func fusedMatchesReference(kind: Kind) throws {
        let layer = try RecurrentTests.make(kind, 5, 7, seed: 3)
        let (b, t) = (3, 6)
        let x = randn([b, t, 5], seed: 1), h0 = randn([b, 7], seed: 2, scale: 0.5)
        let c0 = kind == .lstm ? randn([b, 7], seed: 4, scale: 0.5) : nil
        var resetValues = [Float](repeating: 0, count: b * t)
        resetValues[1 * t + 3] = 1  // batch row 1 starts a new episode at step 3
        resetValues[2 * t + 0] = 1  // row 2 ignores the given initial state
        let resets = try Tensor(resetValues, shape: [b, t])
        for r in [nil, resets] {
            let fused = try RecurrentTests.run(layer, x: x, h0: h0, c0: c0, resets: r, fused: true)
            let ref = try RecurrentTests.run(layer, x: x, h0: h0, c0: c0, resets: r, fused: false)
            #expect(fused.count == ref.count)
            for (i, (a, e)) in zip(fused, ref).enumerated() {
                #expect(maxDiff(a, e) < 1e-4, "\(kind) resets=\(r != nil) item \(i): max diff \(maxDiff(a, e))")
            }
        }
    }

    /// Large unrolls split the batch across threads (RecurrentKernel.parallelWork), and with
    /// B·T·G·H ≥ 2¹⁹ also the bias broadcast and the bias gradients' column sums; the split
    /// kernel agrees with the reference too, with resets in both halves.
    @Test(arguments: [Kind.lstm, Kind.gru])
    func splitUnrollMatchesReference(kind: Kind) throws {
        let (b, t, h) = (17, 64, 128)
        let gates = kind == .lstm ? 4 : 3
        #expect(b * t * h * gates * h >= RecurrentKernel.parallelWork || kind == .gru)
        let layer = try RecurrentTests.make(kind, 4, h, seed: 5)
        let x = randn([b, t, 4], seed: 6), h0 = randn([b, h], seed: 7, scale: 0.5)
        let c0 = kind == .lstm ? randn([b, h], seed: 8, scale: 0.5) : nil
        var resetValues = [Float](repeating: 0, count: b * t)
        resetValues[1 * t + 20] = 1
        resetValues[6 * t + 40] = 1
        resetValues[12 * t + 10] = 1
        let resets = try Tensor(resetValues, shape: [b, t])
        let fused = try RecurrentTests.run(layer, x: x, h0: h0, c0: c0, resets: resets, fused: true)
        let ref = try RecurrentTests.run(layer, x: x, h0: h0, c0: c0, resets: resets, fused: false)
        for (i, (a, e)) in zip(fused, ref).enumerated() {
            #expect(maxDiff(a, e) < 1e-3, "\(kind) item \(i): max diff \(maxDiff(a, e))")
        }
    }

    /// A reset in the middle of a sequence makes it two independent sequences.
    @Test(arguments: Kind.allCases)
    func resetSplitsTheSequence(kind: Kind) throws {
        let layer = try RecurrentTests.make(kind, 4, 6, seed: 5)
        let x = randn([1, 8, 4], seed: 6)
        var rv = [Float](repeating: 0, count: 8)
        rv[5] = 1
        let whole = try layer.forward(x, resets: Tensor(rv, shape: [1, 8])).outputs
        let first = try layer.forward(x[.all, .slice(0, 5)]).outputs
        let second = try layer.forward(x[.all, .slice(5, 8)]).outputs
        #expect(maxDiff(whole, try Tensor.concat([first, second], axis: 1)) < 1e-6)
    }

    @Test func stepMatchesUnroll() throws {
        let layer = try RecurrentTests.make(.lstm, 3, 4, seed: 8)
        let x = randn([2, 5, 3], seed: 9)
        let (outs, _) = try layer.forward(x)
        var s = try layer.initialState(batch: 2)
        for t in 0..<5 {
            let (h, next) = try layer.step(x[.all, .at(t)], state: s)
            #expect(maxDiff(h, try outs[.all, .at(t)]) < 1e-6)
            s = next
        }
    }

    @Test func parameterNamesFollowPyTorch() throws {
        let layer = try RecurrentTests.make(.lstm, 3, 4, seed: 1)
        #expect(layer.namedParameters().map(\.name) == ["weight_ih", "weight_hh", "bias_ih", "bias_hh"])
        #expect(layer.weightIH.shape == [16, 3])
    }

    @Test func badShapesAreReported() throws {
        let layer = try RecurrentTests.make(.lstm, 3, 4, seed: 1)
        #expect(errorText { try layer(Tensor.zeros([2, 5, 4])) } == "LSTM(3, 4): expected input of shape [batch, time, 3], got [2, 5, 4]")
        #expect(errorText { try layer.forward(Tensor.zeros([2, 5, 3]), resets: Tensor.zeros([5, 2])) }?.contains("resets have shape [5, 2]") == true)
        var rng = RNG(seed: 0)
        #expect(errorText { try LSTM(0, 4, rng: &rng) } == "LSTM: sizes must be positive, got input 0, hidden 4")
    }
}

func errorText(_ body: () throws -> Any) -> String? {
    do { _ = try body(); return nil } catch { return "\(error)" }
}
