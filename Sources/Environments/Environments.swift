// MARK: - Environments
//
// The environments of Memento (issue 4), following Gymnasium's API and names.
//
//  Core/       the `Environment` protocol, `EnvironmentError`, `Info`, `AnyEnvironment`,
//              `HiddenStateOracle` (the policy that reads the hidden state), and
//              `Registry.make(id, arguments)` (Gymnasium's `make`)
//  Spaces/     `Discrete`, `Box`, `MultiDiscrete`
//  Wrappers/   TimeLimit, FrameStack, Flicker, MaskObservation, PreviousActionReward, RL2Trial,
//              RecordEpisodeStatistics, NormalizeObservation (each also as a method:
//              `env.frameStack(4).flicker(0.5)`)
//  Vector/     `VectorEnvironment`: N copies stepped together, serially or on threads,
//              with next-step (default, as Gymnasium 1.x) or same-step autoreset
//  Classic/    CartPole (+ CartPolePhysics), Tiger, TMaze, KeyToDoor
//  POPGym/     RepeatFirst, RepeatPrevious, CountRecall, Autoencode, StatelessCartPole,
//              NoisyStatelessCartPole, MultiArmedBandit (Easy / Medium / Hard)
//  MetaRL/     BernoulliBandits, RandomTabularMDP
//  Sequences/  the LSTM paper's long-time-lag data sets: AddingProblem, TemporalOrder
//
// Observations are flat `[Float]` vectors whose shape is recorded in the observation
// space, so a learner can wrap them as tensors without converting them; actions are
// `Int`s in a `Discrete` space; rewards are `Double`s, as Python floats. Every
// environment has an allocation-free fast path (`reset(seed:options:into:)`,
// `step(_:into:)`) and the Gymnasium-shaped forms (`reset(seed:)`, `step(_:)`) built on
// it. Environments are value types; copying one copies its state and random stream.
//
// Wrappers report the wrapped environment's `state`: the hidden Markov state of the
// system being controlled, whatever the agent is shown.
import TensorCore
