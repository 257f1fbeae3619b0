import TensorCore

/// POPGym's CountRecall: each step shows a card and a query; say how many cards of the
/// previous query's kind have been dealt so far.
///
/// ## Description
/// Two shuffled decks are dealt in parallel: a value deck (the cards to count) and a
/// query deck (which kind to report next). The agent must keep a count per kind: an
/// order-agnostic memory, like a set or a histogram.
///
/// ## Action space
/// `Discrete(maxCount + 1)`: a count 0 … maxCount, where maxCount = 52 × decks / kinds.
/// (POPGym allows only 0 … maxCount − 1, so a full count cannot be answered; we allow it.)
///
/// ## Observation space
/// `Box(0, 1, shape: [2 × kinds])`: the one-hot kind of the value card just dealt, then
/// the one-hot kind being queried.
///
/// ## Rewards
/// +1/(N − 1) when the action equals the number of value cards of the previously shown
/// query's kind dealt up to and including the previous step, −1/(N − 1) otherwise
/// (N = 52 × decks), so returns lie in [−1, 1].
///
/// ## Starting state
/// Both decks are shuffled; one value card and one query are dealt.
///
/// ## Episode end
/// Terminated after N − 1 steps, when the value deck is empty.
///
/// ## Arguments
/// `decks` ≥ 1 and `kind`, or a `Difficulty`: easy 1 deck counting colours (2 kinds),
/// medium 2 decks counting suits (4), hard 4 decks counting ranks (13) (POPGym's values).
///
/// ## Hidden state
/// `state` is the counts per kind divided by maxCount, then the one-hot current query.
public struct CountRecall: Environment {
    /// What the cards are counted by.
    public enum Kind: String, Sendable {
        case colours, suits, ranks

        /// The number of distinct values.
        public var count: Int { [Kind.colours: 2, .suits: 4, .ranks: 13][self]! }

        /// The name of value `i` of this kind, for renderings.
        func describe(_ i: Int) -> String {
            switch self {
            case .colours: return i == 0 ? "black" : "red"
            case .suits: return String(CardDeck.suitSymbols[i])
            case .ranks: return ["A", "2", "3", "4", "5", "6", "7", "8", "9", "10", "J", "Q", "K"][i]
            }
        }

        func of(_ card: Int) -> Int {
            switch self {
            case .colours: return CardDeck.colour(card)
            case .suits: return CardDeck.suit(card)
            case .ranks: return CardDeck.rank(card)
            }
        }
    }

    public let decks: Int
    public let kind: Kind
    /// The most cards of one kind in the decks.
    public var maxCount: Int { 52 * decks / kind.count }

    var values = CardDeck()
    var queries = CardDeck()
    /// Cards dealt from each deck so far (1 after reset).
    public private(set) var dealt = 0
    /// Value cards dealt so far, per kind.
    public private(set) var counts: [Int] = []
    var rng = RNG(seed: 0)
    var phase = EpisodePhase.idle

    public init(decks: Int, kind: Kind) throws(EnvironmentError) {
        try EnvironmentError.require(decks, atLeast: 1, "decks", in: "CountRecall")
        self.decks = decks
        self.kind = kind
    }

    public init(_ difficulty: Difficulty = .standard) {
        (decks, kind) = [Difficulty.easy: (1, Kind.colours), .medium: (2, .suits), .hard: (4, .ranks)][difficulty]!
    }

    public var name: String { "CountRecall(decks: \(decks), \(kind))" }
    public var observationSize: Int { 2 * kind.count }
    public var observationSpace: Box { Box(low: 0, high: 1, shape: [2 * kind.count]) }
    public var actionSpace: Discrete { Discrete(maxCount + 1) }

    public var state: [Float] {
        guard dealt > 0 else { return [Float](repeating: 0, count: 2 * kind.count) }
        return counts.map { Float($0) / Float(maxCount) } + oneHot(currentQuery, count: kind.count)
    }

    /// The kind the next answer is about.
    public var currentQuery: Int? { dealt > 0 ? kind.of(queries[dealt - 1]) : nil }

    /// The answer the next step is scored against.
    public var correctAnswer: Int? { currentQuery.map { counts[$0] } }

    public mutating func reset(seed: UInt64?, options: ResetOptions, into observation: UnsafeMutableBufferPointer<Float>) throws(EnvironmentError) -> Info {
        if let seed { rng = RNG(seed: seed) }
        values = CardDeck(decks: decks, rng: &rng)
        queries = CardDeck(decks: decks, rng: &rng)
        counts = [Int](repeating: 0, count: kind.count)
        dealt = 0
        deal(into: observation)
        phase = .running
        return Info()
    }

    public mutating func step(_ action: Int, into observation: UnsafeMutableBufferPointer<Float>) throws(EnvironmentError) -> StepResult {
        guard actionSpace.contains(action) else { throw invalidAction(action) }
        try phase.check(name)
        let scale = 1 / Double(values.count - 1)
        var result = StepResult(reward: action == correctAnswer ? scale : -scale)
        deal(into: observation)
        result.terminated = dealt == values.count
        if result.terminated { phase = .finished }
        return result
    }

    /// Deals one value card and one query, counts the value, and shows both.
    mutating func deal(into observation: UnsafeMutableBufferPointer<Float>) {
        let value = kind.of(values[dealt]), query = kind.of(queries[dealt])
        dealt += 1
        counts[value] += 1
        writeOneHot(value, count: kind.count, into: observation)
        writeOneHot(query, count: kind.count, into: observation, at: kind.count)
    }

    public func render() -> String {
        guard dealt > 0 else { return "CountRecall: not started" }
        return "CountRecall card \(dealt)/\(values.count): dealt \(CardDeck.describe(values[dealt - 1])), "
            + "counts \(counts), next: how many \(kind.describe(currentQuery!))?"
    }
}

extension CountRecall: HiddenStateOracle {
    /// The true count of the queried kind: return 1.
    public func oracleAction() -> Int { correctAnswer ?? 0 }
}
