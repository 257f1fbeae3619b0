import Environments
import Foundation
import NeuralNets
import TensorCore

// An offline dataset of whole trajectories, laid out as D4RL lays them out: one row per
// step, episodes back to back.
//
//     row i:  observation s_i, action a_i, reward r_i, terminal (s_{i+1} is terminal),
//             next observation s_{i+1}, timestep t_i (0 at an episode's first step),
//             return-to-go R̂_i = Σ_{k ≥ i, same episode} r_k
//
// An episode starts at every row whose timestep is 0, so the timesteps alone give the
// episode boundaries (and a file cannot hold boundaries that disagree with them).
// Files are safetensors with the environment's name and sizes in the metadata.

/// The error a dataset throws: a bad file (naming it) or a request it cannot serve.
public struct DatasetError: Error, CustomStringConvertible, Sendable, Equatable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Trajectories collected from some policy on some environment: what the offline learners
/// (behaviour cloning, the Decision Transformer, IQL) train on.
public struct TrajectoryDataset: Sendable {
    /// The format written into every file's metadata.
    public static let format = "memento.trajectories.v1"

    /// The name of the environment the data comes from (checked when a file is loaded for an environment).
    public let environment: String
    /// Floats per observation.
    public let observationSize: Int
    /// The number of discrete actions, or nil for continuous actions of `actionSize` floats.
    public let actionCount: Int?
    /// Floats per action row: 1 for a discrete action (its index), the box's size otherwise.
    public let actionSize: Int

    /// [N, observationSize], row-major.
    public private(set) var observations: [Float] = []
    /// [N, observationSize]: the observation after each step.
    public private(set) var nextObservations: [Float] = []
    /// [N, actionSize]: discrete actions as their index from 0.
    public private(set) var actions: [Float] = []
    /// [N].
    public private(set) var rewards: [Float] = []
    /// [N]: the step ended its episode by termination (no value after it).
    public private(set) var terminals: [Bool] = []
    /// [N]: the step's index in its episode.
    public private(set) var timesteps: [Int] = []
    /// [N]: the undiscounted return from the step to its episode's end.
    public private(set) var returnsToGo: [Float] = []
    /// The first row of each episode, in order.
    public private(set) var episodeStarts: [Int] = []

    /// An empty dataset for data from `environment`.
    public init(environment: String, observationSize: Int, actionCount: Int?, actionSize: Int = 1) throws {
        guard observationSize > 0 else { throw DatasetError("TrajectoryDataset: observationSize must be positive, got \(observationSize)") }
        if let n = actionCount {
            guard n > 0 else { throw DatasetError("TrajectoryDataset: actionCount must be positive, got \(n)") }
            guard actionSize == 1 else { throw DatasetError("TrajectoryDataset: a discrete action is one index, so actionSize must be 1, got \(actionSize)") }
        }
        guard actionSize > 0 else { throw DatasetError("TrajectoryDataset: actionSize must be positive, got \(actionSize)") }
        self.environment = environment
        self.observationSize = observationSize
        self.actionCount = actionCount
        self.actionSize = actionSize
    }

    /// An empty dataset for `environment`'s observations and discrete actions.
    public init<E: Environment>(for environment: E) throws {
        try self.init(environment: environment.name, observationSize: environment.observationSize, actionCount: environment.actionSpace.n)
    }

    /// Steps stored.
    public var count: Int { rewards.count }
    /// Episodes stored.
    public var episodeCount: Int { episodeStarts.count }
    /// The rows of episode `e`.
    public func episodeRange(_ e: Int) -> Range<Int> {
        episodeStarts[e] ..< (e + 1 < episodeStarts.count ? episodeStarts[e + 1] : count)
    }
    /// The undiscounted return of every episode.
    public var episodeReturns: [Double] {
        (0..<episodeCount).map { e in episodeRange(e).reduce(0.0) { $0 + Double(rewards[$1]) } }
    }
    /// The row after which each row's episode ends (its last row).
    public func episodeEnd(ofRow i: Int) -> Int {
        var lo = 0, hi = episodeStarts.count - 1
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if episodeStarts[mid] <= i { lo = mid } else { hi = mid - 1 }
        }
        return episodeRange(lo).upperBound - 1
    }

    // MARK: - Building

    /// One step of an episode being added.
    public struct Step: Sendable {
        public var observation: [Float]
        public var action: [Float]
        public var reward: Double
        public var nextObservation: [Float]
        public var terminal: Bool
        public init(observation: [Float], action: [Float], reward: Double, nextObservation: [Float], terminal: Bool) {
            self.observation = observation
            self.action = action
            self.reward = reward
            self.nextObservation = nextObservation
            self.terminal = terminal
        }
    }

    /// Appends one episode (its steps in order); its timesteps and returns-to-go are computed.
    public mutating func append(episode steps: [Step]) throws {
        guard !steps.isEmpty else { throw DatasetError("TrajectoryDataset: an episode needs at least one step") }
        for (t, s) in steps.enumerated() {
            guard s.observation.count == observationSize, s.nextObservation.count == observationSize else {
                throw DatasetError("TrajectoryDataset: step \(t) has an observation of size \(s.observation.count) (next \(s.nextObservation.count)), but the data from \(environment) has observations of size \(observationSize)")
            }
            guard s.action.count == actionSize else {
                throw DatasetError("TrajectoryDataset: step \(t) has an action of \(s.action.count) floats, expected \(actionSize)")
            }
            if let n = actionCount, !(s.action[0] == s.action[0].rounded() && s.action[0] >= 0 && Int(s.action[0]) < n) {
                throw DatasetError("TrajectoryDataset: step \(t) has action \(s.action[0]), not one of 0..<\(n)")
            }
            guard s.reward.isFinite else { throw DatasetError("TrajectoryDataset: step \(t) has reward \(s.reward), not a finite number") }
            guard !s.terminal || t == steps.count - 1 else {
                throw DatasetError("TrajectoryDataset: step \(t) is terminal but the episode goes on to step \(steps.count - 1)")
            }
        }
        episodeStarts.append(count)
        let togo = Algorithms.returnsToGo(steps.map(\.reward))
        for (t, s) in steps.enumerated() {
            observations += s.observation
            nextObservations += s.nextObservation
            actions += s.action
            rewards.append(Float(s.reward))
            terminals.append(s.terminal)
            timesteps.append(t)
            returnsToGo.append(Float(togo[t]))
        }
    }

    /// The episodes of `policy` on a copy of `environment`: `episodes` episodes from a reset
    /// with `seed` (later ones continue the environment's stream), each cut after `maxSteps`.
    public static func collect<E: Environment>(
        _ policy: any Policy, on environment: E, episodes: Int, seed: UInt64 = 0, maxSteps: Int = 10_000
    ) throws -> TrajectoryDataset {
        guard episodes >= 1 else { throw DatasetError("collect: episodes must be at least 1, got \(episodes)") }
        guard maxSteps >= 1 else { throw DatasetError("collect: maxSteps must be at least 1, got \(maxSteps)") }
        var data = try TrajectoryDataset(for: environment)
        var env = environment
        var observation = try env.reset(seed: seed).observation
        for _ in 0..<episodes {
            try policy.reset()
            var steps: [Step] = []
            for _ in 0..<maxSteps {
                let action = try policy.action(for: observation)
                let before = observation
                let result = try env.step(action, into: &observation)
                try policy.observe(reward: result.reward)
                steps.append(Step(observation: before, action: [Float(action - environment.actionSpace.start)], reward: result.reward,
                                  nextObservation: observation, terminal: result.terminated))
                if result.done { break }
            }
            try data.append(episode: steps)
            observation = try env.reset().observation
        }
        return data
    }

    // MARK: - Filtering (%BC)

    /// The episodes with the highest returns, a `fraction` of them (at least one): the data
    /// of %BC (Chen et al. 2021). Ties keep the earlier episode; the order is kept.
    public func filterTop(_ fraction: Double) throws -> TrajectoryDataset {
        guard fraction > 0, fraction <= 1 else { throw DatasetError("filter_top: fraction must be in (0, 1], got \(fraction)") }
        guard episodeCount > 0 else { return self }
        let keep = Swift.max(1, Int((fraction * Double(episodeCount)).rounded(.toNearestOrEven)))
        let returns = episodeReturns
        let ranked = returns.indices.sorted { returns[$0] != returns[$1] ? returns[$0] > returns[$1] : $0 < $1 }
        return try episodes(ranked.prefix(keep).sorted())
    }

    /// A dataset of the episodes `indices` (in the order given).
    public func episodes<S: Sequence>(_ indices: S) throws -> TrajectoryDataset where S.Element == Int {
        var out = try TrajectoryDataset(environment: environment, observationSize: observationSize, actionCount: actionCount, actionSize: actionSize)
        for e in indices {
            guard e >= 0, e < episodeCount else { throw DatasetError("TrajectoryDataset: no episode \(e) (there are \(episodeCount))") }
            let r = episodeRange(e)
            out.episodeStarts.append(out.count)
            out.observations += observations[(r.lowerBound * observationSize) ..< (r.upperBound * observationSize)]
            out.nextObservations += nextObservations[(r.lowerBound * observationSize) ..< (r.upperBound * observationSize)]
            out.actions += actions[(r.lowerBound * actionSize) ..< (r.upperBound * actionSize)]
            out.rewards += rewards[r]
            out.terminals += terminals[r]
            out.timesteps += timesteps[r]
            out.returnsToGo += returnsToGo[r]
        }
        return out
    }

    /// The discrete action of row `i` (0-based index).
    @inline(__always)
    public func actionIndex(_ i: Int) -> Int { Int(actions[i]) }

    /// Throws unless the data's observations and actions fit `environment`.
    public func checkCompatible<E: Environment>(with env: E, component: String) throws {
        guard env.observationSize == observationSize else {
            throw AlgorithmError(component, "the dataset holds observations of size \(observationSize) (from \(environment)) but \(env.name) has observations of size \(env.observationSize)")
        }
        if let n = actionCount, n != env.actionSpace.n {
            throw AlgorithmError(component, "the dataset holds \(n) discrete actions (from \(environment)) but \(env.name) has \(env.actionSpace.n)")
        }
    }
}

// MARK: - Files

extension TrajectoryDataset {
    /// Writes the dataset as a safetensors file: observations, next_observations, actions,
    /// rewards, terminals, timesteps, returns_to_go, with the environment and sizes as metadata.
    public func save(to path: String) throws {
        let n = count
        try SafeTensors.write([
            "observations": Tensor(observations, shape: [n, observationSize]),
            "next_observations": Tensor(nextObservations, shape: [n, observationSize]),
            "actions": Tensor(actions, shape: [n, actionSize]),
            "rewards": Tensor(rewards, shape: [n]),
            "terminals": Tensor(terminals.map { $0 ? 1 : 0 }, shape: [n]),
            "timesteps": Tensor(timesteps.map(Float.init), shape: [n]),
            "returns_to_go": Tensor(returnsToGo, shape: [n]),
        ], metadata: [
            "format": Self.format,
            "environment": environment,
            "observation_size": String(observationSize),
            "action_size": String(actionSize),
            "action_count": actionCount.map(String.init) ?? "continuous",
            "steps": String(n),
            "episodes": String(episodeCount),
        ], to: path)
    }

    /// Reads a dataset written by `save`. With `environment`, the file must hold data of its
    /// observation size (and action count): otherwise the error names the file and both sizes.
    public static func load<E: Environment>(from path: String, for environment: E) throws -> TrajectoryDataset {
        let data = try load(from: path)
        guard data.observationSize == environment.observationSize else {
            throw DatasetError("dataset \(path) holds observations of size \(data.observationSize) (from \(data.environment)), but \(environment.name) has observations of size \(environment.observationSize)")
        }
        if let n = data.actionCount, n != environment.actionSpace.n {
            throw DatasetError("dataset \(path) holds \(n) actions (from \(data.environment)), but \(environment.name) has \(environment.actionSpace.n)")
        }
        return data
    }

    /// Reads a dataset written by `save`.
    public static func load(from path: String) throws -> TrajectoryDataset {
        let contents: SafeTensors.Contents
        do {
            let bytes = try SafeTensors.readBytes(from: path)
            do {
                contents = try SafeTensors.decode(bytes, file: path)
            } catch CheckpointError.truncated {
                let expected = SafeTensors.announcedSize(bytes).map { "\($0) bytes" } ?? "more"
                throw DatasetError("dataset \(path) is truncated: the file has \(bytes.count) bytes but its header announces \(expected)")
            }
        } catch let e as CheckpointError {
            throw DatasetError(e.description.replacingOccurrences(of: "checkpoint \(path)", with: "dataset \(path)"))
        }
        let m = contents.metadata
        func bad(_ detail: String) -> DatasetError { DatasetError("dataset \(path) is not a trajectory dataset: \(detail)") }
        guard m["format"] == format else {
            throw bad("its metadata has format \(m["format"].map { "\"\($0)\"" } ?? "missing"), expected \"\(format)\"")
        }
        guard let env = m["environment"], let obs = m["observation_size"].flatMap(Int.init), let width = m["action_size"].flatMap(Int.init),
              let countText = m["action_count"] else {
            throw bad("its metadata lacks environment, observation_size, action_size or action_count")
        }
        let actionCount: Int? = countText == "continuous" ? nil : Int(countText)
        guard countText == "continuous" || actionCount != nil else { throw bad("action_count \"\(countText)\" is not a number") }
        var data: TrajectoryDataset
        do { data = try TrajectoryDataset(environment: env, observationSize: obs, actionCount: actionCount, actionSize: width) } catch let e as DatasetError {
            throw bad(e.message)
        }
        func tensor(_ name: String, _ width: Int?) throws -> [Float] {
            guard let t = contents.tensors[name] else { throw bad("it has no tensor \"\(name)\"") }
            let rows = t.shape.first ?? 0
            let expected = width.map { [rows, $0] } ?? [rows]
            guard t.shape == expected else {
                throw DatasetError("dataset \(path): tensor \"\(name)\" has shape \(shapeString(t.shape)) but the metadata says rows of size \(width.map(String.init) ?? "1") (observation size \(obs))")
            }
            return t.scalars
        }
        data.observations = try tensor("observations", obs)
        data.nextObservations = try tensor("next_observations", obs)
        data.actions = try tensor("actions", width)
        data.rewards = try tensor("rewards", nil)
        data.terminals = try tensor("terminals", nil).map { $0 != 0 }
        data.timesteps = try tensor("timesteps", nil).map { Int($0) }
        data.returnsToGo = try tensor("returns_to_go", nil)
        let n = data.rewards.count
        guard [data.observations.count / obs, data.nextObservations.count / obs, data.actions.count / width,
               data.terminals.count, data.timesteps.count, data.returnsToGo.count].allSatisfy({ $0 == n }) else {
            throw bad("its tensors have different numbers of rows")
        }
        guard n == 0 || data.timesteps[0] == 0 else { throw bad("its first step has timestep \(data.timesteps[0]), not 0") }
        for i in 0..<n {
            if data.timesteps[i] == 0 { data.episodeStarts.append(i) }
            else if data.timesteps[i] != data.timesteps[i - 1] + 1 { throw bad("timestep \(data.timesteps[i]) at row \(i) does not follow \(data.timesteps[i - 1])") }
        }
        return data
    }
}

// MARK: - Sampling

/// A uniformly random policy over a discrete action space (the data policy of the lessons).
public final class RandomPolicy: Policy {
    public let actions: Discrete
    var rng: RNG
    public init(actions: Discrete, seed: UInt64 = 0) {
        self.actions = actions
        rng = RNG(seed: seed)
    }
    public func reset() throws {}
    public func action(for observation: [Float]) throws -> Int { actions.start + rng.int(below: actions.n) }
}
