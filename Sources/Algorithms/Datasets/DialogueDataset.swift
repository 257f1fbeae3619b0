import Foundation
import NeuralNets
import TensorCore

// Logged dialogues for offline RL on language: what ILQL, BC / %BC fine-tuning and the
// CHAI-style reranker learn from. A dialogue is a list of turns; in each the environment
// speaks (its `context`, ending with the agent's name, such as "buyer:") and the agent
// answers with an `utterance`, rewarded with `reward`. A `closing` line (the environment's
// last message) follows the last utterance.
//
//     dialogue text = context₀ utterance₀ context₁ utterance₁ … closing
//
// Files are safetensors, like `TrajectoryDataset`'s: the text as UTF-8 bytes, one row per
// segment (dialogue, kind, start, length, reward), one row per dialogue (policy, success,
// return), and the environment and the tokenizer the data was written for in the
// metadata, so a file cannot silently be read for another task or vocabulary.

/// Dialogues with rewards, collected from one environment by a mix of policies.
public struct DialogueDataset: Sendable {
    public static let format = "memento.dialogues.v1"

    /// One exchange: the environment's words, then the agent's.
    public struct Turn: Sendable, Equatable {
        /// What the environment said, ending with the agent's prompt ("seller: …\nbuyer:").
        public var context: String
        /// The agent's answer (" i offer 40.\n").
        public var utterance: String
        /// The reward the environment paid for it.
        public var reward: Float
        public init(context: String, utterance: String, reward: Float) {
            self.context = context
            self.utterance = utterance
            self.reward = reward
        }
    }

    /// One logged dialogue.
    public struct Dialogue: Sendable, Equatable {
        public var turns: [Turn]
        /// The environment's last message, after the last utterance.
        public var closing: String
        /// The name of the policy that spoke (for reports; not used in learning).
        public var policy: String
        /// Whether the episode reached the task's notion of success.
        public var success: Bool
        public init(turns: [Turn], closing: String, policy: String, success: Bool) {
            self.turns = turns
            self.closing = closing
            self.policy = policy
            self.success = success
        }
        /// The sum of the turns' rewards.
        public var totalReward: Float { turns.reduce(0) { $0 + $1.reward } }
        /// The whole dialogue as one text.
        public var text: String { turns.map { $0.context + $0.utterance }.joined() + closing }
    }

    /// The environment the dialogues come from (its `name`).
    public let environment: String
    /// The tokenizer the data is meant for (its `name`), checked when a learner reads it.
    public let tokenizer: String
    public private(set) var dialogues: [Dialogue] = []

    public init(environment: String, tokenizer: String) {
        self.environment = environment
        self.tokenizer = tokenizer
    }

    public var count: Int { dialogues.count }
    /// The return of each dialogue.
    public var returns: [Float] { dialogues.map(\.totalReward) }
    /// The fraction of dialogues that succeeded.
    public var successRate: Double { dialogues.isEmpty ? 0 : Double(dialogues.filter(\.success).count) / Double(dialogues.count) }

    /// Appends a dialogue (at least one turn, finite rewards).
    public mutating func append(_ d: Dialogue) throws {
        guard !d.turns.isEmpty else { throw DatasetError("DialogueDataset: a dialogue needs at least one turn") }
        for (i, t) in d.turns.enumerated() where !t.reward.isFinite {
            throw DatasetError("DialogueDataset: turn \(i) has reward \(t.reward), not a finite number")
        }
        dialogues.append(d)
    }

    /// The dialogues with the highest returns, a `fraction` of them (at least one), in their
    /// order: the data of %BC. Ties keep the earlier dialogue.
    public func filterTop(_ fraction: Double) throws -> DialogueDataset {
        guard fraction > 0, fraction <= 1 else { throw DatasetError("filter_top: fraction must be in (0, 1], got \(fraction)") }
        let keep = Swift.max(1, Int((fraction * Double(count)).rounded(.toNearestOrEven)))
        let r = returns
        let ranked = r.indices.sorted { r[$0] != r[$1] ? r[$0] > r[$1] : $0 < $1 }
        var out = DialogueDataset(environment: environment, tokenizer: tokenizer)
        out.dialogues = ranked.prefix(keep).sorted().map { dialogues[$0] }
        return out
    }

    /// Throws unless the data was written for `environment` and `tokenizer`, naming both sides.
    public func checkCompatible(environment env: String, tokenizer tok: String, component: String) throws {
        guard env == environment else {
            throw AlgorithmError(component, "the dialogues come from \(environment), not from \(env)")
        }
        guard tok == tokenizer else {
            throw AlgorithmError(component, "the dialogues were written for the tokenizer \(tokenizer), but the model uses \(tok)")
        }
    }
}

// MARK: - Files

extension DialogueDataset {
    enum SegmentKind: Int { case context = 0, utterance = 1, closing = 2 }

    /// Writes the dialogues as safetensors (see the header of this file for the layout).
    public func save(to path: String) throws {
        var bytes: [Float] = [], segments: [Float] = [], rows: [Float] = []
        var policies: [String] = []
        func add(_ text: String, dialogue: Int, kind: SegmentKind, reward: Float) {
            let utf8 = Array(text.utf8)
            segments += [Float(dialogue), Float(kind.rawValue), Float(bytes.count), Float(utf8.count), reward]
            bytes += utf8.map(Float.init)
        }
        for (i, d) in dialogues.enumerated() {
            if !policies.contains(d.policy) { policies.append(d.policy) }
            for t in d.turns {
                add(t.context, dialogue: i, kind: .context, reward: 0)
                add(t.utterance, dialogue: i, kind: .utterance, reward: t.reward)
            }
            add(d.closing, dialogue: i, kind: .closing, reward: 0)
            rows += [Float(policies.firstIndex(of: d.policy)!), d.success ? 1 : 0, d.totalReward]
        }
        guard bytes.count < 1 << 24 else { throw DatasetError("DialogueDataset: \(bytes.count) bytes of text is more than a file can index (16 MiB)") }
        try SafeTensors.write([
            "text": Tensor(bytes, shape: [bytes.count]),
            "segments": Tensor(segments, shape: [segments.count / 5, 5]),
            "dialogues": Tensor(rows, shape: [count, 3]),
        ], metadata: [
            "format": Self.format, "environment": environment, "tokenizer": tokenizer,
            "policies": policies.joined(separator: "\n"), "dialogues": String(count),
        ], to: path)
    }

    /// Reads a file written by `save`. With `environment` and `tokenizer`, the file must have
    /// been written for both: otherwise the error names the file's and the caller's.
    public static func load(from path: String, environment: String? = nil, tokenizer: String? = nil) throws -> DialogueDataset {
        let contents: SafeTensors.Contents
        do { contents = try SafeTensors.decode(SafeTensors.readBytes(from: path), file: path) } catch let e as CheckpointError {
            throw DatasetError(e.description.replacingOccurrences(of: "checkpoint \(path)", with: "dialogues \(path)"))
        }
        let m = contents.metadata
        func bad(_ detail: String) -> DatasetError { DatasetError("dialogues \(path) is not a dialogue dataset: \(detail)") }
        guard m["format"] == format else { throw bad("its metadata has format \(m["format"].map { "\"\($0)\"" } ?? "missing"), expected \"\(format)\"") }
        guard let env = m["environment"], let tok = m["tokenizer"] else { throw bad("its metadata lacks environment or tokenizer") }
        if let environment, environment != env {
            throw DatasetError("dialogues \(path) come from \(env), not from \(environment)")
        }
        if let tokenizer, tokenizer != tok {
            throw DatasetError("dialogues \(path) were written for the tokenizer \(tok), not for \(tokenizer)")
        }
        guard let text = contents.tensors["text"], let seg = contents.tensors["segments"], let rows = contents.tensors["dialogues"],
              seg.rank == 2, seg.shape[1] == 5, rows.rank == 2, rows.shape[1] == 3 else {
            throw bad("it needs tensors text [bytes], segments [n, 5] and dialogues [n, 3]")
        }
        let policies = (m["policies"] ?? "").split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let bytes = text.scalars.map { UInt8(clamping: Int($0)) }
        let s = seg.scalars, r = rows.scalars
        var data = DialogueDataset(environment: env, tokenizer: tok)
        var turns: [[Turn]] = Array(repeating: [], count: rows.shape[0])
        var closing = [String?](repeating: nil, count: rows.shape[0])
        var pendingContext: [String?] = Array(repeating: nil, count: rows.shape[0])
        for i in 0..<seg.shape[0] {
            let (d, kind, start, length, reward) = (Int(s[5 * i]), Int(s[5 * i + 1]), Int(s[5 * i + 2]), Int(s[5 * i + 3]), s[5 * i + 4])
            guard d >= 0, d < rows.shape[0], start >= 0, length >= 0, start + length <= bytes.count, let k = SegmentKind(rawValue: kind) else {
                throw bad("segment \(i) points outside the file's dialogues or text")
            }
            let piece = String(decoding: bytes[start ..< start + length], as: UTF8.self)
            switch k {
            case .context: pendingContext[d] = piece
            case .utterance:
                guard let c = pendingContext[d] else { throw bad("segment \(i) is an utterance without a context before it") }
                turns[d].append(Turn(context: c, utterance: piece, reward: reward))
                pendingContext[d] = nil
            case .closing: closing[d] = piece
            }
        }
        for d in 0..<rows.shape[0] {
            let p = Int(r[3 * d])
            guard let c = closing[d], !turns[d].isEmpty, p >= 0, p < policies.count else { throw bad("dialogue \(d) is incomplete") }
            try data.append(Dialogue(turns: turns[d], closing: c, policy: policies[p], success: r[3 * d + 1] != 0))
        }
        return data
    }
}
