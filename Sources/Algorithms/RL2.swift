import Environments
import Foundation
import NeuralNets
import TensorCore

// RL²: Duan, Schulman, Chen, Bartlett, Sutskever & Abbeel, "RL²: Fast Reinforcement
// Learning via Slow Reinforcement Learning", arXiv 1611.02779 (2016).
//
// A recurrent policy is trained across a distribution of tasks (bandits, MDPs). Each
// trial draws a task and plays a few episodes on it; the policy's input at every step is
// the observation with the previous action, reward and done flag, (sₜ, aₜ₋₁, rₜ₋₁, dₜ₋₁),
// and its hidden state runs on across the episodes of the trial and is reset only between
// trials. Maximising the expected return of a whole trial makes the recurrent network an
// RL algorithm of its own: it explores in the first episodes, and its state — not its
// weights — learns the task ("fast" RL, inside the "slow" RL of training).
//
// Here RL² is built from parts that exist already: the trial is an environment
// (`RL2Trial`, one outer episode = one trial, with the input above), and the outer RL
// algorithm is recurrent PPO (PPO.swift) in place of the paper's TRPO. PPO zeroes the
// recurrent state where its episodes start, which are exactly the trial starts, so the
// state is kept across the inner episodes and reset between trials with no new
// machinery. The defaults are for bandit trials: a GRU policy as in the paper, γ = 0.99,
// a low GAE λ = 0.3 (trials are short and the rewards noisy, so the advantages lean on
// the critic), and PPO's usual values elsewhere.
//
// `RL2.adaptation` measures the "fast" learning with the weights frozen: on bandits drawn
// from the prior, the probability the policy gives the best arm at each pull of the trial.

/// RL² on recurrent PPO.
public enum RL2 {
    /// PPO's configuration for RL² on bandits: 32 trials at a time, rollouts of one trial of
    /// `pulls` steps, γ = 0.99 and λ = 0.3, Adam at 3·10⁻³ decaying.
    public static func config(pulls: Int = 10) -> PPOConfig {
        var c = PPOConfig()
        c.environmentCount = 32
        c.rolloutLength = pulls
        c.minibatches = 2
        c.epochs = 4
        c.learningRate = 3e-3
        c.gamma = 0.99
        c.lambda = 0.3
        c.entropyCoefficient = 0.01
        return c
    }

    /// A recurrent PPO agent for trials of `environment`. Throws when the network is not
    /// recurrent (a feed-forward policy cannot carry anything across the trial) or does not
    /// fit the trial's input and actions.
    public static func agent<Inner: Environment>(network: Module, critic: Module? = nil, environment: RL2Trial<Inner>,
                                                 config: PPOConfig = RL2.config()) throws -> PPO {
        let agent = try PPO(network: network, critic: critic, environment: environment, config: config)
        try require(agent.isRecurrent, "RL2", "the policy must be recurrent (hold an LSTM, GRU or RNN) to carry what it learns across a trial, but \(agent.actorCritic.summary) is feed-forward")
        return agent
    }

    /// What a frozen RL² policy does on bandits drawn from the prior.
    public struct Adaptation: Sendable {
        /// The mean total reward of a trial, its standard error, and for each pull the share of
        /// trials that pulled the best arm (as `evaluateBandit` reports for the baselines).
        public let evaluation: BanditEvaluation
        /// For each pull t = 1 … n, the mean over trials of π(best arm | history up to t).
        public let bestArmProbability: [Double]
    }

    /// Plays a trained RL² `agent` (weights frozen, actions sampled) on `trials` Bernoulli
    /// bandits of `arms` arms for `pulls` pulls, drawn with the same seed and luck as
    /// `evaluateBandit` draws them for the baselines, all trials in one batch.
    public static func adaptation(_ agent: PPO, arms: Int, pulls: Int, trials: Int, seed: UInt64 = 0) throws -> Adaptation {
        try BanditArguments.check(arms: arms, pulls: pulls, "RL2.adaptation")
        try require(trials >= 1, "RL2", "trials must be >= 1, got \(trials)")
        let trial = try RL2Trial(BernoulliBandits(arms: arms, pulls: pulls))
        let size = trial.observationSize
        try require(agent.observationSize == size && agent.policySize == arms && !agent.isContinuous, "RL2",
                    "the agent was built for observations of size \(agent.observationSize) and \(agent.policySize) actions, but RL2Trial(BernoulliBandits(arms: \(arms))) has observations of size \(size) and \(arms) actions")
        var world = RNG(seed: seed)
        var choices = RNG(seed: seed &+ 0x5EED)
        let bandits = (0..<trials).map { _ in SampledBandit(arms: arms, pulls: pulls, rng: &world) }
        var counts = [BanditCounts](repeating: BanditCounts(arms: arms), count: trials)
        var input = [Float](repeating: 0, count: trials * size)
        for b in 0..<trials { input[b * size] = 1 }                           // the bandit's constant observation
        var state = try agent.actorCritic.initialState(batch: trials)
        var returns = [Double](repeating: 0, count: trials)
        var pulledBest = [Double](repeating: 0, count: pulls), probabilityBest = [Double](repeating: 0, count: pulls)
        for t in 0..<pulls {
            let (probabilities, next) = try noGrad { () throws -> ([Float], [RecurrentState]) in
                let out = try agent.actorCritic.forward(Tensor(input, shape: [trials, 1, size]), state: state, resets: nil)
                return (try out.policy.reshape([trials, arms]).softmax(axis: 1).scalars, out.state)
            }
            state = next
            for b in 0..<trials {
                let pi = probabilities[b * arms ..< (b + 1) * arms]
                let arm = choices.categorical(weights: pi)
                let best = bandits[b].bestArm
                probabilityBest[t] += Double(pi[pi.startIndex + best])
                if bandits[b].probabilities[arm] == bandits[b].probabilities[best] { pulledBest[t] += 1 }
                let paid = bandits[b].pays(arm: arm, pull: counts[b].pulls(arm))
                if paid { returns[b] += 1 }
                counts[b] = counts[b].updated(arm: arm, paid: paid)
                input.withUnsafeMutableBufferPointer { buffer in
                    RL2Trial<BernoulliBandits>.writeHistory(action: arm, reward: paid ? 1 : 0, done: false, actions: arms,
                                                            into: UnsafeMutableBufferPointer(rebasing: buffer[(b * size + 1) ..< ((b + 1) * size)]))
                }
            }
        }
        let n = Double(trials)
        let mean = returns.reduce(0, +) / n
        let variance = returns.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / n
        let evaluation = BanditEvaluation(name: "RL²", meanReturn: mean, standardError: (variance / n).squareRoot(),
                                          bestArmRate: pulledBest.map { $0 / n })
        return Adaptation(evaluation: evaluation, bestArmProbability: probabilityBest.map { $0 / n })
    }
}
