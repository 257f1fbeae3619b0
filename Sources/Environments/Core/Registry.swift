import Configuration

/// Gymnasium's `make`: built-in environments by id, with keyword arguments, for callers
/// that hold names rather than types (the language runtime, configuration files, the
/// benchmark). `Registry.make("TMaze", ["length": .int(10)])`.
///
/// Each environment is one entry of `entries`: its arguments (snake_case names, docs, the
/// values they accept) declared once, their defaults read from the environment's own
/// initialiser (a prototype built with no arguments), and what its observation holds.
public enum Registry {
    /// Every environment `make` knows, in a stable order.
    public static let entries: [EnvironmentEntry] = [
        EnvironmentEntry("CartPole-v1", "balance a pole on a cart (Barto, Sutton & Anderson 1983; Gymnasium's CartPole-v1)",
                         observation: "4 floats: cart position, cart velocity, pole angle, pole angular velocity", prototype: { try CartPole() },
                         fields: [ConfigField("max_episode_steps", \CartPole.maxEpisodeSteps, "the time limit in steps (0 or nil: none)", .nonNegative),
                                  ConfigField("sutton_barto_reward", \.suttonBartoReward, "0 per step and −1 on failure instead of +1 per step")]) { v in
            try CartPole(maxEpisodeSteps: v[\.maxEpisodeSteps] == 0 ? nil : v[\.maxEpisodeSteps], suttonBartoReward: v[\.suttonBartoReward])
        },
        EnvironmentEntry("Tiger", "open the door without the tiger; listening tells where it growls (Kaelbling, Littman & Cassandra 1998)",
                         observation: "one-hot [nothing heard, growl on the left, growl on the right]", prototype: { try Tiger() },
                         fields: [ConfigField("listen_accuracy", \Tiger.listenAccuracy, "the probability a growl comes from the tiger's side", .unit),
                                  ConfigField("listen_reward", \.listenReward, "the reward for listening"),
                                  ConfigField("treasure_reward", \.treasureReward, "the reward for the door without the tiger"),
                                  ConfigField("tiger_reward", \.tigerReward, "the reward for the tiger's door"),
                                  ConfigField("max_steps", \.maxSteps, "the time limit in steps", .atLeast(1))]) { v in
            try Tiger(listenAccuracy: v[\.listenAccuracy], listenReward: v[\.listenReward], treasureReward: v[\.treasureReward],
                      tigerReward: v[\.tigerReward], maxSteps: v[\.maxSteps])
        },
        EnvironmentEntry("TMaze", "remember the cue of the first step until the junction at the corridor's end (Bakker 2002)",
                         observation: "[cue_left, cue_right, in_corridor, at_junction]; the cue bits only on the first step",
                         prototype: { try TMaze() },
                         fields: [ConfigField("length", \TMaze.length, "the corridor's length: steps the cue must be held", .atLeast(1)),
                                  ConfigField("variant", \.variant, "passive: every action moves forward; active: only forward moves"),
                                  ConfigField("step_cost", \.stepCost, "the cost of each step before the junction")]) { v in
            try TMaze(length: v[\.length], variant: v[\.variant], stepCost: v[\.stepCost])
        },
        EnvironmentEntry("KeyToDoor", "pick up a key, collect apples, then open the door with it (Hung et al. 2019)",
                         observation: "the one-hot agent cell, the map of objects in the room, the one-hot room (2 × room_size² + 3)",
                         prototype: { try KeyToDoor() },
                         fields: [ConfigField("room_size", \KeyToDoor.roomSize, "the side of each square room", .atLeast(2)),
                                  ConfigField("key_room_steps", \.keyRoomSteps, "steps in the key room", .atLeast(1)),
                                  ConfigField("distractor_steps", \.distractorSteps, "steps in the apple room", .atLeast(1)),
                                  ConfigField("door_room_steps", \.doorRoomSteps, "steps in the door room", .atLeast(1)),
                                  ConfigField("apples", \.apples, "apples in the distractor room", .nonNegative),
                                  ConfigField("apple_reward", \.appleReward, "the reward of one apple"),
                                  ConfigField("door_reward", \.doorReward, "the reward for opening the door")]) { v in
            try KeyToDoor(roomSize: v[\.roomSize], keyRoomSteps: v[\.keyRoomSteps], distractorSteps: v[\.distractorSteps],
                          doorRoomSteps: v[\.doorRoomSteps], apples: v[\.apples], appleReward: v[\.appleReward], doorReward: v[\.doorReward])
        },
        popgym("RepeatFirst", "repeat the suit of the first card dealt", observation: "the one-hot suit of the card just dealt", RepeatFirst.init),
        popgym("RepeatPrevious", "repeat the suit of the card k cards back", observation: "the one-hot suit of the card just dealt", RepeatPrevious.init),
        popgym("CountRecall", "say how often the queried card has been dealt",
               observation: "the one-hot kind of the value card just dealt, then the one-hot kind queried", CountRecall.init),
        popgym("Autoencode", "watch a sequence of cards, then recite it in reverse",
               observation: "[recite flag, the one-hot suit of the card shown (zeros while reciting)]", Autoencode.init),
        popgym("StatelessCartPole", "CartPole seeing positions only: velocities must be inferred",
               observation: "cart position and pole angle", StatelessCartPole.init),
        popgym("NoisyStatelessCartPole", "StatelessCartPole with Gaussian noise on the observation",
               observation: "noisy cart position and pole angle", NoisyStatelessCartPole.init),
        popgym("MultiArmedBandit", "find the best arm of a bandit within an episode",
               observation: "one-hot [no payout, payout] of the last pull", MultiArmedBandit.init),
        EnvironmentEntry("BernoulliBandits", "a bandit with new arm probabilities every trial (RL²'s bandits, Duan et al. 2016)",
                         observation: "a constant 1 (a bias input)", prototype: { try BernoulliBandits() },
                         fields: [ConfigField("arms", \BernoulliBandits.arms, "the number of arms", .atLeast(1)),
                                  ConfigField("pulls", \.pulls, "pulls per trial", .atLeast(1))]) { v in
            try BernoulliBandits(arms: v[\.arms], pulls: v[\.pulls])
        },
        EnvironmentEntry("RandomTabularMDP", "a random MDP drawn every trial, played for a few episodes (RL²'s tabular MDPs)",
                         observation: "the one-hot current state, then 1 on the first step of an inner episode",
                         prototype: { try RandomTabularMDP() },
                         fields: [ConfigField("states", \RandomTabularMDP.states, "the number of states", .atLeast(1)),
                                  ConfigField("actions", \.actions, "the number of actions", .atLeast(1)),
                                  ConfigField("horizon", \.horizon, "steps per inner episode", .atLeast(1)),
                                  ConfigField("episodes_per_trial", \.episodesPerTrial, "inner episodes per trial", .atLeast(1))]) { v in
            try RandomTabularMDP(states: v[\.states], actions: v[\.actions], horizon: v[\.horizon], episodesPerTrial: v[\.episodesPerTrial])
        },
    ] + languageEntries

    /// The ids `make` knows, in a stable order.
    public static let ids: [String] = entries.map(\.id)

    /// The entry of `id` (`CartPole` names `CartPole-v1`).
    public static func entry(_ id: String) -> EnvironmentEntry? {
        entries.first { $0.id == id || $0.name == id }
    }

    /// The environment `id` built with `arguments` (snake_case names). Unknown ids, unknown
    /// argument names and refused values throw `EnvironmentError.invalidArgument` naming
    /// what is allowed.
    public static func make(_ id: String, _ arguments: [String: InfoValue] = [:]) throws(EnvironmentError) -> AnyEnvironment {
        guard let entry = entry(id) else {
            throw .invalidArgument(environment: "Registry", argument: "id", value: "\"\(id)\"", allowed: ids.joined(separator: ", "))
        }
        var values: [(name: String, value: FieldValue)] = []
        for key in arguments.keys.sorted() {
            let v: FieldValue
            switch arguments[key]! {
            case .bool(let b): v = .bool(b)
            case .int(let i): v = .int(i)
            case .double(let d): v = .float(d)
            case .string(let s): v = .string(s)
            default: throw .invalidArgument(environment: id, argument: key, value: "\(arguments[key]!)", allowed: "a number, a boolean or a string")
            }
            values.append((key, v))
        }
        do {
            return try entry.make(values)
        } catch let e as FieldError {
            let field = entry.fields.first { $0.name == e.field }
            throw .invalidArgument(environment: id, argument: e.field, value: values.first { $0.name == e.field }.map { "\($0.value)" } ?? "",
                                   allowed: field?.accepts ?? "the arguments " + entry.fields.map(\.name).joined(separator: ", "))
        } catch let e as EnvironmentError {
            throw e
        } catch {
            throw .invalidArgument(environment: id, argument: "", value: "", allowed: "\(error)")
        }
    }

    /// A POPGym task: one argument, its difficulty.
    static func popgym<E: Environment>(_ id: String, _ doc: String, observation: String,
                                       _ make: @escaping @Sendable (Difficulty) -> E) -> EnvironmentEntry {
        EnvironmentEntry(id, doc + " (POPGym, Morad et al. 2023)", observation: observation, prototype: { DifficultyLevel() },
                         fields: [ConfigField("difficulty", \DifficultyLevel.difficulty, "POPGym's level: easy, medium or hard")],
                         readBack: { _ in nil }) { v in make(v[\.difficulty]) }
    }
}

/// One environment of the registry: its id, a one-line doc, what its observation holds, its
/// arguments, and how to build it from them.
public struct EnvironmentEntry: Sendable {
    /// Gymnasium's id (`CartPole-v1`).
    public let id: String
    /// The name scripts call (`CartPole`).
    public let name: String
    public let doc: String
    /// The layout of an observation vector.
    public let observation: String
    /// The arguments, with their defaults.
    public let fields: [FieldInfo]
    let build: @Sendable ([(name: String, value: FieldValue)]) throws -> AnyEnvironment
    let read: @Sendable (any Environment) -> [(name: String, value: FieldValue)]?

    /// An entry whose arguments reach the environment type's own properties, read back
    /// from a prototype for the defaults.
    public init<E: Environment>(_ id: String, _ doc: String, observation: String, prototype: @escaping @Sendable () throws -> E,
                                fields: [ConfigField<E>], make: @escaping @Sendable (FieldValues<E>) throws -> E) {
        let factory = Factory(fields: fields, prototype: prototype, make: make)
        self.init(id, doc, observation: observation, factory: factory,
                  readBack: { env in (env as? E).map { factory.fieldValues(of: $0) } }) { AnyEnvironment($0) }
    }

    /// An entry whose arguments live in a separate `Root` (a POPGym task's difficulty).
    init<Root, E: Environment>(_ id: String, _ doc: String, observation: String, prototype: @escaping @Sendable () throws -> Root,
                               fields: [ConfigField<Root>], readBack: @escaping @Sendable (any Environment) -> [(name: String, value: FieldValue)]?,
                               make: @escaping @Sendable (FieldValues<Root>) throws -> E) {
        self.init(id, doc, observation: observation, factory: Factory(fields: fields, prototype: prototype, make: make),
                  readBack: readBack) { AnyEnvironment($0) }
    }

    init<Root, E>(_ id: String, _ doc: String, observation: String, factory: Factory<Root, E>,
                  readBack: @escaping @Sendable (any Environment) -> [(name: String, value: FieldValue)]?,
                  wrap: @escaping @Sendable (E) -> AnyEnvironment) {
        self.id = id
        self.name = id == "CartPole-v1" ? "CartPole" : id
        self.doc = doc
        self.observation = observation
        self.fields = factory.fieldInfos
        self.build = { values in wrap(try factory.build(values)) }
        self.read = readBack
    }

    /// The environment built with `values` by name; argument mistakes throw `FieldError`.
    public func make(_ values: [(name: String, value: FieldValue)]) throws -> AnyEnvironment { try build(values) }

    /// The argument values `env` was built with, when it is this entry's type and they can
    /// be read back (for tests that every argument reaches the environment).
    public func arguments(of env: any Environment) -> [(name: String, value: FieldValue)]? { read(env) }
}
