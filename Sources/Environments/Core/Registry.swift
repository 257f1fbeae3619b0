/// Gymnasium's `make`: built-in environments by id, with keyword arguments, for callers
/// that hold names rather than types (the language runtime, configuration files, the
/// benchmark). `Registry.make("TMaze", ["length": .int(10)])`.
///
/// Every argument is optional and defaults as in the environment's initializer; POPGym
/// tasks take `difficulty: "easy" | "medium" | "hard"`. Unknown ids, unknown argument
/// names and values of the wrong kind throw `EnvironmentError.invalidArgument` naming
/// what is allowed.
public enum Registry {
    /// The ids `make` knows, in a stable order.
    public static let ids: [String] = [
        "CartPole-v1", "Tiger", "TMaze", "KeyToDoor",
        "RepeatFirst", "RepeatPrevious", "CountRecall", "Autoencode",
        "StatelessCartPole", "NoisyStatelessCartPole", "MultiArmedBandit",
        "BernoulliBandits", "RandomTabularMDP",
    ] + languageIds

    /// The environment `id` built with `arguments`.
    public static func make(_ id: String, _ arguments: [String: InfoValue] = [:]) throws(EnvironmentError) -> AnyEnvironment {
        var args = Arguments(environment: id, values: arguments)
        let env: any Environment
        switch id {
        case "CartPole-v1", "CartPole":
            let limit = try args.int("maxEpisodeSteps", 500)
            env = try CartPole(maxEpisodeSteps: limit == 0 ? nil : limit,
                               suttonBartoReward: try args.bool("suttonBartoReward", false))
        case "Tiger":
            env = try Tiger(listenAccuracy: try args.double("listenAccuracy", 0.85),
                            listenReward: try args.double("listenReward", -1),
                            treasureReward: try args.double("treasureReward", 10),
                            tigerReward: try args.double("tigerReward", -100),
                            maxSteps: try args.int("maxSteps", 100))
        case "TMaze":
            let variant = try args.choice("variant", TMaze.Variant.passive)
            env = try TMaze(length: try args.int("length", 10), variant: variant,
                            stepCost: try args.double("stepCost", 0.01))
        case "KeyToDoor":
            env = try KeyToDoor(roomSize: try args.int("roomSize", 5), keyRoomSteps: try args.int("keyRoomSteps", 10),
                                distractorSteps: try args.int("distractorSteps", 20),
                                doorRoomSteps: try args.int("doorRoomSteps", 10), apples: try args.int("apples", 5),
                                appleReward: try args.double("appleReward", 0.1),
                                doorReward: try args.double("doorReward", 1))
        case "RepeatFirst":
            env = RepeatFirst(try args.choice("difficulty", Difficulty.easy))
        case "RepeatPrevious":
            env = RepeatPrevious(try args.choice("difficulty", Difficulty.easy))
        case "CountRecall":
            env = CountRecall(try args.choice("difficulty", Difficulty.easy))
        case "Autoencode":
            env = Autoencode(try args.choice("difficulty", Difficulty.easy))
        case "StatelessCartPole":
            env = StatelessCartPole(try args.choice("difficulty", Difficulty.easy))
        case "NoisyStatelessCartPole":
            env = NoisyStatelessCartPole(try args.choice("difficulty", Difficulty.easy))
        case "MultiArmedBandit":
            env = MultiArmedBandit(try args.choice("difficulty", Difficulty.easy))
        case "BernoulliBandits":
            env = try BernoulliBandits(arms: try args.int("arms", 5), pulls: try args.int("pulls", 100))
        case "RandomTabularMDP":
            env = try RandomTabularMDP(states: try args.int("states", 10), actions: try args.int("actions", 5),
                                       horizon: try args.int("horizon", 10),
                                       episodesPerTrial: try args.int("episodesPerTrial", 10))
        default:
            if let language = try makeLanguage(id, &args) { env = language; break }
            throw .invalidArgument(environment: "Registry", argument: "id", value: "\"\(id)\"",
                                   allowed: ids.joined(separator: ", "))
        }
        try args.finish()
        return AnyEnvironment(env)
    }
}

// MARK: - Reading keyword arguments

/// Keyword arguments being read: typed getters with defaults, and a final check that no
/// argument was misspelt.
struct Arguments {
    let environment: String
    let values: [String: InfoValue]
    var used: Set<String> = []

    init(environment: String, values: [String: InfoValue]) {
        self.environment = environment
        self.values = values
    }

    mutating func int(_ key: String, _ fallback: Int) throws(EnvironmentError) -> Int {
        used.insert(key)
        guard let value = values[key] else { return fallback }
        if case .int(let i) = value { return i }
        if case .double(let d) = value, d == d.rounded(), abs(d) < 1e15 { return Int(d) }
        throw wrongKind(key, value, "an integer")
    }

    mutating func double(_ key: String, _ fallback: Double) throws(EnvironmentError) -> Double {
        used.insert(key)
        guard let value = values[key] else { return fallback }
        switch value {
        case .int(let i): return Double(i)
        case .double(let d): return d
        default: throw wrongKind(key, value, "a number")
        }
    }

    mutating func bool(_ key: String, _ fallback: Bool) throws(EnvironmentError) -> Bool {
        used.insert(key)
        guard let value = values[key] else { return fallback }
        if case .bool(let b) = value { return b }
        throw wrongKind(key, value, "true or false")
    }

    mutating func choice<T: RawRepresentable & CaseIterable>(_ key: String, _ fallback: T) throws(EnvironmentError) -> T
    where T.RawValue == String {
        used.insert(key)
        guard let value = values[key] else { return fallback }
        let names = T.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", ")
        if case .string(let s) = value, let choice = T(rawValue: s) { return choice }
        throw wrongKind(key, value, "one of \(names)")
    }

    /// Throws for the first argument (alphabetically) that no getter asked for.
    func finish() throws(EnvironmentError) {
        if let unknown = values.keys.sorted().first(where: { !used.contains($0) }) {
            throw .invalidArgument(environment: environment, argument: unknown, value: "\(values[unknown]!)",
                                   allowed: "the arguments " + used.sorted().joined(separator: ", "))
        }
    }

    func wrongKind(_ key: String, _ value: InfoValue, _ allowed: String) -> EnvironmentError {
        .invalidArgument(environment: environment, argument: key, value: "\(value)", allowed: allowed)
    }
}
