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
        case "reset":
            return .native(NativeFunction("reset", parameters: [NativeParameter("seed", default: .nil)],
                                          doc: "env.reset(seed: nil): starts an episode; a record of observation and info.") { [self] a, _ in
                let seed = a[0].isNil ? nil : UInt64(truncatingIfNeeded: try a[0].toInt("reset: seed"))
                let (obs, info) = try env.reset(seed: seed)
                return .makeRecord([("observation", observationValue(obs)), ("info", infoValue(info))])
            })
        case "step":
            return .native(NativeFunction("step", parameters: ["action"],
                                          doc: "env.step(action): a record of observation, reward, terminated, truncated and info.") { [self] a, _ in
                let t = try env.step(try a[0].toInt("the action"))
                return .makeRecord([
                    ("observation", observationValue(t.observation)), ("reward", .float(t.reward)),
                    ("terminated", .bool(t.terminated)), ("truncated", .bool(t.truncated)), ("info", infoValue(t.info)),
                ])
            })
        case "render":
            return .native(NativeFunction("render", parameters: [], doc: "env.render(): the state as text.") { [self] _, _ in .str(env.render()) })
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
