import Environments
import Language
import Synchronization
import TensorCore

// Environments written in the language, adapted to the engine's `Environment` protocol so
// that `train`, the wrappers and `agent.evaluate` accept them like built-in ones.
//
// The contract (docs/LANGUAGE.md, "Classes"): an object with
//   - `actions`: the number of discrete actions (a field, or a method without arguments);
//   - `reset(seed)`: starts an episode; returns the observation, or (observation, info);
//   - `step(action)`: returns (observation, reward, terminated, truncated[, info]) or a
//     record with those fields (the built-in environments' form);
//   - optionally `observation_size` (otherwise taken from the first observation) and
//     `state` (the hidden state, for lessons).
// Observations are numbers, lists of numbers or tensors, always of the same size.
//
// Errors: the engine's protocol throws only `EnvironmentError`, so a script error inside
// `reset` or `step` is kept aside and surfaces again, with its traceback, when the call
// that drove the environment returns (see `ScriptEnvironment.rethrowingScriptError`).

/// A script object seen as an `Environment`.
struct ScriptEnvironment: Environment, @unchecked Sendable {
    /// The object and the interpreter that runs its methods.
    final class Handle {
        let object: Value
        /// Unowned: the interpreter holds the environment (in a variable), not the reverse.
        unowned let interpreter: Interpreter
        init(object: Value, interpreter: Interpreter) {
            self.object = object
            self.interpreter = interpreter
        }
    }

    /// The first script error of each interpreter's environments, until the call that drove
    /// them reports it (wrappers hide the adapter, so it is kept per interpreter).
    static let pendingErrors = Mutex<[ObjectIdentifier: PendingError]>([:])
    struct PendingError: @unchecked Sendable { let error: Error }

    let box: Handle
    let name: String
    let observationSpace: Environments.Box
    let actionSpace: Discrete

    /// Checks the object's members and sizes; throws a HostError naming what is missing.
    init(_ object: Value, interpreter: Interpreter) throws {
        box = Handle(object: object, interpreter: interpreter)
        let typeName = object.typeName
        name = typeName
        for required in ["reset", "step", "actions"] where !interpreter.hasMember(object, required) {
            throw HostError("\(typeName) cannot be used as an environment: it has no '\(required)'",
                            help: ["an environment needs actions (the number of actions), reset(seed) and step(action)"])
        }
        let actions = try ScriptEnvironment.intMember(object, "actions", interpreter)
        guard actions >= 1 else { throw HostError("\(typeName).actions must be at least 1, got \(actions)") }
        actionSpace = Discrete(actions)
        var size: Int
        if interpreter.hasMember(object, "observation_size") {
            size = try ScriptEnvironment.intMember(object, "observation_size", interpreter)
        } else {
            // No declared size: read it off a first observation.
            size = try ScriptEnvironment.observation(ScriptEnvironment.resetResult(try interpreter.callMethod(object, "reset", [.nil]), typeName), typeName).count
        }
        guard size >= 1 else { throw HostError("\(typeName).observation_size must be at least 1, got \(size)") }
        observationSpace = Environments.Box(low: -Float.infinity, high: Float.infinity, shape: [size])
    }

    static func intMember(_ object: Value, _ name: String, _ interpreter: Interpreter) throws -> Int {
        var v = try interpreter.member(of: object, name)
        if case .function = v { v = try interpreter.call(v, []) }
        if case .native = v { v = try interpreter.call(v, []) }
        return try v.toInt("\(object.typeName).\(name)")
    }

    static func observation(_ v: Value, _ typeName: String) throws -> [Float] {
        try v.toTensor("the observation of \(typeName)").scalars
    }

    /// The observation of reset's result: `obs` or `(obs, info)`.
    static func resetResult(_ v: Value, _ typeName: String) throws -> Value {
        if case .list(let l) = v, l.items.count == 2, !(l.items[0].isNumber) { return l.items[0] }
        if case .record(let r) = v, let o = r["observation"] { return o }
        return v
    }

    var state: [Float] {
        guard box.interpreter.hasMember(box.object, "state"),
              let s = try? box.interpreter.member(of: box.object, "state"),
              let t = try? s.toTensor("state") else { return [] }
        return t.scalars
    }

    func render() -> String { box.interpreter.stringify(box.object) }

    private func fail(_ error: Error) -> EnvironmentError {
        let key = ObjectIdentifier(box.interpreter)
        ScriptEnvironment.pendingErrors.withLock { if $0[key] == nil { $0[key] = PendingError(error: error) } }
        return .script(environment: name, message: (error as? RuntimeError)?.diagnostic.message ?? "\(error)")
    }

    private func write(_ obs: [Float], _ buffer: UnsafeMutableBufferPointer<Float>) throws(EnvironmentError) {
        guard obs.count == buffer.count else {
            throw fail(HostError("\(name) returned an observation of \(obs.count) values, but its observation_size is \(buffer.count)"))
        }
        for i in 0..<obs.count { buffer[i] = obs[i] }
    }

    mutating func reset(seed: UInt64?, options: ResetOptions, into observation: UnsafeMutableBufferPointer<Float>) throws(EnvironmentError) -> Info {
        let obs: [Float]
        do {
            let result = try box.interpreter.callMethod(box.object, "reset", [seed.map { .int(Int(truncatingIfNeeded: $0)) } ?? .nil])
            obs = try ScriptEnvironment.observation(ScriptEnvironment.resetResult(result, name), name)
        } catch {
            throw fail(error)
        }
        try write(obs, observation)
        return Info()
    }

    mutating func step(_ action: Int, into observation: UnsafeMutableBufferPointer<Float>) throws(EnvironmentError) -> StepResult {
        guard actionSpace.contains(action) else { throw invalidAction(action) }
        let obs: [Float], reward: Double, terminated: Bool, truncated: Bool
        do {
            let result = try box.interpreter.callMethod(box.object, "step", [.int(action)])
            switch result {
            case .list(let l) where l.items.count == 4 || l.items.count == 5:
                obs = try ScriptEnvironment.observation(l.items[0], name)
                reward = try l.items[1].toDouble("the reward of \(name)")
                terminated = l.items[2].isTruthy
                truncated = l.items[3].isTruthy
            case .record(let r):
                guard let o = r["observation"], let rw = r["reward"] else {
                    throw HostError("\(name).step returned a record without observation and reward")
                }
                obs = try ScriptEnvironment.observation(o, name)
                reward = try rw.toDouble("the reward of \(name)")
                terminated = r["terminated"]?.isTruthy ?? false
                truncated = r["truncated"]?.isTruthy ?? false
            default:
                let got: String
                if case .list(let l) = result { got = "a list of \(l.items.count) values" } else { got = result.typeName }
                throw HostError("\(name).step must return (observation, reward, terminated, truncated) or (…, info), got \(got)",
                                help: ["e.g. return (obs, 1.0, true, false)"])
            }
        } catch {
            throw fail(error)
        }
        try write(obs, observation)
        return StepResult(reward: reward, terminated: terminated, truncated: truncated)
    }

    /// Runs `body`; if a script environment of `interpreter` failed inside it, throws that
    /// error (with its traceback) instead of the engine's summary.
    static func rethrowingScriptError<R>(_ interpreter: Interpreter, _ body: () throws -> R) throws -> R {
        let key = ObjectIdentifier(interpreter)
        func pending() -> Error? { pendingErrors.withLock { $0.removeValue(forKey: key)?.error } }
        _ = pending()
        do {
            let r = try body()
            if let err = pending() { throw err }
            return r
        } catch {
            throw pending() ?? error
        }
    }
}

extension Value {
    var isNumber: Bool {
        switch self {
        case .int, .float: return true
        default: return false
        }
    }
}

/// A built-in environment, or a script object adapted to one.
func anyEnvironment(_ v: Value, _ who: String, _ interpreter: Interpreter) throws -> AnyEnvironment {
    if case .host(let e as EnvironmentObject) = v { return e.env }
    if case .instance = v { return AnyEnvironment(try ScriptEnvironment(v, interpreter: interpreter)) }
    throw HostError("\(who) needs an environment (a built-in one such as TMaze(length: 4), or an object with actions, reset and step), got \(v.typeName)")
}
