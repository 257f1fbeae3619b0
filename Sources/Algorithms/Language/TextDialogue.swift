import Environments
import TensorCore

/// A task played in words: an environment whose messages are the context of the agent's
/// turns and whose actions are read back from what the agent says. The negotiation
/// (`NegotiationDialogue`) and twenty questions (`TwentyQuestionsDialogue`) are two.
///
/// A dialogue is the environment's opening message, then turns of
///
///     <environment>: <message>\n<agent>:<utterance>\n
///
/// and a closing message. An utterance the task cannot read ends the dialogue
/// ("<environment>: i do not understand. bye.") with reward 0.
public protocol TextDialogue: Sendable {
    associatedtype Env: Environment
    /// The name datasets record: logs of one task are refused by another.
    var environmentName: String { get }
    /// Who speaks: the environment's side and the agent's ("seller" and "buyer").
    var speakers: (environment: String, agent: String) { get }
    /// A fresh environment (reset before each dialogue).
    func makeEnvironment() throws -> Env
    /// The environment's first message, after a reset that returned `info`.
    func opening(_ env: Env, info: Info) -> String
    /// The action an utterance stands for in `env`'s current state, or nil when it cannot be read.
    func action(for utterance: String, in env: Env) -> Int?
    /// The environment's answer to the step it just took.
    func reply(_ env: Env, step: StepResult) -> String
    /// Whether a dialogue that just ended succeeded: `before` is the environment before its
    /// last step, `after` after it.
    func succeeded(before: Env, action: Int, after: Env, step: StepResult) -> Bool
}

extension TextDialogue {
    func context(_ message: String) -> String { "\(speakers.environment): \(message)\n\(speakers.agent):" }

    /// Plays `episodes` dialogues side by side: `speaker` gets the dialogue so far of every
    /// dialogue still running (ending with "<agent>:") and returns one utterance each. Episode
    /// e starts from `reset(seed: seed + e)`, so every speaker meets the same environments.
    public func play(episodes: Int, seed: UInt64, policy: String, tokenizer: String,
                     speaker: ([String]) throws -> [String]) throws -> DialogueDataset {
        try play(episodes: episodes, seed: seed, policy: policy, tokenizer: tokenizer) { texts, _ in try speaker(texts) }
    }

    /// `play`, with the speaker also given the environments of the running dialogues: for
    /// the scripted policies that write the logs (which read only what the text shows).
    func play(episodes: Int, seed: UInt64, policy: String, tokenizer: String,
              speaker: ([String], [Env]) throws -> [String]) throws -> DialogueDataset {
        let component = String(describing: Self.self)
        guard episodes >= 1 else { throw AlgorithmError(component, "episodes must be at least 1, got \(episodes)") }
        let prototype = try makeEnvironment()
        var envs = [Env](repeating: prototype, count: episodes)
        var obs = [Float](repeating: 0, count: prototype.observationSize)
        var turns = [[DialogueDataset.Turn]](repeating: [], count: episodes)
        var history = [String](repeating: "", count: episodes)
        var contexts = [String](repeating: "", count: episodes)
        var closing = [String?](repeating: nil, count: episodes)
        var success = [Bool](repeating: false, count: episodes)
        for e in 0..<episodes {
            let info = try envs[e].reset(seed: seed &+ UInt64(e), into: &obs)
            contexts[e] = context(opening(envs[e], info: info))
        }
        while true {
            let running = (0..<episodes).filter { closing[$0] == nil }
            if running.isEmpty { break }
            let said = try speaker(running.map { history[$0] + contexts[$0] }, running.map { envs[$0] })
            guard said.count == running.count else {
                throw AlgorithmError(component, "the speaker returned \(said.count) utterances for \(running.count) dialogues")
            }
            for (k, e) in running.enumerated() {
                let utterance = said[k]
                history[e] += contexts[e] + utterance
                guard let a = action(for: utterance, in: envs[e]) else {
                    turns[e].append(.init(context: contexts[e], utterance: utterance, reward: 0))
                    closing[e] = "\(speakers.environment): i do not understand. bye.\n"
                    continue
                }
                let before = envs[e]
                let step = try envs[e].step(a, into: &obs)
                turns[e].append(.init(context: contexts[e], utterance: utterance, reward: Float(step.reward)))
                let message = reply(envs[e], step: step)
                if step.done {
                    closing[e] = "\(speakers.environment): \(message)\n"
                    success[e] = succeeded(before: before, action: a, after: envs[e], step: step)
                } else {
                    contexts[e] = context(message)
                }
            }
        }
        var data = DialogueDataset(environment: environmentName, tokenizer: tokenizer)
        for e in 0..<episodes {
            try data.append(.init(turns: turns[e], closing: closing[e]!, policy: policy, success: success[e]))
        }
        return data
    }
}

extension TextDialogue {
    /// `episodes` logged dialogues, each from one of the scripted `policies` in turn
    /// (episode e from `reset(seed: seed + e)`), recorded for `tokenizer`. The policies
    /// share one generator, seeded from `seed` and `salt`; `utterance` gives a policy's next
    /// utterance from the dialogue so far and its environment.
    func collect<Policy: RawRepresentable>(episodes: Int, policies: [Policy], seed: UInt64, salt: UInt64, tokenizer: String,
                                           utterance: (Policy, String, Env, inout RNG) -> String) throws -> DialogueDataset
    where Policy.RawValue == String {
        let component = String(describing: Self.self)
        guard !policies.isEmpty else { throw AlgorithmError(component, "needs at least one data policy") }
        guard episodes >= 1 else { throw AlgorithmError(component, "episodes must be at least 1, got \(episodes)") }
        var data = DialogueDataset(environment: environmentName, tokenizer: tokenizer)
        var rng = RNG(seed: seed &+ salt)
        for e in 0..<episodes {
            let p = policies[e % policies.count]
            // One dialogue at a time, so that the logs do not depend on how many are asked for.
            let one = try play(episodes: 1, seed: seed &+ UInt64(e), policy: p.rawValue, tokenizer: tokenizer) { (texts: [String], envs: [Env]) in
                zip(texts, envs).map { utterance(p, $0, $1, &rng) }
            }
            try data.append(one.dialogues[0])
        }
        return data
    }
}

/// An utterance with the spaces before it and the spaces and newlines after it removed.
func trimmedUtterance(_ utterance: String) -> Substring {
    var s = Substring(utterance)
    while s.first == " " { s = s.dropFirst() }
    while s.last == "\n" || s.last == " " { s = s.dropLast() }
    return s
}
