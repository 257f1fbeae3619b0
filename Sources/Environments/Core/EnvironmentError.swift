/// Everything a user can do wrong with an environment, as a thrown error (never a trap).
///
/// Each case names the environment, the offending value and what was allowed, so that a
/// script's diagnostic can say, for example,
/// `TMaze: action 3 is outside the action space Discrete(3) (allowed: 0, 1 or 2)`.
public enum EnvironmentError: Error, Equatable, Sendable, CustomStringConvertible {
    /// `step` was given an action outside the action space.
    case invalidAction(environment: String, action: Int, allowed: String)
    /// `step` was called before the first `reset`.
    case notReset(environment: String)
    /// `step` was called after the episode ended (terminated or truncated) without a `reset`.
    case episodeFinished(environment: String)
    /// A constructor or option argument was out of its allowed range.
    case invalidArgument(environment: String, argument: String, value: String, allowed: String)
    /// A vector environment's `step` was given the wrong number of actions.
    case actionCount(environment: String, count: Int, expected: Int)
    /// An environment written in a script failed in its own code (the language runtime
    /// reports the script's error itself, with its traceback).
    case script(environment: String, message: String)

    public var description: String {
        switch self {
        case let .invalidAction(env, action, allowed):
            return "\(env): action \(action) is outside the action space (allowed: \(allowed))"
        case let .notReset(env):
            return "\(env): step() called before reset(); call reset() to start an episode"
        case let .episodeFinished(env):
            return "\(env): step() called after the episode ended (terminated or truncated); "
                + "call reset() to start a new episode"
        case let .invalidArgument(env, argument, value, allowed):
            return "\(env): invalid argument \(argument) = \(value) (allowed: \(allowed))"
        case let .actionCount(env, count, expected):
            return "\(env): got \(count) actions for \(expected) environments (allowed: exactly \(expected))"
        case let .script(env, message):
            return "\(env): \(message)"
        }
    }
}

// MARK: - Argument checks used by constructors

extension EnvironmentError {
    /// Throws `invalidArgument` unless `value >= minimum`.
    static func require(
        _ value: Int, atLeast minimum: Int, _ argument: String, in environment: String
    ) throws(EnvironmentError) {
        if value < minimum {
            throw .invalidArgument(
                environment: environment, argument: argument, value: "\(value)",
                allowed: "an integer >= \(minimum)")
        }
    }

    /// Throws `invalidArgument` unless `value` is a probability in [0, 1].
    static func requireProbability(
        _ value: Double, _ argument: String, in environment: String
    ) throws(EnvironmentError) {
        if !(value >= 0 && value <= 1) {
            throw .invalidArgument(
                environment: environment, argument: argument, value: "\(value)",
                allowed: "a probability in [0, 1]")
        }
    }

    /// Throws `invalidArgument` unless `value` is finite.
    static func requireFinite(
        _ value: Double, _ argument: String, in environment: String
    ) throws(EnvironmentError) {
        if !value.isFinite {
            throw .invalidArgument(
                environment: environment, argument: argument, value: "\(value)",
                allowed: "a finite number")
        }
    }
}
