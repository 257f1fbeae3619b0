/// A configuration struct whose fields are declared once (`static let fields`) and whose
/// defaults are its own initialiser's. Front ends build one from values by name.
public protocol Configurable: Sendable {
    /// The defaults.
    init()
    /// Every field users may set, in the order they are listed and passed by position.
    static var fields: [ConfigField<Self>] { get }
}

extension Configurable {
    /// The field called `name`, if any.
    public static func field(named name: String) -> ConfigField<Self>? { fields.first { $0.name == name } }

    /// The default of every field, read from `Self()`.
    public static var defaults: [FieldValue] {
        let d = Self()
        return fields.map { $0.value(in: d) }
    }

    /// The defaults with `values` written over them, by field name. Throws for an unknown
    /// name (with a close name when there is one) and for a value the field refuses.
    public init(_ values: [(name: String, value: FieldValue)]) throws(FieldError) {
        try self.init(values, over: Self())
    }

    /// `prototype` with `values` written over it: a configuration whose defaults are another
    /// preset's (A2C's settings of `PPOConfig`).
    public init(_ values: [(name: String, value: FieldValue)], over prototype: Self) throws(FieldError) {
        self = prototype
        let fields = Self.fields
        for (name, value) in values {
            guard let f = fields.first(where: { $0.name == name }) else { throw FieldError.unknown(name, among: fields.map(\.name)) }
            try f.set(value, in: &self)
        }
    }
}

extension FieldError {
    /// The error for a name no field has, with the closest name as a suggestion.
    public static func unknown(_ name: String, among names: [String]) -> FieldError {
        let near = closestName(to: name, among: names)
        return FieldError(field: name, problem: .unknownField,
                          message: "there is no parameter named '\(name)'" + (near.map { "; did you mean '\($0)'?" } ?? ""),
                          suggestion: near)
    }
}

/// The name within a small edit distance of `name` (a transposition counts as one edit).
public func closestName(to name: String, among names: [String]) -> String? {
    var best: (String, Int)?
    for c in names {
        let d = editDistance(name.lowercased(), c.lowercased())
        if d <= max(1, name.count / 3), d < (best?.1 ?? .max) { best = (c, d) }
    }
    return best?.0
}

func editDistance(_ a: String, _ b: String) -> Int {
    let x = Array(a), y = Array(b)
    if x.isEmpty { return y.count }
    if y.isEmpty { return x.count }
    var d = [[Int]](repeating: [Int](repeating: 0, count: y.count + 1), count: x.count + 1)
    for i in 0...x.count { d[i][0] = i }
    for j in 0...y.count { d[0][j] = j }
    for i in 1...x.count {
        for j in 1...y.count {
            d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (x[i - 1] == y[j - 1] ? 0 : 1))
            if i > 1, j > 1, x[i - 1] == y[j - 2], x[i - 2] == y[j - 1] { d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1) }
        }
    }
    return d[x.count][y.count]
}
