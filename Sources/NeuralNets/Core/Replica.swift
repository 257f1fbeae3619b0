import TensorCore

// A replica is an independent copy of a model: the same structure with its own Parameter
// objects holding the same values. Threads that act while another thread trains (IMPALA's
// actors) each need one, since a Parameter's value is shared by everything that holds it
// and the learner updates it in place.
//
// Each built-in layer is rebuilt with its own initialiser (with a throwaway random stream)
// and its values copied over, so a replica runs the same code as the original. Modules
// this file does not know (a user's own subclass, a model written in a script) cannot be
// replicated and say so.

/// An independent copy of `module` with equal parameter values. Throws a `LayerError`
/// naming the module when some part of it is of a kind that cannot be copied.
public func replica<M: Module>(of module: M) throws -> M {
    let copy = try rebuilt(module)
    try copy.copyParameters(from: module)
    copy.train(module.isTraining)
    guard let typed = copy as? M else { throw LayerError(module.typeName, "its replica has another type") }
    return typed
}

/// Whether `module` is made only of layers that `replica(of:)` can copy.
public func isReplicable(_ module: Module) -> Bool { (try? rebuilt(module)) != nil }

/// A fresh module of `module`'s structure (parameters not yet copied).
private func rebuilt(_ module: Module) throws -> Module {
    var rng = RNG(seed: 0)
    switch module {
    case let l as Linear:
        return try Linear(l.inputs, l.outputs, bias: l.bias != nil, rng: &rng)
    case let a as Activation:
        return a   // stateless: the same function may be shared
    case let s as Sequential:
        return Sequential(try s.layers.map { layer in
            guard let copy = try rebuilt(layer) as? any Layer else { throw LayerError(layer.typeName, "cannot be replicated") }
            return copy
        })
    case let m as MLP:
        return try MLP(m.sizes, activation: m.activation, rng: &rng)
    case let n as LayerNorm:
        return try LayerNorm(n.dimension, eps: n.eps)
    case let e as Embedding:
        return try Embedding(e.count, e.dimension, rng: &rng)
    case let d as Dropout:
        return try Dropout(d.p, seed: rng.next())
    case let r as LSTM:
        return try LSTM(r.inputSize, r.hiddenSize, rng: &rng)
    case let r as GRU:
        return try GRU(r.inputSize, r.hiddenSize, rng: &rng)
    case let r as RNN:
        return try RNN(r.inputSize, r.hiddenSize, nonlinearity: r.nonlinearity, rng: &rng)
    case let g as GPT:
        return try GPT(g.config, rng: &rng)
    default:
        throw LayerError(module.typeName, "cannot be replicated: only models built from the built-in layers (Linear, activations, Sequential, MLP, LayerNorm, Embedding, Dropout, LSTM, GRU, RNN, GPT) can be copied for other threads")
    }
}
