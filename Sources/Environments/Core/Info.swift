/// One value in an `Info` dictionary.
public indirect enum InfoValue: Sendable, Equatable, CustomStringConvertible {
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case floats([Float])
    case info(Info)

    /// The value as a `Double` when it is a number or a boolean.
    public var double: Double? {
        switch self {
        case .bool(let b): return b ? 1 : 0
        case .int(let i): return Double(i)
        case .double(let d): return d
        default: return nil
        }
    }

    /// The value as an `Int` when it is an integer.
    public var int: Int? {
        if case .int(let i) = self { return i }
        return nil
    }

    /// The nested dictionary, for values such as `info["episode"]`.
    public var info: Info? {
        if case .info(let i) = self { return i }
        return nil
    }

    /// The vector, for values such as a bandit's arm probabilities.
    public var floats: [Float]? {
        if case .floats(let f) = self { return f }
        return nil
    }

    public var description: String {
        switch self {
        case .bool(let b): return "\(b)"
        case .int(let i): return "\(i)"
        case .double(let d): return "\(d)"
        case .string(let s): return "\"\(s)\""
        case .floats(let f): return "\(f)"
        case .info(let i): return i.description
        }
    }
}

/// Gymnasium's `info` dictionary: auxiliary diagnostics that are not part of the
/// observation (episode statistics, a bandit's arm probabilities, ...).
///
/// An empty `Info` is a Swift empty dictionary, which never allocates, so environments
/// that report nothing pay nothing on the fast path.
public struct Info: Sendable, Equatable, ExpressibleByDictionaryLiteral, CustomStringConvertible {
    /// The entries, keyed by Gymnasium's names where one exists (`"episode"`).
    public var values: [String: InfoValue]

    public init() { values = [:] }

    public init(dictionaryLiteral elements: (String, InfoValue)...) {
        values = Dictionary(elements, uniquingKeysWith: { _, last in last })
    }

    public subscript(key: String) -> InfoValue? {
        get { values[key] }
        set { values[key] = newValue }
    }

    public var isEmpty: Bool { values.isEmpty }

    /// Adds every entry of `other`, replacing entries with the same key.
    public mutating func merge(_ other: Info) {
        if other.isEmpty { return }
        values.merge(other.values, uniquingKeysWith: { _, new in new })
    }

    public var description: String {
        if values.isEmpty { return "{}" }
        let body = values.keys.sorted().map { "\"\($0)\": \(values[$0]!)" }.joined(separator: ", ")
        return "{\(body)}"
    }
}

/// Options for `reset(seed:options:)`, as Gymnasium's `options` dictionary (numbers only):
/// for example CartPole's start bounds `["low": -0.1, "high": 0.1]`.
public typealias ResetOptions = [String: Double]
