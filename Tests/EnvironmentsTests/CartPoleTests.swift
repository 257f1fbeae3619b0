import Foundation
import Testing
import TensorCore
@testable import Environments

@Suite struct CartPoleTests {
    @Test func contract() throws {
        try checkContract { try CartPole() }
    }

    @Test func startStateIsUniformInBounds() throws {
        var env = try CartPole()
        for seed in 0..<200 as Range<UInt64> {
            let (obs, _) = try env.reset(seed: seed)
            #expect(obs.allSatisfy { $0 >= -0.05 && $0 < 0.05 })
            #expect(obs == env.state, "CartPole is fully observed")
        }
        let (wide, _) = try env.reset(seed: 3, options: ["low": -0.5, "high": 0.5])
        #expect(wide.contains { abs($0) > 0.05 })
        #expect(throws: EnvironmentError.self) { _ = try env.reset(options: ["low": 1, "high": 0]) }
    }

    @Test func terminatesExactlyWhenThePoleFallsOrTheCartLeaves() throws {
        var env = try CartPole()
        for seed in 0..<20 as Range<UInt64> {
            let episode = try play(&env, seed: seed) { _, _, _ in 1 }  // always push right
            let last = try #require(episode.steps.last)
            #expect(last.terminated && !last.truncated)
            #expect(env.physics.isTerminal)
            #expect(abs(env.physics.theta) > CartPolePhysics.thetaThreshold || abs(env.physics.x) > CartPolePhysics.xThreshold)
            #expect(episode.totalReturn == Double(episode.length), "+1 per step, the last included")
            for step in episode.steps.dropLast() {
                #expect(abs(step.observation[2]) <= Float(CartPolePhysics.thetaThreshold))
            }
        }
    }

    @Test func truncatesAt500Steps() throws {
        // A balancing controller: push towards the side the pole is falling to.
        var env = try CartPole()
        let episode = try play(&env, seed: 11) { obs, _, _ in obs[2] + 0.5 * obs[3] > 0 ? 1 : 0 }
        #expect(episode.length == 500)
        #expect(episode.steps.last!.truncated && !episode.steps.last!.terminated)
        var unlimited = try CartPole(maxEpisodeSteps: nil)
        let long = try play(&unlimited, seed: 11, maxSteps: 800) { obs, _, _ in obs[2] + 0.5 * obs[3] > 0 ? 1 : 0 }
        #expect(long.length == 800)
    }

    @Test func suttonBartoReward() throws {
        var env = try CartPole(suttonBartoReward: true)
        let episode = try play(&env, seed: 5) { _, _, _ in 0 }
        #expect(episode.steps.dropLast().allSatisfy { $0.reward == 0 })
        #expect(episode.steps.last!.reward == -1)
    }

    @Test func fastPathMatchesArrayPath() throws {
        var a = try CartPole(), b = try CartPole()
        var buffer = [Float](repeating: 0, count: 4)
        _ = try a.reset(seed: 42, into: &buffer)
        let (first, _) = try b.reset(seed: 42)
        #expect(buffer == first)
        var rng = RNG(seed: 1)
        for _ in 0..<50 {
            let action = Int(rng.nextUInt32() & 1)
            let fast = try a.step(action, into: &buffer)
            let slow = try b.step(action)
            #expect(buffer == slow.observation && fast.reward == slow.reward && fast.terminated == slow.terminated)
            if fast.done { break }
        }
    }

    @Test func renderShowsTheState() throws {
        var env = try CartPole()
        _ = try env.reset(seed: 0)
        #expect(env.render().contains("θ="))
    }
}

// MARK: - Cross-check against Python's gymnasium

/// Replays Memento's start states and fixed action sequences in Gymnasium's CartPole-v1
/// and compares every observation to 1e-5. Skipped (with a note) when no Python with
/// gymnasium is found: `$MEMENTO_PEERS_PYTHON`, `~/.cache/memento-peers/bin/python`, `python3`.
@Suite struct CartPoleGymnasiumCrossCheck {
    static let script = """
    import json, sys
    import numpy as np
    import gymnasium as gym
    cases = json.load(sys.stdin)
    out = []
    for case in cases:
        env = gym.make("CartPole-v1")
        env.reset(seed=0)
        env.unwrapped.state = np.array(case["state"], dtype=np.float64)
        steps = []
        for a in case["actions"]:
            obs, reward, terminated, truncated, _ = env.step(a)
            steps.append({"obs": [float(v) for v in obs], "reward": float(reward),
                          "terminated": bool(terminated), "truncated": bool(truncated)})
            if terminated or truncated:
                break
        out.append(steps)
    json.dump(out, sys.stdout)
    """

    static func findPython() -> String? {
        var candidates: [String] = []
        if let peer = ProcessInfo.processInfo.environment["MEMENTO_PEERS_PYTHON"], !peer.isEmpty { candidates.append(peer) }
        candidates.append(NSHomeDirectory() + "/.cache/memento-peers/bin/python")
        candidates.append("/usr/bin/env python3")
        for candidate in candidates {
            if let (status, _) = try? run(candidate, arguments: ["-c", "import gymnasium"], input: Data()), status == 0 {
                return candidate
            }
        }
        return nil
    }

    static func run(_ command: String, arguments: [String], input: Data) throws -> (Int32, Data) {
        let parts = command.split(separator: " ").map(String.init)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: parts[0])
        process.arguments = Array(parts.dropFirst()) + arguments
        let stdin = Pipe(), stdout = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = FileHandle.nullDevice
        try process.run()
        stdin.fileHandleForWriting.write(input)
        try stdin.fileHandleForWriting.close()
        let output = stdout.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, output)
    }

    @Test func observationsMatchGymnasium() throws {
        guard let python = Self.findPython() else {
            print("note: CartPole cross-check skipped: no Python with gymnasium found")
            return
        }
        // Seeds' start states from Memento, three kinds of action sequence each.
        var cases: [[String: Any]] = []
        var expected: [[RecordedStep]] = []
        var rng = RNG(seed: 2024)
        for seed in 0..<8 as Range<UInt64> {
            // Patterns: random, alternating, in threes, and a balancing controller (whose
            // actions, computed along Memento's trajectory, run to the 500-step limit).
            for pattern in 0..<4 {
                var env = try CartPole()
                var (obs, _) = try env.reset(seed: seed)
                let start = env.physics.vector
                var actions: [Int] = []
                var steps: [RecordedStep] = []
                for t in 0..<600 {
                    let action: Int
                    switch pattern {
                    case 0: action = Int(rng.nextUInt32() & 1)
                    case 1: action = t % 2
                    case 2: action = (t / 3) % 2
                    default: action = obs[2] + 0.5 * obs[3] > 0 ? 1 : 0
                    }
                    actions.append(action)
                    let (next, reward, terminated, truncated, _) = try env.step(action)
                    steps.append(RecordedStep(observation: next, reward: reward, terminated: terminated, truncated: truncated))
                    obs = next
                    if terminated || truncated { break }
                }
                if pattern == 3 { #expect(steps.count == 500 && steps.last!.truncated) }
                cases.append(["state": start, "actions": actions])
                expected.append(steps)
            }
        }
        let input = try JSONSerialization.data(withJSONObject: cases)
        let (status, output) = try Self.run(python, arguments: ["-c", Self.script], input: input)
        try #require(status == 0, "the gymnasium script failed")
        let replies = try #require(try JSONSerialization.jsonObject(with: output) as? [[[String: Any]]])
        try #require(replies.count == expected.count)
        for (mine, theirs) in zip(expected, replies) {
            #expect(mine.count == theirs.count, "episode lengths agree")
            for (step, reply) in zip(mine, theirs) {
                let obs = (reply["obs"] as! [NSNumber]).map { $0.floatValue }
                for (a, b) in zip(step.observation, obs) { #expect(abs(a - b) <= 1e-5) }
                #expect(step.reward == (reply["reward"] as! NSNumber).doubleValue)
                #expect(step.terminated == (reply["terminated"] as! Bool))
                #expect(step.truncated == (reply["truncated"] as! Bool))
            }
        }
    }
}
