import TensorCore

/// Twenty questions: a simulated user holds a hidden item; the agent asks yes/no questions
/// and then guesses. Dialogue as a POMDP — the hidden state is the user's item, and the
/// answers are the only evidence.
///
/// ## Description
/// The user picks an item from the first `items` of `TwentyQuestions.catalogue` (16
/// objects and animals, each with 8 yes/no attributes; no two alike). Each turn the agent
/// either asks one of the 8 template questions ("can it fly?") and the user answers "yes."
/// or "no." — wrong with probability `noise` — or guesses an item ("is it a cat?"). A right
/// guess ends the episode; a wrong one is answered "no, it is not a cat." and play goes on.
///
/// ## Action space
/// `Discrete(8 + items)`: 0–7 ask question i (`questions[i]`); 8 + j guess item j.
///
/// ## Observation space
/// - `.answers` (default): `Box(-1, 1, shape: [9])` — the latest answer to each question
///   (+1 yes, −1 no, 0 not asked yet) and the fraction of `maxTurns` used.
/// - `.text`: `Box(0, vocabulary − 1, shape: [textLength])` — the last exchange
///   ("can it fly? no.") as ids of `CharacterTokenizer.lessons`, left-truncated and padded.
/// `info["text"]` always holds the user's reply and `info["question"]` the agent's utterance.
///
/// ## Rewards
/// +1 for the right guess; −`turnCost` (0.05) for every turn, the guess included. The
/// oracle (guess at once) earns 1 − turnCost.
///
/// ## Starting state
/// The item is uniform over the first `items` (or `options["item"]`).
///
/// ## Episode end
/// Terminated by the right guess; truncated after `maxTurns` (20) turns.
///
/// ## Arguments
/// `items` in 2…16 (16), `noise` in [0, 0.5) (0), `turnCost` (0.05), `maxTurns` ≥ 1 (20),
/// `observation` (`.answers`), `textLength` ≥ 8 (32).
///
/// ## Hidden state
/// `state` is [item, turn].
public struct TwentyQuestions: Environment {
    /// What the agent observes.
    public enum Observation: String, Sendable, CaseIterable {
        /// The latest answer to each question and the time used.
        case answers
        /// The last exchange as token ids.
        case text
    }

    /// The questions, one per attribute.
    public static let questions = [
        "is it an animal?", "is it bigger than a person?", "can it fly?", "does it live in water?",
        "is it found in a kitchen?", "is it made of metal?", "can you eat it?", "does it have legs?",
    ]

    /// The items and their attributes (in the order of `questions`).
    public static let catalogue: [(name: String, attributes: [Bool])] = [
        ("cat", "10000001"), ("horse", "11000001"), ("eagle", "10100001"), ("shark", "11010000"),
        ("goldfish", "10010000"), ("duck", "10110011"), ("chicken", "10000011"), ("spoon", "00001100"),
        ("apple", "00001010"), ("airplane", "01100100"), ("boat", "01010100"), ("table", "00001001"),
        ("chair", "00000001"), ("car", "01000100"), ("salmon", "10010010"), ("kite", "00100000"),
    ].map { ($0.0, $0.1.map { $0 == "1" }) }

    public let items: Int
    public let noise: Double
    public let turnCost: Double
    public let maxTurns: Int
    public let observation: Observation
    public let textLength: Int
    let tokenizer = CharacterTokenizer.lessons

    /// The user's item (the hidden state).
    public private(set) var item = 0
    public private(set) var turn = 0
    /// The latest answer to each question: +1, −1, or 0 before it was asked.
    public private(set) var answers = [Float](repeating: 0, count: 8)
    /// The last exchange, as text.
    public private(set) var lastExchange = ""
    var rng = RNG(seed: 0)
    var phase = EpisodePhase.idle

    public init(items: Int = 16, noise: Double = 0, turnCost: Double = 0.05, maxTurns: Int = 20,
                observation: Observation = .answers, textLength: Int = 32) throws(EnvironmentError) {
        let name = "TwentyQuestions"
        guard items >= 2, items <= TwentyQuestions.catalogue.count else {
            throw .invalidArgument(environment: name, argument: "items", value: "\(items)", allowed: "2 … \(TwentyQuestions.catalogue.count)")
        }
        guard noise >= 0, noise < 0.5 else {
            throw .invalidArgument(environment: name, argument: "noise", value: "\(noise)", allowed: "a probability in [0, 0.5)")
        }
        try EnvironmentError.requireFinite(turnCost, "turnCost", in: name)
        try EnvironmentError.require(maxTurns, atLeast: 1, "maxTurns", in: name)
        try EnvironmentError.require(textLength, atLeast: 8, "textLength", in: name)
        self.items = items
        self.noise = noise
        self.turnCost = turnCost
        self.maxTurns = maxTurns
        self.observation = observation
        self.textLength = textLength
    }

    public var name: String { "TwentyQuestions(items: \(items), noise: \(noise))" }
    public var questionCount: Int { TwentyQuestions.questions.count }
    public var observationSize: Int { observation == .answers ? questionCount + 1 : textLength }
    public var observationSpace: Box {
        observation == .answers ? Box(low: -1, high: 1, shape: [questionCount + 1])
            : Box(low: 0, high: Float(tokenizer.vocabularySize - 1), shape: [textLength])
    }
    public var actionSpace: Discrete { Discrete(questionCount + items) }
    public var state: [Float] { [Float(item), Float(turn)] }
    /// The names of the items in play.
    public var itemNames: [String] { TwentyQuestions.catalogue.prefix(items).map(\.name) }

    /// The utterance of action `a`: a question or a guess.
    public func utterance(_ a: Int) -> String {
        a < questionCount ? TwentyQuestions.questions[a] : "is it a \(TwentyQuestions.catalogue[a - questionCount].name)?"
    }

    /// The true answer of item `item` to question `question`.
    public static func answer(item: Int, question: Int) -> Bool { catalogue[item].attributes[question] }

    // MARK: - Reset and step

    /// `options["item"]` fixes the item.
    public mutating func reset(seed: UInt64?, options: ResetOptions, into obs: UnsafeMutableBufferPointer<Float>) throws(EnvironmentError) -> Info {
        if let seed { rng = RNG(seed: seed) }
        let draw = rng.int(below: items)
        if let forced = options["item"] {
            guard forced == forced.rounded(), forced >= 0, Int(forced) < items else {
                throw .invalidArgument(environment: name, argument: "options[\"item\"]", value: "\(forced)", allowed: "0..<\(items)")
            }
            item = Int(forced)
        } else {
            item = draw
        }
        turn = 0
        answers = [Float](repeating: 0, count: questionCount)
        lastExchange = "think of something."
        phase = .running
        write(into: obs)
        return ["text": .string("i am thinking of something. ask me.")]
    }

    public mutating func step(_ action: Int, into obs: UnsafeMutableBufferPointer<Float>) throws(EnvironmentError) -> StepResult {
        guard actionSpace.contains(action) else { throw invalidAction(action) }
        try phase.check(name)
        turn += 1
        var result = StepResult(reward: -turnCost)
        let reply: String
        if action < questionCount {
            var yes = TwentyQuestions.answer(item: item, question: action)
            if noise > 0, rng.bernoulli(noise) { yes.toggle() }
            answers[action] = yes ? 1 : -1
            reply = yes ? "yes." : "no."
        } else if action - questionCount == item {
            result.reward += 1
            result.terminated = true
            reply = "yes! it is a \(TwentyQuestions.catalogue[item].name)."
        } else {
            reply = "no, it is not a \(TwentyQuestions.catalogue[action - questionCount].name)."
        }
        lastExchange = utterance(action) + " " + reply
        result.truncated = !result.terminated && turn >= maxTurns
        if result.done { phase = .finished }
        write(into: obs)
        result.info = ["text": .string(reply), "question": .string(utterance(action))]
        return result
    }

    func write(into obs: UnsafeMutableBufferPointer<Float>) {
        if observation == .answers {
            for q in 0..<questionCount { obs[q] = answers[q] }
            obs[questionCount] = Float(turn) / Float(maxTurns)
        } else {
            // Every character of the exchange is in the lessons' alphabet by construction.
            try? TextSpace(vocabulary: tokenizer.vocabularySize, length: textLength).write(lastExchange, with: tokenizer, into: obs)
        }
    }

    public func render() -> String {
        "TwentyQuestions turn \(turn): the user holds \"\(TwentyQuestions.catalogue[item].name)\"; last: \(lastExchange)"
    }
}

extension TwentyQuestions: HiddenStateOracle {
    /// Guess the item at once.
    public func oracleAction() -> Int { questionCount + item }
}
