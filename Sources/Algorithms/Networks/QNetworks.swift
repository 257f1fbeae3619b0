import Environments
import NeuralNets
import TensorCore

// The networks the value-based agents accept.
//
// DQN takes any `Layer` (a `Module` with `callAsFunction`) that maps observations
// [B, obs] to Q-values [B, A]: an `MLP`, a `Sequential`, a user's own module.
//
// DRQN takes a `RecurrentQFunction`: observations [B, T, obs], an optional initial state
// and optional episode-start resets [B, T] → Q-values [B, T, A] and the final state. The
// standard one is `RecurrentQNetwork` (optional Linear + ReLU encoder → LSTM / GRU / RNN →
// Linear head); a `Sequential` holding exactly one recurrent layer is adapted by
// `RecurrentPipeline` (what `Linear |> relu |> LSTM |> Linear` builds in the language);
// and `ClosureRecurrentQFunction` adapts anything else (a model whose forward function is
// written in a script). Shapes: B batch, T time, obs observation size, A action count.

/// A recurrent Q-function: what DRQN trains.
public protocol RecurrentQFunction: AnyObject {
    /// The module whose parameters are trained, copied to the target network and saved in
    /// checkpoints.
    var module: Module { get }
    /// A one-line description for messages.
    var summary: String { get }
    /// The state at the start of an episode for a batch (zeros for the built-in layers).
    func initialState(batch: Int) throws -> RecurrentState
    /// Q-values for a batch of sequences: x [B, T, obs] → q [B, T, A] and the final state.
    /// `state` defaults to `initialState`; `resets` [B, T] marks the steps where a new
    /// episode starts (the state is zeroed before them).
    func forward(_ x: Tensor, state: RecurrentState?, resets: Tensor?) throws -> (q: Tensor, state: RecurrentState)
}

// MARK: - The standard recurrent Q-network

/// Observation → (Linear + ReLU encoder) → LSTM / GRU / Elman RNN → Linear → Q-values: the
/// DRQN of Hausknecht & Stone (2015) with the convolutional stack replaced by an optional
/// linear encoder, as fits vector observations.
public final class RecurrentQNetwork: Module, RecurrentQFunction {
    /// Which recurrent cell sits in the middle.
    public enum Cell: String, Sendable, CaseIterable {
        case lstm, gru, rnn
    }

    public let observationSize: Int
    public let actionCount: Int
    public let hiddenSize: Int
    /// The optional encoder (Linear(obs → encoderSize) followed by ReLU).
    public let encoder: Linear?
    /// The recurrent layer.
    public let core: RecurrentLayer
    /// The Q-value head, Linear(hidden → A).
    public let head: Linear

    /// - Parameters:
    ///   - encoderSize: the width of a Linear + ReLU layer before the recurrent cell, or nil
    ///     to feed observations to the cell directly (the benchmark's LSTM(4 → 64) → Linear(64 → 3)).
    public init(
        observationSize: Int, actionCount: Int, hiddenSize: Int = 64, encoderSize: Int? = nil,
        cell: Cell = .lstm, rng: inout RNG
    ) throws {
        guard observationSize > 0, actionCount > 0, hiddenSize > 0, (encoderSize ?? 1) > 0 else {
            throw AlgorithmError("RecurrentQNetwork", "sizes must be positive, got observationSize \(observationSize), actionCount \(actionCount), hiddenSize \(hiddenSize), encoderSize \(encoderSize.map(String.init) ?? "nil")")
        }
        self.observationSize = observationSize
        self.actionCount = actionCount
        self.hiddenSize = hiddenSize
        encoder = try encoderSize.map { try Linear(observationSize, $0, rng: &rng) }
        let coreInput = encoderSize ?? observationSize
        switch cell {
        case .lstm: core = try LSTM(coreInput, hiddenSize, rng: &rng)
        case .gru: core = try GRU(coreInput, hiddenSize, rng: &rng)
        case .rnn: core = try RNN(coreInput, hiddenSize, rng: &rng)
        }
        head = try Linear(hiddenSize, actionCount, rng: &rng)
        super.init()
        if let encoder { addChild("encoder", encoder) }
        addChild("core", core)
        addChild("head", head)
    }

    public convenience init<E: Environment>(for environment: E, hiddenSize: Int = 64, encoderSize: Int? = nil, cell: Cell = .lstm, rng: inout RNG) throws {
        try self.init(observationSize: environment.observationSize, actionCount: environment.actionSpace.n,
                      hiddenSize: hiddenSize, encoderSize: encoderSize, cell: cell, rng: &rng)
    }

    public var module: Module { self }

    public var summary: String {
        let enc = encoder.map { "Linear(\(observationSize) → \($0.outputs)) → relu → " } ?? ""
        return "RecurrentQNetwork(\(enc)\(core.typeName)(\(core.inputSize) → \(hiddenSize)) → Linear(\(hiddenSize) → \(actionCount)))"
    }

    public func initialState(batch: Int) throws -> RecurrentState { try core.initialState(batch: batch) }

    public func forward(_ x: Tensor, state: RecurrentState?, resets: Tensor?) throws -> (q: Tensor, state: RecurrentState) {
        var h = x                                                   // [B, T, obs]
        if let encoder { h = try encoder(h).relu() }                // [B, T, E]
        let (outputs, final) = try core.forward(h, state: state, resets: resets)  // [B, T, H]
        return (try head(outputs), final)                           // [B, T, A]
    }
}

// MARK: - Adapters

/// A `Sequential` (or a bare recurrent layer) with exactly one recurrent layer, seen as a
/// recurrent Q-function: the layers before it are applied to every step [B, T, ·], the
/// recurrent layer carries the state, and the layers after it map its outputs to Q-values.
public final class RecurrentPipeline: RecurrentQFunction {
    public let module: Module
    let before: [any Layer]
    let recurrent: RecurrentLayer
    let after: [any Layer]

    /// Adapts `module`; throws when it holds no recurrent layer, or more than one.
    public init(_ module: Module, component: String = "DRQN") throws {
        self.module = module
        let layers: [any Layer]
        if let sequential = module as? Sequential {
            layers = sequential.layers
        } else if let layer = module as? RecurrentLayer {
            layers = [layer]
        } else {
            throw AlgorithmError(component, "needs a recurrent network (an LSTM, GRU or RNN layer, a Sequential containing one, or a RecurrentQFunction), got \(module.typeName), which has no recurrent state")
        }
        let indices = layers.indices.filter { layers[$0] is RecurrentLayer }
        guard indices.count == 1, let r = indices.first, let recurrent = layers[r] as? RecurrentLayer else {
            let names = layers.map(\.typeName).joined(separator: ", ")
            throw AlgorithmError(component, indices.isEmpty
                ? "needs a recurrent network, but Sequential(\(names)) has no LSTM, GRU or RNN layer: it would see one observation at a time"
                : "can adapt a Sequential with exactly one recurrent layer, but Sequential(\(names)) has \(indices.count); write a RecurrentQFunction for stacked cells")
        }
        before = Array(layers[..<r])
        self.recurrent = recurrent
        after = Array(layers[(r + 1)...])
    }

    public var summary: String {
        "Sequential(" + (before.map(\.typeName) + [recurrent.typeName] + after.map(\.typeName)).joined(separator: " → ") + ")"
    }

    public func initialState(batch: Int) throws -> RecurrentState { try recurrent.initialState(batch: batch) }

    public func forward(_ x: Tensor, state: RecurrentState?, resets: Tensor?) throws -> (q: Tensor, state: RecurrentState) {
        var h = x
        for layer in before { h = try layer(h) }
        let (outputs, final) = try recurrent.forward(h, state: state, resets: resets)
        h = outputs
        for layer in after { h = try layer(h) }
        return (h, final)
    }
}

/// A recurrent Q-function given by closures: how the language runtime adapts a model whose
/// forward function is written in a script.
public final class ClosureRecurrentQFunction: RecurrentQFunction {
    public let module: Module
    public let summary: String
    let makeState: (Int) throws -> RecurrentState
    let run: (Tensor, RecurrentState?, Tensor?) throws -> (q: Tensor, state: RecurrentState)

    public init(
        module: Module, summary: String? = nil,
        initialState: @escaping (_ batch: Int) throws -> RecurrentState,
        forward: @escaping (_ x: Tensor, _ state: RecurrentState?, _ resets: Tensor?) throws -> (q: Tensor, state: RecurrentState)
    ) {
        self.module = module
        self.summary = summary ?? module.typeName
        makeState = initialState
        run = forward
    }

    public func initialState(batch: Int) throws -> RecurrentState { try makeState(batch) }
    public func forward(_ x: Tensor, state: RecurrentState?, resets: Tensor?) throws -> (q: Tensor, state: RecurrentState) {
        try run(x, state, resets)
    }
}

/// `network` as a recurrent Q-function: itself when it is one, else a `RecurrentPipeline`.
public func recurrentQFunction(_ network: Module, component: String = "DRQN") throws -> any RecurrentQFunction {
    if let f = network as? any RecurrentQFunction { return f }
    return try RecurrentPipeline(network, component: component)
}

// MARK: - Checks at construction

/// Describes an environment's action space for messages: "TMaze(length: 10, passive) has Discrete(3) actions".
func describeActions<E: Environment>(_ env: E) -> String {
    "\(env.name) has \(env.actionSpace.n) actions (\(env.actionSpace))"
}

/// Runs a zero observation through a feed-forward Q-network and checks that it accepts the
/// environment's observations and outputs one Q-value per action.
func checkFeedForward<E: Environment>(_ network: any Layer, _ env: E, component: String) throws {
    let obs = env.observationSize, actions = env.actionSpace.n
    let q: Tensor
    do {
        q = try noGrad { try network(Tensor.zeros([1, obs])) }
    } catch {
        throw AlgorithmError(component, "the network \(network.typeName) does not accept \(env.name)'s observations of size \(obs) (as [batch, \(obs)]): \(error)")
    }
    guard q.shape == [1, actions] else {
        throw AlgorithmError(component, "the network \(network.typeName) outputs shape \(shapeString(q.shape)) for one observation, but \(describeActions(env)): its output size must be \(actions) (shape [1, \(actions)])")
    }
}

/// As `checkFeedForward`, for a recurrent Q-function and sequences [1, 2, obs].
func checkRecurrent<E: Environment>(_ network: any RecurrentQFunction, _ env: E, component: String) throws {
    let obs = env.observationSize, actions = env.actionSpace.n
    let q: Tensor
    do {
        q = try noGrad { try network.forward(Tensor.zeros([1, 2, obs]), state: nil, resets: nil).q }
    } catch {
        throw AlgorithmError(component, "the network \(network.summary) does not accept \(env.name)'s observations of size \(obs) (as [batch, time, \(obs)]): \(error)")
    }
    guard q.shape == [1, 2, actions] else {
        throw AlgorithmError(component, "the network \(network.summary) outputs shape \(shapeString(q.shape)) for a sequence of 2 observations, but \(describeActions(env)): its output size must be \(actions) (shape [1, 2, \(actions)])")
    }
}

// MARK: - Recurrent state as flat rows

extension RecurrentState {
    /// The floats of one batch row: h's row, then c's row (if any).
    static func rowSize(of template: RecurrentState) -> Int {
        let b = Swift.max(template.h.shape.first ?? 1, 1)
        return template.h.count / b + (template.c.map { $0.count / b } ?? 0)
    }

    /// Writes batch row `b` (h then c) to `out`.
    func writeRow(_ b: Int, to out: UnsafeMutablePointer<Float>) {
        let batch = Swift.max(h.shape.first ?? 1, 1)
        let hs = h.count / batch
        h.withUnsafeBufferPointer { p in out.update(from: p.baseAddress! + b * hs, count: hs) }
        if let c {
            let cs = c.count / batch
            c.withUnsafeBufferPointer { p in (out + hs).update(from: p.baseAddress! + b * cs, count: cs) }
        }
    }

    /// A state of `template`'s shapes (batch size included) from flat rows [B, rowSize].
    static func fromRows(_ rows: [Float], like template: RecurrentState) throws -> RecurrentState {
        let batch = Swift.max(template.h.shape.first ?? 1, 1)
        let hs = template.h.count / batch
        let rs = rowSize(of: template)
        var hv = [Float](repeating: 0, count: batch * hs)
        var cv: [Float] = []
        let cs = rs - hs
        if template.c != nil { cv = [Float](repeating: 0, count: batch * cs) }
        for b in 0..<batch {
            for j in 0..<hs { hv[b * hs + j] = rows[b * rs + j] }
            for j in 0..<cs { cv[b * cs + j] = rows[b * rs + hs + j] }
        }
        let h = try Tensor(hv, shape: template.h.shape)
        let c = try template.c.map { try Tensor(cv, shape: $0.shape) }
        return RecurrentState(h: h, c: c)
    }
}
