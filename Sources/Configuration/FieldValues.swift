/// The values of a factory's fields, checked, with defaults filled in: what an initialiser
/// that takes arguments (an environment, a layer) is called with.
///
///     Factory<TMaze>(fields: TMaze.fields, prototype: { try TMaze() }) { v in
///         try TMaze(length: v[\.length], variant: v[\.variant], stepCost: v[\.stepCost])
///     }
///
/// The defaults are read from the prototype, which the type's own initialiser builds with
/// its own defaults; so each default is written once, in that initialiser.
public struct FieldValues<Root> {
    public let fields: [ConfigField<Root>]
    /// One per field, in order.
    public private(set) var values: [FieldValue]
    /// Whether each field was given (rather than defaulted).
    public private(set) var given: [Bool]

    /// The fields' defaults (`.none` for required fields) before anything is given.
    public init(fields: [ConfigField<Root>], defaults: [FieldValue]) {
        self.fields = fields
        self.values = defaults
        self.given = Array(repeating: false, count: fields.count)
    }

    /// Sets the field called `name`, checking the value.
    public mutating func set(_ name: String, _ value: FieldValue) throws(FieldError) {
        guard let i = fields.firstIndex(where: { $0.name == name }) else { throw FieldError.unknown(name, among: fields.map(\.name)) }
        values[i] = try fields[i].check(value)
        given[i] = true
    }

    /// Throws for the first required field not given.
    public func checkRequired() throws(FieldError) {
        for (i, f) in fields.enumerated() where f.isRequired && !given[i] {
            throw FieldError(field: f.name, problem: .missing, message: "missing argument '\(f.name)'")
        }
    }

    /// The value of the field that reaches `keyPath`, as its Swift type.
    public subscript<V: FieldConvertible>(_ keyPath: KeyPath<Root, V>) -> V {
        let key = FieldKey(keyPath)
        guard let i = fields.firstIndex(where: { $0.keyPath == key }) else {
            preconditionFailure("no field reaches \(keyPath)")
        }
        guard let v = V(fieldValue: values[i]) else { preconditionFailure("field \(fields[i].name) holds \(values[i])") }
        return v
    }
}

/// How to build a `Product` from named values: the fields, a prototype that supplies their
/// defaults, and the initialiser call.
public struct Factory<Root, Product>: Sendable {
    public let fields: [ConfigField<Root>]
    /// The defaults, read once from the prototype (`.none` for required fields).
    public let defaults: [FieldValue]
    let make: @Sendable (FieldValues<Root>) throws -> Product

    public init(fields: [ConfigField<Root>], prototype: () throws -> Root,
                make: @escaping @Sendable (FieldValues<Root>) throws -> Product) {
        self.fields = fields
        let p = try? prototype()
        defaults = fields.map { f in f.isRequired ? .none : (p.map { f.value(in: $0) } ?? .none) }
        self.make = make
    }

    /// Empty values, to be set and then passed to `build`.
    public func values() -> FieldValues<Root> { FieldValues(fields: fields, defaults: defaults) }

    /// The product of `values` (required fields checked first).
    public func build(_ values: FieldValues<Root>) throws -> Product {
        try values.checkRequired()
        return try make(values)
    }

    /// The product from values by name.
    public func build(_ named: [(name: String, value: FieldValue)]) throws -> Product {
        var v = values()
        for (name, value) in named { try v.set(name, value) }
        return try build(v)
    }
}
