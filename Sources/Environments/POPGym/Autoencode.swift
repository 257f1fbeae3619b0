import TensorCore

/// POPGym's Autoencode: watch a sequence of cards, then recite their suits in reverse.
///
/// ## Description
/// In the watch phase one card is shown per step; actions are ignored. The observation of
/// the last card carries the recite flag; from then on the agent outputs one suit per
/// step, last card first. The memory must store the whole sequence in order: a stack.
///
/// ## Action space
/// `Discrete(4)`: a suit.
///
/// ## Observation space
/// `Box(0, 1, shape: [5])`: [recite flag, one-hot suit of the card shown (zeros while
/// reciting)].
///
/// ## Rewards
/// While reciting: +1/N for the right suit and −1/N otherwise (N = 52 × decks); 0 while
/// watching. Returns lie in [−1, 1].
///
/// ## Starting state
/// The decks are shuffled; the first card is shown.
///
/// ## Episode end
/// Terminated when the first card has been recited, after 2N − 1 steps.
///
/// ## Arguments
/// `decks` ≥ 1, or a `Difficulty`: easy 1 deck, medium 2, hard 3 (POPGym's values).
///
/// ## Hidden state
/// `state` is [recite flag, fraction of cards shown, one-hot suit of the next card to
/// recite (zeros while watching)].
public struct Autoencode: Environment {
    public let decks: Int

    var deck = CardDeck()
    /// Cards shown so far.
    public private(set) var shown = 0
    /// Cards still to recite (valid once reciting).
    public private(set) var remaining = 0
    /// Whether the agent is reciting.
    public private(set) var reciting = false
    var rng = RNG(seed: 0)
    var phase = EpisodePhase.idle

    public init(decks: Int) throws(EnvironmentError) {
        try EnvironmentError.require(decks, atLeast: 1, "decks", in: "Autoencode")
        self.decks = decks
    }

    public init(_ difficulty: Difficulty = .standard) {
        decks = [Difficulty.easy: 1, .medium: 2, .hard: 3][difficulty]!
    }

    public var name: String { "Autoencode(decks: \(decks))" }
    public var observationSize: Int { 5 }
    public var observationSpace: Box { Box(low: 0, high: 1, shape: [5]) }
    public var actionSpace: Discrete { Discrete(4) }
    public var episodeLength: Int { 2 * 52 * decks - 1 }

    public var state: [Float] {
        [reciting ? 1 : 0, deck.count > 0 ? Float(shown) / Float(deck.count) : 0] + oneHot(targetSuit, count: 4)
    }

    /// The suit the next reciting step is scored against.
    public var targetSuit: Int? { reciting && remaining > 0 ? CardDeck.suit(deck[remaining - 1]) : nil }

    public mutating func reset(seed: UInt64?, options: ResetOptions, into observation: UnsafeMutableBufferPointer<Float>) throws(EnvironmentError) -> Info {
        if let seed { rng = RNG(seed: seed) }
        deck = CardDeck(decks: decks, rng: &rng)
        shown = 1
        remaining = 0
        reciting = false
        phase = .running
        observation[0] = 0
        writeOneHot(CardDeck.suit(deck[0]), count: 4, into: observation, at: 1)
        return Info()
    }

    public mutating func step(_ action: Int, into observation: UnsafeMutableBufferPointer<Float>) throws(EnvironmentError) -> StepResult {
        guard actionSpace.contains(action) else { throw invalidAction(action) }
        try phase.check(name)
        var result = StepResult(reward: 0)
        if !reciting {
            let card = deck[shown]
            shown += 1
            if shown == deck.count {
                reciting = true
                remaining = deck.count
            }
            observation[0] = reciting ? 1 : 0
            writeOneHot(CardDeck.suit(card), count: 4, into: observation, at: 1)
        } else {
            let scale = 1 / Double(deck.count)
            result.reward = action == targetSuit ? scale : -scale
            remaining -= 1
            result.terminated = remaining == 0
            observation[0] = 1
            writeOneHot(nil, count: 4, into: observation, at: 1)
        }
        if result.terminated { phase = .finished }
        return result
    }

    public func render() -> String {
        if reciting { return "Autoencode reciting: \(remaining) cards left" }
        return "Autoencode watching card \(shown)/\(deck.count): \(shown > 0 ? CardDeck.describe(deck[shown - 1]) : "-")"
    }
}

extension Autoencode: HiddenStateOracle {
    /// The next suit to recite (anything while watching): return 1.
    public func oracleAction() -> Int { targetSuit ?? 0 }
}
