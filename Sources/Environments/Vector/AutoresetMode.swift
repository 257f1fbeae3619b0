/// When a vector environment resets a copy whose episode ended (Gymnasium's
/// `AutoresetMode`; see https://farama.org/Vector-Autoreset-Mode).
public enum AutoresetMode: String, Sendable, CaseIterable {
    /// Gymnasium 1.x's default. The step that ends an episode returns its final
    /// observation; the copy's next step ignores its action, resets, and returns the first
    /// observation with reward 0 and both flags false.
    case nextStep
    /// Gymnasium 0.x's behaviour. The step that ends an episode resets the copy at once and
    /// returns the new episode's first observation, with the final observation kept in
    /// `finalObservations` and the final step's info under `info["final_info"]`.
    case sameStep
}
