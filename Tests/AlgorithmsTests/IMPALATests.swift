import Algorithms
import Environments
import NeuralNets
import TensorCore
import Testing

/// An environment whose step throws once `failAfter` steps have been taken in one episode.
struct FailingEnvironment: Environment {
    var inner: CartPole
    let failAfter: Int
    var steps = 0
    init(failAfter: Int) throws { inner = try CartPole(); self.failAfter = failAfter }
    var name: String { "Failing" }
    var observationSpace: Box { inner.observationSpace }
    var actionSpace: Discrete { inner.actionSpace }
    var state: [Float] { inner.state }
    mutating func reset(seed: UInt64?, options: ResetOptions, into observation: UnsafeMutableBufferPointer<Float>) throws(EnvironmentError) -> Info {
        steps = 0
        return try inner.reset(seed: seed, options: options, into: observation)
    }
    mutating func step(_ action: Int, into observation: UnsafeMutableBufferPointer<Float>) throws(EnvironmentError) -> StepResult {
        steps += 1
        if steps > failAfter { throw .script(environment: name, message: "the simulator broke at step \(steps)") }
        return try inner.step(action, into: observation)
    }
    func render() -> String { "" }
}

@Suite("IMPALA")
struct IMPALATests {
    func learner(seed: UInt64, _ edit: (inout IMPALAConfig) -> Void = { _ in }) throws -> IMPALA {
        let env = try CartPole()
        var rng = RNG(seed: seed)
        let net = try MLP([4, 64, 3], activation: "tanh", rng: &rng)
        var config = IMPALAConfig()
        config.seed = seed
        edit(&config)
        return try IMPALA(network: net, environment: env, config: config)
    }

    @Test("Deterministic actors: the same seed gives the same run, and the lag is what k says")
    func deterministic() throws {
        func run() throws -> Run {
            let impala = try learner(seed: 3) { $0.refreshInterval = 4 }
            var options = TrainingOptions()
            options.logInterval = 160
            return try train(impala, on: try CartPole(), steps: 3_200, options: options)
        }
        let a = try run(), b = try run()
        #expect(a.steps == 3_200)
        #expect(a.episodeReturns == b.episodeReturns)
        #expect(a.values(Metric.policyLoss) == b.values(Metric.policyLoss))
        // Refreshing every 4 updates, with each batch holding two actors' unrolls: lags 0–3.
        let lags = a.values(Metric.policyLag)
        #expect(!lags.isEmpty && lags.allSatisfy { $0 >= 0 && $0 < 4 } && lags.contains { $0 > 0 })
        #expect(!a.values(Metric.rhoClipFraction).isEmpty)
    }

    @Test("IMPALA with V-trace learns CartPole")
    func learnsCartPole() throws {
        let impala = try learner(seed: 1) { $0.learningRate = 3e-3 }
        let run = try train(impala, on: try CartPole(), steps: 40_000)
        let first = run.episodeReturns.prefix(20).reduce(0, +) / 20
        let last = run.meanReturn(last: 20) ?? 0
        #expect(last > 3 * first && last > 100, "mean return of the first 20 episodes \(first), of the last 20 \(last)")
    }

    @Test("Threaded actors fill the batches and stop cleanly")
    func threaded() throws {
        let impala = try learner(seed: 2) { $0.threaded = true; $0.refreshInterval = 2 }
        let run = try train(impala, on: try CartPole(), steps: 4_000)
        #expect(run.steps == 4_000 && impala.updateCount == 25)
        #expect(!run.episodeReturns.isEmpty)
    }

    @Test("A failing actor stops the run with its error, threaded or not")
    func failingActor() throws {
        for threaded in [false, true] {
            var rng = RNG(seed: 0)
            let env = try FailingEnvironment(failAfter: 30)
            var config = IMPALAConfig()
            config.threaded = threaded
            let impala = try IMPALA(network: try MLP([4, 16, 3], rng: &rng), environment: env, config: config)
            let error = #expect(throws: (any Error).self) { try train(impala, on: env, steps: 100_000) }
            #expect("\(error!)".contains("the simulator broke"), "\(error!)")
        }
    }

    @Test("Bad configurations and networks are refused at construction")
    func errors() throws {
        var rng = RNG(seed: 0)
        let env = try CartPole()
        #expect(throws: AlgorithmError.self) { try IMPALA(network: try MLP([4, 8, 2], rng: &rng), environment: env) }  // no value column
        for edit in [{ (c: inout IMPALAConfig) in c.rhoBar = 0 }, { $0.cBar = -1 }, { $0.unrollLength = 0 },
                     { $0.queueCapacity = 0 }, { $0.actors = 1_000 }, { $0.batchSize = 6 }] {
            var config = IMPALAConfig()
            edit(&config)
            #expect(throws: AlgorithmError.self) { try IMPALA(network: try MLP([4, 8, 3], rng: &rng), environment: env, config: config) }
        }
    }
}
