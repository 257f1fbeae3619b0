import TensorCore

/// POPGym's RepeatFirst: output the suit of the first card of the episode, at every step.
///
/// ## Description
/// Cards are dealt one per step from shuffled decks. The first observation shows the card
/// to remember; every later observation is a distractor. The task needs a memory that
/// holds one item for the whole episode and ignores everything after it.
///
/// ## Action space
/// `Discrete(4)`: a suit (0 clubs, 1 diamonds, 2 hearts, 3 spades).
///
/// ## Observation space
/// `Box(0, 1, shape: [4])`: the one-hot suit of the card just dealt.
///
/// ## Rewards
/// +1/(N − 1) when the action is the first card's suit, −1/(N − 1) otherwise, where
/// N = 52 × decks: episode returns lie in [−1, 1] (POPGym's scaling).
///
/// ## Starting state
/// The decks are shuffled; the first card is dealt.
///
/// ## Episode end
/// Truncated after N − 1 steps, when the decks run out.
///
/// ## Arguments
/// `decks` ≥ 1, or a `Difficulty`: easy 1 deck, medium 8, hard 16 (POPGym's values).
///
/// ## Hidden state
/// `state` is the one-hot suit of the first card (the Markov state a policy needs).
public struct RepeatFirst: Environment {
    public let decks: Int
    /// Steps per episode: 52 × decks − 1.
    public var episodeLength: Int { 52 * decks - 1 }

    var deck = CardDeck()
    /// Cards dealt so far (1 after reset).
    public private(set) var dealt = 0
    var rng = RNG(seed: 0)
    var phase = EpisodePhase.idle

    public init(decks: Int) throws(EnvironmentError) {
        try EnvironmentError.require(decks, atLeast: 1, "decks", in: "RepeatFirst")
        self.decks = decks
    }

    public init(_ difficulty: Difficulty = .standard) {
        decks = [Difficulty.easy: 1, .medium: 8, .hard: 16][difficulty]!
    }

    public var name: String { "RepeatFirst(decks: \(decks))" }
    public var observationSize: Int { 4 }
    public var observationSpace: Box { Box(low: 0, high: 1, shape: [4]) }
    public var actionSpace: Discrete { Discrete(4) }
    public var state: [Float] { oneHot(dealt > 0 ? CardDeck.suit(deck[0]) : nil, count: 4) }

    /// The suit the agent must repeat.
    public var targetSuit: Int? { dealt > 0 ? CardDeck.suit(deck[0]) : nil }

    public mutating func reset(seed: UInt64?, options: ResetOptions, into observation: UnsafeMutableBufferPointer<Float>) throws(EnvironmentError) -> Info {
        if let seed { rng = RNG(seed: seed) }
        deck = CardDeck(decks: decks, rng: &rng)
        dealt = 1
        phase = .running
        writeOneHot(CardDeck.suit(deck[0]), count: 4, into: observation)
        return Info()
    }

    public mutating func step(_ action: Int, into observation: UnsafeMutableBufferPointer<Float>) throws(EnvironmentError) -> StepResult {
        guard actionSpace.contains(action) else { throw invalidAction(action) }
        try phase.check(name)
        let scale = 1 / Double(deck.count - 1)
        var result = StepResult(reward: action == CardDeck.suit(deck[0]) ? scale : -scale)
        result.truncated = dealt == deck.count - 1
        let card = deck[dealt]
        dealt += 1
        if result.truncated { phase = .finished }
        writeOneHot(CardDeck.suit(card), count: 4, into: observation)
        return result
    }

    public func render() -> String {
        guard dealt > 0 else { return "RepeatFirst: not started" }
        return "RepeatFirst card \(dealt)/\(deck.count): shown \(CardDeck.describe(deck[dealt - 1])), "
            + "repeat \(CardDeck.suitSymbols[CardDeck.suit(deck[0])])"
    }
}

extension RepeatFirst: HiddenStateOracle {
    /// The first card's suit: return 1.
    public func oracleAction() -> Int { targetSuit ?? 0 }
}
