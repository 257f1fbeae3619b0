/// The space an agent's actions come from, whatever their kind: what a learner needs to
/// build its policy head and to write actions an environment accepts.
///
/// Learners exchange actions with batched environments as flat rows of `width` floats:
/// a discrete action is one float holding its index, a multi-discrete action k indices, a
/// box action its d coordinates, a token sequence its `length` token ids. (Indices below
/// 2²⁴ are exact in a Float.)
public enum ActionSpace: Sendable, Equatable, CustomStringConvertible {
    /// One of n actions (Gymnasium's `Discrete`).
    case discrete(Discrete)
    /// One choice per component (Gymnasium's `MultiDiscrete`).
    case multiDiscrete(MultiDiscrete)
    /// A vector of reals within bounds (Gymnasium's `Box`).
    case box(Box)
    /// A sequence of `length` token ids from a vocabulary of `vocabulary` tokens.
    case tokens(vocabulary: Int, length: Int)

    /// Floats per action in a flat action row.
    public var width: Int {
        switch self {
        case .discrete: return 1
        case .multiDiscrete(let m): return m.nvec.count
        case .box(let b): return b.size
        case .tokens(_, let length): return length
        }
    }

    /// Whether actions are chosen from finitely many (every kind but `box`).
    public var isDiscrete: Bool {
        if case .box = self { return false }
        return true
    }

    public var description: String {
        switch self {
        case .discrete(let d): return d.description
        case .multiDiscrete(let m): return m.description
        case .box(let b): return b.description
        case .tokens(let v, let l): return "Tokens(vocabulary: \(v), length: \(l))"
        }
    }
}
