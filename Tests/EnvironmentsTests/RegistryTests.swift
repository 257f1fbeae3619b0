import Testing
import TensorCore
@testable import Environments

@Suite struct RegistryTests {
    @Test func everyIdBuildsAWorkingEnvironment() throws {
        for id in Registry.ids {
            try checkContract { try Registry.make(id) }
        }
    }

    @Test func argumentsReachTheEnvironment() throws {
        let maze = try Registry.make("TMaze", ["length": .int(7), "variant": .string("active")])
        let inner = try #require(maze.base as? TMaze)
        #expect(inner.length == 7 && inner.variant == .active)
        let hard = try #require(try Registry.make("RepeatPrevious", ["difficulty": .string("hard")]).base as? RepeatPrevious)
        #expect(hard.k == 64)
        let pole = try #require(try Registry.make("CartPole-v1", ["max_episode_steps": .double(200)]).base as? CartPole)
        #expect(pole.maxEpisodeSteps == 200)
    }

    @Test func mistakesAreReportedWithWhatIsAllowed() {
        #expect(throws: EnvironmentError.self) { try Registry.make("Pong") }
        #expect(throws: EnvironmentError.self) { try Registry.make("TMaze", ["lenght": .int(3)]) }
        #expect(throws: EnvironmentError.self) { try Registry.make("TMaze", ["length": .string("ten")]) }
        #expect(throws: EnvironmentError.self) { try Registry.make("TMaze", ["length": .int(0)]) }
        #expect(throws: EnvironmentError.self) { try Registry.make("CountRecall", ["difficulty": .string("extreme")]) }
        do {
            _ = try Registry.make("TMaze", ["lenght": .int(3)])
        } catch {
            #expect("\(error)".contains("lenght") && "\(error)".contains("length"))
        }
    }
}
