@testable import Algorithms
import Environments
import Foundation
import NeuralNets
import TensorCore
import Testing

// Logged dialogues, ILQL, BC fine-tuning and the CHAI-style reranker.

/// A tiny language model over the lessons' characters.
private func tinyModel(seed: UInt64 = 0) throws -> LanguageModel {
    try LanguageModel(tokenizer: CharacterTokenizer.lessons, contextLength: 48, dModel: 16, heads: 2, layers: 1, seed: seed)
}

/// One-turn dialogues "q:" → " a\n" (reward 1) or " b\n" (reward 0), the good one a
/// fifth of the time: BC says " b", a value learner " a".
private func oneTurnData(count: Int = 100, tokenizer: String = CharacterTokenizer.lessons.name) throws -> DialogueDataset {
    var d = DialogueDataset(environment: "OneTurn", tokenizer: tokenizer)
    for i in 0..<count {
        let good = i % 5 == 0
        try d.append(.init(turns: [.init(context: "q:", utterance: good ? " a\n" : " b\n", reward: good ? 1 : 0)],
                           closing: "end\n", policy: good ? "good" : "bad", success: good))
    }
    return d
}

@Suite("Dialogue datasets") struct DialogueDatasetTests {
    @Test func negotiationUtterancesAreReadBack() {
        #expect(NegotiationDialogue.action(for: " i offer 55.\n", ask: 90) == Negotiation.offers.firstIndex(of: 55))
        #expect(NegotiationDialogue.action(for: " ok, 87 it is.\n", ask: 87) == Negotiation.acceptAction)
        #expect(NegotiationDialogue.action(for: " ok, 86 it is.\n", ask: 87) == nil)
        #expect(NegotiationDialogue.action(for: " no thanks, bye.\n", ask: 87) == Negotiation.walkAwayAction)
        #expect(NegotiationDialogue.action(for: " i offer 57.\n", ask: 90) == nil)   // not on the grid
        #expect(NegotiationDialogue.action(for: " hello\n", ask: 90) == nil)
    }

    @Test func collectedLogsMixThePoliciesAndFollowTheSeller() throws {
        let task = try NegotiationDialogue()
        let data = try task.collect(episodes: 60, seed: 3, tokenizer: "chars")
        #expect(data.count == 60)
        #expect(Set(data.dialogues.map(\.policy)) == ["overpayer", "lowballer", "prober", "guesser"])
        for d in data.dialogues {
            #expect(d.turns[0].context == "seller: it costs 100.\nbuyer:")
            #expect(d.turns.count <= 3)
            if d.policy == "lowballer" { #expect(d.totalReward == 0) }
            if d.policy == "overpayer" { #expect(d.turns.count == 1 && d.closing.hasPrefix("seller: deal at")) }
        }
        // A deal's reward is the buyer's surplus: (100 − price) / 100.
        let deal = try #require(data.dialogues.first { $0.policy == "overpayer" })
        let price = Int(deal.turns[0].utterance.dropFirst(9).dropLast(2))!
        #expect(abs(deal.totalReward - Float(100 - price) / 100) < 1e-6)
        // The same seed gives the same logs.
        #expect(try task.collect(episodes: 60, seed: 3, tokenizer: "chars").dialogues == data.dialogues)
    }

    @Test func saveAndLoadRoundTripAndCheckBothNames() throws {
        let data = try NegotiationDialogue().collect(episodes: 12, seed: 1, tokenizer: "chars")
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("dialogues-\(UUID()).safetensors").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try data.save(to: path)
        let back = try DialogueDataset.load(from: path, environment: data.environment, tokenizer: "chars")
        #expect(back.dialogues == data.dialogues)
        #expect(back.environment == data.environment && back.tokenizer == "chars")
        do {
            _ = try DialogueDataset.load(from: path, environment: "TwentyQuestions")
            Issue.record("loading for another environment must fail")
        } catch let e as DatasetError {
            #expect(e.message.contains("TwentyQuestions") && e.message.contains(data.environment))
        }
        do {
            _ = try DialogueDataset.load(from: path, tokenizer: "BPETokenizer(300 tokens)")
            Issue.record("loading for another tokenizer must fail")
        } catch let e as DatasetError {
            #expect(e.message.contains("BPETokenizer(300 tokens)") && e.message.contains("chars"))
        }
    }

    @Test func filterTopKeepsTheBestDialogues() throws {
        let data = try oneTurnData(count: 10)
        let top = try data.filterTop(0.2)
        #expect(top.count == 2 && top.dialogues.allSatisfy(\.success))
        #expect(throws: DatasetError.self) { try data.filterTop(0) }
    }

    @Test func aModelForAnotherTokenizerIsRefusedNamingBoth() throws {
        let data = try oneTurnData(tokenizer: "BPETokenizer(99 tokens)")
        do {
            _ = try ILQL(model: tinyModel(), data: data)
            Issue.record("ILQL must refuse data written for another tokenizer")
        } catch let e as AlgorithmError {
            #expect(e.description.contains("BPETokenizer(99 tokens)") && e.description.contains(CharacterTokenizer.lessons.name))
        }
    }
}

@Suite("ILQL") struct ILQLTests {
    @Test func rowsMarkTheAgentsTokensRewardsAndNextStates() throws {
        var d = DialogueDataset(environment: "T", tokenizer: CharacterTokenizer.lessons.name)
        try d.append(.init(turns: [.init(context: "x:", utterance: "ab", reward: 0.5), .init(context: "y:", utterance: "c", reward: 2)],
                           closing: "z", policy: "p", success: true))
        let row = try DialogueTokens.rows(d, model: tinyModel(), component: "test")[0]
        // ids: <eos> x : a b y : c z   — positions 2, 3 predict a, b; 6 predicts c.
        #expect(row.ids.count == 9)
        #expect(row.action == [false, false, true, true, false, false, true, false])
        #expect(row.reward == [0, 0, 0, 0.5, 0, 0, 2, 0])
        #expect(row.next[2] == 3 && row.next[3] == 6)
        #expect(row.done == [false, false, false, false, false, false, true, false])
    }

    @Test func lossesMatchAHandComputation() throws {
        var config = ILQLConfig()
        config.expectile = 0.8
        config.gamma = 0.9
        config.cqlWeight = 0.5
        let ilql = try ILQL(model: tinyModel(), data: oneTurnData(count: 5), config: config)
        try ilql.target.sync(tau: 1)
        // Move the targets away from the live heads so that the two are told apart.
        for p in ilql.qHeads.parameters { try p.assign(p.value.adding(0.01)) }
        let batch = try DialogueTokens.batch(ilql.rows, [0, 1])
        let l = try ilql.losses(batch)

        let (b, t, v) = (batch.count, batch.length, ilql.model.config.vocabSize)
        let h = try noGrad { try DialogueTokens.hidden(ilql.model.gpt, batch.inputs) }
        let q1 = try noGrad { try ilql.q1(h) }.scalars, q2 = try noGrad { try ilql.q2(h) }.scalars
        let vs = try noGrad { try ilql.value(h) }.scalars
        let (tq1, tq2) = try ilql.target.evaluate { (try ilql.q1(h).scalars, try ilql.q2(h).scalars) }
        let y = batch.targets.scalars.map(Int.init), mask = batch.action.scalars, next = batch.next.scalars.map(Int.init)
        let r = batch.reward.scalars, done = batch.done.scalars
        var qSum = 0.0, vSum = 0.0, cqlSum = 0.0, n = 0.0
        for i in 0..<(b * t) where mask[i] == 1 {
            let row = i / t
            let backup = Double(r[i]) + 0.9 * (1 - Double(done[i])) * Double(vs[row * t + next[i]])
            let a1 = Double(q1[i * v + y[i]]), a2 = Double(q2[i * v + y[i]])
            qSum += (a1 - backup) * (a1 - backup) + (a2 - backup) * (a2 - backup)
            let u = Double(min(tq1[i * v + y[i]], tq2[i * v + y[i]])) - Double(vs[i])
            vSum += (u < 0 ? 0.2 : 0.8) * u * u
            func lse(_ q: [Float]) -> Double { let m = q[(i * v)..<((i + 1) * v)].max()!; return Double(m) + log(q[(i * v)..<((i + 1) * v)].reduce(0.0) { $0 + exp(Double($1 - m)) }) }
            cqlSum += lse(q1) - a1 + lse(q2) - a2
            n += 1
        }
        #expect(n == 6)   // two dialogues, three tokens " a\n" or " b\n" each
        #expect(abs(Double(try l.q.item()) - qSum / n) < 1e-4)
        #expect(abs(Double(try l.v.item()) - vSum / n) < 1e-4)
        #expect(abs(Double(try l.cql!.item()) - cqlSum / n) < 1e-4)
        let total = Double(try l.q.item() + l.v.item() + 0.5 * l.cql!.item() + l.bc!.item())
        #expect(abs(Double(try l.total.item()) - total) < 1e-4)

        // With the conservative term off (the default) it is neither computed nor added.
        config.cqlWeight = 0
        let off = try ILQL(model: tinyModel(), data: oneTurnData(count: 5), config: config)
        let lo = try off.losses(DialogueTokens.batch(off.rows, [0, 1]))
        #expect(lo.cql == nil)
        #expect(abs(Double(try lo.total.item() - lo.q.item() - lo.v.item() - lo.bc!.item())) < 1e-5)
    }

    @Test func decodingShiftsTheLogitsByTheAdvantage() throws {
        let ilql = try ILQL(model: tinyModel(), data: oneTurnData(count: 5))
        let terms = try ilql.decodingTerms(after: "q:")
        let v = ilql.model.config.vocabSize
        #expect(terms.logits.count == v && terms.q.count == v)
        // β = 0 and temperature 0 is the language model's greedy text.
        var rng = RNG(seed: 0)
        let plain = try sampleUtterances(of: ilql.model, after: ["q:"], temperature: 0, maxTokens: 3, rng: &rng)
        let zero = try ilql.utterances(after: ["q:"], beta: 0, temperature: 0, maxTokens: 3, rng: &rng)
        #expect(plain == zero)
        // The first greedy token with β = 5 is the argmax of logits + 5 (Q − V).
        let shifted = (0..<v).map { terms.logits[$0] + 5 * (terms.q[$0] - terms.v) }
        let first = try ilql.utterances(after: ["q:"], beta: 5, temperature: 0, maxTokens: 1, rng: &rng)[0]
        #expect(first == ilql.model.tokenizer.tokens[DialogueTokens.argmax(shifted)])
    }

    @Test func badSettingsAreRefused() throws {
        let data = try oneTurnData(count: 5)
        for (tau, beta) in [(Float(0), Float(1)), (1, 1), (0.7, -1)] {
            var c = ILQLConfig()
            c.expectile = tau
            c.beta = beta
            #expect(throws: AlgorithmError.self) { try ILQL(model: tinyModel(), data: data, config: c) }
        }
        let ilql = try ILQL(model: tinyModel(), data: data)
        var c = CHAIConfig()
        c.candidates = 0
        #expect(throws: AlgorithmError.self) { try CHAIReranker(proposal: tinyModel(), critic: ilql, config: c) }
        #expect(throws: AlgorithmError.self) { try CHAIReranker.choose([]) }
    }

    @Test func rerankingChoosesTheHighestQ() throws {
        #expect(try CHAIReranker.choose([0.1, 0.7, 0.3]) == 1)
        #expect(try CHAIReranker.choose([0.5, 0.5]) == 0)
    }

    @Test func ilqlSaysTheRewardedUtteranceThatBCDoesNot() throws {
        let data = try oneTurnData(count: 100)
        let bc = try tinyModel()
        try fineTune(bc, on: data, config: { var c = DialogueFineTuningConfig(); c.steps = 150; c.learningRate = 3e-3; return c }())
        var rng = RNG(seed: 1)
        #expect(try sampleUtterances(of: bc, after: ["q:"], temperature: 0, maxTokens: 3, rng: &rng) == [" b\n"])
        var config = ILQLConfig()
        config.expectile = 0.9
        config.learningRate = 3e-3
        config.beta = 8
        let ilql = try ILQL(model: bc, data: data, config: config)
        try train(ilql, updates: 200)
        #expect(try ilql.utterances(after: ["q:"], temperature: 0, maxTokens: 3, rng: &rng) == [" a\n"])
        // Q ranks the rewarded utterance first, so reranking any candidates containing it picks it.
        let q = try ilql.utteranceValues(prompts: ["q:", "q:"], candidates: [" a\n", " b\n"])
        #expect(q[0] > q[1] + 0.3)
        // The text stays the data's: both utterances are likely under the BC model.
        let ppl = try utterancePerplexity(bc, of: data)
        #expect(ppl < 2)
    }

    @Test func aSeparateCriticLearnsWhileThePolicyStaysTheGivenModel() throws {
        let data = try oneTurnData(count: 100)
        let bc = try tinyModel()
        try fineTune(bc, on: data, config: { var c = DialogueFineTuningConfig(); c.steps = 150; c.learningRate = 3e-3; return c }())
        var config = ILQLConfig()
        config.expectile = 0.9
        config.learningRate = 3e-3
        config.beta = 8
        config.separateCritic = true
        config.bcWeight = 0
        config.headHidden = 16
        let ilql = try ILQL(model: bc, data: data, config: config)
        #expect(ilql.critic !== ilql.model)
        let policyBefore = ilql.model.gpt.parameters.map(\.value.scalars), criticBefore = ilql.critic.gpt.parameters.map(\.value.scalars)
        try train(ilql, updates: 199)
        var metrics: [String: Double] = [:]
        try ilql.learn(metrics: &metrics)
        #expect(metrics["losses/bc_loss"] == nil && metrics["losses/q_loss"] != nil)
        #expect(ilql.model.gpt.parameters.map(\.value.scalars) == policyBefore)
        #expect(ilql.critic.gpt.parameters.map(\.value.scalars) != criticBefore)
        // Decoding's logits are the given model's; the values move the greedy text to " a".
        let terms = try ilql.decodingTerms(after: "q:")
        let given = try noGrad { try DialogueTokens.lmLogits(bc.gpt, DialogueTokens.lastHidden(bc.gpt, [bc.promptIds("q:")])).scalars }
        #expect(terms.logits == given)
        var rng = RNG(seed: 1)
        #expect(try ilql.utterances(after: ["q:"], temperature: 0, maxTokens: 3, rng: &rng) == [" a\n"])
        let q = try ilql.utteranceValues(prompts: ["q:", "q:"], candidates: [" a\n", " b\n"])
        #expect(q[0] > q[1] + 0.3)
    }
}
