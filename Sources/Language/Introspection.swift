// Introspection for interactive front ends (the REPL's completion, `:vars` and echo): what
// names exist, what members a value has, what parameters a function takes. Read-only; none
// of it runs script code except `echo`, which calls a class's `description()` like `print`.

extension GlobalEnvironment {
    /// Globals declared by scripts or REPL inputs (not defined by the host), in declaration
    /// order, whether or not they have been assigned yet.
    public var scriptDefinedNames: [String] {
        names.indices.filter { declarations[$0] != nil }.map { names[$0] }
    }

    /// Whether a global was defined by the host (a built-in or runtime binding).
    public func isHostDefined(_ name: String) -> Bool {
        guard let i = index[name] else { return false }
        return declarations[i] == nil
    }
}

extension BoundMethod {
    /// The parameter names of the method (without `self`).
    public var parameterNames: [String] { method.parameterNames }
}

extension Interpreter {
    /// The members a value offers after a `.`: fields and methods of script objects, record
    /// fields, the methods of lists, strings and dictionaries, and a host object's
    /// `memberNames`. Sorted for display, fields of script classes first.
    public func memberNames(of value: Value) -> [String] {
        switch value {
        case .instance(let o): return o.cls.fieldNames + o.cls.methods.keys.filter { $0 != "init" }.sorted()
        case .record(let r): return r.names
        case .host(let h): return h.memberNames
        default: return Builtins.methodNames(value)
        }
    }

    /// The parameter names a callable value accepts by keyword, or nil if it takes raw
    /// arguments (a variadic built-in such as `print`, or a callable host object).
    public func parameterNames(of value: Value) -> [String]? {
        switch value {
        case .function(let c): return c.parameterNames
        case .boundMethod(let m): return m.parameterNames
        case .native(let f): return f.parameters?.map(\.name)
        case .classType(let cls): return cls.methods["init"]?.parameterNames ?? cls.fieldNames
        default: return nil
        }
    }

    /// The signature of a callable, `name(a, b = 1)`, for help; nil for other values.
    public func signature(of value: Value) -> String? {
        switch value {
        case .function(let c): return signature(c.proto)
        case .boundMethod(let m): return signature(m.method.proto)
        case .native(let f): return f.signature
        case .classType(let cls):
            if let i = cls.methods["init"] { return cls.name + String(signature(i.proto).drop { $0 != "(" }) }
            return "\(cls.name)(\(cls.fieldNames.joined(separator: ", ")))"
        default: return nil
        }
    }

    /// How a REPL shows the value of a bare expression: like `repr` (strings quoted), but a
    /// script object with a `description()` method is shown by it, as `print` does.
    public func echo(_ value: Value) throws(RuntimeError) -> String {
        if case .instance = value { return try describeCalling(value, span: nativeCallSpan ?? Interpreter.hostSpan) }
        return describe(value, quoted: true)
    }
}
