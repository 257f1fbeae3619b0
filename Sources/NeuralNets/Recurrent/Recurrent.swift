import TensorCore

/// The state a recurrent layer carries between steps: h, and the LSTM's cell c.
public struct RecurrentState {
    public var h: Tensor
    public var c: Tensor?
    public init(h: Tensor, c: Tensor? = nil) {
        self.h = h
        self.c = c
    }

    /// The state detached from the tape (what a replay buffer stores, what truncated
    /// back-propagation carries into the next chunk).
    public func detached() -> RecurrentState { RecurrentState(h: h.detached(), c: c?.detached()) }
}

/// What Elman RNN, LSTM and GRU share: weights in PyTorch's layout and initialisation
/// (`weight_ih` [G·H, I], `weight_hh` [G·H, H], `bias_ih`, `bias_hh` [G·H], all
/// U(−1/√H, 1/√H)), a fused sequence unroll with an initial state and per-step episode
/// resets, a one-step call for acting, and a reference unroll written with primitive
/// tensor ops (the tests check that the two agree).
///
/// Inputs are batch-first: x [B, T, I] → outputs [B, T, H].
public class RecurrentLayer: Module, Layer {
    public let inputSize: Int
    public let hiddenSize: Int
    let kind: RecurrentKernel.Kind
    public let weightIH: Parameter
    public let weightHH: Parameter
    public let biasIH: Parameter
    public let biasHH: Parameter

    init(kind: RecurrentKernel.Kind, name: String, inputSize: Int, hiddenSize: Int, rng: inout RNG) throws {
        guard inputSize > 0, hiddenSize > 0 else {
            throw LayerError(name, "sizes must be positive, got input \(inputSize), hidden \(hiddenSize)")
        }
        self.kind = kind
        self.inputSize = inputSize
        self.hiddenSize = hiddenSize
        let gh = kind.gates * hiddenSize
        weightIH = Parameter(try Init.uniformFanIn([gh, inputSize], fanIn: hiddenSize, rng: &rng))
        weightHH = Parameter(try Init.uniformFanIn([gh, hiddenSize], fanIn: hiddenSize, rng: &rng))
        biasIH = Parameter(try Init.uniformFanIn([gh], fanIn: hiddenSize, rng: &rng))
        biasHH = Parameter(try Init.uniformFanIn([gh], fanIn: hiddenSize, rng: &rng))
        super.init()
        addParameter("weight_ih", shared: weightIH)
        addParameter("weight_hh", shared: weightHH)
        addParameter("bias_ih", shared: biasIH)
        addParameter("bias_hh", shared: biasHH)
    }

    var layerName: String { "\(typeName)(\(inputSize), \(hiddenSize))" }
    var hasCell: Bool { kind == .lstm }

    /// A zero state for a batch.
    public func initialState(batch: Int) throws -> RecurrentState {
        let z = try Tensor.zeros([batch, hiddenSize])
        return RecurrentState(h: z, c: hasCell ? z : nil)
    }

    /// All hidden states of a sequence unrolled from a zero state: x [B, T, I] → [B, T, H].
    /// (What a pipeline `Linear |> LSTM |> Linear` calls.)
    public func callAsFunction(_ x: Tensor) throws -> Tensor {
        try forward(x).outputs
    }

    /// Unrolls over a sequence. `state` defaults to zeros; `resets` [B, T] marks the steps
    /// that start a new episode (the state is zeroed before them, as sb3-contrib's
    /// `episode_starts`). Returns every step's h and the final state.
    public func forward(_ x: Tensor, state: RecurrentState? = nil, resets: Tensor? = nil) throws
        -> (outputs: Tensor, state: RecurrentState)
    {
        try check(x, state: state, resets: resets)
        let w = RecurrentKernel.Weights(wih: weightIH.value, whh: weightHH.value, bih: biasIH.value, bhh: biasHH.value)
        let r = RecurrentKernel.run(kind, x: x, weights: w, h0: state?.h, c0: state?.c, resets: resets)
        return (r[0], RecurrentState(h: r[1], c: hasCell ? r[2] : nil))
    }

    /// One step for acting: x [B, I] and the state → h [B, H] and the new state.
    public func step(_ x: Tensor, state: RecurrentState) throws -> (output: Tensor, state: RecurrentState) {
        guard x.rank == 2 else {
            throw LayerError(layerName, "step expects input of shape [batch, \(inputSize)], got \(shapeString(x.shape))")
        }
        let (out, s) = try forward(x.unsqueezed(axis: 1), state: state)
        return (try out.squeezed(axis: 1), s)
    }

    func check(_ x: Tensor, state: RecurrentState?, resets: Tensor?) throws {
        guard x.rank == 3, x.shape[2] == inputSize else {
            throw LayerError(layerName, "expected input of shape [batch, time, \(inputSize)], got \(shapeString(x.shape))")
        }
        let (b, t) = (x.shape[0], x.shape[1])
        guard t > 0 else { throw LayerError(layerName, "the sequence is empty (time = 0) in \(shapeString(x.shape))") }
        if let state {
            guard state.h.shape == [b, hiddenSize] else {
                throw LayerError(layerName, "state h has shape \(shapeString(state.h.shape)), expected [\(b), \(hiddenSize)]")
            }
            if hasCell {
                guard let c = state.c, c.shape == [b, hiddenSize] else {
                    throw LayerError(layerName, "state c has shape \(state.c.map { shapeString($0.shape) } ?? "nil"), expected [\(b), \(hiddenSize)]")
                }
            }
        }
        if let resets, resets.shape != [b, t] {
            throw LayerError(layerName, "resets have shape \(shapeString(resets.shape)), expected [batch, time] = [\(b), \(t)]")
        }
    }

    // MARK: - Reference

    /// The same unroll written step by step with primitive tensor ops, reading as the
    /// cell's equations. Slow; the tests check the fused kernel against it.
    public func reference(_ x: Tensor, state: RecurrentState? = nil, resets: Tensor? = nil) throws
        -> (outputs: Tensor, state: RecurrentState)
    {
        try check(x, state: state, resets: resets)
        let (b, steps) = (x.shape[0], x.shape[1])
        var s = try state ?? initialState(batch: b)
        var outputs: [Tensor] = []
        for t in 0..<steps {
            if let resets {
                let keep = try resets[.all, .slice(t, t + 1)].subtracted(from: 1)  // [B, 1]
                s = RecurrentState(h: try s.h * keep, c: try s.c.map { try $0 * keep })
            }
            s = try cell(x[.all, .at(t)], s)
            outputs.append(s.h)
        }
        return (try Tensor.stack(outputs, axis: 1), s)
    }

    /// One step of the cell's equations with primitive ops (overridden per cell).
    func cell(_ x: Tensor, _ s: RecurrentState) throws -> RecurrentState { fatalError("overridden") }

    func projections(_ x: Tensor, _ h: Tensor) throws -> (input: [Tensor], hidden: [Tensor]) {
        let xi = try Tensor.linear(x, weight: weightIH.value, bias: biasIH.value).split(parts: kind.gates, axis: 1)
        let hh = try Tensor.linear(h, weight: weightHH.value, bias: biasHH.value).split(parts: kind.gates, axis: 1)
        return (xi, hh)
    }
}

/// The long short-term memory of Hochreiter & Schmidhuber (1997), with the forget gate of
/// Gers et al. (2000), as PyTorch's `nn.LSTM`:
///   i = σ(W_ii x + b_ii + W_hi h + b_hi)        input gate
///   f = σ(W_if x + b_if + W_hf h + b_hf)        forget gate
///   g = tanh(W_ig x + b_ig + W_hg h + b_hg)     candidate cell
///   o = σ(W_io x + b_io + W_ho h + b_ho)        output gate
///   c' = f ⊙ c + i ⊙ g,   h' = o ⊙ tanh(c')
public final class LSTM: RecurrentLayer {
    public init(_ inputSize: Int, _ hiddenSize: Int, rng: inout RNG) throws {
        try super.init(kind: .lstm, name: "LSTM", inputSize: inputSize, hiddenSize: hiddenSize, rng: &rng)
    }

    override func cell(_ x: Tensor, _ s: RecurrentState) throws -> RecurrentState {
        let (xi, hh) = try projections(x, s.h)
        let inputGate = try (xi[0] + hh[0]).sigmoid()
        let forgetGate = try (xi[1] + hh[1]).sigmoid()
        let candidate = try (xi[2] + hh[2]).tanh()
        let outputGate = try (xi[3] + hh[3]).sigmoid()
        let newCell = try forgetGate * s.c! + inputGate * candidate
        return RecurrentState(h: try outputGate * newCell.tanh(), c: newCell)
    }
}

/// The gated recurrent unit of Cho et al. (2014), as PyTorch's `nn.GRU`:
///   r = σ(W_ir x + b_ir + W_hr h + b_hr)             reset gate
///   z = σ(W_iz x + b_iz + W_hz h + b_hz)             update gate
///   n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))    candidate
///   h' = (1 − z) ⊙ n + z ⊙ h
public final class GRU: RecurrentLayer {
    public init(_ inputSize: Int, _ hiddenSize: Int, rng: inout RNG) throws {
        try super.init(kind: .gru, name: "GRU", inputSize: inputSize, hiddenSize: hiddenSize, rng: &rng)
    }

    override func cell(_ x: Tensor, _ s: RecurrentState) throws -> RecurrentState {
        let (xi, hh) = try projections(x, s.h)
        let resetGate = try (xi[0] + hh[0]).sigmoid()
        let updateGate = try (xi[1] + hh[1]).sigmoid()
        let candidate = try (xi[2] + resetGate * hh[2]).tanh()
        let h = try updateGate.subtracted(from: 1) * candidate + updateGate * s.h
        return RecurrentState(h: h)
    }
}

/// The Elman network (1990): h' = tanh(W_ih x + b_ih + W_hh h + b_hh) (or ReLU), as
/// PyTorch's `nn.RNN`. Its gradient through time shrinks or grows geometrically: the
/// vanishing-gradient problem that the LSTM's additive cell avoids.
public final class RNN: RecurrentLayer {
    public let nonlinearity: String

    public init(_ inputSize: Int, _ hiddenSize: Int, nonlinearity: String = "tanh", rng: inout RNG) throws {
        guard nonlinearity == "tanh" || nonlinearity == "relu" else {
            throw LayerError("RNN", "nonlinearity must be \"tanh\" or \"relu\", got \"\(nonlinearity)\"")
        }
        self.nonlinearity = nonlinearity
        try super.init(kind: nonlinearity == "tanh" ? .rnnTanh : .rnnRelu, name: "RNN",
                       inputSize: inputSize, hiddenSize: hiddenSize, rng: &rng)
    }

    override func cell(_ x: Tensor, _ s: RecurrentState) throws -> RecurrentState {
        let (xi, hh) = try projections(x, s.h)
        let pre = try xi[0] + hh[0]
        return RecurrentState(h: nonlinearity == "tanh" ? pre.tanh() : pre.relu())
    }
}
