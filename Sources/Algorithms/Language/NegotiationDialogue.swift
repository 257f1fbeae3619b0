import Environments
import TensorCore

/// The negotiation (`Negotiation`) played in text: the seller's messages are the context,
/// the buyer — a scripted policy or a language model — answers in words, and the words are
/// read back into the environment's actions.
///
///     seller: it costs 100.
///     buyer: i offer 30.
///     seller: no. i can do 80.
///     buyer: i offer 55.
///     seller: deal at 55.
///
/// An utterance is " i offer N." (N on the environment's grid), " ok, A it is." (A the
/// seller's current ask) or " no thanks, bye.", each ending with a newline. Anything else
/// ends the dialogue without a deal ("seller: i do not understand. bye."), reward 0.
///
/// **Success** is a deal at most `successMargin` (10) above the seller's hidden reserve: a
/// good deal, which needs the buyer to read the reserve from the seller's counter-offer.
public struct NegotiationDialogue: TextDialogue {
    /// The environment's offers per dialogue (3: short dialogues fit a small model's context).
    public let rounds: Int
    public let successMargin: Int
    let prototype: Negotiation

    public init(rounds: Int = 3, successMargin: Int = 10) throws {
        guard successMargin >= 0 else { throw AlgorithmError("NegotiationDialogue", "successMargin must be >= 0, got \(successMargin)") }
        prototype = try Negotiation(rounds: rounds)
        self.rounds = rounds
        self.successMargin = successMargin
    }

    /// The environment's name, as datasets record it.
    public var environmentName: String { "NegotiationDialogue(\(prototype.name), rounds: \(rounds))" }
    public var speakers: (environment: String, agent: String) { ("seller", "buyer") }
    public func makeEnvironment() throws -> Negotiation { prototype }
    public func opening(_ env: Negotiation, info: Info) -> String { env.lastMessage }
    public func reply(_ env: Negotiation, step: StepResult) -> String { env.lastMessage }
    public func action(for utterance: String, in env: Negotiation) -> Int? { Self.action(for: utterance, ask: env.ask) }

    /// A deal at most `successMargin` above the reserve.
    public func succeeded(before: Negotiation, action: Int, after: Negotiation, step: StepResult) -> Bool {
        let price = action == Negotiation.acceptAction ? before.ask : (action < Negotiation.offers.count ? Negotiation.offers[action] : nil)
        guard after.lastMessage.hasPrefix("deal"), let p = price else { return false }
        return p <= after.reserve + successMargin
    }

    /// The action an utterance stands for, or nil when the seller cannot read it.
    public static func action(for utterance: String, ask: Int) -> Int? {
        let s = trimmedUtterance(utterance)
        if s == "no thanks, bye." { return Negotiation.walkAwayAction }
        if s == "ok, \(ask) it is." { return Negotiation.acceptAction }
        if s.hasPrefix("i offer "), s.hasSuffix("."), let n = Int(s.dropFirst(8).dropLast()), let i = Negotiation.offers.firstIndex(of: n) {
            return i
        }
        return nil
    }

    // MARK: - Logged data

    /// The scripted buyers whose dialogues make the logs, none of them good on its own.
    public enum DataPolicy: String, Sendable, CaseIterable {
        /// Offers 80–95 at once: always a deal, a poor one.
        case overpayer
        /// Offers 20–35 every round, and may walk away: never a deal.
        case lowballer
        /// Offers 20–35 first (the seller's counter-offer then reveals the reserve), then a
        /// random price 10 to 45 below the seller's ask; if that is refused, accepts the ask.
        /// Now and then its random price is the right one (the reserve, rounded up to the
        /// grid): the good half of a dialogue that ILQL can find.
        case prober
        /// Offers 20–35 first, then any price from 40 to 95 at random, whatever the seller
        /// said; if that is refused, accepts the ask. Its second offer does not depend on the
        /// seller, so its logs show every price against every kind of seller — the data a
        /// value function needs to compare prices, and no guide for imitation.
        case guesser

        /// The next utterance of this buyer on turn `turn`, given the seller's ask.
        func utterance(turn: Int, ask: Int, rng: inout RNG) -> String {
            func offer(_ lo: Int, _ hi: Int) -> String { " i offer \(lo + 5 * rng.int(below: (hi - lo) / 5 + 1)).\n" }
            switch self {
            case .overpayer: return offer(80, 95)
            case .lowballer: return turn > 0 && rng.bernoulli(0.4) ? " no thanks, bye.\n" : offer(20, 35)
            case .prober:
                switch turn {
                case 0: return offer(20, 35)
                case 1:
                    let lo = max(40, 5 * Int((Double(ask - 45) / 5).rounded(.up))), hi = min(95, 5 * ((ask - 10) / 5))
                    return offer(lo, max(lo, hi))
                default: return " ok, \(ask) it is.\n"
                }
            case .guesser:
                switch turn {
                case 0: return offer(20, 35)
                case 1: return offer(40, 95)
                default: return " ok, \(ask) it is.\n"
                }
            }
        }
    }

    /// `episodes` logged dialogues, each from one of `policies` in turn (episode e from
    /// `reset(seed: seed + e)`), recorded for `tokenizer`.
    public func collect(episodes: Int, policies: [DataPolicy] = DataPolicy.allCases, seed: UInt64, tokenizer: String) throws -> DialogueDataset {
        // The scripted buyers read the turn and the seller's ask from the text.
        try collect(episodes: episodes, policies: policies, seed: seed, salt: 0xD1A, tokenizer: tokenizer) { p, text, _, rng in
            let turn = text.components(separatedBy: "buyer:").count - 2
            let ask = Int(text.split(separator: " ").last.map { $0.dropLast(8) } ?? "") ?? 100
            return p.utterance(turn: turn, ask: ask, rng: &rng)
        }
    }
}
