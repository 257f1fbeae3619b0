import Configuration

/// The language environments' entries in the registry, kept beside the text environments
/// they build rather than in the classic list.
extension Registry {
    static let languageEntries: [EnvironmentEntry] = [
        EnvironmentEntry("TwentyQuestions", "guess the user's hidden item by yes/no questions (dialogue as a POMDP)",
                         observation: "answers: the latest answer to each question (+1, −1, 0) and the fraction of turns used; text: the last exchange as character ids",
                         prototype: { try TwentyQuestions() },
                         fields: [ConfigField("items", \TwentyQuestions.items, "how many catalogue items the user picks from", .closed(2, 16)),
                                  ConfigField("noise", \.noise, "the probability that an answer is wrong", .closedOpen(0, 0.5)),
                                  ConfigField("turn_cost", \.turnCost, "the cost of each turn, the guess included"),
                                  ConfigField("max_turns", \.maxTurns, "the time limit in turns", .atLeast(1)),
                                  ConfigField("observation", \.observation, "answers (a vector) or text (character ids)"),
                                  ConfigField("text_length", \.textLength, "the characters of a text observation", .atLeast(8))]) { v in
            try TwentyQuestions(items: v[\.items], noise: v[\.noise], turnCost: v[\.turnCost], maxTurns: v[\.maxTurns],
                                observation: v[\.observation], textLength: v[\.textLength])
        },
        EnvironmentEntry("Negotiation", "buy an item from a seller whose reservation price is hidden, by offers in text",
                         observation: "features: the seller's ask, the last offer (both / value) and the fraction of rounds used; text: the seller's last message as character ids",
                         prototype: { try Negotiation() },
                         fields: [ConfigField("value", \Negotiation.value, "what the item is worth to the buyer", .atLeast(1)),
                                  ConfigField("min_reserve", \.minReserve, "the lowest reservation price drawn", .nonNegative),
                                  ConfigField("max_reserve", \.maxReserve, "the highest reservation price drawn (below value)", .nonNegative),
                                  ConfigField("rounds", \.rounds, "the offers before the seller stops", .atLeast(1)),
                                  ConfigField("observation", \.observation, "features (a vector) or text (character ids)"),
                                  ConfigField("text_length", \.textLength, "the characters of a text observation", .atLeast(8))]) { v in
            try Negotiation(value: v[\.value], minReserve: v[\.minReserve], maxReserve: v[\.maxReserve], rounds: v[\.rounds],
                            observation: v[\.observation], textLength: v[\.textLength])
        },
        EnvironmentEntry("TextAdventure", "find the key, unlock the door and reach the garden by typed commands (after TextWorld)",
                         observation: "features: the room, objects held and present, the door's state, the verb waiting for a noun (19); text: the game's last message as character ids",
                         prototype: { try TextAdventure() },
                         fields: [ConfigField("actions", \TextAdventure.actions, "commands (one of 14 per step) or words (a verb, then its noun)"),
                                  ConfigField("observation", \.observation, "features (a vector) or text (character ids)"),
                                  ConfigField("max_steps", \.maxSteps, "the time limit in steps", .atLeast(1)),
                                  ConfigField("step_cost", \.stepCost, "the cost of each step (each word in words mode)"),
                                  ConfigField("text_length", \.textLength, "the characters of a text observation", .atLeast(8))]) { v in
            try TextAdventure(actions: v[\.actions], observation: v[\.observation], maxSteps: v[\.maxSteps], stepCost: v[\.stepCost],
                              textLength: v[\.textLength])
        },
    ]
}

extension TwentyQuestions.Observation: FieldChoice {}
extension Negotiation.Observation: FieldChoice {}
extension TextAdventure.Actions: FieldChoice {}
extension TextAdventure.Observation: FieldChoice {}
