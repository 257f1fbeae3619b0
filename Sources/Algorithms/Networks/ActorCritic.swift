import Environments
import NeuralNets
import TensorCore

// The networks the policy-gradient learners (A2C, PPO, recurrent PPO) accept.
//
// An `ActorCritic` maps a batch of observation sequences to the policy's parameters (the
// logits of a categorical policy, or the means of a diagonal Normal) and the state values:
//
//     x [B, T, obs], state, resets [B, T]  →  policy [B, T, P], values [B, T], final state
//
// A feed-forward network sees every step alone (its state is empty); a recurrent one
// carries a state through the sequence, zeroed before every step flagged in `resets`
// (sb3-contrib's `episode_starts`, CleanRL's `(1 − done)` mask). The state is a list of
// `RecurrentState`s: none (feed-forward), one (actor and critic share the recurrent core)
// or two (each has its own, sb3-contrib's `enable_critic_lstm`).
//
// Two implementations:
//   - `ActorCriticNetwork`: the standard networks — CleanRL's ppo.py (separate tanh MLPs)
//     and sb3-contrib's MlpLstmPolicy (an LSTM, then MLP heads; shared or separate LSTMs);
//   - `PipelineActorCritic`: a user's `Sequential` ending in a Linear layer (the actor's
//     output), such as `Linear |> relu |> LSTM |> Linear` in the language; a value head
//     Linear(features → 1) is added on the features that last layer reads, so actor and
//     critic share everything before it (CleanRL's ppo_atari_lstm.py), or a second network
//     given as the critic has its own.

/// A policy and value network, feed-forward or recurrent: what PPO and A2C train.
public protocol ActorCritic: AnyObject {
    /// The module whose parameters are trained and saved.
    var module: Module { get }
    /// A one-line description for messages.
    var summary: String { get }
    /// Whether the network carries a state between steps.
    var isRecurrent: Bool { get }
    /// The state at an episode's start for a batch (empty for a feed-forward network).
    func initialState(batch: Int) throws -> [RecurrentState]
    /// x [B, T, obs] → policy parameters [B, T, P], values [B, T] and the final state.
    /// `state` defaults to `initialState`; `resets` [B, T] zeroes the state before the
    /// flagged steps.
    func forward(_ x: Tensor, state: [RecurrentState]?, resets: Tensor?) throws
        -> (policy: Tensor, values: Tensor, state: [RecurrentState])
}

/// The error for observations without a time axis, [B, obs] instead of [B, T, obs].
func requireTimeAxis(_ x: Tensor, _ network: String) throws {
    guard x.rank == 3 else {
        throw AlgorithmError(network, "expects observations as [batch, time, observation size], got shape \(shapeString(x.shape))\(x.rank == 2 ? " (no time axis: add one with unsqueezed(axis: 1) for a single step)" : "")")
    }
}

// MARK: - The standard networks

/// The standard actor-critic networks, with PyTorch's default initialisation unless
/// `orthogonalInit` asks for CleanRL's (orthogonal, gain √2 in hidden layers, 0.01 for the
/// policy output, 1 for the value output, zero biases):
///
///   feed-forward (CleanRL's ppo.py):       actor  obs → [Linear → act]×k → Linear(P)
///                                          critic obs → [Linear → act]×k → Linear(1)
///   recurrent (sb3-contrib MlpLstmPolicy): obs → LSTM(H) → [Linear → act]×k → Linear(P)
///                                          obs → LSTM(H) → [Linear → act]×k → Linear(1)
///                                          with the critic's own LSTM, or the actor's
///                                          (`sharedRecurrent`).
public final class ActorCriticNetwork: Module, ActorCritic {
    public let observationSize: Int
    /// P, the policy's output size (actions of a categorical policy, dimensions of a Normal).
    public let policySize: Int
    /// The widths of the hidden layers of each head.
    public let hidden: [Int]
    public let activation: String
    /// The actor's recurrent core (nil: feed-forward).
    public let actorCore: RecurrentLayer?
    /// The critic's own recurrent core (nil: shared with the actor, or feed-forward).
    public let criticCore: RecurrentLayer?
    /// Hidden layers and the policy output.
    public let actorHead: Sequential
    /// Hidden layers and the value output.
    public let criticHead: Sequential

    /// - Parameters:
    ///   - cell: the recurrent core (nil: feed-forward).
    ///   - recurrentSize: H, the core's hidden size.
    ///   - sharedRecurrent: one core for actor and critic (false: one each).
    public init(
        observationSize: Int, policySize: Int, hidden: [Int] = [64, 64], activation: String = "tanh",
        cell: RecurrentQNetwork.Cell? = nil, recurrentSize: Int = 64, sharedRecurrent: Bool = false,
        orthogonalInit: Bool = false, rng: inout RNG
    ) throws {
        let c = "ActorCriticNetwork"
        try require(observationSize > 0 && policySize > 0 && recurrentSize > 0 && hidden.allSatisfy { $0 > 0 }, c,
                    "sizes must be positive, got observationSize \(observationSize), policySize \(policySize), hidden \(hidden), recurrentSize \(recurrentSize)")
        try require(Activation.named(activation) != nil, c, "unknown activation '\(activation)'; use relu, tanh, sigmoid, gelu or softplus")
        self.observationSize = observationSize
        self.policySize = policySize
        self.hidden = hidden
        self.activation = activation
        func core() throws -> RecurrentLayer? {
            switch cell {
            case nil: return nil
            case .lstm: return try LSTM(observationSize, recurrentSize, rng: &rng)
            case .gru: return try GRU(observationSize, recurrentSize, rng: &rng)
            case .rnn: return try RNN(observationSize, recurrentSize, rng: &rng)
            }
        }
        func head(_ input: Int, _ output: Int, gain: Float) throws -> Sequential {
            var layers: [any Layer] = []
            var width = input
            for h in hidden {
                layers.append(try ActorCriticNetwork.linear(width, h, gain: Float(2).squareRoot(), orthogonal: orthogonalInit, rng: &rng))
                layers.append(Activation.named(activation)!)
                width = h
            }
            layers.append(try ActorCriticNetwork.linear(width, output, gain: gain, orthogonal: orthogonalInit, rng: &rng))
            return Sequential(layers)
        }
        actorCore = try core()
        criticCore = sharedRecurrent ? nil : try core()
        let features = cell == nil ? observationSize : recurrentSize
        actorHead = try head(features, policySize, gain: 0.01)
        criticHead = try head(features, 1, gain: 1)
        super.init()
        if let actorCore { addChild(sharedRecurrent ? "core" : "actor_core", actorCore) }
        if let criticCore { addChild("critic_core", criticCore) }
        addChild("actor", actorHead)
        addChild("critic", criticHead)
    }

    static func linear(_ i: Int, _ o: Int, gain: Float, orthogonal: Bool, rng: inout RNG) throws -> Linear {
        let layer = try Linear(i, o, rng: &rng)
        if orthogonal {
            try layer.weight.assign(try Init.orthogonal([o, i], gain: gain, rng: &rng))
            try layer.bias?.assign(try Tensor.zeros([o]))
        }
        return layer
    }

    public var module: Module { self }
    public var isRecurrent: Bool { actorCore != nil }

    public var summary: String {
        let mlp = (hidden.map(String.init) + ["·"]).joined(separator: " → ")
        guard let actorCore else { return "ActorCriticNetwork(MLP \(observationSize) → \(mlp), \(activation); policy \(policySize), value 1)" }
        let core = "\(actorCore.typeName)(\(observationSize) → \(actorCore.hiddenSize))"
        return "ActorCriticNetwork(\(criticCore == nil ? "shared " : "separate ")\(core) → \(mlp), \(activation); policy \(policySize), value 1)"
    }

    public func initialState(batch: Int) throws -> [RecurrentState] {
        var s: [RecurrentState] = []
        if let actorCore { s.append(try actorCore.initialState(batch: batch)) }
        if let criticCore { s.append(try criticCore.initialState(batch: batch)) }
        return s
    }

    public func forward(_ x: Tensor, state: [RecurrentState]?, resets: Tensor?) throws
        -> (policy: Tensor, values: Tensor, state: [RecurrentState])
    {
        try requireTimeAxis(x, "ActorCriticNetwork")
        let (b, t) = (x.shape[0], x.shape[1])
        guard let actorCore else {
            return (try actorHead(x), try criticHead(x).reshape([b, t]), [])
        }
        let s = try state ?? initialState(batch: b)
        let (actorFeatures, actorState) = try actorCore.forward(x, state: s[0], resets: resets)   // [B, T, H]
        var criticFeatures = actorFeatures, final = [actorState]
        if let criticCore {
            let (h, criticState) = try criticCore.forward(x, state: s[1], resets: resets)       // [B, T, H]
            criticFeatures = h
            final.append(criticState)
        }
        return (try actorHead(actorFeatures), try criticHead(criticFeatures).reshape([b, t]), final)
    }
}

// MARK: - A user's pipeline

/// A `Sequential` (or a single Linear layer) whose last layer is a Linear layer giving the
/// policy's parameters, seen as an actor-critic: a value head Linear(features → 1) reads the
/// features that last layer reads, so actor and critic share the body. The body may hold
/// one recurrent layer, applied to the sequence with the state and resets. A second
/// network given as `critic` (ending in an output of size 1) replaces the shared value head
/// and keeps its own state.
public final class PipelineActorCritic: Module, ActorCritic {
    /// The network as given (its parameters are the actor's and the shared body's).
    public let policyNetwork: Module
    /// The value head on the shared features (nil with a separate critic).
    public let valueHead: Linear?
    /// The separate critic (nil: the value head on the shared body).
    public let criticNetwork: Module?
    let actorPipeline: SplitPipeline
    let criticPipeline: SplitPipeline?

    /// Adapts `network`; throws when its last layer is not Linear, or it has more than one
    /// recurrent layer. `rng` initialises the value head.
    public init(_ network: Module, critic: Module? = nil, component: String = "PPO", rng: inout RNG) throws {
        actorPipeline = try SplitPipeline(network, component: component, role: "the policy network")
        policyNetwork = network
        if let critic {
            let p = try SplitPipeline(critic, component: component, role: "the critic")
            try require(p.head.outputs == 1, component,
                        "the critic \(p.summary) must output one value per observation, but its last layer Linear(\(p.head.inputs), \(p.head.outputs)) outputs \(p.head.outputs)")
            criticPipeline = p
            criticNetwork = critic
            valueHead = nil
        } else {
            criticPipeline = nil
            criticNetwork = nil
            valueHead = try Linear(actorPipeline.head.inputs, 1, rng: &rng)
        }
        super.init()
        addChild("policy", network)
        if let valueHead { addChild("value_head", valueHead) }
        if let critic { addChild("critic", critic) }
    }

    public var module: Module { self }
    public var isRecurrent: Bool { actorPipeline.recurrent != nil || criticPipeline?.recurrent != nil }
    /// P, the policy's output size.
    public var policySize: Int { actorPipeline.head.outputs }
    public var summary: String {
        actorPipeline.summary + (criticPipeline.map { " with critic \($0.summary)" } ?? " with a value head Linear(\(actorPipeline.head.inputs), 1)")
    }

    public func initialState(batch: Int) throws -> [RecurrentState] {
        var s: [RecurrentState] = []
        if let r = actorPipeline.recurrent { s.append(try r.initialState(batch: batch)) }
        if let r = criticPipeline?.recurrent { s.append(try r.initialState(batch: batch)) }
        return s
    }

    public func forward(_ x: Tensor, state: [RecurrentState]?, resets: Tensor?) throws
        -> (policy: Tensor, values: Tensor, state: [RecurrentState])
    {
        try requireTimeAxis(x, "PPO")
        let (b, t) = (x.shape[0], x.shape[1])
        let s = try state ?? initialState(batch: b)
        let actorState = actorPipeline.recurrent == nil ? nil : s[0]
        let (features, actorFinal) = try actorPipeline.body(x, state: actorState, resets: resets)   // [B, T, F]
        let policy = try actorPipeline.head(features)                                               // [B, T, P]
        var final: [RecurrentState] = actorFinal.map { [$0] } ?? []
        let values: Tensor
        if let criticPipeline {
            let criticState = criticPipeline.recurrent == nil ? nil : s[final.count]
            let (h, criticFinal) = try criticPipeline.body(x, state: criticState, resets: resets)
            values = try criticPipeline.head(h).reshape([b, t])
            if let criticFinal { final.append(criticFinal) }
        } else {
            values = try valueHead!(features).reshape([b, t])
        }
        return (policy, values, final)
    }
}

/// A pipeline cut into its body (layers before the last, with at most one recurrent layer)
/// and its last Linear layer.
struct SplitPipeline {
    let before: [any Layer]
    let recurrent: RecurrentLayer?
    let after: [any Layer]
    let head: Linear
    let summary: String

    init(_ module: Module, component: String, role: String) throws {
        let layers: [any Layer]
        if let sequential = module as? Sequential {
            layers = sequential.layers
        } else if module is MLP, let sequential = module.children.first?.module as? Sequential {
            layers = sequential.layers
        } else if let layer = module as? any Layer {
            layers = [layer]
        } else {
            throw AlgorithmError(component, "\(role) must be a layer or a pipeline of layers ending in a Linear layer, got \(module.typeName)")
        }
        summary = "Sequential(" + layers.map(\.typeName).joined(separator: " → ") + ")"
        guard let head = layers.last as? Linear else {
            throw AlgorithmError(component, "\(role) \(summary) must end in a Linear layer (its output is \(role == "the critic" ? "the value" : "the policy's logits or means"); a value head is attached to what that layer reads), but it ends in \(layers.last?.typeName ?? "nothing")")
        }
        let body = layers.dropLast()
        let indices = body.indices.filter { body[$0] is RecurrentLayer }
        try require(indices.count <= 1, component,
                    "\(role) \(summary) has \(indices.count) recurrent layers; a pipeline may hold one (write an ActorCritic for stacked cells)")
        self.head = head
        if let r = indices.first {
            before = Array(body[..<r])
            recurrent = body[r] as? RecurrentLayer
            after = Array(body[(r + 1)...])
        } else {
            before = Array(body)
            recurrent = nil
            after = []
        }
    }

    /// The body's features [B, T, F] and the recurrent layer's final state.
    func body(_ x: Tensor, state: RecurrentState?, resets: Tensor?) throws -> (Tensor, RecurrentState?) {
        var h = x
        for layer in before { h = try layer(h) }
        var final: RecurrentState?
        if let recurrent {
            let (outputs, s) = try recurrent.forward(h, state: state, resets: resets)
            h = outputs
            final = s
        }
        for layer in after { h = try layer(h) }
        return (h, final)
    }
}

/// `network` as an actor-critic: itself when it is one, else a `PipelineActorCritic`.
public func makeActorCritic(_ network: Module, critic: Module? = nil, component: String = "PPO", rng: inout RNG) throws -> any ActorCritic {
    if let f = network as? any ActorCritic {
        try require(critic == nil, component, "\(f.summary) has its own critic; a separate critic network applies to a pipeline of layers")
        return f
    }
    return try PipelineActorCritic(network, critic: critic, component: component, rng: &rng)
}

// MARK: - Recurrent states as flat rows

extension Array where Element == RecurrentState {
    /// Floats per batch row of all the states together.
    var rowSize: Int { reduce(0) { $0 + RecurrentState.rowSize(of: $1) } }

    /// The states as flat rows [B, rowSize] (each state's h, then c, state after state).
    func rows(batch: Int) -> [Float] {
        let size = rowSize
        var out = [Float](repeating: 0, count: batch * size)
        out.withUnsafeMutableBufferPointer { p in
            for b in 0..<batch {
                var offset = b * size
                for s in self {
                    s.writeRow(b, to: p.baseAddress! + offset)
                    offset += RecurrentState.rowSize(of: s)
                }
            }
        }
        return out
    }

    /// States shaped as `template`'s (its batch size) from flat rows [B, rowSize].
    static func fromRows(_ rows: [Float], like template: [RecurrentState]) throws -> [RecurrentState] {
        let batch = Swift.max(template.first?.h.shape.first ?? 1, 1)
        let size = template.rowSize
        var offset = 0
        var out: [RecurrentState] = []
        for s in template {
            let width = RecurrentState.rowSize(of: s)
            var part = [Float](repeating: 0, count: batch * width)
            for b in 0..<batch {
                for j in 0..<width { part[b * width + j] = rows[b * size + offset + j] }
            }
            out.append(try RecurrentState.fromRows(part, like: s))
            offset += width
        }
        return out
    }
}
