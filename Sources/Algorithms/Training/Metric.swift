/// The metric keys every driver and algorithm logs under: CleanRL's names, so that a run
/// reads like CleanRL's TensorBoard logs. Each is logged only where it means something
/// (`epsilon` only by ε-greedy learners, `approx_kl` and `clipfrac` only by clipped policy
/// gradients, `delta_q` only by DRQN).
public enum Metric {
    // Episodes and speed (the drivers).
    /// The undiscounted return of a finished training episode.
    public static let episodicReturn = "charts/episodic_return"
    /// The length in steps of a finished training episode.
    public static let episodicLength = "charts/episodic_length"
    /// Environment steps per second since the last log (updates per second offline).
    public static let stepsPerSecond = "charts/SPS"
    /// ε of an ε-greedy learner.
    public static let epsilon = "charts/epsilon"
    /// The learning rate in force (schedules).
    public static let learningRate = "charts/learning_rate"
    /// The mean return of a greedy evaluation.
    public static let evaluationReturn = "eval/episodic_return"

    // Value learning.
    /// The TD loss of Q-learning.
    public static let tdLoss = "losses/td_loss"
    /// The mean Q(s, a) of the batch.
    public static let qValues = "losses/q_values"
    /// R2D2's Q-value discrepancy at the last training step of a replayed window.
    public static let deltaQ = "losses/delta_q"
    /// R2D2's Q-value discrepancy at the first training step of a replayed window.
    public static let deltaQFirst = "losses/delta_q_first"

    // Policy gradients.
    /// The policy (surrogate) loss.
    public static let policyLoss = "losses/policy_loss"
    /// The value-function loss.
    public static let valueLoss = "losses/value_loss"
    /// The policy's mean entropy.
    public static let entropy = "losses/entropy"
    /// The estimate of KL(π_old ‖ π) over the batch ((r − 1) − log r, Schulman's k3).
    public static let approxKL = "losses/approx_kl"
    /// The fraction of samples whose probability ratio was clipped.
    public static let clipFraction = "losses/clipfrac"
    /// The fraction of importance weights π/μ that V-trace truncated at ρ̄.
    public static let rhoClipFraction = "losses/rho_clipfrac"
    /// How many learner updates behind the learner an actor's policy was (IMPALA).
    public static let policyLag = "charts/policy_lag"
    /// The fraction of the returns' variance the value function explains.
    public static let explainedVariance = "losses/explained_variance"

    // Offline and supervised learning.
    /// A supervised (behaviour-cloning, return-conditioned) action loss.
    public static let actionLoss = "losses/action_loss"
    /// The Q-function's regression loss of an offline learner (IQL's L_Q); its V loss is
    /// `valueLoss`, its advantage-weighted policy loss `policyLoss`.
    public static let qLoss = "losses/q_loss"
}
