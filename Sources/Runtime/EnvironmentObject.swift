import Environments
import Language
import TensorCore

/// An environment as scripts see it: Gymnasium's `reset` and `step`, its spaces, its
/// hidden state and a text rendering.
public final class EnvironmentObject: HostObject {
    public var env: AnyEnvironment

    public init(_ env: AnyEnvironment) {
        self.env = env
    }

    override public var typeName: String { "Environment" }
    override public var description: String {
        "\(env.name): observations \(shapeString(env.observationSpace.shape)), \(env.actionSpace.n) actions"
    }
    override public var memberNames: [String] {
        ["reset", "step", "render", "state", "name", "observation_size", "actions", "observation_shape"]
    }

    override public func getMember(_ name: String, interpreter: Interpreter) throws -> Value? {
        switch name {
        case "name": return .str(env.name)
        case "observation_size": return .int(env.observationSize)
        case "observation_shape": return .array(env.observationSpace.shape.map { .int($0) })
        case "actions": return .int(env.actionSpace.n)
        case "state": return .host(TensorObject(Tensor(env.state)))
        case "reset", "step", "render":
            return .native(NativeFunction(name, variadic: true, doc: "Environment.\(name)") { [self] args, it in
                try self.callMethod(name, args, interpreter: it) ?? .nil
            })
        default: return nil
        }
    }

    override public func callMethod(_ name: String, _ args: Arguments, interpreter: Interpreter) throws -> Value? {
        func arg(_ i: Int, _ label: String) -> Value? { args.named(label) ?? (i < args.positional.count ? args.positional[i] : nil) }
        switch name {
        case "reset":
            let seed = try arg(0, "seed").flatMap { $0.isNil ? nil : UInt64(truncatingIfNeeded: try $0.toInt("reset: seed")) }
            let (obs, info) = try env.reset(seed: seed)
            return .makeRecord([("observation", observationValue(obs)), ("info", infoValue(info))])
        case "step":
            guard let a = arg(0, "action") else { throw HostError("step needs an action in 0..<\(env.actionSpace.n)") }
            let t = try env.step(try a.toInt("the action"))
            return .makeRecord([
                ("observation", observationValue(t.observation)), ("reward", .float(t.reward)),
                ("terminated", .bool(t.terminated)), ("truncated", .bool(t.truncated)), ("info", infoValue(t.info)),
            ])
        case "render": return .str(env.render())
        default: return nil
        }
    }

    func observationValue(_ obs: [Float]) -> Value {
        .host(TensorObject((try? Tensor(obs, shape: env.observationSpace.shape)) ?? Tensor(obs)))
    }
}

func infoValue(_ info: Info) -> Value {
    let d = DictObject()
    for key in info.values.keys.sorted() {
        d[.str(key)] = infoValue(info.values[key]!)
    }
    return .dict(d)
}

func infoValue(_ v: InfoValue) -> Value {
    switch v {
    case .bool(let b): return .bool(b)
    case .int(let i): return .int(i)
    case .double(let d): return .float(d)
    case .string(let s): return .str(s)
    case .floats(let f): return .host(TensorObject(Tensor(f)))
    case .info(let i): return infoValue(i)
    }
}

/// Script keyword arguments as environment arguments: `max_episode_steps` → `maxEpisodeSteps`.
func environmentArguments(_ named: [(name: String, value: Value)]) throws -> [String: InfoValue] {
    var out: [String: InfoValue] = [:]
    for (name, value) in named {
        let key = camelCase(name)
        switch value {
        case .bool(let b): out[key] = .bool(b)
        case .int(let i): out[key] = .int(i)
        case .float(let d): out[key] = .double(d)
        case .string(let s): out[key] = .string(s.value)
        default: throw HostError("argument \(name) must be a number, a boolean or a string, got \(value.typeName)")
        }
    }
    return out
}

func camelCase(_ s: String) -> String {
    let parts = s.split(separator: "_")
    guard parts.count > 1 else { return s }
    return String(parts[0]) + parts.dropFirst().map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined()
}
