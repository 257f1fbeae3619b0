import Algorithms
import Language
import TensorCore

// V-trace as off-policy evaluation on small MDPs with exact answers (Espeholt et al. 2018,
// section 4.1), in the language:
//
//     let mdp = chain_mdp(5)
//     let v_pi = policy_value(mdp, pi, gamma: 0.9)                       # exact, Bellman
//     let pi_rho = truncated_policy(mu, pi, rho_bar: 1.0)                # π_ρ̄ ∝ min(ρ̄μ, π)
//     let v = vtrace_evaluation(mdp, behaviour: mu, target: pi, gamma: 0.9, rho_bar: 1.0, c_bar: 1.0, seed: 0)
//     let e = vtrace(rewards, values, bootstrap, log_rhos, gamma: 0.9)    # one unroll's targets
//
// Policies are lists of rows, one per state, of action probabilities.

/// A tabular MDP: `chain_mdp(5)`.
final class TabularMDPObject: HostObject {
    let mdp: TabularMDP
    init(_ mdp: TabularMDP) { self.mdp = mdp }

    override var typeName: String { "TabularMDP" }
    override var description: String { "TabularMDP(\(mdp.stateCount) states, \(mdp.actionCount) actions)" }
    override var memberNames: [String] { ["states", "actions", "next", "rewards"] }

    override func getMember(_ name: String, interpreter: Interpreter) throws -> Value? {
        switch name {
        case "states": return .int(mdp.stateCount)
        case "actions": return .int(mdp.actionCount)
        case "next": return .array(mdp.next.map { row in .array(row.map { $0.map { .int($0) } ?? .nil }) })
        case "rewards": return .array(mdp.rewards.map { row in .array(row.map { .float($0) }) })
        default: return nil
        }
    }
}

/// A policy (rows of probabilities) from a script value.
private func policyRows(_ v: Value, _ what: String) throws -> [[Double]] {
    // Lists are read in double precision, so that rows such as [0.1, 0.9] sum to 1.
    if case .list(let rows) = v, !rows.items.isEmpty {
        var out: [[Double]] = []
        for row in rows.items {
            guard case .list(let r) = row, let numbers = try? r.items.map({ try $0.toDouble(what) }) else { out = []; break }
            out.append(numbers)
        }
        if !out.isEmpty {
            guard out.allSatisfy({ $0.count == out[0].count && !$0.isEmpty }) else {
                throw HostError("\(what): every row needs the same number of action probabilities")
            }
            return out
        }
    }
    let t = try v.toTensor(what)
    guard t.rank == 2 else { throw HostError("\(what) must be a list of rows, one per state, of action probabilities; got shape \(t.shape)") }
    let a = t.shape[1], s = t.scalars.map(Double.init)
    return (0..<t.shape[0]).map { Array(s[$0 * a ..< ($0 + 1) * a]) }
}

private func rowsValue(_ rows: [[Double]]) -> Value { .array(rows.map { .array($0.map { .float($0) }) }) }

/// A list of numbers (or a 1-D tensor) as doubles.
private func numberList(_ v: Value, _ what: String) throws -> [Double] {
    let t = try v.toTensor(what)
    guard t.rank <= 1 else { throw HostError("\(what) must be a list of numbers, got shape \(t.shape)") }
    return t.scalars.map(Double.init)
}

/// A truncation level: a positive number, or nil for none (∞).
private func truncation(_ v: Value, _ who: String, _ name: String) throws -> Double? {
    if v.isNil { return nil }
    let x = try v.toDouble("\(who): \(name)")
    guard x > 0 else { throw HostError("\(who): \(name) must be > 0 (or nil for no truncation), got \(x)", argument: .parameter(name)) }
    return x
}

private func mdpArgument(_ v: Value, _ who: String) throws -> TabularMDP {
    guard case .host(let m as TabularMDPObject) = v else { throw HostError("\(who) needs a tabular MDP such as chain_mdp(5), got \(v.typeName)", argument: .parameter("mdp")) }
    return m.mdp
}

extension Runtime {
    static func installOffPolicyEvaluation(in interpreter: Interpreter) {
        let g = interpreter.globals
        func def(_ name: String, _ params: [NativeParameter], doc: String, _ body: @escaping (inout Arguments, Interpreter) throws -> Value) {
            g.define(name, .native(NativeFunction(name, parameters: params, doc: doc, body: body)))
        }
        def("chain_mdp", ["length"],
            doc: "chain_mdp(5): a corridor of `length` states; action 1 moves right, 0 left (staying in state 0); moving right from the last state ends the episode with reward 1.") { a, _ in
            let n = try a[0].toInt("chain_mdp: length")
            guard n >= 1 else { throw HostError("chain_mdp: length must be >= 1, got \(n)", argument: .parameter("length")) }
            return .host(TabularMDPObject(try TabularMDP.chain(length: n)))
        }
        def("policy_value", ["mdp", "policy", NativeParameter("gamma", default: .float(0.9))],
            doc: "policy_value(mdp, policy, gamma: 0.9): V^π in every state, exactly (the Bellman equations solved by iteration); a policy is one row of action probabilities per state.") { a, _ in
            let mdp = try mdpArgument(a[0], "policy_value")
            let gamma = try a[2].toDouble("policy_value: gamma")
            guard (0...1).contains(gamma) else { throw HostError("policy_value: gamma must be in [0, 1], got \(gamma)", argument: .parameter("gamma")) }
            return .array(try mdp.value(of: policyRows(a[1], "policy_value: policy"), gamma: gamma).map { .float($0) })
        }
        def("truncated_policy", ["behaviour", "target", NativeParameter("rho_bar", default: .float(1))],
            doc: "truncated_policy(mu, pi, rho_bar: 1): π_ρ̄(a|x) ∝ min(ρ̄ μ(a|x), π(a|x)), the policy whose value V-trace with truncation ρ̄ converges to (nil: ∞, which gives π).") { a, _ in
            let mu = try policyRows(a[0], "truncated_policy: behaviour"), pi = try policyRows(a[1], "truncated_policy: target")
            guard mu.count == pi.count && zip(mu, pi).allSatisfy({ $0.count == $1.count }) else {
                throw HostError("truncated_policy: behaviour and target need the same shape", argument: .parameter("target"))
            }
            return rowsValue(truncatedTargetPolicy(behaviour: mu, target: pi, rhoBar: try truncation(a[2], "truncated_policy", "rho_bar") ?? .infinity))
        }
        def("vtrace_evaluation", ["mdp", "behaviour", "target", NativeParameter("gamma", default: .float(0.9)),
                                  NativeParameter("rho_bar", default: .float(1)), NativeParameter("c_bar", default: .float(1)),
                                  NativeParameter("corrected", default: .bool(true)), NativeParameter("unroll_length", default: .int(10)),
                                  NativeParameter("batch", default: .int(8)), NativeParameter("iterations", default: .int(2_000)),
                                  NativeParameter("step_size", default: .float(0.5)), NativeParameter("seed", default: .int(0))],
            doc: "vtrace_evaluation(mdp, behaviour: mu, target: pi, gamma: 0.9, rho_bar: 1, c_bar: 1, seed: 0): a table V learned from unrolls of μ with V-trace targets, V(x_s) ← V(x_s) + α (v_s − V(x_s)); rho_bar / c_bar nil: no truncation; corrected: false ignores the importance weights (every ρ and c is 1).") { a, _ in
            let who = "vtrace_evaluation"
            let mdp = try mdpArgument(a[0], who)
            let gamma = try a[3].toDouble("\(who): gamma")
            guard (0...1).contains(gamma) else { throw HostError("\(who): gamma must be in [0, 1], got \(gamma)", argument: .parameter("gamma")) }
            let ints = try [(7, "unroll_length", 1), (8, "batch", 1), (9, "iterations", 0)].map { i, name, least in
                let n = try a[i].toInt("\(who): \(name)")
                guard n >= least else { throw HostError("\(who): \(name) must be >= \(least), got \(n)", argument: .parameter(name)) }
                return n
            }
            let step = try a[10].toDouble("\(who): step_size")
            guard step > 0 && step <= 1 else { throw HostError("\(who): step_size must be in (0, 1], got \(step)", argument: .parameter("step_size")) }
            return .array(try vtraceEvaluation(
                mdp, behaviour: policyRows(a[1], "\(who): behaviour"), target: policyRows(a[2], "\(who): target"), gamma: gamma,
                rhoBar: truncation(a[4], who, "rho_bar"), cBar: truncation(a[5], who, "c_bar"), corrected: a[6].toBool("\(who): corrected"),
                unrollLength: ints[0], batch: ints[1], iterations: ints[2], stepSize: step,
                seed: UInt64(truncatingIfNeeded: try a[11].toInt("\(who): seed"))).map { .float($0) })
        }
        def("vtrace", ["rewards", "values", "bootstrap", "log_rhos", NativeParameter("gamma", default: .float(0.99)),
                       NativeParameter("rho_bar", default: .float(1)), NativeParameter("c_bar", default: .float(1))],
            doc: "vtrace(rewards, values, bootstrap, log_rhos, gamma: 0.99, rho_bar: 1, c_bar: 1): V-trace over one unroll of T steps — (vs: v_s, advantages: ρ_s (r_s + γ v_{s+1} − V(x_s)), rhos: ρ_s), each a list of T; log_rhos = log π(a_s|x_s) − log μ(a_s|x_s); gamma a number or a list of T discounts (0 where an episode ends); rho_bar / c_bar nil: no truncation.") { a, _ in
            let who = "vtrace"
            let rewards = try numberList(a[0], "\(who): rewards"), values = try numberList(a[1], "\(who): values")
            let logRhos = try numberList(a[3], "\(who): log_rhos")
            let bootstrap = try a[2].toDouble("\(who): bootstrap")
            let t = rewards.count
            guard values.count == t, logRhos.count == t else {
                throw HostError("\(who): rewards, values and log_rhos need one number per step, got \(t), \(values.count) and \(logRhos.count)")
            }
            let discounts: [Double]
            switch a[4] {
            case .int, .float: discounts = [Double](repeating: try a[4].toDouble("\(who): gamma"), count: t)
            default: discounts = try numberList(a[4], "\(who): gamma")
            }
            guard discounts.count == t, discounts.allSatisfy({ (0...1).contains($0) }) else {
                throw HostError("\(who): gamma must be a number in [0, 1] or a list of \(t) of them", argument: .parameter("gamma"))
            }
            let e = Algorithms.vtrace(logRatios: logRhos.map(Float.init), discounts: discounts.map(Float.init), rewards: rewards.map(Float.init),
                                      values: values.map(Float.init), bootstrapValues: [Float(bootstrap)], steps: t, environments: 1,
                                      rhoBar: try truncation(a[5], who, "rho_bar"), cBar: try truncation(a[6], who, "c_bar"))
            func list(_ x: [Float]) -> Value { .array(x.map { .float(Double($0)) }) }
            return .makeRecord([("vs", list(e.vs)), ("advantages", list(e.advantages)), ("rhos", list(e.rhos))])
        }
    }
}
