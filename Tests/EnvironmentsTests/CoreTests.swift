import Testing
import TensorCore
@testable import Environments

@Suite struct SpaceTests {
    @Test func discreteSamplesStayInside() {
        let space = Discrete(5, start: 2)
        var rng = RNG(seed: 1)
        var seen = Set<Int>()
        for _ in 0..<500 { seen.insert(space.sample(&rng)) }
        #expect(seen == Set(2..<7))
        #expect(space.contains(2) && space.contains(6) && !space.contains(7) && !space.contains(1))
        #expect(Discrete(3).allowedDescription == "0, 1 or 2")
    }

    @Test func boxSamplesRespectBounds() {
        let box = Box(low: [-1, 0, -.infinity, -.infinity], high: [1, 0, 5, .infinity])
        var rng = RNG(seed: 7)
        for _ in 0..<200 { #expect(box.contains(box.sample(&rng))) }
        #expect(!box.contains([0, 0, 0]))          // wrong size
        #expect(!box.contains([2, 0, 0, 0]))       // out of bounds
        #expect(!box.contains([.nan, 0, 0, 0]))    // NaN
        #expect(Box(low: 0, high: 1, shape: [2, 3]).size == 6)
    }

    @Test func spacesFromUserInputThrowInsteadOfTrapping() throws {
        #expect(throws: EnvironmentError.self) { try Discrete(validating: 0) }
        #expect(throws: EnvironmentError.self) { try Box(validatingLow: [0, 0], high: [1]) }
        #expect(throws: EnvironmentError.self) { try Box(validatingLow: [0, 2], high: [1, 1]) }
        #expect(throws: EnvironmentError.self) { try Box(validatingLow: [0, 0], high: [1, 1], shape: [3]) }
        #expect(try Box(validatingLow: [0, 0], high: [1, 1], shape: [1, 2]).shape == [1, 2])
        #expect(try Discrete(validating: 3).n == 3)
    }

    @Test func multiDiscreteOneHot() {
        let space = MultiDiscrete([2, 3])
        var rng = RNG(seed: 3)
        for _ in 0..<50 { #expect(space.contains(space.sample(&rng))) }
        #expect(space.oneHot([1, 2]) == [0, 1, 0, 0, 1])
        #expect(!space.contains([2, 0]))
    }
}

@Suite struct ErrorTests {
    @Test func constructorArgumentsAreChecked() {
        #expect(throws: EnvironmentError.self) { try TMaze(length: 0) }
        #expect(throws: EnvironmentError.self) { try Tiger(listenAccuracy: 1.5) }
        #expect(throws: EnvironmentError.self) { try Tiger(listenAccuracy: -0.1) }
        #expect(throws: EnvironmentError.self) { try CartPole(maxEpisodeSteps: 0) }
        #expect(throws: EnvironmentError.self) { try CartPole().flicker(2) }
        #expect(throws: EnvironmentError.self) { try CartPole().frameStack(0) }
    }

    @Test func messagesNameEnvironmentValueAndAllowed() throws {
        var maze = try TMaze(length: 4)
        _ = try maze.reset(seed: 0)
        do {
            _ = try maze.step(7)
            Issue.record("expected a throw")
        } catch {
            let message = "\(error)"
            #expect(message.contains("TMaze"))
            #expect(message.contains("7"))
            #expect(message.contains("0, 1 or 2"))
        }
        do {
            _ = try Tiger(listenAccuracy: 1.2)
        } catch {
            #expect("\(error)".contains("Tiger") && "\(error)".contains("1.2") && "\(error)".contains("[0, 1]"))
        }
    }

    @Test func typeErasedEnvironmentBehavesLikeTheOriginal() throws {
        var plain = try TMaze(length: 3)
        var erased = try TMaze(length: 3).eraseToAnyEnvironment()
        let a = try play(&plain, seed: 9, policy: randomPolicy(for: plain))
        let b = try play(&erased, seed: 9, policy: randomPolicy(for: erased))
        #expect(a == b)
        #expect(AnyEnvironment(erased).name == plain.name)
    }
}
