// The host interface: how the Runtime target binds engine functions and objects.

// MARK: - Errors

/// An error a host function throws to report a problem to the script's author. It becomes a
/// runtime error at the call's location, with the message and help lines as given; when it
/// names the `argument` at fault, the error points at that argument instead of the whole call.
public struct HostError: Error, CustomStringConvertible {
    public var message: String
    public var help: [String]
    /// The argument the error is about, if it is one argument's fault.
    public var argument: ArgumentReference?
    /// What the call had produced when it was stopped (e.g. the run so far of an interrupted
    /// `train`): `let run = train(…)` binds it before the error goes on, so Ctrl-C keeps it.
    public var partial: PartialResult?
    public init(_ message: String, help: [String] = [], argument: ArgumentReference? = nil, partial: Value? = nil) {
        self.message = message
        self.help = help
        self.argument = argument
        self.partial = partial.map(PartialResult.init)
    }
    public var description: String { message }
}

/// The value an interrupted call had produced, carried by its error.
///
/// `@unchecked Sendable`: errors must be `Sendable`, but the value is only ever read on the
/// interpreter's own thread, by the statement that receives the error.
public final class PartialResult: @unchecked Sendable {
    public let value: Value
    public init(_ value: Value) { self.value = value }
}

/// One argument of a call, as a host error names it.
public enum ArgumentReference: Sendable, Equatable {
    /// The argument bound to a declared parameter, whether given by position or by keyword.
    case parameter(String)
    /// The argument written `name: value`.
    case keyword(String)
    /// The positional argument at this index (0-based).
    case position(Int)
}

// MARK: - Slicing

/// One axis of a subscript, as passed to host objects: `x[2]`, `x[1:3]`, `x[:, 0]`.
public enum SliceIndex {
    /// A single index (usually an int; hosts may accept lists or tensors for gathering).
    case index(Value)
    /// `start:stop:step`, each optional, with Python's meaning (negative counts from the end).
    case slice(start: Int?, stop: Int?, step: Int?)
}

// MARK: - Host objects

/// Base class of objects the host exposes to scripts (tensors, layers, environments, runs).
/// Override what the object supports; the defaults report a clear "does not support" error.
open class HostObject {
    public init() {}

    /// The type name scripts see (`type_of(x)`, error messages).
    open var typeName: String { "Object" }

    /// How `print` and string interpolation show the object.
    open var description: String { "<\(typeName)>" }

    /// Truthiness in `if` and `while`.
    open var isTruthy: Bool { true }

    /// The truth value where a condition needs one (`if`, `while`, `and`, `not`, `expect`):
    /// throw when the object has none — a tensor of several elements is neither true nor
    /// false, as in NumPy and PyTorch. The default is `isTruthy`.
    open func truthValue() throws -> Bool { isTruthy }

    /// The names of readable members (for completion and "did you mean" suggestions).
    open var memberNames: [String] { [] }

    /// Reads a member (`obj.name`); return nil if there is no such member. Methods are returned
    /// as `.native` functions bound to this object.
    open func getMember(_ name: String, interpreter: Interpreter) throws -> Value? { nil }

    /// Writes a member (`obj.name = value`); return false if there is no such writable member.
    open func setMember(_ name: String, _ value: Value, interpreter: Interpreter) throws -> Bool { false }

    /// Calls a method (`obj.name(args)`); return nil to fall back to `getMember` then a call.
    open func callMethod(_ name: String, _ args: Arguments, interpreter: Interpreter) throws -> Value? { nil }

    /// Calls the object itself (`layer(x)`); nil means "not callable".
    open func call(_ args: Arguments, interpreter: Interpreter) throws -> Value? { nil }

    /// A binary operator with `other` (`self op other`, or `other op self` when `reversed`).
    /// Includes `@` (matmul) and `|>` (pipe). Return nil if unsupported.
    open func binary(_ op: BinaryOperator, _ other: Value, reversed: Bool, interpreter: Interpreter) throws -> Value? { nil }

    /// Compound assignment (`x op= other`: `+= -= *= /= %=`) as an update of the object
    /// itself: return true after changing it in place, so every holder of the object
    /// sees the new value (a tensor or parameter updated by `w -= lr * w.grad`); false to
    /// fall back to `x = x op other`.
    open func binaryInPlace(_ op: BinaryOperator, _ other: Value, interpreter: Interpreter) throws -> Bool { false }

    /// Unary minus or `!`; nil if unsupported.
    open func unary(_ op: UnaryOperator, interpreter: Interpreter) throws -> Value? { nil }

    /// Reads `obj[indices]` (one entry per axis); nil if not subscriptable.
    open func getIndex(_ indices: [SliceIndex], interpreter: Interpreter) throws -> Value? { nil }

    /// Writes `obj[indices] = value`; false if not supported.
    open func setIndex(_ indices: [SliceIndex], _ value: Value, interpreter: Interpreter) throws -> Bool { false }

    /// The elements for `for x in obj`; nil if not iterable. Called once per loop.
    open func makeIterator(interpreter: Interpreter) throws -> (() throws -> Value?)? { nil }

    /// `len(obj)`; nil if it has no length.
    open var length: Int? { nil }
}

// MARK: - Native functions

/// A parameter of a native function: a name, other spellings accepted for it, and, if
/// optional, a default.
public struct NativeParameter: Sendable, ExpressibleByStringLiteral {
    public var name: String
    /// The default, shown in signatures; `nil` means the argument is required.
    public var defaultValue: DefaultValue?
    /// Other keywords that mean this parameter, e.g. PyTorch's `dim` for `axis` and
    /// `keepdim` for `keepdims`: students type those first, and they mean the same.
    public var aliases: [String]

    /// Defaults are described by a literal so signatures are `Sendable` and printable.
    public enum DefaultValue: Sendable, CustomStringConvertible {
        case `nil`, bool(Bool), int(Int), float(Double), string(String)
        var value: Value {
            switch self {
            case .nil: return .nil
            case .bool(let b): return .bool(b)
            case .int(let i): return .int(i)
            case .float(let d): return .float(d)
            case .string(let s): return .str(s)
            }
        }
        public var description: String {
            switch self {
            case .nil: return "nil"
            case .bool(let b): return String(b)
            case .int(let i): return String(i)
            case .float(let d): return String(d)
            case .string(let s): return "\"\(s)\""
            }
        }
    }

    public init(_ name: String, default value: DefaultValue? = nil, aliases: [String] = []) {
        self.name = name
        self.defaultValue = value
        self.aliases = aliases
    }

    /// Whether a keyword names this parameter (its name or one of its aliases).
    @inline(__always)
    func accepts(_ label: String) -> Bool { name == label || (!aliases.isEmpty && aliases.contains(label)) }
    public init(stringLiteral name: String) { self.init(name) }
}

/// The arguments of a call to a native function.
public struct Arguments {
    /// Positional arguments, in order.
    public var positional: [Value]
    /// Named arguments, in order.
    public var named: [(name: String, value: Value)]
    /// For functions with a signature: one value per parameter, defaults filled in.
    public var bound: [Value] = []
    /// For variadic functions: positional arguments beyond the declared parameters.
    public var rest: [Value] = []

    public init(_ positional: [Value], named: [(name: String, value: Value)] = []) {
        self.positional = positional
        self.named = named
    }

    /// The bound value of parameter `i` (requires a signature).
    public subscript(_ i: Int) -> Value { i < bound.count ? bound[i] : .nil }

    /// A named argument by name (for functions without a signature).
    public func named(_ name: String) -> Value? { named.first { $0.name == name }?.value }
}

/// A function implemented by the host. With a signature, arguments are matched to parameters
/// (positional first, then by name, then defaults) before `body` runs, and mistakes such as an
/// unknown keyword produce a diagnostic with suggestions.
public final class NativeFunction {
    public let name: String
    /// The parameters, or nil to receive raw arguments.
    public let parameters: [NativeParameter]?
    /// Whether extra positional arguments are accepted (into `Arguments.rest`).
    public let variadic: Bool
    /// One-line help, for `:help`.
    public let doc: String
    /// Further lines for `:help NAME` (a table of the parameters with their defaults and
    /// docs, what the result holds); empty for most functions.
    public var details: [String] = []
    let body: (inout Arguments, Interpreter) throws -> Value
    /// One value per parameter: its default, or nil for a required one. Bound arguments
    /// start from this array, so a call that gives none shares it without allocating.
    private let defaults: [Value]
    /// The index of the last required parameter (-1 if every parameter has a default).
    private let lastRequired: Int

    public init(_ name: String, parameters: [NativeParameter]? = nil, variadic: Bool = false, doc: String = "",
                body: @escaping (inout Arguments, Interpreter) throws -> Value) {
        self.name = name
        self.parameters = parameters
        self.variadic = variadic
        self.doc = doc
        self.body = body
        defaults = parameters?.map { $0.defaultValue?.value ?? .nil } ?? []
        lastRequired = parameters?.lastIndex { $0.defaultValue == nil } ?? -1
    }

    /// `name(a, b: 1)`, for help and error messages.
    public var signature: String {
        guard let parameters else { return "\(name)(…)" }
        var parts = parameters.map { p in p.defaultValue.map { "\(p.name): \($0)" } ?? p.name }
        if variadic { parts.append("…") }
        return "\(name)(\(parts.joined(separator: ", ")))"
    }

    /// Where an error about parameter `name` points: the positional argument bound to it, or
    /// the keyword argument of that name.
    func locate(_ reference: ArgumentReference?, in args: Arguments) -> ArgumentReference? {
        guard case .parameter(let name)? = reference else { return reference }
        if let parameters, let i = parameters.firstIndex(where: { $0.name == name }), i < args.positional.count {
            return .position(i)
        }
        return .keyword(name)
    }

    /// Matches arguments to parameters (a keyword may be a parameter's name or one of its
    /// aliases). Throws a `HostError` describing any mismatch. Host objects that keep their
    /// methods' signatures in a table call this before running the method.
    public func bind(_ args: inout Arguments) throws(HostError) {
        guard let parameters else { return }
        if args.named.isEmpty, args.positional.count <= parameters.count {
            // Only positional arguments, not too many: they bind in order and the rest take
            // their defaults (the common case, without the general matching's work).
            let k = args.positional.count
            if k == parameters.count {
                args.bound = args.positional
                return
            }
            if k <= lastRequired, let p = parameters[k...].first(where: { $0.defaultValue == nil }) {
                throw HostError("missing argument '\(p.name)' in call to \(name)", help: ["the signature is \(signature)"])
            }
            if k == 0 {
                args.bound = defaults
                return
            }
            var out = args.positional
            out.append(contentsOf: defaults[k...])
            args.bound = out
            return
        }
        if args.named.isEmpty, variadic {
            // The declared parameters by position, the rest for `Arguments.rest`.
            if parameters.isEmpty {
                args.rest = args.positional
            } else {
                args.bound = Array(args.positional[..<parameters.count])
                args.rest = Array(args.positional[parameters.count...])
            }
            return
        }
        // Start from the defaults and record which parameters were given (a bit each; a
        // signature longer than 64 parameters tracks the rest in an array).
        var out = defaults
        var given: UInt64 = 0
        var givenBeyond = parameters.count > 64 ? [Bool](repeating: false, count: parameters.count) : []
        func isGiven(_ i: Int) -> Bool { i < 64 ? given & (1 << UInt64(i)) != 0 : givenBeyond[i] }
        func markGiven(_ i: Int) { if i < 64 { given |= 1 << UInt64(i) } else { givenBeyond[i] = true } }
        for (i, v) in args.positional.enumerated() {
            if i < parameters.count {
                out[i] = v
                markGiven(i)
            } else if variadic { args.rest.append(v) } else {
                throw HostError("\(name) takes at most \(parameters.count) argument\(parameters.count == 1 ? "" : "s") but \(args.positional.count) were given",
                                help: ["the signature is \(signature)"], argument: .position(parameters.count))
            }
        }
        for (label, v) in args.named {
            guard let i = parameters.firstIndex(where: { $0.accepts(label) }) else {
                var help = [String]()
                if let hint = didYouMean(label, among: parameters.flatMap { [$0.name] + $0.aliases }) { help.append(hint) }
                help.append("the signature is \(signature)")
                throw HostError("\(name) has no parameter named '\(label)'", help: help, argument: .keyword(label))
            }
            if isGiven(i) {
                let p = parameters[i]
                throw HostError("argument '\(p.name)' of \(name) is given twice" + (label == p.name ? "" : " ('\(label)' is another name for '\(p.name)')"), argument: .keyword(label))
            }
            out[i] = v
            markGiven(i)
        }
        if lastRequired >= 0 {
            for (i, p) in parameters.enumerated() where p.defaultValue == nil && !isGiven(i) {
                throw HostError("missing argument '\(p.name)' in call to \(name)", help: ["the signature is \(signature)"])
            }
        }
        args.bound = out
    }
}

/// A test block, handed to the host's test hook when the script reaches it.
public struct TestCase {
    public let name: String
    /// The `points:` option, if given.
    public let points: Double?
    public let span: SourceSpan
    /// The `hidden:` option (false when not given).
    public var hidden: Bool = false
    /// The `timeout:` option in seconds, if given.
    public var timeout: Double? = nil
    /// Runs the test body. Returns nil on success, or the failure (a failed `expect` or an error).
    public let run: () -> Diagnostic?
}

/// One `expect … , points: k` reached inside a test: handed to `Interpreter.expectHandler`,
/// which the grader uses for partial credit.
public struct ExpectOutcome {
    /// Whether the expectation held.
    public let passed: Bool
    /// The `points:` option.
    public let points: Double
    /// The failure message when it failed (as a plain `expect` would report it), else the
    /// expectation's source text.
    public let message: String
    /// The expectation's condition.
    public let span: SourceSpan
}

/// The result of comparing two values for `expect a == b` (with or without `tolerance:`):
/// whether they are equal and, when not, a short description of the first difference.
public struct ValueComparison {
    public var equal: Bool
    /// E.g. "difference 0.25", "at index [2]: 3 vs 4", "shapes [2, 3] vs [3, 2]"; empty if none.
    public var detail: String
    public init(equal: Bool, detail: String = "") {
        self.equal = equal
        self.detail = detail
    }
}

/// A file loaded for `import`.
public struct LoadedFile {
    /// The path shown in diagnostics and used to import each file once.
    public var path: String
    public var text: String
    public init(path: String, text: String) {
        self.path = path
        self.text = text
    }
}
