import Testing
import TensorCore
@testable import Environments

@Suite("Tokenizers and text spaces")
struct TokenizerTests {
    @Test("the character tokenizer round-trips its alphabet and names a foreign character and its position")
    func characters() throws {
        let t = CharacterTokenizer.lessons
        let text = "agent: can it fly?\nuser: no."
        let ids = try t.encode(text)
        #expect(ids.count == text.count && ids.allSatisfy { $0 >= SpecialToken.count })
        #expect(try t.decode(ids) == text)
        #expect(try t.decode([SpecialToken.eos] + ids + [SpecialToken.pad]) == text)
        #expect(throws: TokenizerError.unknownCharacter(tokenizer: t.name, character: "É", position: 3, text: "is Éa")) { try t.encode("is Éa") }
        let message = "\((try? t.encode("abc\tz")) == nil ? TokenizerError.unknownCharacter(tokenizer: t.name, character: "\t", position: 3, text: "abc\tz") : .tooLong(what: "", tokens: 0, limit: 0))"
        #expect(message.contains("U+9") && message.contains("position 3"))
        let lenient = try CharacterTokenizer(alphabet: "ab", unknown: .replace)
        #expect(try lenient.encode("aXb") == [3, SpecialToken.unk, 4])
        #expect(try lenient.decode([3, 2, 4]) == "a<unk>b")
        #expect(throws: TokenizerError.self) { try t.decode([3, 999]) }
        #expect(throws: TokenizerError.self) { try CharacterTokenizer(alphabet: "aba") }
    }

    @Test("BPE learns frequent words as single tokens, round-trips, and is deterministic")
    func bpe() throws {
        let corpus = LessonCorpus.documents(200, seed: 1).joined()
        let bpe = try BPETokenizer(training: corpus, merges: 120)
        #expect(bpe.vocabularySize == SpecialToken.count + CharacterTokenizer.lessonAlphabet.count + 120)
        #expect(try BPETokenizer(training: corpus, merges: 120) == bpe)
        let text = "agent: is it a duck?\nuser: yes! it is a duck.\n"
        let ids = try bpe.encode(text)
        #expect(try bpe.decode(ids) == text)
        #expect(ids.count < text.count * 2 / 3, "\(ids.count) tokens for \(text.count) characters")
        #expect(try bpe.encode(" agent").count == 1 || bpe.tokens.contains("agent"))
        // A tokenizer rebuilt from its merges encodes identically.
        let rebuilt = try BPETokenizer(alphabet: bpe.alphabet, merges: bpe.merges)
        #expect(try rebuilt.encode(text) == ids)
        // Unknown characters: the position counts characters, across chunks.
        #expect(throws: TokenizerError.unknownCharacter(tokenizer: bpe.name, character: "€", position: 9, text: "i offer 5€")) {
            try bpe.encode("i offer 5€")
        }
        #expect(throws: TokenizerError.self) { try BPETokenizer(training: "caf€", merges: 3) }
    }

    @Test("a text space writes the last tokens of a text, padded")
    func textSpace() throws {
        let t = CharacterTokenizer.lessons
        let space = try TextSpace(t, length: 4)
        var row = [Float](repeating: 9, count: 4)
        try row.withUnsafeMutableBufferPointer { try space.write("ab", with: t, into: $0) }
        #expect(row == [Float(try t.encode("a")[0]), Float(try t.encode("b")[0]), 0, 0])
        try row.withUnsafeMutableBufferPointer { try space.write("abcdef", with: t, into: $0) }
        #expect(try space.read(row, with: t) == "cdef")
        #expect(space.actionSpace == .tokens(vocabulary: t.vocabularySize, length: 4))
        #expect(throws: EnvironmentError.self) { try TextSpace(vocabulary: 10, length: 0) }
    }
}

@Suite("Language environments")
struct LanguageEnvironmentTests {
    @Test("twenty questions answers by the hidden item, rewards the right guess, and the oracle wins at once")
    func twentyQuestions() throws {
        var env = try TwentyQuestions()
        let (obs, _) = try env.reset(seed: 3, options: ["item": 5])  // duck: 10110011
        #expect(obs == [Float](repeating: 0, count: 9))
        var t = try env.step(2)  // can it fly?
        #expect(t.observation[2] == 1 && t.info["text"] == .string("yes.") && t.reward == -0.05)
        t = try env.step(1)
        #expect(t.observation[1] == -1 && t.info["text"] == .string("no."))
        t = try env.step(8 + 0)  // is it a cat?
        #expect(!t.terminated && t.info["text"] == .string("no, it is not a cat."))
        t = try env.step(8 + 5)
        #expect(t.terminated && abs(t.reward - 0.95) < 1e-12)
        #expect(env.state == [5, 4])
        var oracle = try TwentyQuestions(items: 8)
        let ep = try playOracle(&oracle, seed: 1)
        #expect(ep.length == 1 && abs(ep.totalReturn - 0.95) < 1e-12)
        // Every item has its own answers.
        #expect(Set(TwentyQuestions.catalogue.map(\.attributes)).count == TwentyQuestions.catalogue.count)
        #expect(throws: EnvironmentError.self) { try TwentyQuestions(items: 17) }
        #expect(throws: EnvironmentError.self) { try TwentyQuestions(noise: 0.5) }
        #expect(throws: EnvironmentError.self) { try env.step(0) }
        // Text observations and noisy answers.
        var text = try TwentyQuestions(noise: 0.3, observation: .text)
        _ = try text.reset(seed: 2, options: ["item": 0])
        var flips = 0
        for _ in 0..<19 { if try text.step(0).info["text"] == .string("no.") { flips += 1 } }  // a cat is an animal
        #expect(flips > 1 && flips < 12)
        let last = try text.step(0).observation
        #expect(try TextSpace(CharacterTokenizer.lessons, length: 32).read(last, with: CharacterTokenizer.lessons).hasPrefix("is it an animal?"))
    }

    @Test("the seller accepts offers at or above its reserve and concedes towards it; the oracle buys at the reserve")
    func negotiation() throws {
        var env = try Negotiation()
        _ = try env.reset(seed: 0, options: ["reserve": 58])
        var t = try env.step(4)  // offer 40
        #expect(!t.terminated && t.info["text"] == .string("no. i can do 86.") && env.ask == 86)
        t = try env.step(7)  // offer 55
        #expect(env.ask == 77 && t.observation == [0.77, 0.55, Float(2) / 6])
        t = try env.step(8)  // offer 60 ≥ 58
        #expect(t.terminated && abs(t.reward - 0.4) < 1e-12 && t.info["text"] == .string("deal at 60."))
        for seed in 0..<20 as Range<UInt64> {
            var e = try Negotiation()
            let ep = try playOracle(&e, seed: seed)
            let reserve = Int(e.state[0])
            let price = Negotiation.offers.first { $0 >= reserve }!
            #expect(abs(ep.totalReturn - Double(100 - price) / 100) < 1e-12)
        }
        _ = try env.reset(seed: 1)
        t = try env.step(Negotiation.acceptAction)
        #expect(t.terminated && t.reward == 0)
        #expect(throws: EnvironmentError.self) { try Negotiation(minReserve: 90, maxReserve: 80) }
    }

    @Test("the parser reads free text forgivingly and answers what it cannot read")
    func parser() {
        #expect(CommandParser.parse("Pick up the KEY!") == .command(Command(.take, .key)))
        #expect(CommandParser.parse("unlock the door with the key") == .command(Command(.unlock, .door)))
        #expect(CommandParser.parse("n") == .command(Command(.go, .north)))
        #expect(CommandParser.parse("walk to the west") == .command(Command(.go, .west)))
        #expect(CommandParser.parse("i") == .command(Command(.inventory)))
        #expect(CommandParser.parse("xyzzy") == .failure("i don't know the word \"xyzzy\"."))
        #expect(CommandParser.parse("take") == .failure("what do you want to take?"))
        #expect(CommandParser.parse("take the frobozz") == .failure("i don't know the word \"frobozz\"."))
        #expect(CommandParser.parse("") == .failure("i beg your pardon?"))
        #expect(CommandParser.parse("key") == .failure("i don't understand that."))
    }

    @Test("the text adventure is won by the oracle in six commands or twelve words; free text never throws")
    func adventure() throws {
        for seed in 0..<6 as Range<UInt64> {
            var env = try TextAdventure()
            let ep = try playOracle(&env, seed: seed)
            #expect(ep.length == 6 && abs(ep.totalReturn - 0.94) < 1e-9, "seed \(seed): \(ep.length) steps")
            var words = try TextAdventure(actions: .words)
            let wep = try playOracle(&words, seed: seed)
            #expect(wep.steps.last!.terminated && wep.length <= 12, "seed \(seed): \(wep.length) words")
        }
        var env = try TextAdventure(observation: .text)
        let (_, info) = try env.reset(seed: 0, options: ["key_room": 2])
        #expect(info["admissible_commands"] == .string("go east|go west|look|inventory"))
        for bad in ["xyzzy", "", "take", "open door", "go north", "eat the lamp"] {
            let t = try env.step(text: bad)
            #expect(!t.terminated && !t.truncated && t.reward == -0.01)
        }
        #expect(env.lastMessage == "i don't know the word \"eat\".")
        _ = try env.step(text: "go west")
        _ = try env.step(text: "get key")
        #expect(env.admissibleCommands.contains(Command(.drop, .key)))
        _ = try env.step(text: "e")
        _ = try env.step(text: "unlock door with key")
        _ = try env.step(text: "open the door")
        let t = try env.step(text: "go north")
        #expect(t.terminated && t.reward > 0.9 && env.lastMessage.hasSuffix("you win!"))
        #expect(throws: EnvironmentError.self) { try env.step(text: "look") }
    }

    @Test("the registry makes the language environments from keyword arguments")
    func registry() throws {
        let e = try Registry.make("TwentyQuestions", ["items": .int(8), "noise": .double(0.1)])
        #expect(e.actionSpace.n == 16)
        #expect(try Registry.make("TextAdventure", ["actions": .string("words")]).actionSpace.n == 15)
        #expect(try Registry.make("Negotiation").observationSize == 3)
        #expect(throws: EnvironmentError.self) { try Registry.make("TextAdventure", ["actions": .string("letters")]) }
        #expect(Registry.ids.contains("TextAdventure"))
    }

    @Test("the lessons' corpus is deterministic and in the lessons' alphabet")
    func corpus() throws {
        let docs = LessonCorpus.documents(40, seed: 5)
        #expect(docs == LessonCorpus.documents(40, seed: 5))
        for d in docs { _ = try CharacterTokenizer.lessons.encode(d) }
        #expect(docs[0].hasPrefix("user: i am thinking of something.") && docs[1].hasPrefix("seller: it costs 100."))
    }
}

/// Plays one episode with the environment's oracle.
func playOracle<E: HiddenStateOracle>(_ env: inout E, seed: UInt64, maxSteps: Int = 1000) throws -> Episode {
    let (first, _) = try env.reset(seed: seed)
    var steps: [RecordedStep] = []
    while steps.count < maxSteps {
        let t = try env.step(env.oracleAction())
        steps.append(RecordedStep(observation: t.observation, reward: t.reward, terminated: t.terminated, truncated: t.truncated))
        if t.terminated || t.truncated { break }
    }
    return Episode(first: first, steps: steps)
}
