import Testing

/// Environments written in the language train like built-in ones (DESIGN: "environments
/// defined in the language that every built-in algorithm accepts").
@Suite("Script environments and models")
struct ScriptEnvironmentTests {
    static let corridor = """
    class Corridor {
        let length
        var position = 0
        var steps = 0
        let actions = 2
        fn reset(seed = nil) {
            self.position = 0
            self.steps = 0
            return ([0.0, 1.0], {:})
        }
        fn step(action) {
            self.position = max(self.position + (1 if action == 1 else -1), 0)
            self.steps += 1
            let done = self.position >= self.length
            return ([self.position / self.length, 1.0], 1.0 if done else -0.01, done, self.steps >= 50, {:})
        }
    }

    """

    @Test("DQN learns a corridor written in the language; wrappers and evaluate accept it")
    func dqnLearnsAScriptCorridor() {
        let r = runScript(Self.corridor + """
        let env = Corridor(length: 5)
        let agent = DQN(Linear(2, 32) |> relu |> Linear(32, 2), exploration_steps: 1000, learning_starts: 200, seed: 0)
        let run = train(agent, on: env, steps: 3000, progress: false)
        print(run.mean_return(100) > 0.9)
        print(agent.evaluate(env, episodes: 3))
        print(FrameStack(env, k: 3).observation_size)
        """)
        #expect(r.errors.isEmpty, "\(r.errors)")
        #expect(r.output == "true\n[0.96, 0.96, 0.96]\n6\n", "\(r.output)")
    }

    @Test("A script environment's mistakes are reported at their place, naming what was expected")
    func mistakesAreReported() {
        let missing = runScript("class NoStep {\n let actions = 2\n fn reset(seed) { return [1] }\n}\ntrain(DQN(Linear(1, 2)), on: NoStep(), steps: 10, progress: false)")
        #expect(missing.errors == ["NoStep cannot be used as an environment: it has no 'step'"], "\(missing.errors)")
        let badReturn = runScript("class Bad {\n let actions = 2\n fn reset(seed) { return [1.0, 2.0] }\n fn step(a) { return [1, 2, 3] }\n}\ntrain(DQN(Linear(2, 2)), on: Bad(), steps: 10, progress: false)")
        #expect(badReturn.errors.first?.contains("got a list of 3 values") == true, "\(badReturn.errors)")
        let size = runScript("class Grows {\n let actions = 2\n var n = 1\n fn reset(seed) { self.n = 1\n return [1.0] }\n fn step(a) { self.n += 1\n return ([1.0] * self.n, 0.0, false, false) }\n}\ntrain(DQN(Linear(1, 2)), on: Grows(), steps: 10, progress: false)")
        #expect(size.errors.first?.contains("observation of 2 values, but its observation_size is 1") == true, "\(size.errors)")
        let crash = runScript("class Crash {\n let actions = 2\n fn reset(seed) { return [1.0] }\n fn step(a) { return [1][a + 3] }\n}\ntrain(DQN(Linear(1, 2)), on: Crash(), steps: 10, progress: false)")
        #expect(crash.errors.first?.contains("index 3 is out of range") == true || crash.errors.first?.contains("out of range") == true, "\(crash.errors)")
        let wrongNet = runScript(Self.corridor + "train(DQN(Linear(3, 2)), on: Corridor(length: 3), steps: 10, progress: false)")
        #expect(wrongNet.errors.first?.contains("observations of size 2") == true, "\(wrongNet.errors)")
    }

    @Test("A feed-forward model class trains with DQN, a recurrent one with DRQN")
    func scriptModelsTrain() {
        let r = runScript("""
        class QNet {
            var body = Linear(4, 32) |> relu
            var head = Linear(32, 3)
            fn forward(x) { return self.head(self.body(x)) }
        }
        class Memory {
            var encoder = Linear(4, 16)
            var lstm = LSTM(16, 32)
            var head = Linear(32, 3)
            fn initial_state(batch) { return self.lstm.initial_state(batch) }
            fn forward(x, state, resets = nil) {
                let out = self.lstm.forward(relu(self.encoder(x)), state: state, resets: resets)
                return (self.head(out.outputs), out.state)
            }
        }
        let maze = TMaze(length: 4)
        let q = QNet()
        print(q.forward(zeros([2, 4])).shape)
        train(DQN(q, exploration_steps: 100, learning_starts: 64, seed: 0), on: maze, steps: 200, progress: false)
        let drqn = DRQN(Memory(), seed: 1)
        let run = train(drqn, on: maze, steps: 30_000, max_episodes: 800, stop_at_success: 0.9, progress: false)
        print(run.success_rate(100) >= 0.9, len(drqn.evaluate(maze, episodes: 20).filter(fn(r) => r > 0)))
        """)
        #expect(r.errors.isEmpty, "\(r.errors)")
        #expect(r.output == "[2, 3]\ntrue 20\n", "\(r.output)")
        let noForward = runScript("class Empty {\n var x = 1\n}\nDQN(Empty())")
        #expect(noForward.errors == ["Empty cannot be used as a model: it has no forward method"], "\(noForward.errors)")
        let noLayers = runScript("class Bare {\n fn forward(x) { return x }\n}\nAdam(Bare())")
        #expect(noLayers.errors.first?.contains("has no layers in its fields") == true, "\(noLayers.errors)")
    }
}
