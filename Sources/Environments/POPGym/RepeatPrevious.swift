import TensorCore

/// POPGym's RepeatPrevious: output the suit of the card dealt k steps back.
///
/// ## Description
/// Cards are dealt one per step. After step s (s ≥ k), the agent is scored on the suit of
/// card s − k, counting cards from 0 at reset: the card it saw k − 1 observations before
/// the latest one (POPGym's indexing). The task needs a memory that acts as a queue of
/// length k.
///
/// ## Action space
/// `Discrete(4)`: a suit.
///
/// ## Observation space
/// `Box(0, 1, shape: [4])`: the one-hot suit of the card just dealt.
///
/// ## Rewards
/// For steps s ≥ k: +1/(N − k) for the right suit and −1/(N − k) otherwise, with
/// N = 52 × decks; 0 before step k. Episode returns lie in [−1, 1].
///
/// ## Starting state
/// The decks are shuffled; the first card is dealt.
///
/// ## Episode end
/// Truncated after N − 1 steps.
///
/// ## Arguments
/// `decks` ≥ 1 and 1 ≤ `k` < 52 × decks, or a `Difficulty`: easy 1 deck with k = 4,
/// medium 2 decks with k = 32, hard 3 decks with k = 64 (POPGym's values).
///
/// ## Hidden state
/// `state` is the one-hot suits of the last k cards dealt, oldest first, zeros where
/// fewer than k have been dealt (4 × k floats).
public struct RepeatPrevious: Environment {
    public let decks: Int
    public let k: Int

    var deck = CardDeck()
    /// Cards dealt so far (1 after reset).
    public private(set) var dealt = 0
    var rng = RNG(seed: 0)
    var phase = EpisodePhase.idle

    public init(decks: Int, k: Int) throws(EnvironmentError) {
        try EnvironmentError.require(decks, atLeast: 1, "decks", in: "RepeatPrevious")
        try EnvironmentError.require(k, atLeast: 1, "k", in: "RepeatPrevious")
        if k >= 52 * decks {
            throw .invalidArgument(environment: "RepeatPrevious", argument: "k", value: "\(k)",
                                   allowed: "k < 52 × decks = \(52 * decks)")
        }
        self.decks = decks
        self.k = k
    }

    public init(_ difficulty: Difficulty = .standard) {
        (decks, k) = [Difficulty.easy: (1, 4), .medium: (2, 32), .hard: (3, 64)][difficulty]!
    }

    public var name: String { "RepeatPrevious(decks: \(decks), k: \(k))" }
    public var observationSize: Int { 4 }
    public var observationSpace: Box { Box(low: 0, high: 1, shape: [4]) }
    public var actionSpace: Discrete { Discrete(4) }

    public var state: [Float] {
        var out: [Float] = []
        for i in dealt - k ..< dealt {
            out += oneHot(i >= 0 ? CardDeck.suit(deck[i]) : nil, count: 4)
        }
        return out
    }

    /// The suit scored on the next step, if it is scored.
    public var targetSuit: Int? { dealt >= k ? CardDeck.suit(deck[dealt - k]) : nil }

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
        var result = StepResult(reward: 0)
        if let target = targetSuit {
            let scale = 1 / Double(deck.count - k)
            result.reward = action == target ? scale : -scale
        }
        result.truncated = dealt == deck.count - 1
        let card = deck[dealt]
        dealt += 1
        if result.truncated { phase = .finished }
        writeOneHot(CardDeck.suit(card), count: 4, into: observation)
        return result
    }

    public func render() -> String {
        guard dealt > 0 else { return "RepeatPrevious: not started" }
        let target = targetSuit.map { String(CardDeck.suitSymbols[$0]) } ?? "nothing yet"
        return "RepeatPrevious card \(dealt)/\(deck.count): shown \(CardDeck.describe(deck[dealt - 1])), repeat \(target)"
    }
}

extension RepeatPrevious: HiddenStateOracle {
    /// The suit of card s − k once it is scored: return 1.
    public func oracleAction() -> Int { targetSuit ?? 0 }
}
