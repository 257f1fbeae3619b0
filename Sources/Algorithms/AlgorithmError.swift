import Environments
import TensorCore

/// The error an algorithm throws for a bad configuration, or for a network and an
/// environment that do not fit together. The message names both sides.
public struct AlgorithmError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The algorithm or component that refused ("DQN", "SequenceReplayBuffer", …).
    public let component: String
    /// What was wrong, and what was expected.
    public let message: String

    public init(_ component: String, _ message: String) {
        self.component = component
        self.message = message
    }

    public var description: String { "\(component): \(message)" }
}

/// Throws `AlgorithmError(component, message)` unless `condition` holds.
@inline(__always)
func require(_ condition: Bool, _ component: String, _ message: @autoclosure () -> String) throws(AlgorithmError) {
    if !condition { throw AlgorithmError(component, message()) }
}

extension AlgorithmError {
    /// The error for an environment whose actions are not a `Discrete` space (a script's
    /// environment with a continuous `Box` of actions, say): value-based agents pick one
    /// of finitely many actions. The language runtime throws it when it adapts such an
    /// environment for DQN or DRQN.
    public static func unsupportedActionSpace(algorithm: String, environment: String, actionSpace: String) -> AlgorithmError {
        AlgorithmError(algorithm, "needs a discrete action space (one Q-value per action), but \(environment) has actions in \(actionSpace)")
    }
}
