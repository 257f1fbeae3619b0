/// The language environments in the registry: ids, and their keyword arguments read
/// from one table each (name, default), so that the declarative registry can take them over
/// as they are.
extension Registry {
    /// The ids of the language environments (also in `Registry.ids`).
    public static let languageIds = ["TwentyQuestions", "Negotiation", "TextAdventure"]

    /// The arguments of each language environment with their defaults (camelCase names; a
    /// script writes them in snake_case).
    public static let languageArguments: [String: [(name: String, default: InfoValue)]] = [
        "TwentyQuestions": [("items", .int(16)), ("noise", .double(0)), ("turnCost", .double(0.05)), ("maxTurns", .int(20)),
                            ("observation", .string("answers")), ("textLength", .int(32))],
        "Negotiation": [("value", .int(100)), ("minReserve", .int(40)), ("maxReserve", .int(80)), ("rounds", .int(6)),
                        ("observation", .string("features")), ("textLength", .int(24))],
        "TextAdventure": [("actions", .string("commands")), ("observation", .string("features")), ("maxSteps", .int(50)),
                          ("stepCost", .double(0.01)), ("textLength", .int(96))],
    ]

    /// The language environment `id`, or nil when `id` is not one.
    static func makeLanguage(_ id: String, _ args: inout Arguments) throws(EnvironmentError) -> (any Environment)? {
        switch id {
        case "TwentyQuestions":
            return try TwentyQuestions(items: try args.int("items", 16), noise: try args.double("noise", 0),
                                       turnCost: try args.double("turnCost", 0.05), maxTurns: try args.int("maxTurns", 20),
                                       observation: try args.choice("observation", TwentyQuestions.Observation.answers),
                                       textLength: try args.int("textLength", 32))
        case "Negotiation":
            return try Negotiation(value: try args.int("value", 100), minReserve: try args.int("minReserve", 40),
                                   maxReserve: try args.int("maxReserve", 80), rounds: try args.int("rounds", 6),
                                   observation: try args.choice("observation", Negotiation.Observation.features),
                                   textLength: try args.int("textLength", 24))
        case "TextAdventure":
            return try TextAdventure(actions: try args.choice("actions", TextAdventure.Actions.commands),
                                     observation: try args.choice("observation", TextAdventure.Observation.features),
                                     maxSteps: try args.int("maxSteps", 50), stepCost: try args.double("stepCost", 0.01),
                                     textLength: try args.int("textLength", 96))
        default:
            return nil
        }
    }
}
