/// POPGym's three levels of each memory task (Morad et al., "POPGym: Benchmarking
/// Partially Observable Reinforcement Learning", ICLR 2023). Each task documents what a
/// level sets, with POPGym's values.
public enum Difficulty: String, Sendable, CaseIterable {
    case easy, medium, hard
}
