import Language
import NeuralNets
import TensorCore

// Policy distributions for scripts: `Categorical(logits: …)` and `Normal(mean: …, log_std: …)`
// with sample, log_prob, entropy and kl (PyTorch's torch.distributions names). Sampling draws
// from the session's random stream, so a seed fixes it. log_prob, entropy and kl are
// differentiable: a policy-gradient loss is `-(dist.log_prob(actions) * advantages).mean()`.

final class DistributionObject: HostObject {
    enum Kind {
        case categorical(Categorical)
        case normal(DiagonalNormal)
    }
    let kind: Kind
    let session: Session
    init(_ kind: Kind, session: Session) {
        self.kind = kind
        self.session = session
    }

    override var typeName: String {
        switch kind {
        case .categorical: return "Categorical"
        case .normal: return "Normal"
        }
    }
    override var description: String {
        switch kind {
        case .categorical(let c): return "Categorical(classes: \(c.classCount), batch: \(c.batchShape))"
        case .normal(let n): return "Normal(size: \(n.eventSize), batch: \(n.batchShape))"
        }
    }
    override var memberNames: [String] {
        switch kind {
        case .categorical: return ["sample", "mode", "log_prob", "entropy", "kl", "probs", "logits"]
        case .normal: return ["sample", "rsample", "mode", "log_prob", "entropy", "kl", "mean", "std"]
        }
    }

    override func getMember(_ name: String, interpreter: Interpreter) throws -> Value? {
        switch (kind, name) {
        case (.categorical(let c), "probs"): return .host(TensorObject(c.probabilities))
        case (.categorical(let c), "logits"): return .host(TensorObject(c.logits))
        case (.normal(let n), "mean"): return .host(TensorObject(n.mean))
        case (.normal(let n), "std"): return .host(TensorObject(n.std))
        default:
            guard memberNames.contains(name) else { return nil }
            let parameters: [NativeParameter]
            switch name {
            case "log_prob": if case .categorical = kind { parameters = ["actions"] } else { parameters = ["value"] }
            case "kl": parameters = ["other"]
            default: parameters = []
            }
            return boundMethod(name, parameters, doc: "\(typeName).\(name)") { [self] args, it in
                try self.method(name, args, interpreter: it) ?? .nil
            }
        }
    }

    func method(_ name: String, _ args: Arguments, interpreter: Interpreter) throws -> Value? {
        func arg(_ i: Int, _ label: String) -> Value? { args.named(label) ?? (i < args.positional.count ? args.positional[i] : nil) }
        func t(_ x: Tensor) -> Value { .host(TensorObject(x)) }
        switch (kind, name) {
        case (.categorical(let c), "sample"): return t(try c.sample(rng: &session.rng))
        case (.categorical(let c), "mode"): return t(try c.mode())
        case (.categorical(let c), "entropy"): return t(try c.entropy())
        case (.categorical(let c), "log_prob"):
            guard let a = arg(0, "actions") else { throw HostError("log_prob needs the actions (a tensor of class indices)") }
            return t(try c.logProb(a.toTensor("log_prob: actions")))
        case (.categorical(let c), "kl"):
            guard case .host(let o as DistributionObject)? = arg(0, "other"), case .categorical(let q) = o.kind else {
                throw HostError("kl needs another Categorical: p.kl(q) is KL(p ‖ q)")
            }
            return t(try c.klDivergence(to: q))
        case (.normal(let n), "sample"): return t(try n.sample(rng: &session.rng))
        case (.normal(let n), "rsample"): return t(try n.rsample(rng: &session.rng))
        case (.normal(let n), "mode"): return t(n.mean)
        case (.normal(let n), "entropy"): return t(try n.entropy())
        case (.normal(let n), "log_prob"):
            guard let x = arg(0, "value") else { throw HostError("log_prob needs a value of the distribution's shape") }
            return t(try n.logProb(x.toTensor("log_prob: value")))
        case (.normal(let n), "kl"):
            guard case .host(let o as DistributionObject)? = arg(0, "other"), case .normal(let q) = o.kind else {
                throw HostError("kl needs another Normal: p.kl(q) is KL(p ‖ q)")
            }
            return t(try n.klDivergence(to: q))
        default: return nil
        }
    }
}

extension Runtime {
    static func installDistributions(in interpreter: Interpreter, session: Session) {
        let g = interpreter.globals
        g.define("Categorical", .native(NativeFunction("Categorical", parameters: ["logits"],
            doc: "Categorical(logits: scores): a distribution over classes (last axis); .sample(), .log_prob(a), .entropy(), .kl(q), .probs.") { a, _ in
            .host(DistributionObject(.categorical(try Categorical(logits: a[0].toTensor("Categorical: logits"))), session: session))
        }))
        g.define("Normal", .native(NativeFunction("Normal", parameters: ["mean", "log_std"],
            doc: "Normal(mean: m, log_std: s): a diagonal Gaussian; .sample(), .rsample() (reparameterised), .log_prob(x), .entropy(), .kl(q).") { a, _ in
            .host(DistributionObject(.normal(try DiagonalNormal(mean: a[0].toTensor("Normal: mean"), logStd: a[1].toTensor("Normal: log_std"))), session: session))
        }))
    }
}
