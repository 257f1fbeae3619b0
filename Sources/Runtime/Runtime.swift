import Configuration
import Environments
import Foundation
import Language
import NeuralNets
import TensorCore

/// Binds the engine into the language: tensor functions, layers, optimizers, losses,
/// environments and checkpoints become globals of an interpreter.
public enum Runtime {
    /// Installs every binding into `interpreter`, with `session` for files and randomness.
    public static func install(in interpreter: Interpreter, session: Session) {
        let g = interpreter.globals
        func def(_ name: String, _ params: [NativeParameter]?, variadic: Bool = false, doc: String,
                 _ body: @escaping (inout Arguments, Interpreter) throws -> Value) {
            g.define(name, .native(NativeFunction(name, parameters: params, variadic: variadic, doc: doc, body: body)))
        }
        func tensor(_ t: Tensor) -> Value { .host(TensorObject(t)) }
        func module(_ m: Module) -> Value { .host(ModuleObject(m)) }

        interpreter.compareHostValues = { a, b, tolerance in try TensorComparison.compare(a, b, tolerance: tolerance) }
        interpreter.loadFile = { path, _ in
            let full = try session.readablePath(path)
            guard let text = try? String(contentsOfFile: full, encoding: .utf8) else {
                throw HostError("cannot read \(path)")
            }
            return LoadedFile(path: full, text: text)
        }

        // MARK: Randomness
        def("seed", ["value"], doc: "seed(n): restarts the random stream (layer initialisation, sampling) from n.") { args, _ in
            session.rng = RNG(seed: UInt64(truncatingIfNeeded: try args[0].toInt("seed")))
            return .nil
        }

        // MARK: Tensors
        def("tensor", ["values"], doc: "tensor([[1, 2], [3, 4]]): a tensor from nested lists of numbers.") { args, _ in
            tensor(try args[0].toTensor("tensor"))
        }
        def("zeros", ["shape"], doc: "zeros([2, 3]): a tensor of zeros.") { args, _ in tensor(try Tensor.zeros(args[0].toShape("zeros: shape"))) }
        def("ones", ["shape"], doc: "ones([2, 3]): a tensor of ones.") { args, _ in tensor(try Tensor.ones(args[0].toShape("ones: shape"))) }
        def("full", ["shape", "value"], doc: "full([2, 3], 7): a tensor filled with a value.") { args, _ in
            tensor(try Tensor.full(args[0].toShape("full: shape"), args[1].toFloat("full: value")))
        }
        def("arange", ["start", NativeParameter("end", default: .nil), NativeParameter("step", default: .float(1))],
            doc: "arange(5) or arange(2, 10, step: 2): evenly spaced values before end.") { args, _ in
            let (s, e) = args[1].isNil ? (0, try args[0].toFloat("arange: end")) : (try args[0].toFloat("arange: start"), try args[1].toFloat("arange: end"))
            return tensor(try Tensor.arange(s, e, step: args[2].toFloat("arange: step")))
        }
        def("linspace", ["start", "end", "count"], doc: "linspace(0, 1, 5): count values from start to end inclusive.") { args, _ in
            tensor(try Tensor.linspace(args[0].toFloat("linspace: start"), args[1].toFloat("linspace: end"), count: args[2].toInt("linspace: count")))
        }
        def("eye", ["n"], doc: "eye(3): the identity matrix.") { args, _ in tensor(try Tensor.eye(args[0].toInt("eye: n"))) }
        def("rand", ["shape"], doc: "rand([2, 3]): uniform values in [0, 1) from the session's random stream.") { args, _ in
            tensor(try Tensor.uniform(args[0].toShape("rand: shape"), rng: &session.rng))
        }
        def("randn", ["shape"], doc: "randn([2, 3]): standard normal values from the session's random stream.") { args, _ in
            tensor(try Tensor.normal(args[0].toShape("randn: shape"), rng: &session.rng))
        }
        def("randint", ["low", "high", NativeParameter("shape", default: .nil)], doc: "randint(0, 10, [3]): integers in low..<high (an Int without shape).") { args, _ in
            let lo = try args[0].toInt("randint: low"), hi = try args[1].toInt("randint: high")
            guard hi > lo else { throw HostError("randint needs low < high, got \(lo) and \(hi)") }
            if args[2].isNil { return .int(session.rng.int(in: lo..<hi)) }
            return tensor(try Tensor.randint(args[2].toShape("randint: shape"), low: lo, high: hi, rng: &session.rng))
        }
        def("concat", ["tensors", NativeParameter("axis", default: .int(0), aliases: ["dim"])], doc: "concat([a, b], axis: 0): tensors joined along an axis.") { args, _ in
            guard case .list(let l) = args[0] else { throw HostError("concat needs a list of tensors") }
            return tensor(try Tensor.concat(l.items.enumerated().map { try $1.toTensor("concat: item \($0)") }, axis: args[1].toInt("concat: axis")))
        }
        def("stack", ["tensors", NativeParameter("axis", default: .int(0), aliases: ["dim"])], doc: "stack([a, b], axis: 0): tensors of one shape stacked along a new axis.") { args, _ in
            guard case .list(let l) = args[0] else { throw HostError("stack needs a list of tensors") }
            return tensor(try Tensor.stack(l.items.enumerated().map { try $1.toTensor("stack: item \($0)") }, axis: args[1].toInt("stack: axis")))
        }
        def("where", ["condition", NativeParameter("a", aliases: ["input"]), NativeParameter("b", aliases: ["other"])],
            doc: "where(c, a, b): a where c is non-zero, else b (element-wise, broadcasting).") { args, _ in
            tensor(try Tensor.where(args[0].toTensor("where: condition"), args[1].toTensor("where: a"), args[2].toTensor("where: b")))
        }
        def("no_grad", ["body"], doc: "no_grad(fn() { … }): runs body without recording gradients.") { args, it in
            try noGrad { try it.call(args[0], []) }
        }
        // Element-wise functions: on tensors (and numbers); in a pipeline they become layers.
        for (name, f) in [("relu", { (t: Tensor) in t.relu() }), ("tanh", { $0.tanh() }), ("sigmoid", { $0.sigmoid() }),
                          ("gelu", { $0.gelu() }), ("softplus", { $0.softplus() }), ("exp", { $0.exp() }), ("log", { $0.log() }),
                          ("sqrt", { $0.sqrt() }), ("abs", { $0.abs() }), ("sin", { $0.sin() }), ("cos", { $0.cos() })]
                          as [(String, (Tensor) -> Tensor)] {
            def(name, ["x"], doc: "\(name)(x): element-wise \(name) of a tensor; of a number, a number (in double precision).") { args, _ in
                switch args[0] {
                case .int(let i) where name == "abs": return .int(abs(i))
                case .int, .float:
                    let d = try args[0].toDouble(name)
                    return .float(scalarFunction(name, d))
                default: return tensor(f(try args[0].toTensor("\(name): x")))
                }
            }
        }
        def("softmax", ["x", NativeParameter("axis", default: .int(-1), aliases: ["dim"])], doc: "softmax(x, axis: -1): exp(x) / Σ exp(x) along an axis.") { args, _ in
            tensor(try args[0].toTensor("softmax: x").softmax(axis: args[1].toInt("softmax: axis")))
        }
        def("log_softmax", ["x", NativeParameter("axis", default: .int(-1), aliases: ["dim"])], doc: "log_softmax(x, axis: -1): log of the softmax, computed stably.") { args, _ in
            tensor(try args[0].toTensor("log_softmax: x").logSoftmax(axis: args[1].toInt("log_softmax: axis")))
        }
        def("clamp", ["x", NativeParameter("min", default: .nil), NativeParameter("max", default: .nil)],
            doc: "clamp(x, min: nil, max: nil): x limited to [min, max] element-wise (nil: no bound); of a number, a number.") { args, _ in
            let lo = args[1].isNil ? -Double.infinity : try args[1].toDouble("clamp: min")
            let hi = args[2].isNil ? Double.infinity : try args[2].toDouble("clamp: max")
            guard !(lo > hi) else { throw HostError("clamp: min \(lo) is greater than max \(hi)") }
            switch args[0] {
            case .int(let i) where args[1].isIntOrNil && args[2].isIntOrNil: return .int(Int(Swift.min(Swift.max(Double(i), lo), hi)))
            case .int, .float: return .float(Swift.min(Swift.max(try args[0].toDouble("clamp: x"), lo), hi))
            default: return tensor(try args[0].toTensor("clamp: x").clamp(min: Float(lo), max: Float(hi)))
            }
        }

        // MARK: Layers
        // Each field reaches the layer's own property; defaults come from a prototype built
        // by the layer's initialiser.
        let b = Binder(interpreter: interpreter, session: session)
        let size = Bounds.atLeast(1)
        b.layer("Linear", doc: "y = x·Wᵀ + b.", fields: [
            ConfigField("inputs", \Linear.inputs, "input features", size, required: true),
            ConfigField("outputs", \.outputs, "output features", size, required: true),
            ConfigField("bias", \.hasBias, "learn the bias b"),
        ], prototype: { try Linear(1, 1, rng: &$0) }) { v, rng in try Linear(v[\.inputs], v[\.outputs], bias: v[\.hasBias], rng: &rng) }
        b.layer("LSTM", doc: "an LSTM over [batch, time, inputs] (Hochreiter & Schmidhuber 1997).", fields: [
            ConfigField("inputs", \LSTM.inputSize, "input features", size, required: true),
            ConfigField("hidden", \.hiddenSize, "the size of h and c", size, required: true),
        ], prototype: { try LSTM(1, 1, rng: &$0) }) { v, rng in try LSTM(v[\.inputSize], v[\.hiddenSize], rng: &rng) }
        b.layer("GRU", doc: "a GRU over [batch, time, inputs] (Cho et al. 2014).", fields: [
            ConfigField("inputs", \GRU.inputSize, "input features", size, required: true),
            ConfigField("hidden", \.hiddenSize, "the size of h", size, required: true),
        ], prototype: { try GRU(1, 1, rng: &$0) }) { v, rng in try GRU(v[\.inputSize], v[\.hiddenSize], rng: &rng) }
        b.layer("RNN", doc: "an Elman RNN over [batch, time, inputs].", fields: [
            ConfigField("inputs", \RNN.inputSize, "input features", size, required: true),
            ConfigField("hidden", \.hiddenSize, "the size of h", size, required: true),
            ConfigField("nonlinearity", \.nonlinearity, "\"tanh\" or \"relu\""),
        ], prototype: { try RNN(1, 1, rng: &$0) }) { v, rng in try RNN(v[\.inputSize], v[\.hiddenSize], nonlinearity: v[\.nonlinearity], rng: &rng) }
        b.layer("Embedding", doc: "a lookup table of vectors, one per token.", fields: [
            ConfigField("count", \Embedding.count, "the number of entries (vocabulary size)", size, required: true),
            ConfigField("dimension", \.dimension, "the size of each vector", size, required: true),
        ], prototype: { try Embedding(1, 1, rng: &$0) }) { v, rng in try Embedding(v[\.count], v[\.dimension], rng: &rng) }
        b.layer("LayerNorm", doc: "normalisation over the last axis (Ba et al. 2016).", fields: [
            ConfigField("dimension", \LayerNorm.dimension, "the size of the last axis", size, required: true),
        ], prototype: { _ in try LayerNorm(1) }) { v, _ in try LayerNorm(v[\.dimension]) }
        b.layer("Dropout", doc: "zeroes elements with probability p while training.", fields: [
            ConfigField("p", \Dropout.p, "the probability of zeroing an element", .closedOpen(0, 1), required: true),
        ], prototype: { _ in try Dropout(0) }) { v, rng in try Dropout(v[\.p], seed: rng.next()) }
        b.layer("MLP", doc: "Linear layers of the given sizes with an activation between them.", fields: [
            ConfigField("sizes", \MLP.sizes, "input, hidden and output sizes, e.g. [4, 64, 2]", size, required: true),
            ConfigField("activation", \.activation, "relu, tanh, sigmoid, gelu, softplus or leakyRelu"),
        ], prototype: { try MLP([1, 1], rng: &$0) }) { v, rng in try MLP(v[\.sizes], activation: v[\.activation], rng: &rng) }
        b.layer("MultiHeadAttention", doc: "causal multi-head self-attention (Vaswani et al. 2017).", fields: [
            ConfigField("d_model", \MultiHeadAttention.dModel, "the model width", size, required: true),
            ConfigField("heads", \.heads, "attention heads (dividing d_model)", size, required: true),
        ], prototype: { try MultiHeadAttention(dModel: 1, heads: 1, rng: &$0) }) { v, rng in
            try MultiHeadAttention(dModel: v[\.dModel], heads: v[\.heads], rng: &rng)
        }
        b.layer("TransformerBlock", doc: "a pre-LN Transformer block: attention and an MLP, each with a residual.", fields: [
            ConfigField("d_model", \TransformerBlock.attention.dModel, "the model width", size, required: true),
            ConfigField("heads", \.attention.heads, "attention heads (dividing d_model)", size, required: true),
            ConfigField("causal", \.causal, "mask attention to earlier positions"),
        ], prototype: { try TransformerBlock(dModel: 1, heads: 1, rng: &$0) }) { v, rng in
            try TransformerBlock(dModel: v[\.attention.dModel], heads: v[\.attention.heads], causal: v[\.causal], rng: &rng)
        }
        b.layer("GPT", doc: "a GPT: tokens [batch, time] → logits [batch, time, vocab_size] (Radford et al. 2018).", fields: [
            ConfigField("vocab_size", \GPTConfig.vocabSize, "the number of tokens", size, required: true),
            ConfigField("context_length", \.contextLength, "the longest sequence", size, required: true),
            ConfigField("d_model", \.dModel, "the model width", size),
            ConfigField("heads", \.heads, "attention heads (dividing d_model)", size),
            ConfigField("layers", \.layers, "Transformer blocks", size),
            ConfigField("tied_head", \.tiedHead, "the output head shares the token embedding"),
        ], prototype: { _ in GPTConfig(vocabSize: 1, contextLength: 1) }, root: { (g: GPT) in g.config }) { v, rng in
            try GPT(GPTConfig(vocabSize: v[\.vocabSize], contextLength: v[\.contextLength], dModel: v[\.dModel], heads: v[\.heads],
                              layers: v[\.layers], tiedHead: v[\.tiedHead]), rng: &rng)
        }
        def("Sequential", ["layers"], doc: "Sequential([l1, l2, …]): layers applied in order (also written l1 |> l2).") { args, _ in
            guard case .list(let l) = args[0] else { throw HostError("Sequential needs a list of layers") }
            var layers: [any Layer] = []
            for (i, item) in l.items.enumerated() {
                guard let ls = try pipelineLayers(item) else { throw HostError("Sequential: item \(i) is a \(item.typeName), not a layer") }
                layers += ls
            }
            return module(Sequential(layers))
        }

        // MARK: Optimizers
        b.optimizer("Adam", doc: "the Adam optimizer (Kingma & Ba 2015).", fields: [
            ConfigField("lr", \Adam.learningRate, "α, the learning rate", .nonNegative),
            ConfigField("weight_decay", \.weightDecay, "L2 penalty added to the gradient", .nonNegative),
        ], prototype: { try Adam(named: []) }) { v, m in try Adam(m, learningRate: v[\.learningRate], weightDecay: v[\.weightDecay]) }
        b.optimizer("AdamW", doc: "Adam with decoupled weight decay (Loshchilov & Hutter 2019).", fields: [
            ConfigField("lr", \AdamW.learningRate, "α, the learning rate", .nonNegative),
            ConfigField("weight_decay", \.weightDecay, "λ, the decoupled weight decay", .nonNegative),
        ], prototype: { try AdamW(named: []) }) { v, m in try AdamW(m, learningRate: v[\.learningRate], weightDecay: v[\.weightDecay]) }
        b.optimizer("SGD", doc: "stochastic gradient descent, with momentum.", fields: [
            ConfigField("lr", \SGD.learningRate, "the learning rate", .nonNegative),
            ConfigField("momentum", \.momentum, "μ, the momentum", .nonNegative),
        ], prototype: { try SGD(named: []) }) { v, m in try SGD(m, learningRate: v[\.learningRate], momentum: v[\.momentum]) }
        b.optimizer("RMSprop", doc: "RMSprop (Hinton's lecture 6e).", fields: [
            ConfigField("lr", \RMSprop.learningRate, "the learning rate", .nonNegative),
        ], prototype: { try RMSprop(named: []) }) { v, m in try RMSprop(m, learningRate: v[\.learningRate]) }
        def("clip_grad_norm", ["model", "max_norm"], doc: "clip_grad_norm(model, 1.0): scales gradients to a global norm; returns the norm before.") { a, it in
            .float(Double(try clipGradNorm(optimizerTarget(a[0], "clip_grad_norm", it), maxNorm: a[1].toFloat("clip_grad_norm: max_norm"))))
        }

        // MARK: Losses
        def("mse_loss", ["prediction", "target"], doc: "mse_loss(prediction, target): mean squared error.") { a, _ in
            tensor(try mseLoss(a[0].toTensor("mse_loss: prediction"), a[1].toTensor("mse_loss: target")))
        }
        def("huber_loss", ["prediction", "target", NativeParameter("delta", default: .float(1))], doc: "huber_loss(prediction, target, delta: 1).") { a, _ in
            tensor(try huberLoss(a[0].toTensor("huber_loss: prediction"), a[1].toTensor("huber_loss: target"), delta: a[2].toFloat("huber_loss: delta")))
        }
        def("cross_entropy", ["logits", "targets", NativeParameter("mask", default: .nil)], doc: "cross_entropy(logits [.., C], targets [..], mask: nil).") { a, _ in
            tensor(try crossEntropyLoss(logits: a[0].toTensor("cross_entropy: logits"), targets: a[1].toTensor("cross_entropy: targets"),
                                        mask: a[2].isNil ? nil : a[2].toTensor("cross_entropy: mask")))
        }

        // MARK: Checkpoints
        def("save", ["model", "path"], doc: "save(model, \"model.safetensors\"): writes the parameters under the output folder.") { a, _ in
            guard case .host(let m as ModuleObject) = a[0] else { throw HostError("save needs a model, got \(a[0].typeName)") }
            let path = try session.writablePath(a[1].toStringValue("save: path"))
            try m.module.saveCheckpoint(to: path)
            return .str(path)
        }
        def("load", ["model", "path"], doc: "load(model, \"file.safetensors\"): reads parameters saved by save (or by Python's safetensors).") { a, _ in
            guard case .host(let m as ModuleObject) = a[0] else { throw HostError("load needs a model, got \(a[0].typeName)") }
            let p = try a[1].toStringValue("load: path")
            let outputCandidate = session.outputDirectory.appendingPathComponent(p).path
            let path = !session.grading && FileManager.default.fileExists(atPath: outputCandidate) && !p.hasPrefix("/") ? outputCandidate : try session.readablePath(p)
            _ = try m.module.loadCheckpoint(from: path)
            return .nil
        }

        installAlgorithms(b)
        installIMPALA(b)
        installOffPolicyEvaluation(in: interpreter)
        installPolicyGradients(b)
        installOfflineBindings(in: interpreter, session: session)
        installMetaRL(b)
        installPlots(in: interpreter, session: session)
        installLessonBindings(in: interpreter, session: session)
        installDistributions(in: interpreter, session: session)
        installLanguageModels(in: interpreter, session: session)
        installOfflineLanguageBindings(in: interpreter, session: session)
        installRLHF(in: interpreter, session: session)

        // MARK: Environments
        for entry in Registry.entries { b.environment(entry) }
    }
}

/// The element-wise functions on one number, in double precision (`log(2)` is a Float, not
/// a tensor): the same definitions as the tensor kernels.
func scalarFunction(_ name: String, _ x: Double) -> Double {
    switch name {
    case "relu": return max(x, 0)
    case "tanh": return Foundation.tanh(x)
    case "sigmoid": return 1 / (1 + Foundation.exp(-x))
    case "gelu": return 0.5 * x * (1 + Foundation.erf(x / 2.0.squareRoot()))
    case "softplus": return x > 20 ? x : Foundation.log1p(Foundation.exp(x))
    case "exp": return Foundation.exp(x)
    case "log": return Foundation.log(x)
    case "sqrt": return x.squareRoot()
    case "abs": return Swift.abs(x)
    case "sin": return Foundation.sin(x)
    case "cos": return Foundation.cos(x)
    default: return .nan
    }
}

/// A model, or a list of models whose parameters are optimized together
/// (`Adam([cell, head])`): the list becomes a container module, children "0", "1", ….
func optimizerTarget(_ v: Value, _ name: String, _ interpreter: Interpreter) throws -> Module {
    if case .list(let l) = v {
        guard !l.items.isEmpty else { throw HostError("\(name) needs at least one model, got an empty list", argument: .parameter("model")) }
        let group = Module()
        for (i, item) in l.items.enumerated() {
            if case .instance = item { _ = group.addChild("\(i)", try ScriptModel(item, interpreter: interpreter)); continue }
            guard case .host(let m as ModuleObject) = item else {
                throw HostError("\(name): item \(i) of the list is \(item.typeName), not a model", argument: .parameter("model"))
            }
            _ = group.addChild("\(i)", m.module)
        }
        return group
    }
    if case .instance = v { return try ScriptModel(v, interpreter: interpreter) }
    guard case .host(let m as ModuleObject) = v else {
        throw HostError("\(name) needs a model or a list of models, got \(v.typeName)", argument: .parameter("model"))
    }
    return m.module
}
