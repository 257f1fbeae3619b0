import Configuration
import Foundation
import Language
import Runtime
import Testing

@Suite("IMPALA and off-policy evaluation bindings")
struct IMPALABindingTests {
    /// The configuration an `IMPALA(…)` call was built with, by field name.
    func configuration(_ arguments: String) throws -> [String: FieldValue] {
        let (interpreter, session) = makeRuntime()
        let v = try evaluate("IMPALA(Linear(4, 3)\(arguments))", in: interpreter)
        let values = try #require(session.bindings.first { $0.name == "IMPALA" }?.readBack(v))
        return Dictionary(uniqueKeysWithValues: values.map { ($0.name, $0.value) })
    }

    @Test("Every keyword reaches its field; nil ρ̄ or c̄ is no truncation; deterministic is the opposite of threaded")
    func keywords() throws {
        let c = try configuration("""
            , n_actors: 3, n_envs: 2, unroll_length: 7, batch_size: 6, lag: 8, correction: "none", rho_bar: 2.5, c_bar: nil,
            gamma: 0.9, lr: 0.01, ent_coef: 0.02, vf_coef: 0.25, max_grad_norm: nil, queue_size: 5, deterministic: false, seed: 11
            """)
        #expect(c["n_actors"] == .int(3) && c["n_envs"] == .int(2) && c["unroll_length"] == .int(7) && c["batch_size"] == .int(6))
        #expect(c["lag"] == .int(8) && c["correction"] == .string("none") && c["queue_size"] == .int(5) && c["seed"] == .int(11))
        #expect(c["rho_bar"] == .float(2.5) && c["c_bar"] == FieldValue.none && c["max_grad_norm"] == FieldValue.none)
        #expect(c["gamma"] == .float(0.9) && c["lr"] == .float(0.01) && c["ent_coef"] == .float(0.02) && c["vf_coef"] == .float(0.25))
        #expect(c["deterministic"] == .bool(false))
        let defaults = try configuration("")
        #expect(defaults["deterministic"] == .bool(true) && defaults["rho_bar"] == .float(1) && defaults["correction"] == .string("vtrace"))
    }

    @Test("Bad settings are errors at the argument", arguments: [
        ("rho_bar: 0", "IMPALA: rho_bar must be > 0, got 0"),
        ("c_bar: -1.0", "IMPALA: c_bar must be > 0, got -1.0"),
        ("unroll_length: 0", "IMPALA: unroll_length must be >= 1, got 0"),
        ("queue_size: 0", "IMPALA: queue_size must be >= 1, got 0"),
        ("n_actors: 1000", "IMPALA: n_actors must be in [1, 64], got 1000"),
        ("correction: \"retrace\"", "IMPALA: correction must be one of \"none\", \"epsilon\", \"importance_sampling\", \"vtrace\", got \"retrace\""),
    ])
    func badInput(_ argument: String, _ message: String) {
        let (interpreter, _) = makeRuntime()
        let d = interpreter.run(source: "let n = Linear(4, 3)\nlet a = IMPALA(n, \(argument))", path: "t.mem").first
        #expect(d?.message == message)
        #expect(d?.span.text == argument)
    }

    @Test("Settings that only disagree with each other are refused at the call")
    func crossFieldErrors() {
        let r = runScript("let a = IMPALA(Linear(4, 3), n_envs: 4, batch_size: 6)")
        #expect(r.errors.first?.contains("batchSize must be a positive multiple of environmentsPerActor (4), got 6") == true, "\(r.errors)")
        let head = runScript("train(IMPALA(Linear(4, 2)), on: CartPole(), steps: 320, progress: false)")
        #expect(head.errors.first?.contains("3 numbers") == true, "\(head.errors)")
        let early = runScript("IMPALA(Linear(4, 3)).evaluate(CartPole())")
        #expect(early.errors.first?.contains("not been trained") == true, "\(early.errors)")
    }

    @Test("train and evaluate: the same seed gives the same run, which logs the policy lag")
    func trains() {
        let script = """
        seed(1)
        let env = CartPole()
        let agent = IMPALA(Linear(4, 16) |> tanh |> Linear(16, 3), lag: 4, seed: 3)
        let run = train(agent, on: env, steps: 3_200, progress: false)
        print(run.steps, run.keys.contains("charts/policy_lag"), run.keys.contains("losses/rho_clipfrac"))
        print(max(run.history("charts/policy_lag")) > 0, len(agent.evaluate(env, episodes: 3)))
        print(run.returns)
        print(train(agent, on: env, steps: 1_600, progress: false).steps)
        """
        let a = runScript(script), b = runScript(script)
        #expect(a.errors.isEmpty, "\(a.errors)")
        #expect(a.output.hasPrefix("3200 true true\ntrue 3\n"), "\(a.output)")
        #expect(a.output.hasSuffix("1600\n"), "\(a.output)")
        #expect(a.output == b.output)
    }

    @Test("deterministic: false runs the actors as threads; a script environment cannot be copied to them")
    func threadsAndScriptEnvironments() {
        let threaded = runScript("""
        let agent = IMPALA(Linear(4, 16) |> tanh |> Linear(16, 3), deterministic: false, lag: 2)
        let run = train(agent, on: CartPole(), steps: 1_600, progress: false)
        print(run.steps, run.episodes > 0)
        """)
        #expect(threaded.errors.isEmpty && threaded.output == "1600 true\n", "\(threaded.errors) \(threaded.output)")
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
        let shared = runScript(script + "\ntrain(IMPALA(Linear(1, 3)), on: Coin(), steps: 320, progress: false)")
        #expect(shared.errors.first?.contains("cannot be copied") == true, "\(shared.errors)")
        let single = runScript(script + "\nprint(train(IMPALA(Linear(1, 3), n_actors: 1, n_envs: 1, batch_size: 2, unroll_length: 4), on: Coin(), steps: 80, progress: false).steps)")
        #expect(single.errors.isEmpty && single.output == "80\n", "\(single.errors) \(single.output)")
    }

    @Test("Exact values on the chain and V-trace's fixed point")
    func offPolicyEvaluation() {
        let r = runScript("""
        let chain = chain_mdp(3)
        print(chain.states, chain.actions)
        let right = [[0.0, 1.0], [0.0, 1.0], [0.0, 1.0]]
        print(policy_value(chain, right, gamma: 0.5))
        let mu = [[0.5, 0.5], [0.5, 0.5], [0.5, 0.5]]
        let pi = [[0.1, 0.9], [0.1, 0.9], [0.1, 0.9]]
        print(truncated_policy(mu, pi, rho_bar: 1.0)[0])
        let v_rho = policy_value(chain, truncated_policy(mu, pi, rho_bar: 1.0), gamma: 0.9)
        let v = vtrace_evaluation(chain, behaviour: mu, target: pi, gamma: 0.9, seed: 2)
        print(max(zip(v, v_rho).map(fn(p) => abs(p[0] - p[1]))) < 0.05)
        let e = vtrace([0.0, 1.0], [0.5, 0.5], 0.0, [0.0, 0.0], gamma: [0.9, 0.0])
        print(e.vs)
        """)
        #expect(r.errors.isEmpty, "\(r.errors)")
        #expect(r.output == "3 2\n[0.25, 0.5, 1.0]\n[0.16666666666666669, 0.8333333333333334]\ntrue\n[0.8999999761581421, 1.0]\n", "\(r.output)")
    }

    @Test("Bad input to the evaluation functions is an error at the argument")
    func offPolicyEvaluationErrors() {
        let (interpreter, _) = makeRuntime()
        func diagnostic(_ source: String) -> Diagnostic? { interpreter.run(source: source, path: "t.mem").first }
        #expect(diagnostic("chain_mdp(0)")?.span.text == "0")
        let rho = diagnostic("let c = chain_mdp(2)\nlet m = [[0.5, 0.5], [0.5, 0.5]]\nvtrace_evaluation(c, behaviour: m, target: m, rho_bar: 0)")
        #expect(rho?.message == "vtrace_evaluation: rho_bar must be > 0 (or nil for no truncation), got 0.0" && rho?.span.text == "rho_bar: 0")
        let rows = diagnostic("policy_value(chain_mdp(2), [[0.5, 0.4], [0.5, 0.5]])")
        #expect(rows?.message.contains("summing to 1") == true)
        let support = diagnostic("let c = chain_mdp(2)\nvtrace_evaluation(c, behaviour: [[1.0, 0.0], [1.0, 0.0]], target: [[0.5, 0.5], [0.5, 0.5]])")
        #expect(support?.message.contains("positive probability") == true)
        let lengths = diagnostic("vtrace([0.0, 1.0], [0.5], 0.0, [0.0, 0.0])")
        #expect(lengths?.message.contains("one number per step") == true)
        for name in ["chain_mdp", "policy_value", "truncated_policy", "vtrace_evaluation", "vtrace", "IMPALA"] {
            guard case .native(let f)? = interpreter.globals[name] else { Issue.record("\(name) is not defined"); continue }
            #expect(f.doc.count > 40, "\(name) has no help")
        }
    }
}
