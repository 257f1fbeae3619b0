// MARK: - Algorithms
//
// The algorithms of the lecture, each readable top to bottom like CleanRL, on a small
// platform (docs/ALGORITHMS.md):
//
//  Training/    the learner kinds (`OffPolicyLearner`, `OnPolicyLearner`, `OfflineLearner`)
//               with one driver each, `TrainingOptions`, the `Run` with CleanRL's metric
//               keys (`Metric`), evaluation, `RolloutCollector` (the on-policy collect phase)
//  Buffers/     `TransitionReplayBuffer` (DQN), `SequenceReplayBuffer` (DRQN: whole
//               episodes, windows with burn-in and stored states), `RolloutBuffer` (T × N
//               steps with episode starts and states at chunk starts), `UnrollQueue`
//  Estimators/  discounted returns and returns-to-go, GAE(γ, λ), V-trace, advantage
//               normalisation — each tested against a hand computation
//  Networks/    the Q-network interfaces and `TargetNetwork` (θ⁻)
//  DQN.swift    Mnih et al. (2015) with Double DQN (van Hasselt et al. 2016), Huber loss
//  DRQN.swift   Hausknecht & Stone (2015) with R2D2's replay strategies (Kapturowski et
//               al. 2019): zero start, burn-in, stored state, both; and ΔQ
//  IMPALA.swift Espeholt et al. (2018): actors with lagging policies, V-trace
//  RL2.swift    Duan et al. (2016): recurrent PPO on `RL2Trial`s, and the frozen policy's
//               in-context adaptation on bandits
//  DPT.swift    Lee et al. (2023): a GRU trained by cross-entropy to name a bandit's best arm
//  Baselines/   exact Tiger baselines: the Bayes filter, finite-horizon value iteration
//               over beliefs, and the best memoryless policy; the bandit baselines of
//               RL²'s Table 1 (`BanditStrategy`: Bayes-optimal DP over posterior counts,
//               finite-horizon Gittins, UCB1, Thompson sampling, ε-greedy / greedy,
//               random) and the exact posterior probability of the best arm
//  Datasets/    `TrajectoryDataset` (offline data: steps back to back with timesteps and
//               returns-to-go, collected from any policy, %BC's filterTop, safetensors files)
//  Losses/      IQL's expectile loss and advantage weights (reused by ILQL)
//  BehaviourCloning.swift     BC on a context window and %BC (Chen et al. 2021)
//  DecisionTransformer.swift  Chen et al. (2021): return-conditioned sequence modelling
//  IQL.swift    Kostrikov et al. (2021), discrete actions
//
// Everything is deterministic given the seeds; bad combinations of agent, network and
// environment throw an `AlgorithmError` naming both sides.
//
// From Swift:
//
//     let maze = try TMaze(length: 10)
//     var rng = RNG(seed: 0)
//     let net = try RecurrentQNetwork(for: maze, hiddenSize: 64, rng: &rng)   // LSTM(4 → 64) → Linear(64 → 3)
//     var config = DRQNConfig()
//     config.sequenceLength = 5
//     config.strategy = .storedStateWithBurnIn(4)                            // R2D2
//     let agent = try DRQN(network: net, environment: maze, config: config)
//     let run = try train(agent, on: maze, steps: 20_000, callbacks: [stopWhenSolved()])
//     print(run.successRate(last: 100)!, run.values("losses/delta_q").last!)
//
// DQN with a window: `try DQN(network: MLP([16, 64, 3], rng: &rng), environment: maze.frameStack(4))`.
