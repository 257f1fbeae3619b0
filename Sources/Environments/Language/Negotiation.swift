import TensorCore

/// A negotiation over one item: the agent buys, a scripted seller with a hidden reservation
/// price sells, and they exchange offers in text.
///
/// ## Description
/// The item is worth `value` (100) to the buyer. The seller will not sell below a hidden
/// reservation price r, drawn uniformly from the integers `minReserve` … `maxReserve`
/// (40 … 80), and opens by asking `value`. Each turn the buyer makes an offer from a grid
/// (20, 25, …, 95), accepts the seller's current ask, or walks away. An offer ≥ r is
/// accepted ("deal at 55."). Otherwise the seller concedes a third of the way from its ask
/// down to r (rounded up) and says so ("no. i can do 72."): its asks reveal r gradually.
///
/// ## Action space
/// `Discrete(18)`: 0–15 offer 20 + 5i; 16 accept the seller's ask; 17 walk away.
///
/// ## Observation space
/// - `.features` (default): `Box(0, 1, shape: [3])` — the seller's current ask, the buyer's
///   last offer (both / `value`; 0 before any offer), and the fraction of rounds used.
/// - `.text`: the seller's last message as `textLength` ids of `CharacterTokenizer.lessons`.
/// `info["text"]` holds the seller's message; `info["offer"]` the buyer's utterance.
///
/// ## Rewards
/// On a deal at price x: (value − x) / value. Walking away or running out of rounds: 0.
/// The oracle (offer the smallest grid price ≥ r) earns (value − ⌈r⌉₅) / value.
///
/// ## Starting state
/// r uniform in `minReserve` … `maxReserve` (or `options["reserve"]`); the ask is `value`.
///
/// ## Episode end
/// Terminated by a deal or by walking away; truncated after `rounds` (6) offers.
///
/// ## Arguments
/// `value` (100), `minReserve` (40) ≤ `maxReserve` (80) < value, `rounds` ≥ 1 (6),
/// `observation` (`.features`), `textLength` ≥ 8 (24).
///
/// ## Hidden state
/// `state` is [reserve, ask, round].
public struct Negotiation: Environment {
    public enum Observation: String, Sendable, CaseIterable {
        case features, text
    }

    /// The offers of actions 0–15.
    public static let offers: [Int] = (0..<16).map { 20 + 5 * $0 }
    public static let acceptAction = 16
    public static let walkAwayAction = 17

    public let value: Int
    public let minReserve: Int
    public let maxReserve: Int
    public let rounds: Int
    public let observation: Observation
    public let textLength: Int
    let tokenizer = CharacterTokenizer.lessons

    /// The seller's reservation price (the hidden state).
    public private(set) var reserve = 0
    /// The seller's current ask.
    public private(set) var ask = 0
    public private(set) var round = 0
    public private(set) var lastOffer = 0
    public private(set) var lastMessage = ""
    var rng = RNG(seed: 0)
    var phase = EpisodePhase.idle

    public init(value: Int = 100, minReserve: Int = 40, maxReserve: Int = 80, rounds: Int = 6,
                observation: Observation = .features, textLength: Int = 24) throws(EnvironmentError) {
        guard minReserve >= 1, minReserve <= maxReserve, maxReserve < value else {
            throw .invalidArgument(environment: "Negotiation", argument: "minReserve, maxReserve, value",
                                   value: "\(minReserve), \(maxReserve), \(value)", allowed: "1 <= minReserve <= maxReserve < value")
        }
        try EnvironmentError.require(rounds, atLeast: 1, "rounds", in: "Negotiation")
        try EnvironmentError.require(textLength, atLeast: 8, "textLength", in: "Negotiation")
        self.value = value
        self.minReserve = minReserve
        self.maxReserve = maxReserve
        self.rounds = rounds
        self.observation = observation
        self.textLength = textLength
    }

    public var name: String { "Negotiation(reserve: \(minReserve)…\(maxReserve))" }
    public var observationSize: Int { observation == .features ? 3 : textLength }
    public var observationSpace: Box {
        observation == .features ? Box(low: 0, high: 1, shape: [3]) : Box(low: 0, high: Float(tokenizer.vocabularySize - 1), shape: [textLength])
    }
    public var actionSpace: Discrete { Discrete(18) }
    public var state: [Float] { [Float(reserve), Float(ask), Float(round)] }

    /// The buyer's utterance for action `a`.
    public func utterance(_ a: Int) -> String {
        switch a {
        case Negotiation.acceptAction: return "ok, \(ask) it is."
        case Negotiation.walkAwayAction: return "no thanks, bye."
        default: return "i offer \(Negotiation.offers[a])."
        }
    }

    /// `options["reserve"]` fixes r.
    public mutating func reset(seed: UInt64?, options: ResetOptions, into obs: UnsafeMutableBufferPointer<Float>) throws(EnvironmentError) -> Info {
        if let seed { rng = RNG(seed: seed) }
        let draw = minReserve + rng.int(below: maxReserve - minReserve + 1)
        if let forced = options["reserve"] {
            guard forced == forced.rounded(), Int(forced) >= minReserve, Int(forced) <= maxReserve else {
                throw .invalidArgument(environment: name, argument: "options[\"reserve\"]", value: "\(forced)", allowed: "\(minReserve) … \(maxReserve)")
            }
            reserve = Int(forced)
        } else {
            reserve = draw
        }
        ask = value
        round = 0
        lastOffer = 0
        lastMessage = "it costs \(ask)."
        phase = .running
        write(into: obs)
        return ["text": .string(lastMessage)]
    }

    public mutating func step(_ action: Int, into obs: UnsafeMutableBufferPointer<Float>) throws(EnvironmentError) -> StepResult {
        guard actionSpace.contains(action) else { throw invalidAction(action) }
        try phase.check(name)
        let said = utterance(action)
        var result = StepResult(reward: 0)
        switch action {
        case Negotiation.acceptAction:
            result.reward = Double(value - ask) / Double(value)
            result.terminated = true
            lastMessage = "deal at \(ask)."
        case Negotiation.walkAwayAction:
            result.terminated = true
            lastMessage = "bye."
        default:
            round += 1
            let offer = Negotiation.offers[action]
            lastOffer = offer
            if offer >= reserve {
                result.reward = Double(value - offer) / Double(value)
                result.terminated = true
                lastMessage = "deal at \(offer)."
            } else {
                ask = max(reserve, ask - (ask - reserve) / 3)
                lastMessage = "no. i can do \(ask)."
                result.truncated = round >= rounds
            }
        }
        if result.done { phase = .finished }
        write(into: obs)
        result.info = ["text": .string(lastMessage), "offer": .string(said)]
        return result
    }

    func write(into obs: UnsafeMutableBufferPointer<Float>) {
        if observation == .features {
            obs[0] = Float(ask) / Float(value)
            obs[1] = Float(lastOffer) / Float(value)
            obs[2] = Float(round) / Float(rounds)
        } else {
            try? TextSpace(vocabulary: tokenizer.vocabularySize, length: textLength).write(lastMessage, with: tokenizer, into: obs)
        }
    }

    public func render() -> String {
        "Negotiation round \(round): seller asks \(ask) (reserve \(reserve)); last offer \(lastOffer); \"\(lastMessage)\""
    }
}

extension Negotiation: HiddenStateOracle {
    /// The smallest offer the seller accepts (or accept the ask when no offer on the grid is
    /// both acceptable and cheaper).
    public func oracleAction() -> Int {
        if let i = Negotiation.offers.firstIndex(where: { $0 >= reserve }), Negotiation.offers[i] < ask { return i }
        return Negotiation.acceptAction
    }
}
