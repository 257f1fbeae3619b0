// A2C: the synchronous form of Mnih, Badia, Mirza, Graves, Lillicrap, Harley, Silver &
// Kavukcuoglu, "Asynchronous Methods for Deep Reinforcement Learning", ICML 2016 (A3C),
// as Stable Baselines and OpenAI Baselines run it: N environments step together for T
// steps, then one gradient step on
//
//     L = −Ê_t[Â_t log π_θ(a_t|s_t)] + c₁ Ê_t[(V_θ(s_t) − R_t)²] − c₂ Ê_t[S[π_θ](s_t)]
//
// with n-step returns (GAE with λ = 1) and RMSprop. It is PPO's loop with one epoch of one
// minibatch and no probability ratio, so it shares PPO's learner (PPO.swift): only the
// configuration differs.

extension PPOConfig {
    /// A2C's hyperparameters (Stable Baselines 3's defaults): N = 4, T = 5, one epoch of the
    /// whole rollout, α = 7e-4 with RMSprop (α_RMS = 0.99, ε = 1e-5), γ = 0.99, λ = 1
    /// (n-step returns), c₁ = 0.5, c₂ = 0, gradient norm clipped to 0.5, advantages not
    /// normalised, no learning-rate decay.
    public static func a2c() -> PPOConfig {
        var c = PPOConfig()
        c.environmentCount = 4
        c.rolloutLength = 5
        c.minibatches = 1
        c.batchSize = nil
        c.epochs = 1
        c.learningRate = 7e-4
        c.annealLearningRate = false
        c.gamma = 0.99
        c.lambda = 1
        c.clipRange = nil
        c.valueClipRange = nil
        c.valueCoefficient = 0.5
        c.entropyCoefficient = 0
        c.maxGradNorm = 0.5
        c.normalizeAdvantages = false
        c.optimizer = .rmsprop
        return c
    }
}
