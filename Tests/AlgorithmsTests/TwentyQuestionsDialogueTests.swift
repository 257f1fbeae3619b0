@testable import Algorithms
import Environments
import Foundation
import TensorCore
import Testing

// Twenty questions in text: utterances read back, logs from the scripted askers, play.

@Suite("Twenty questions in text") struct TwentyQuestionsDialogueTests {
    @Test func utterancesAreReadBack() {
        #expect(TwentyQuestionsDialogue.action(for: " can it fly?\n", items: 8) == 2)
        #expect(TwentyQuestionsDialogue.action(for: " is it a cat?\n", items: 8) == 8)
        #expect(TwentyQuestionsDialogue.action(for: " is it a spoon?\n", items: 8) == 8 + 7)
        #expect(TwentyQuestionsDialogue.action(for: " is it a kite?\n", items: 8) == nil)    // not in play
        #expect(TwentyQuestionsDialogue.action(for: " is it a cat\n", items: 8) == nil)
        #expect(TwentyQuestionsDialogue.action(for: " can it fly? yes\n", items: 8) == nil)
    }

    @Test func logsFromTheScriptedAskers() throws {
        let task = try TwentyQuestionsDialogue()
        let data = try task.collect(episodes: 600, seed: 3, tokenizer: "text")
        #expect(data.count == 600 && data.environment == task.environmentName)
        var rate: [String: (n: Int, wins: Int)] = [:]
        for d in data.dialogues {
            #expect(d.text.hasPrefix("user: i am thinking of something. ask me.\nagent:"))
            #expect(d.turns.count <= task.turns)
            // Every turn costs 0.05 and the right guess earns 1: the return says how it went.
            let expected = Float(d.success ? 1 : 0) - 0.05 * Float(d.turns.count)
            #expect(abs(d.turns.map(\.reward).reduce(0, +) - expected) < 1e-5)
            #expect(d.success == d.closing.hasPrefix("user: yes! it is a"))
            rate[d.policy, default: (0, 0)].n += 1
            if d.success { rate[d.policy, default: (0, 0)].wins += 1 }
        }
        func r(_ p: String) -> Double { Double(rate[p]!.wins) / Double(rate[p]!.n) }
        // Four random guesses among 8 items find it half the time; one guess after three
        // random questions an eighth; guesses among the items that fit the answers to one or
        // two random questions about as often as four blind ones (most questions split the
        // eight items unevenly).
        #expect(abs(r("guesser") - 0.5) < 0.1)
        #expect(abs(r("asker") - 0.125) < 0.06)
        #expect(r("reader") > r("asker") + 0.3)
        // The same seed gives the same logs.
        #expect(try task.collect(episodes: 600, seed: 3, tokenizer: "text").dialogues.map(\.text) == data.dialogues.map(\.text))
    }

    @Test func aSpeakerPlaysTheUser() throws {
        let task = try TwentyQuestionsDialogue()
        let cats = try task.play(episodes: 80, seed: 100, policy: "cat", tokenizer: "text") { texts in texts.map { _ in " is it a cat?\n" } }
        // Always "cat": right at once for a cat, otherwise told no four times.
        for d in cats.dialogues {
            #expect(d.success == (d.turns.count == 1))
            if !d.success { #expect(d.closing == "user: no, it is not a cat.\n" && d.turns.count == 4) }
        }
        #expect(cats.successRate > 0.02 && cats.successRate < 0.3)
        let garbled = try task.play(episodes: 3, seed: 0, policy: "x", tokenizer: "text") { texts in texts.map { _ in " what?\n" } }
        #expect(garbled.dialogues.allSatisfy { $0.turns.count == 1 && $0.turns[0].reward == 0 && $0.closing == "user: i do not understand. bye.\n" })
        // Logs of one task are refused by the other, with both named.
        #expect {
            try cats.checkCompatible(environment: NegotiationDialogue().environmentName, tokenizer: "text", component: "negotiate")
        } throws: { e in
            let m = "\(e)"
            return m.contains("TwentyQuestionsDialogue") && m.contains("NegotiationDialogue")
        }
    }
}
