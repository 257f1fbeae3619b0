import Algorithms
import Environments
import Testing

@Suite("Tiger baselines")
struct TigerTests {
    @Test("The Bayes filter moves the belief by the listen accuracy")
    func bayesFilter() throws {
        let b = TigerBaselines.updatedBelief(0.5, heardLeft: true, listenAccuracy: 0.85)
        #expect(abs(b - 0.85) < 1e-12)
        let b2 = TigerBaselines.updatedBelief(b, heardLeft: true, listenAccuracy: 0.85)
        #expect(abs(b2 - 0.85 * 0.85 / (0.85 * 0.85 + 0.15 * 0.15)) < 1e-12)
        #expect(abs(TigerBaselines.updatedBelief(b2, heardLeft: false, listenAccuracy: 0.85) - 0.85) < 1e-12)
        let baselines = try TigerBaselines(try Tiger())
        #expect(abs(baselines.belief(countDifference: 2) - b2) < 1e-12)
        #expect(abs(baselines.belief(countDifference: -1) - 0.15) < 1e-12)
    }

    @Test("Value iteration over beliefs beats the best memoryless policy")
    func optimalValue() throws {
        let baselines = try TigerBaselines(try Tiger())
        let (policy, memoryless) = try baselines.bestMemorylessPolicy()
        // Listen first, then open the door away from the growl: −1 + 0.85·10 − 0.15·100.
        #expect(policy == [0, 2, 1])
        #expect(abs(memoryless - -7.5) < 1e-9)
        #expect(baselines.optimalValue > memoryless + 5)
        // With one step left a listen (−1) beats a guess (−45): the time limit ends the
        // episode without a penalty. At the start the best is to listen.
        #expect(abs(baselines.value(stepsLeft: 1, countDifference: 0) - -1) < 1e-9)
        #expect(baselines.optimalAction(stepsLeft: 100, countDifference: 0) == 0)
        #expect(baselines.optimalAction(stepsLeft: 100, countDifference: 3) == 2)
    }

    @Test("The belief policy earns the optimal value in simulation and beats the memoryless one")
    func simulated() throws {
        let tiger = try Tiger()
        let baselines = try TigerBaselines(tiger)
        let policy = TigerBeliefPolicy(baselines)
        func simulate(_ act: ([Float]) throws -> Int, reset: () throws -> Void) throws -> Double {
            var env = tiger
            var total = 0.0
            var obs = try env.reset(seed: 11).observation
            for _ in 0..<4000 {
                try reset()
                while true {
                    let r = try env.step(try act(obs), into: &obs)
                    total += r.reward
                    if r.done { break }
                }
                obs = try env.reset().observation
            }
            return total / 4000
        }
        let belief = try simulate(policy.action(for:), reset: policy.reset)
        let memoryless = try simulate({ $0[1] > 0.5 ? 2 : ($0[2] > 0.5 ? 1 : 0) }, reset: {})
        #expect(abs(belief - baselines.optimalValue) < 1.5, "simulated \(belief), optimal \(baselines.optimalValue)")
        #expect(belief > memoryless + 5)
        #expect(policy.beliefHistory.count >= 1)
    }
}
