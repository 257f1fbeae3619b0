/// An environment with a hidden-state oracle: the policy that cheats by reading `state`.
///
/// The oracle's return is what memory could at best buy: the lessons compare a memoryless
/// policy, a recurrent agent and the oracle, and the tests check that each oracle earns the
/// return its environment documents (the T-maze oracle +1 minus step costs, RepeatFirst's
/// oracle 1, and so on).
public protocol HiddenStateOracle: Environment {
    /// The action an agent that could see the hidden state would take now.
    func oracleAction() -> Int
}

// MARK: - Wrappers pass the oracle through

extension TimeLimit: HiddenStateOracle where Inner: HiddenStateOracle {
    public func oracleAction() -> Int { inner.oracleAction() }
}

extension FrameStack: HiddenStateOracle where Inner: HiddenStateOracle {
    public func oracleAction() -> Int { inner.oracleAction() }
}

extension Flicker: HiddenStateOracle where Inner: HiddenStateOracle {
    public func oracleAction() -> Int { inner.oracleAction() }
}

extension MaskObservation: HiddenStateOracle where Inner: HiddenStateOracle {
    public func oracleAction() -> Int { inner.oracleAction() }
}

extension PreviousActionReward: HiddenStateOracle where Inner: HiddenStateOracle {
    public func oracleAction() -> Int { inner.oracleAction() }
}

extension RecordEpisodeStatistics: HiddenStateOracle where Inner: HiddenStateOracle {
    public func oracleAction() -> Int { inner.oracleAction() }
}

extension NormalizeObservation: HiddenStateOracle where Inner: HiddenStateOracle {
    public func oracleAction() -> Int { inner.oracleAction() }
}

extension AnyEnvironment {
    /// The wrapped environment's oracle action, or nil when it has no oracle.
    public func oracleAction() -> Int? {
        (base as? any HiddenStateOracle)?.oracleAction()
    }
}
