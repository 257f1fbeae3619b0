/// One configurable field of `Root`, described once and used by every front end: its name as
/// users write it (snake_case), the key path it reaches, a one-line doc with the paper's
/// symbol, its kind, and the values it accepts.
///
///     extension DQNConfig: Configurable {
///         public static let fields: [ConfigField<DQNConfig>] = [
///             ConfigField("gamma", \.gamma, "γ, the discount factor", .unit),
///             …
///         ]
///     }
///
/// The default is never written here: it is read through the key path from a value of
/// `Root` built by its own initialiser (`Configurable.init()`, or a factory's prototype).
public struct ConfigField<Root>: Sendable {
    /// The name users write, snake_case (`batch_size`).
    public let name: String
    /// One line, with the paper's symbol where there is one ("γ, the discount factor").
    public let doc: String
    public let kind: FieldKind
    /// Whether nil is a value (`max_grad_norm: nil` turns clipping off).
    public let isOptional: Bool
    /// The numbers accepted (nil: any of the kind).
    public let bounds: Bounds?
    /// Whether users must give it (a factory's size arguments: `Linear(inputs, outputs)`);
    /// required fields have no default.
    public let isRequired: Bool
    /// The key path the field reaches, to find it from the Swift side (`FieldValues[\.length]`).
    public let keyPath: FieldKey
    let read: @Sendable (Root) -> FieldValue
    let write: (@Sendable (inout Root, FieldValue) -> Void)?

    /// A field written through `keyPath` (a configuration struct's `var`).
    public init<V: FieldConvertible>(_ name: String, _ keyPath: WritableKeyPath<Root, V> & Sendable, _ doc: String,
                                     _ bounds: Bounds? = nil, required: Bool = false) {
        self.init(name, doc: doc, kind: V.fieldKind, isOptional: V.isOptionalField, bounds: bounds, required: required,
                  keyPath: FieldKey(keyPath), read: { $0[keyPath: keyPath].fieldValue },
                  write: { root, value in if let v = V(fieldValue: value) { root[keyPath: keyPath] = v } })
    }

    /// A field read through `keyPath` only: a factory (`FieldValues`) passes its value to an
    /// initialiser, and the default is read from a prototype (`TMaze().length`).
    public init<V: FieldConvertible>(_ name: String, _ keyPath: KeyPath<Root, V> & Sendable, _ doc: String,
                                     _ bounds: Bounds? = nil, required: Bool = false) {
        self.init(name, doc: doc, kind: V.fieldKind, isOptional: V.isOptionalField, bounds: bounds, required: required,
                  keyPath: FieldKey(keyPath), read: { $0[keyPath: keyPath].fieldValue }, write: nil)
    }

    /// A field with its own accessors, for a value that no single key path holds.
    public init(_ name: String, doc: String, kind: FieldKind, isOptional: Bool, bounds: Bounds?, required: Bool = false,
                keyPath: FieldKey, read: @escaping @Sendable (Root) -> FieldValue,
                write: (@Sendable (inout Root, FieldValue) -> Void)?) {
        self.name = name
        self.doc = doc
        self.kind = kind
        self.isOptional = isOptional
        self.bounds = bounds
        self.isRequired = required
        self.keyPath = keyPath
        self.read = read
        self.write = write
    }

    /// The field's value in `root`.
    public func value(in root: Root) -> FieldValue { read(root) }

    /// Checks `value` (kind, choices, bounds) and writes it into `root`.
    public func set(_ value: FieldValue, in root: inout Root) throws(FieldError) {
        let v = try check(value)
        guard let write else { throw FieldError(field: name, problem: .readOnly, message: "\(name) cannot be set") }
        write(&root, v)
    }

    /// `value` if the field accepts it (an integral float becomes an int for an int field),
    /// else an error naming the field, what it accepts and the value received.
    public func check(_ value: FieldValue) throws(FieldError) -> FieldValue {
        if value == .none {
            if isOptional { return .none }
            throw FieldError(field: name, problem: .wrongKind, message: "\(name) must be \(kind), got nil")
        }
        let accepted: FieldValue?
        switch kind {
        case .bool: accepted = Bool(fieldValue: value).map(FieldValue.bool)
        case .int: accepted = Int(fieldValue: value).map(FieldValue.int)
        case .float: accepted = Double(fieldValue: value).map(FieldValue.float)
        case .string: accepted = String(fieldValue: value).map(FieldValue.string)
        case .ints: accepted = [Int](fieldValue: value).map(FieldValue.ints)
        case .choice(let names):
            if case .string(let s) = value, names.contains(s) { accepted = value } else { accepted = nil }
        }
        guard let accepted else {
            throw FieldError(field: name, problem: .wrongKind,
                             message: "\(name) must be \(kind)\(isOptional ? " or nil" : ""), got \(value)")
        }
        if let bounds, let x = accepted.number, !bounds.contains(x) {
            throw FieldError(field: name, problem: .outOfRange, message: "\(name) must be \(bounds), got \(value)")
        }
        if let bounds, case .ints(let l) = accepted, let bad = l.first(where: { !bounds.contains(Double($0)) }) {
            throw FieldError(field: name, problem: .outOfRange, message: "every entry of \(name) must be \(bounds), got \(bad) in \(value)")
        }
        return accepted
    }

    /// What it accepts, for help: "Float in [0, 1]", "Int >= 1, or nil", "\"a\" | \"b\"".
    public var accepts: String {
        var s = kind.typeName
        if let bounds { s += " \(bounds)" }
        if isOptional { s += ", or nil" }
        return s
    }

    /// The same field inside a larger value, reached through `path` (an adapter's fields
    /// are its own plus the wrapped configuration's).
    public func lifted<Outer>(through path: WritableKeyPath<Outer, Root> & Sendable) -> ConfigField<Outer> {
        let read = self.read
        let outerPath: AnyKeyPath = path
        let key = FieldKey(outerPath.appending(path: keyPath.path) ?? outerPath)
        let outerRead: @Sendable (Outer) -> FieldValue = { read($0[keyPath: path]) }
        var outerWrite: (@Sendable (inout Outer, FieldValue) -> Void)?
        if let write = self.write {
            outerWrite = { outer, v in write(&outer[keyPath: path], v) }
        }
        return ConfigField<Outer>(name, doc: doc, kind: kind, isOptional: isOptional, bounds: bounds, required: isRequired,
                                  keyPath: key, read: outerRead, write: outerWrite)
    }
}

/// A value a field refused, or a name no field has. `field` is the snake_case name (or the
/// unknown name), so front ends can point at the argument that caused it.
public struct FieldError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Problem: Sendable, Equatable { case wrongKind, outOfRange, unknownField, missing, readOnly, invalid }
    public let field: String
    public let problem: Problem
    /// The whole sentence: "gamma must be in [0, 1], got -0.5".
    public let message: String
    /// A close name, for unknown fields.
    public var suggestion: String?

    public init(field: String, problem: Problem, message: String, suggestion: String? = nil) {
        self.field = field
        self.problem = problem
        self.message = message
        self.suggestion = suggestion
    }

    public var description: String { message }
}

/// A key path as a field's identity. Key paths are immutable values, so sharing one across
/// threads is safe although `AnyKeyPath` does not say so.
public struct FieldKey: @unchecked Sendable, Hashable {
    public let path: AnyKeyPath
    public init(_ path: AnyKeyPath) { self.path = path }
}

/// A field without its root type, with its default: what help texts, completion and
/// signatures need.
public struct FieldInfo: Sendable, Equatable {
    public let name: String
    public let doc: String
    public let kind: FieldKind
    public let isOptional: Bool
    public let bounds: Bounds?
    public let isRequired: Bool
    /// The default (`.none` for a required field).
    public let defaultValue: FieldValue
    /// What it accepts: "Float in [0, 1]".
    public let accepts: String
}

extension ConfigField {
    /// The field's description with `defaultValue`.
    public func info(default defaultValue: FieldValue) -> FieldInfo {
        FieldInfo(name: name, doc: doc, kind: kind, isOptional: isOptional, bounds: bounds, isRequired: isRequired,
                  defaultValue: isRequired ? .none : defaultValue, accepts: accepts)
    }
}

extension Configurable {
    /// Every field with its default.
    public static var fieldInfos: [FieldInfo] { zip(fields, defaults).map { $0.info(default: $1) } }
    /// Every field with its value in `prototype` as the default.
    public static func fieldInfos(defaults prototype: Self) -> [FieldInfo] { fields.map { $0.info(default: $0.value(in: prototype)) } }
    /// Every field's value in this configuration, by name.
    public var fieldValues: [(name: String, value: FieldValue)] { Self.fields.map { ($0.name, $0.value(in: self)) } }
}

extension Factory {
    /// Every field with its default.
    public var fieldInfos: [FieldInfo] { zip(fields, defaults).map { $0.info(default: $1) } }
    /// Every field's value in `root` (what a built product holds), by name.
    public func fieldValues(of root: Root) -> [(name: String, value: FieldValue)] { fields.map { ($0.name, $0.value(in: root)) } }
}
