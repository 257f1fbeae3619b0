import Foundation

/// The coefficient β of the KL penalty: fixed, or Ziegler et al.'s (2019) adaptive
/// controller, a proportional controller on log β that steers the measured KL towards a
/// target:
///
///   e = clip(KL / KL_target − 1, −0.2, 0.2),   β ← β (1 + K_β · e · n / horizon),
///
/// with n the samples of the iteration (the paper uses K_β = 0.1 and a horizon of 10 000
/// episodes; the constant is folded into the horizon here).
public struct KLController: Sendable, Equatable {
    /// The current β.
    public private(set) var beta: Double
    /// The KL target (nats per sample); nil for a fixed β.
    public let target: Double?
    /// The horizon (samples) over which β can move by a factor of about e^±0.2.
    public let horizon: Double

    /// A fixed β > 0.
    public static func fixed(_ beta: Double) throws -> KLController { try KLController(beta: beta, target: nil, horizon: 1) }

    /// Throws for β ≤ 0, a target ≤ 0 or a horizon ≤ 0, naming the value.
    public init(beta: Double, target: Double?, horizon: Double) throws {
        guard beta > 0, beta.isFinite else { throw RLHFError("KL controller: β must be a finite number > 0, got \(beta)") }
        if let target, !(target > 0 && target.isFinite) {
            throw RLHFError("KL controller: the KL target must be a finite number > 0, got \(target)")
        }
        guard horizon > 0, horizon.isFinite else { throw RLHFError("KL controller: the horizon must be > 0, got \(horizon)") }
        self.beta = beta
        self.target = target
        self.horizon = horizon
    }

    /// Feeds the KL measured over `samples` samples; a fixed controller ignores it.
    public mutating func update(kl: Double, samples: Int) {
        guard let target else { return }
        let e = min(max(kl / target - 1, -0.2), 0.2)
        beta *= 1 + e * Double(samples) / horizon
    }
}

/// Per-token estimators of KL(π ‖ π_ref) from tokens sampled by π (Schulman 2020, "Approximating
/// KL divergence"), with log r = log π_ref(x) − log π(x):
/// - k1 = −log r: unbiased, but negative whenever a sampled token is likelier under π_ref;
/// - k3 = (r − 1) − log r: unbiased too (E_π[r] = 1) and never negative, since e^u − 1 ≥ u.
/// The penalty in the reward is k1 (its expectation is the KL the objective charges); the
/// KL reported and fed to the controller is k3, so a noisy batch never reads as a negative KL.
public enum KLEstimator {
    public static func k1(logProbability lp: Float, reference ref: Float) -> Float { lp - ref }
    public static func k3(logProbability lp: Float, reference ref: Float) -> Float {
        let logR = ref - lp
        return Foundation.expm1(logR) - logR
    }
}
