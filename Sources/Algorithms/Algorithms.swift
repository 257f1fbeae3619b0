// MARK: - Algorithms
//
// The algorithms of the lecture (issue 8), each readable top to bottom like CleanRL.
//
//  Buffers/    `TransitionReplayBuffer` (DQN's uniform ring buffer of (s, a, r, s′, done))
//              and `SequenceReplayBuffer` (whole episodes; fixed-length subsequences with
//              padding masks, burn-in prefixes and the recurrent state stored at every step)
//  Networks/   the Q-network interfaces: any `Layer` mapping [B, obs] → [B, A] for DQN;
//              `RecurrentQFunction` ([B, T, obs] → [B, T, A] with a state) for DRQN, the
//              standard `RecurrentQNetwork` (Linear → LSTM → Linear), adapters for a
//              `Sequential` containing one recurrent layer and for closures (the language
//              runtime), and `TargetNetwork` (a parameter snapshot: Mnih et al.'s θ⁻)
//  Training/   `Agent`, `train(_:on:steps:…)` returning a `Run` with CleanRL's metric keys,
//              evaluation, checkpoints, callbacks, cooperative stopping (`StopSignal`)
//  DQN.swift   Mnih et al. (2015) with Double DQN (van Hasselt et al. 2016), Huber loss
//  DRQN.swift  Hausknecht & Stone (2015) with R2D2's replay strategies (Kapturowski et
//              al. 2019): zero start, burn-in, stored state, both; and ΔQ
//  Datasets/   `TrajectoryDataset` (offline data: steps back to back with timesteps and
//              returns-to-go, collected from any policy, %BC's filterTop, safetensors files)
//  Losses/     IQL's expectile loss and advantage weights (reused by ILQL)
//  BehaviourCloning.swift  BC on a context window and %BC (Chen et al. 2021)
//  DecisionTransformer.swift  Chen et al. (2021): return-conditioned sequence modelling
//  IQL.swift   Kostrikov et al. (2021), discrete actions
//  Baselines/  exact Tiger baselines: the Bayes filter, finite-horizon value iteration
//              over beliefs, and the best memoryless policy
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
