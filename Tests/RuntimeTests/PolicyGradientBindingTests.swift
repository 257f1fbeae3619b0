import Foundation
import Language
import Runtime
import Testing

@Suite("PPO and A2C bindings")
struct PolicyGradientBindingTests {
    @Test("PPO(net, n_envs:, n_steps:, …) trains like DRQN and logs CleanRL's keys")
    func trainsFromScripts() {
        let r = runScript("""
        let env = CartPole()
        let agent = PPO(Linear(4, 32) |> tanh |> Linear(32, 2), n_envs: 4, n_steps: 16, batch_size: 32, n_epochs: 2)
        let run = train(agent, on: env, steps: 256, progress: false)
        print(run.steps, run.keys.contains("losses/approx_kl"), run.keys.contains("charts/epsilon"))
        print(len(agent.evaluate(env, episodes: 2)))
        let a2c = A2C(LSTM(4, 8) |> Linear(8, 2), n_envs: 2)
        print(a2c)
        print(train(a2c, on: env, steps: 40, progress: false).steps)
        """)
        #expect(r.errors.isEmpty, "\(r.errors)")
        #expect(r.output.contains("256 true false\n2\nA2C on Sequential"), "\(r.output)")
        #expect(r.output.hasSuffix("40\n"), "\(r.output)")
    }

    @Test("Bad settings are refused with both sides named")
    func errors() {
        let unknown = runScript("let a = PPO(Linear(4, 2), n_env: 4)")
        #expect(unknown.errors.first?.contains("n_env") == true, "\(unknown.errors)")
        let gamma = runScript("let a = PPO(Linear(4, 2), gamma: 1.5)")
        #expect(gamma.errors.first?.contains("gamma must be in [0, 1], got 1.5") == true, "\(gamma.errors)")
        let head = runScript("""
        train(PPO(Linear(4, 2), distribution: "diagonal_normal", n_envs: 2, n_steps: 8), on: CartPole(), steps: 16, progress: false)
        """)
        #expect(head.errors.first?.contains("diagonal Normal") == true && head.errors.first?.contains("Discrete(2)") == true, "\(head.errors)")
        let batch = runScript("""
        train(PPO(Linear(4, 2), n_envs: 3, n_steps: 10, batch_size: 7), on: CartPole(), steps: 16, progress: false)
        """)
        #expect(batch.errors.first?.contains("10 × 3 = 30") == true && batch.errors.first?.contains("batch_size 7") == true, "\(batch.errors)")
        // An environment written in the language cannot be copied: a function that makes one can.
        let script = """
        class Coin {
            var t = 0
            let actions = 2
            let observation_size = 1
            fn reset(seed = nil) {
                self.t = 0
                return [0.0]
            }
            fn step(a) {
                self.t += 1
                return ([0.0], 1.0 if a == 1 else 0.0, self.t >= 4, false)
            }
        }
        """
        let shared = runScript(script + "\ntrain(PPO(Linear(1, 2), n_envs: 2, n_steps: 4, batch_size: 8), on: Coin(), steps: 8, progress: false)")
        #expect(shared.errors.first?.contains("cannot be copied") == true, "\(shared.errors)")
        let made = runScript(script + "\nprint(train(PPO(Linear(1, 2), n_envs: 2, n_steps: 4, batch_size: 8), on: fn() => Coin(), steps: 8, progress: false).steps)")
        #expect(made.errors.isEmpty && made.output == "8\n", "\(made.errors) \(made.output)")
    }

    @Test("Every kind of trained agent is evaluated and collected from after the same check against the environment")
    func evaluateChecksTheEnvironment() {
        // TMaze's observations are also of size 4, but it has 3 actions: without the check the
        // policy trained on CartPole would act in it silently.
        let ppo = runScript("""
        let agent = PPO(Linear(4, 8) |> tanh |> Linear(8, 2), n_envs: 2, n_steps: 8, batch_size: 16)
        train(agent, on: CartPole(), steps: 32, progress: false)
        print(len(collect(CartPole(), policy: agent, episodes: 3).returns))
        agent.evaluate(TMaze(), episodes: 2)
        """)
        #expect(ppo.output == "3\n", "\(ppo.output)")
        #expect(ppo.errors.first?.contains("Discrete(3)") == true && ppo.errors.first?.contains("Discrete(2)") == true, "\(ppo.errors)")
        let impala = runScript("""
        let agent = IMPALA(Linear(4, 8) |> tanh |> Linear(8, 3), n_actors: 1)
        train(agent, on: CartPole(), steps: 200, progress: false)
        print(len(agent.evaluate(CartPole(), episodes: 2)))
        collect(Tiger(), policy: agent, episodes: 2)
        """)
        #expect(impala.output == "2\n", "\(impala.output)")
        #expect(impala.errors.first?.contains("observations of size 3 and 3 actions") == true, "\(impala.errors)")
        let untrained = runScript("collect(CartPole(), policy: A2C(Linear(4, 2)), episodes: 1)")
        #expect(untrained.errors.first?.contains("collect: the agent has not been trained yet") == true, "\(untrained.errors)")
    }
}
