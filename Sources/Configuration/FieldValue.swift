// The values a configurable field holds, independent of any language or file format: the
// script runtime converts its values to these, a configuration file or a command line could
// do the same.

/// A field's value: a number, a flag, a string, or none (an optional field left unset).
public enum FieldValue: Sendable, Equatable, CustomStringConvertible {
    case none
    case bool(Bool)
    case int(Int)
    case float(Double)
    case string(String)
    /// A list of integers (layer sizes).
    case ints([Int])

    /// As a script would write it: `nil`, `true`, `10`, `0.99`, `"passive"`.
    public var description: String {
        switch self {
        case .none: return "nil"
        case .bool(let b): return String(b)
        case .int(let i): return String(i)
        case .float(let d): return String(d)
        case .string(let s): return "\"\(s)\""
        case .ints(let l): return "[" + l.map(String.init).joined(separator: ", ") + "]"
        }
    }

    /// The value as a number, if it is one.
    public var number: Double? {
        switch self {
        case .int(let i): return Double(i)
        case .float(let d): return d
        default: return nil
        }
    }
}

/// The kind of value a field takes, for conversion, help text and messages.
public enum FieldKind: Sendable, Equatable, CustomStringConvertible {
    case bool
    case int
    case float
    case string
    /// A list of integers.
    case ints
    /// One of these strings.
    case choice([String])

    /// What a value of this kind is, for "must be …" messages: "an integer", "one of "a", "b"".
    public var description: String {
        switch self {
        case .bool: return "true or false"
        case .int: return "an integer"
        case .float: return "a number"
        case .string: return "a string"
        case .ints: return "a list of integers"
        case .choice(let names): return "one of " + names.map { "\"\($0)\"" }.joined(separator: ", ")
        }
    }

    /// A short type name for help tables: `Int`, `Float`, `Bool`, `String`, `"a" | "b"`.
    public var typeName: String {
        switch self {
        case .bool: return "Bool"
        case .int: return "Int"
        case .float: return "Float"
        case .string: return "String"
        case .ints: return "[Int]"
        case .choice(let names): return names.map { "\"\($0)\"" }.joined(separator: " | ")
        }
    }
}

// MARK: - Swift types that fields may have

/// A Swift type a configurable field may have: it names its kind and converts to and from
/// `FieldValue`. `init(fieldValue:)` returns nil for a value of the wrong kind.
public protocol FieldConvertible: Sendable {
    static var fieldKind: FieldKind { get }
    /// Whether `FieldValue.none` is a value of the type (optionals).
    static var isOptionalField: Bool { get }
    var fieldValue: FieldValue { get }
    init?(fieldValue: FieldValue)
}

extension FieldConvertible {
    public static var isOptionalField: Bool { false }
}

extension Int: FieldConvertible {
    public static var fieldKind: FieldKind { .int }
    public var fieldValue: FieldValue { .int(self) }
    public init?(fieldValue: FieldValue) {
        switch fieldValue {
        case .int(let i): self = i
        case .float(let d) where d == d.rounded() && abs(d) < 1e15: self = Int(d)
        default: return nil
        }
    }
}

/// Seeds: any integer, its bits taken as they are (a negative seed is a valid seed).
extension UInt64: FieldConvertible {
    public static var fieldKind: FieldKind { .int }
    public var fieldValue: FieldValue { .int(Int(truncatingIfNeeded: self)) }
    public init?(fieldValue: FieldValue) {
        guard let i = Int(fieldValue: fieldValue) else { return nil }
        self = UInt64(truncatingIfNeeded: i)
    }
}

extension Double: FieldConvertible {
    public static var fieldKind: FieldKind { .float }
    public var fieldValue: FieldValue { .float(self) }
    public init?(fieldValue: FieldValue) {
        guard let d = fieldValue.number else { return nil }
        self = d
    }
}

extension Float: FieldConvertible {
    public static var fieldKind: FieldKind { .float }
    /// Through the shortest decimal form, so that `1e-3` shows as 0.001 and not as the
    /// double nearest to the float nearest to 0.001.
    public var fieldValue: FieldValue { .float(Double("\(self)") ?? Double(self)) }
    public init?(fieldValue: FieldValue) {
        guard let d = fieldValue.number else { return nil }
        self = Float(d)
    }
}

extension Bool: FieldConvertible {
    public static var fieldKind: FieldKind { .bool }
    public var fieldValue: FieldValue { .bool(self) }
    public init?(fieldValue: FieldValue) {
        guard case .bool(let b) = fieldValue else { return nil }
        self = b
    }
}

extension String: FieldConvertible {
    public static var fieldKind: FieldKind { .string }
    public var fieldValue: FieldValue { .string(self) }
    public init?(fieldValue: FieldValue) {
        guard case .string(let s) = fieldValue else { return nil }
        self = s
    }
}

extension Array: FieldConvertible where Element == Int {
    public static var fieldKind: FieldKind { .ints }
    public var fieldValue: FieldValue { .ints(self) }
    public init?(fieldValue: FieldValue) {
        guard case .ints(let l) = fieldValue else { return nil }
        self = l
    }
}

extension Optional: FieldConvertible where Wrapped: FieldConvertible {
    public static var fieldKind: FieldKind { Wrapped.fieldKind }
    public static var isOptionalField: Bool { true }
    public var fieldValue: FieldValue { map(\.fieldValue) ?? .none }
    public init?(fieldValue: FieldValue) {
        if fieldValue == .none { self = .none; return }
        guard let w = Wrapped(fieldValue: fieldValue) else { return nil }
        self = .some(w)
    }
}

/// A string enumeration as a field (`variant: "active"`): declare the conformance and the
/// cases' raw values are the choices.
public protocol FieldChoice: FieldConvertible, CaseIterable, RawRepresentable where RawValue == String {}

extension FieldChoice {
    public static var fieldKind: FieldKind { .choice(allCases.map(\.rawValue)) }
    public var fieldValue: FieldValue { .string(rawValue) }
    public init?(fieldValue: FieldValue) {
        guard case .string(let s) = fieldValue, let v = Self(rawValue: s) else { return nil }
        self = v
    }
}
