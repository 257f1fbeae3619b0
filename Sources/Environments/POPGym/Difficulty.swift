import Configuration

/// POPGym's three levels of each memory task (Morad et al., "POPGym: Benchmarking
/// Partially Observable Reinforcement Learning", ICLR 2023). Each task documents what a
/// level sets, with POPGym's values.
public enum Difficulty: String, Sendable, CaseIterable, FieldChoice {
    case easy, medium, hard

    /// The level a task gets when none is named.
    public static let standard = Difficulty.easy
}

/// A POPGym task's one argument, as `Registry` declares it.
public struct DifficultyLevel: Sendable {
    public var difficulty = Difficulty.standard
}
