import Environments
import TensorCore

/// Twenty questions (`TwentyQuestions`) played in text: the user answers, the agent — a
/// scripted policy or a language model — asks and guesses in words.
///
///     user: i am thinking of something. ask me.
///     agent: is it an animal?
///     user: yes.
///     agent: can it fly?
///     user: no.
///     agent: is it a cat?
///     user: yes! it is a cat.
///
/// An utterance is one of the environment's eight questions or "is it a X?" for an item X
/// in play, each ending with a newline; anything else ends the dialogue ("user: i do not
/// understand. bye."), reward 0. **Success** is the right guess within `turns` turns.
/// Rewards are the environment's: +1 for the right guess, −0.05 for every turn.
public struct TwentyQuestionsDialogue: TextDialogue {
    /// The items in play (the first `items` of `TwentyQuestions.catalogue`).
    public let items: Int
    /// The agent's turns per dialogue (4 by default: short dialogues fit a small model's context).
    public let turns: Int
    let prototype: TwentyQuestions

    public init(items: Int = 8, turns: Int = 4) throws {
        guard turns >= 1 else { throw AlgorithmError("TwentyQuestionsDialogue", "turns must be at least 1, got \(turns)") }
        prototype = try TwentyQuestions(items: items, maxTurns: turns)
        self.items = items
        self.turns = turns
    }

    public var environmentName: String { "TwentyQuestionsDialogue(\(prototype.name), turns: \(turns))" }
    public var speakers: (environment: String, agent: String) { ("user", "agent") }
    public func makeEnvironment() throws -> TwentyQuestions { prototype }
    public func opening(_ env: TwentyQuestions, info: Info) -> String {
        if case .string(let s)? = info["text"] { return s }
        return "ask me."
    }
    public func reply(_ env: TwentyQuestions, step: StepResult) -> String {
        if case .string(let s)? = step.info["text"] { return s }
        return ""
    }
    public func action(for utterance: String, in env: TwentyQuestions) -> Int? { Self.action(for: utterance, items: items) }
    public func succeeded(before: TwentyQuestions, action: Int, after: TwentyQuestions, step: StepResult) -> Bool { step.terminated }

    /// The action an utterance stands for among `items` items, or nil when the user cannot read it.
    public static func action(for utterance: String, items: Int) -> Int? {
        let s = trimmedUtterance(utterance)
        if let q = TwentyQuestions.questions.firstIndex(where: { $0 == s }) { return q }
        if s.hasPrefix("is it a "), s.hasSuffix("?") {
            let name = s.dropFirst(8).dropLast()
            if let j = TwentyQuestions.catalogue.prefix(items).firstIndex(where: { $0.name == name }) {
                return TwentyQuestions.questions.count + j
            }
        }
        return nil
    }

    // MARK: - Logged data

    /// The scripted askers whose dialogues make the logs, none of them good on its own.
    public enum DataPolicy: String, Sendable, CaseIterable {
        /// Guesses an item at random every turn (never the same twice).
        case guesser
        /// Asks questions at random (never the same twice) and guesses at random on its last
        /// turn, whatever the answers: its logs pair every question with every item.
        case asker
        /// Asks one or two questions at random, then guesses among the items that fit the
        /// answers: the good half of a dialogue, after questions that may tell it little.
        case reader

        /// The next utterance of this asker, reading only what the dialogue `text` has shown:
        /// the answers so far (`env.answers`), the turn and the items already guessed.
        func utterance(_ env: TwentyQuestions, text: String, items: Int, turns: Int, rng: inout RNG) -> String {
            let nq = TwentyQuestions.questions.count
            func guess(among candidates: [Int]) -> String {
                let fresh = candidates.filter { !text.contains("is it a \(TwentyQuestions.catalogue[$0].name)?") }
                let pool = fresh.isEmpty ? Array(0..<items) : fresh
                return " is it a \(TwentyQuestions.catalogue[pool[rng.int(below: pool.count)]].name)?\n"
            }
            func question() -> String {
                let unasked = (0..<nq).filter { env.answers[$0] == 0 }
                return " \(TwentyQuestions.questions[unasked.isEmpty ? rng.int(below: nq) : unasked[rng.int(below: unasked.count)]])\n"
            }
            switch self {
            case .guesser:
                return guess(among: Array(0..<items))
            case .asker:
                return env.turn + 1 >= turns ? guess(among: Array(0..<items)) : question()
            case .reader:
                let asked = env.answers.filter { $0 != 0 }.count
                if asked == 0 || (asked == 1 && env.turn == 1 && rng.bernoulli(0.5)) { return question() }
                let fitting = (0..<items).filter { j in
                    (0..<nq).allSatisfy { q in env.answers[q] == 0 || (env.answers[q] > 0) == TwentyQuestions.answer(item: j, question: q) }
                }
                return guess(among: fitting)
            }
        }
    }

    /// `episodes` logged dialogues, each from one of `policies` in turn (episode e from
    /// `reset(seed: seed + e)`), recorded for `tokenizer`.
    public func collect(episodes: Int, policies: [DataPolicy] = DataPolicy.allCases, seed: UInt64, tokenizer: String) throws -> DialogueDataset {
        try collect(episodes: episodes, policies: policies, seed: seed, salt: 0x2051, tokenizer: tokenizer) { p, text, env, rng in
            p.utterance(env, text: text, items: items, turns: turns, rng: &rng)
        }
    }
}
