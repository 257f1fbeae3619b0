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
        def("concat", ["tensors", NativeParameter("axis", default: .int(0))], doc: "concat([a, b], axis: 0): tensors joined along an axis.") { args, _ in
            guard case .list(let l) = args[0] else { throw HostError("concat needs a list of tensors") }
            return tensor(try Tensor.concat(l.items.enumerated().map { try $1.toTensor("concat: item \($0)") }, axis: args[1].toInt("concat: axis")))
        }
        def("stack", ["tensors", NativeParameter("axis", default: .int(0))], doc: "stack([a, b], axis: 0): tensors of one shape stacked along a new axis.") { args, _ in
            guard case .list(let l) = args[0] else { throw HostError("stack needs a list of tensors") }
            return tensor(try Tensor.stack(l.items.enumerated().map { try $1.toTensor("stack: item \($0)") }, axis: args[1].toInt("stack: axis")))
        }
        def("where", ["condition", "a", "b"], doc: "where(c, a, b): a where c is non-zero, else b.") { args, _ in
            tensor(try Tensor.where(args[0].toTensor("where: condition"), args[1].toTensor("where: a"), args[2].toTensor("where: b")))
        }
        def("no_grad", ["body"], doc: "no_grad(fn() { … }): runs body without recording gradients.") { args, it in
            try noGrad { try it.call(args[0], []) }
        }
        // Element-wise functions: on tensors (and numbers); in a pipeline they become layers.
        for (name, f) in [("relu", { (t: Tensor) in t.relu() }), ("tanh", { $0.tanh() }), ("sigmoid", { $0.sigmoid() }),
                          ("gelu", { $0.gelu() }), ("softplus", { $0.softplus() }), ("exp", { $0.exp() }), ("log", { $0.log() }),
                          ("sqrt", { $0.sqrt() }), ("abs", { $0.abs() })] as [(String, (Tensor) -> Tensor)] {
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
        def("softmax", ["x", NativeParameter("axis", default: .int(-1))], doc: "softmax(x, axis: -1).") { args, _ in
            tensor(try args[0].toTensor("softmax: x").softmax(axis: args[1].toInt("softmax: axis")))
        }

        // MARK: Layers
        func layer(_ name: String, _ params: [NativeParameter], doc: String, _ make: @escaping (Arguments, inout RNG) throws -> Module) {
            def(name, params, doc: doc) { args, _ in
                var rng = session.nextRNG()
                return module(try make(args, &rng))
            }
        }
        layer("Linear", ["inputs", "outputs", NativeParameter("bias", default: .bool(true))], doc: "Linear(inputs, outputs): y = x·Wᵀ + b.") { a, rng in
            try Linear(a[0].toInt("Linear: inputs"), a[1].toInt("Linear: outputs"), bias: a[2].toBool("Linear: bias"), rng: &rng)
        }
        layer("LSTM", ["inputs", "hidden"], doc: "LSTM(inputs, hidden): an LSTM over [batch, time, inputs].") { a, rng in
            try LSTM(a[0].toInt("LSTM: inputs"), a[1].toInt("LSTM: hidden"), rng: &rng)
        }
        layer("GRU", ["inputs", "hidden"], doc: "GRU(inputs, hidden): a GRU over [batch, time, inputs].") { a, rng in
            try GRU(a[0].toInt("GRU: inputs"), a[1].toInt("GRU: hidden"), rng: &rng)
        }
        layer("RNN", ["inputs", "hidden", NativeParameter("nonlinearity", default: .string("tanh"))], doc: "RNN(inputs, hidden): an Elman RNN.") { a, rng in
            try RNN(a[0].toInt("RNN: inputs"), a[1].toInt("RNN: hidden"), nonlinearity: a[2].toStringValue("RNN: nonlinearity"), rng: &rng)
        }
        layer("Embedding", ["count", "dimension"], doc: "Embedding(count, dimension): a lookup table of vectors.") { a, rng in
            try Embedding(a[0].toInt("Embedding: count"), a[1].toInt("Embedding: dimension"), rng: &rng)
        }
        layer("LayerNorm", ["dimension"], doc: "LayerNorm(dimension): normalisation over the last axis.") { a, _ in
            try LayerNorm(a[0].toInt("LayerNorm: dimension"))
        }
        layer("Dropout", ["p"], doc: "Dropout(p): zeroes elements with probability p while training.") { a, rng in
            try Dropout(a[0].toDouble("Dropout: p"), seed: rng.next())
        }
        layer("MLP", ["sizes", NativeParameter("activation", default: .string("relu"))], doc: "MLP([4, 64, 2]): Linear layers with activations between.") { a, rng in
            try MLP(a[0].toShape("MLP: sizes"), activation: a[1].toStringValue("MLP: activation"), rng: &rng)
        }
        layer("MultiHeadAttention", ["d_model", "heads"], doc: "MultiHeadAttention(d_model, heads): self-attention.") { a, rng in
            try MultiHeadAttention(dModel: a[0].toInt("MultiHeadAttention: d_model"), heads: a[1].toInt("MultiHeadAttention: heads"), rng: &rng)
        }
        layer("TransformerBlock", ["d_model", "heads", NativeParameter("causal", default: .bool(true))], doc: "TransformerBlock(d_model, heads): pre-LN block.") { a, rng in
            try TransformerBlock(dModel: a[0].toInt("TransformerBlock: d_model"), heads: a[1].toInt("TransformerBlock: heads"), causal: a[2].toBool("TransformerBlock: causal"), rng: &rng)
        }
        layer("GPT", ["vocab_size", "context_length", NativeParameter("d_model", default: .int(128)), NativeParameter("heads", default: .int(4)),
                      NativeParameter("layers", default: .int(2)), NativeParameter("tied_head", default: .bool(true))],
              doc: "GPT(vocab_size, context_length, d_model: 128, heads: 4, layers: 2): tokens → logits.") { a, rng in
            try GPT(GPTConfig(vocabSize: a[0].toInt("GPT: vocab_size"), contextLength: a[1].toInt("GPT: context_length"),
                              dModel: a[2].toInt("GPT: d_model"), heads: a[3].toInt("GPT: heads"), layers: a[4].toInt("GPT: layers"),
                              tiedHead: a[5].toBool("GPT: tied_head")), rng: &rng)
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
        /// A model, or a list of models whose parameters are optimized together
        /// (`Adam([cell, head])`): the list becomes a container module, children "0", "1", ….
        func optimizerTarget(_ v: Value, _ name: String, _ interpreter: Interpreter) throws -> Module {
            if case .list(let l) = v {
                guard !l.items.isEmpty else { throw HostError("\(name) needs at least one model, got an empty list") }
                let group = Module()
                for (i, item) in l.items.enumerated() {
                    if case .instance = item { _ = group.addChild("\(i)", try ScriptModel(item, interpreter: interpreter)); continue }
                    guard case .host(let m as ModuleObject) = item else { throw HostError("\(name): item \(i) of the list is \(item.typeName), not a model") }
                    _ = group.addChild("\(i)", m.module)
                }
                return group
            }
            if case .instance = v { return try ScriptModel(v, interpreter: interpreter) }
            guard case .host(let m as ModuleObject) = v else { throw HostError("\(name) needs a model or a list of models, got \(v.typeName)") }
            return m.module
        }
        def("Adam", ["model", NativeParameter("lr", default: .float(1e-3)), NativeParameter("weight_decay", default: .float(0))],
            doc: "Adam(model, lr: 1e-3): the Adam optimizer over a model's parameters.") { a, it in
            .host(OptimizerObject(try Adam(optimizerTarget(a[0], "Adam", it), learningRate: a[1].toFloat("Adam: lr"), weightDecay: a[2].toFloat("Adam: weight_decay"))))
        }
        def("AdamW", ["model", NativeParameter("lr", default: .float(1e-3)), NativeParameter("weight_decay", default: .float(0.01))],
            doc: "AdamW(model, lr: 1e-3, weight_decay: 0.01): Adam with decoupled weight decay.") { a, it in
            .host(OptimizerObject(try AdamW(optimizerTarget(a[0], "AdamW", it), learningRate: a[1].toFloat("AdamW: lr"), weightDecay: a[2].toFloat("AdamW: weight_decay"))))
        }
        def("SGD", ["model", NativeParameter("lr", default: .float(1e-2)), NativeParameter("momentum", default: .float(0))],
            doc: "SGD(model, lr: 0.01, momentum: 0): stochastic gradient descent.") { a, it in
            .host(OptimizerObject(try SGD(optimizerTarget(a[0], "SGD", it), learningRate: a[1].toFloat("SGD: lr"), momentum: a[2].toFloat("SGD: momentum"))))
        }
        def("RMSprop", ["model", NativeParameter("lr", default: .float(1e-2))], doc: "RMSprop(model, lr: 0.01).") { a, it in
            .host(OptimizerObject(try RMSprop(optimizerTarget(a[0], "RMSprop", it), learningRate: a[1].toFloat("RMSprop: lr"))))
        }
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

        installAlgorithms(in: interpreter, session: session)
        installOfflineBindings(in: interpreter, session: session)
        installPlots(in: interpreter, session: session)
        installLessonBindings(in: interpreter, session: session)
        installDistributions(in: interpreter, session: session)

        // MARK: Environments
        for id in Registry.ids {
            let scriptName = id == "CartPole-v1" ? "CartPole" : id
            def(scriptName, nil, doc: "\(scriptName)(…): the \(id) environment (keyword arguments as documented).") { args, _ in
                guard args.positional.isEmpty else {
                    throw HostError("\(scriptName) takes keyword arguments only", help: ["e.g. TMaze(length: 10)"])
                }
                return .host(EnvironmentObject(try Registry.make(id, environmentArguments(args.named))))
            }
        }
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
    default: return .nan
    }
}
