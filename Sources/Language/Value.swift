import Synchronization

// Run-time values. Numbers, booleans and nil are stored inline (unboxed); strings, lists,
// dictionaries, records, functions and objects are references.

/// A value of the language.
public enum Value {
    case `nil`
    case bool(Bool)
    case int(Int)
    case float(Double)
    case string(StringObject)
    case list(ListObject)
    case dict(DictObject)
    /// `(x: 1, y: 2)`: named fields in a fixed order.
    case record(RecordObject)
    case range(RangeObject)
    /// A function or closure defined in a script.
    case function(Closure)
    /// A function provided by the host (or a built-in).
    case native(NativeFunction)
    /// A script method bound to its receiver (`obj.step` without a call).
    case boundMethod(BoundMethod)
    /// A class defined in a script; calling it constructs an instance.
    case classType(ClassObject)
    /// An instance of a script class.
    case instance(Instance)
    /// An object provided by the host (tensor, layer, environment, …).
    case host(HostObject)

    // MARK: Convenience constructors

    /// A string value.
    public static func str(_ s: String) -> Value { .string(StringObject(s)) }
    /// A list value.
    public static func array(_ items: [Value]) -> Value { .list(ListObject(items)) }
    /// A record value from names and values in order.
    public static func makeRecord(_ fields: [(String, Value)]) -> Value {
        .record(RecordObject(names: fields.map(\.0), values: fields.map(\.1)))
    }

    // MARK: Inspection

    /// The name of the value's type, as scripts see it (`type_of(x)`).
    public var typeName: String {
        switch self {
        case .nil: return "nil"
        case .bool: return "Bool"
        case .int: return "Int"
        case .float: return "Float"
        case .string: return "String"
        case .list: return "List"
        case .dict: return "Dict"
        case .record: return "Record"
        case .range: return "Range"
        case .function, .native, .boundMethod: return "Function"
        case .classType: return "Class"
        case .instance(let o): return o.cls.name
        case .host(let h): return h.typeName
        }
    }

    /// Truthiness: `nil`, `false`, `0`, `0.0`, empty strings and collections are false.
    public var isTruthy: Bool {
        switch self {
        case .nil: return false
        case .bool(let b): return b
        case .int(let i): return i != 0
        case .float(let d): return d != 0
        case .string(let s): return !s.value.isEmpty
        case .list(let l): return !l.items.isEmpty
        case .dict(let d): return d.count > 0
        case .range(let r): return r.count > 0
        case .host(let h): return h.isTruthy
        default: return true
        }
    }

    /// The number as a Double, for ints and floats.
    public var asDouble: Double? {
        switch self {
        case .int(let i): return Double(i)
        case .float(let d): return d
        default: return nil
        }
    }

    /// The int, for ints (and floats with no fractional part).
    public var asInt: Int? {
        switch self {
        case .int(let i): return i
        case .float(let d) where d.rounded() == d && abs(d) < 9.2e18: return Int(d)
        case .bool(let b): return b ? 1 : 0
        default: return nil
        }
    }

    /// The string, for strings.
    public var asString: String? {
        if case .string(let s) = self { return s.value }
        return nil
    }
}

// MARK: - Slots

extension UnsafeMutablePointer where Pointee == Value {
    /// Whether the slot holds a value with no reference to release (nil, a bool or a number).
    @inline(__always)
    var holdsPlainData: Bool {
        switch pointee {
        case .nil, .bool, .int, .float: return true
        default: return false
        }
    }

    /// Stores `v` into an initialised slot. The same as `pointee = v`, but when the old value
    /// holds no reference (the common case) it is overwritten without the outlined destroy.
    @inline(__always)
    func store(_ v: Value) {
        if holdsPlainData { initialize(to: v) } else { pointee = v }
    }

    /// The slot's value (a copy). Numbers, booleans and nil are rebuilt inline; only values
    /// holding a reference go through the outlined copy (which retains).
    @inline(__always)
    func load() -> Value {
        switch pointee {
        case .int(let x): return .int(x)
        case .float(let d): return .float(d)
        case .bool(let b): return .bool(b)
        case .nil: return .nil
        default: return pointee
        }
    }

    /// The instance the slot holds, unretained: valid while the slot keeps it (no script
    /// code runs and nothing stores into the slot).
    @inline(__always)
    var instanceRef: Unmanaged<Instance>? {
        if case .instance(let o) = pointee { return Unmanaged.passUnretained(o) }
        return nil
    }

    /// Sets an initialised slot to `nil`, releasing what it held.
    @inline(__always)
    func clear() {
        if holdsPlainData { initialize(to: .nil) } else { pointee = .nil }
    }
}

// MARK: - Reference types

/// An immutable string.
public final class StringObject {
    public let value: String
    public init(_ value: String) { self.value = value }
}

/// A mutable list (shared by reference, as in Python).
public final class ListObject {
    /// Unchecked exclusivity: every access is a short read or write made by the interpreter
    /// or a builtin (no script code runs while one is open), and the dynamic check cost a
    /// noticeable share of `append` and indexing.
    @exclusivity(unchecked) public var items: [Value]
    public init(_ items: [Value]) { self.items = items }

    /// Frees nested lists and records without recursion: a list nested millions deep would
    /// otherwise release each level inside the previous level's release and overflow the stack.
    deinit {
        guard items.contains(where: \.isNestable) else { return }
        var nested = NestedRelease()
        nested.take(&items)
        nested.run()
    }
}

extension Value {
    /// Lists and records: the values that can nest deeply.
    var isNestable: Bool {
        switch self {
        case .list, .record: return true
        default: return false
        }
    }
}

/// Releases nested lists and records one at a time: each container this holds the last
/// reference to gives up its children to the work lists before it is freed, so no release
/// runs inside another.
struct NestedRelease {
    private var lists: [ListObject] = []
    private var records: [RecordObject] = []

    /// Moves the lists and records among `values` into the work lists and empties `values`.
    mutating func take(_ values: inout [Value]) {
        for v in values {
            switch v {
            case .list(let l): lists.append(l)
            case .record(let r): records.append(r)
            default: break
            }
        }
        values = []
    }

    mutating func run() {
        while true {
            if var l = lists.popLast() {
                if isKnownUniquelyReferenced(&l), l.items.contains(where: \.isNestable) { take(&l.items) }
            } else if var r = records.popLast() {
                if isKnownUniquelyReferenced(&r), r.values.contains(where: \.isNestable) { take(&r.values) }
            } else {
                return
            }
        }
    }
}

/// A record: fields with names, in order.
public final class RecordObject {
    public let names: [String]
    public var values: [Value]
    public init(names: [String], values: [Value]) {
        self.names = names
        self.values = values
    }

    deinit {
        guard values.contains(where: \.isNestable) else { return }
        var nested = NestedRelease()
        nested.take(&values)
        nested.run()
    }
    /// The value of a field, if present.
    public subscript(name: String) -> Value? {
        guard let i = names.firstIndex(of: name) else { return nil }
        return values[i]
    }
}

/// An integer range `lower..<upper` (closed ranges are stored half-open), with a step.
public final class RangeObject {
    public let lower: Int
    public let upper: Int
    public let step: Int
    public init(lower: Int, upper: Int, step: Int = 1) {
        self.lower = lower
        self.upper = upper
        self.step = step == 0 ? 1 : step
    }
    /// How many elements it yields.
    public var count: Int {
        if step > 0 {
            guard upper > lower else { return 0 }
            let (span, o) = upper.subtractingReportingOverflow(lower)
            return o ? Int.max : (span - 1) / step + 1
        }
        guard lower > upper else { return 0 }
        let (span, o) = lower.subtractingReportingOverflow(upper)
        return o ? Int.max : (span - 1) / (-step) + 1
    }
    /// The i-th element (no bounds check).
    func element(_ i: Int) -> Int { lower &+ i &* step }
}

/// A key of a dictionary: a value that can be hashed (nil, booleans, numbers, strings,
/// records of those, and objects by identity).
public struct HashKey: Hashable {
    public let value: Value

    public static func == (a: HashKey, b: HashKey) -> Bool { valuesEqual(a.value, b.value) }

    public func hash(into h: inout Hasher) {
        switch value {
        case .nil: h.combine(0)
        case .bool(let b): h.combine(b)
        case .int(let i): h.combine(i)
        case .float(let d):
            if d.rounded() == d, abs(d) < 9.2e18 { h.combine(Int(d)) } else { h.combine(d) }
        case .string(let s): h.combine(s.value)
        case .record(let r):
            h.combine(r.names)
            for v in r.values { HashKey(value: v).hash(into: &h) }
        case .list(let l): h.combine(ObjectIdentifier(l))
        case .dict(let d): h.combine(ObjectIdentifier(d))
        case .range(let r): h.combine(r.lower); h.combine(r.upper); h.combine(r.step)
        case .function(let f): h.combine(ObjectIdentifier(f))
        case .native(let f): h.combine(ObjectIdentifier(f))
        case .boundMethod(let m): h.combine(ObjectIdentifier(m))
        case .classType(let c): h.combine(ObjectIdentifier(c))
        case .instance(let o): h.combine(ObjectIdentifier(o))
        case .host(let o): h.combine(ObjectIdentifier(o))
        }
    }

    /// Whether a value may be used as a key (lists and dictionaries are mutable, so not).
    static func isHashable(_ v: Value) -> Bool {
        switch v {
        case .list, .dict: return false
        case .record(let r): return r.values.allSatisfy(isHashable)
        default: return true
        }
    }
}

/// A dictionary that remembers insertion order (as Python's does).
public final class DictObject {
    public private(set) var keys: [Value] = []
    public private(set) var values: [Value] = []
    private var index: [HashKey: Int] = [:]

    public init() {}

    public var count: Int { keys.count }

    /// Empties the dictionary.
    func removeAll() {
        keys = []
        values = []
        index = [:]
    }

    public subscript(key: Value) -> Value? {
        get { index[HashKey(value: key)].map { values[$0] } }
        set {
            let k = HashKey(value: key)
            if let newValue {
                if let i = index[k] { values[i] = newValue } else {
                    index[k] = keys.count
                    keys.append(key)
                    values.append(newValue)
                }
            } else if let i = index.removeValue(forKey: k) {
                keys.remove(at: i)
                values.remove(at: i)
                for j in i..<keys.count { index[HashKey(value: keys[j])] = j }
            }
        }
    }
}

/// A storage cell for a variable captured by a closure.
public final class Cell {
    public var value: Value
    init(_ value: Value) { self.value = value }
}

/// A script function together with the variables it captured.
public final class Closure {
    let proto: FunctionProto
    let upvalues: [Cell]
    /// `proto.arity` when a call with that many positional arguments may take the plain
    /// path (`proto.isPlain` and not a method), else -1: one load for the call nodes' check.
    let plainArity: Int
    init(proto: FunctionProto, upvalues: [Cell]) {
        self.proto = proto
        self.upvalues = upvalues
        plainArity = proto.isPlain && !proto.isMethod ? proto.arity : -1
    }
    /// The function's name (`<lambda>` for anonymous ones).
    public var name: String { proto.name }
    /// Parameter names in order.
    public var parameterNames: [String] { proto.parameterNames }
}

/// A script method together with the instance it was read from.
public final class BoundMethod {
    public let receiver: Value
    let method: Closure
    init(receiver: Value, method: Closure) {
        self.receiver = receiver
        self.method = method
    }
}

/// A class defined in a script.
public final class ClassObject {
    public let name: String
    /// Field names, in declaration order.
    public let fieldNames: [String]
    let fieldIndex: [String: Int]
    let fieldMutable: [Bool]
    /// Fields that must be given at construction (no default, no `init`).
    let fieldHasDefault: [Bool]
    /// Sets the fields' default values on a new instance (`self` is its only argument).
    var fieldInitializer: Closure?
    /// Methods by name (including `init` if defined).
    public internal(set) var methods: [String: Closure] = [:]
    /// A number no other class object of the process has (never reused, unlike addresses):
    /// member and method caches in the tree remember the class by it, without keeping the
    /// class alive (a strong cache would make cycles through the methods' own nodes) and
    /// without weak references (which move the class's reference counts to a slow side table).
    let serial: Int
    private static let nextSerial = Atomic<Int>(0)

    init(name: String, fieldNames: [String], fieldMutable: [Bool], fieldHasDefault: [Bool]) {
        serial = Self.nextSerial.wrappingAdd(1, ordering: .relaxed).newValue
        self.name = name
        self.fieldNames = fieldNames
        var index: [String: Int] = [:]
        for (i, n) in fieldNames.enumerated() { index[n] = i }
        self.fieldIndex = index
        self.fieldMutable = fieldMutable
        self.fieldHasDefault = fieldHasDefault
    }

    /// Every member name (fields and methods), for completion and suggestions.
    public var memberNames: [String] { fieldNames + methods.keys.sorted() }
}

/// An instance of a script class.
public final class Instance {
    public let cls: ClassObject
    /// Field values, in the order of `cls.fieldNames`.
    /// Unchecked exclusivity, as `ListObject.items`: accesses are short and never overlap.
    @exclusivity(unchecked) public internal(set) var fields: [Value]
    init(cls: ClassObject) {
        self.cls = cls
        self.fields = [Value](repeating: .nil, count: cls.fieldNames.count)
    }
    /// A field's value, by name.
    public func field(_ name: String) -> Value? {
        cls.fieldIndex[name].map { fields[$0] }
    }
}

// MARK: - Equality and ordering

/// `==` for values: numbers by value (1 == 1.0), strings by content, lists, dictionaries and
/// records element-wise, everything else by identity.
public func valuesEqual(_ a: Value, _ b: Value) -> Bool {
    switch (a, b) {
    case (.list, .list), (.record, .record), (.dict, .dict): return containersEqual(a, b)
    default: return scalarEqual(a, b)
    }
}

/// Equality of values that hold no other values.
private func scalarEqual(_ a: Value, _ b: Value) -> Bool {
    switch (a, b) {
    case (.nil, .nil): return true
    case let (.bool(x), .bool(y)): return x == y
    case let (.int(x), .int(y)): return x == y
    case let (.float(x), .float(y)): return x == y
    case let (.int(x), .float(y)): return Double(x) == y
    case let (.float(x), .int(y)): return x == Double(y)
    case let (.string(x), .string(y)): return x === y || x.value == y.value
    case let (.range(x), .range(y)): return x.lower == y.lower && x.upper == y.upper && x.step == y.step
    case let (.function(x), .function(y)): return x === y
    case let (.native(x), .native(y)): return x === y
    case let (.boundMethod(x), .boundMethod(y)): return x === y
    case let (.classType(x), .classType(y)): return x === y
    case let (.instance(x), .instance(y)): return x === y
    case let (.host(x), .host(y)): return x === y
    default: return false
    }
}

/// Equality of lists, records and dictionaries, with an explicit work list instead of
/// recursion (a list nested millions deep) and each pair of containers compared once (a list
/// that contains itself: a pair met again is equal so far, as its other elements decide).
private func containersEqual(_ a: Value, _ b: Value) -> Bool {
    struct Pair: Hashable { let x: ObjectIdentifier, y: ObjectIdentifier }
    var work: [(Value, Value)] = [(a, b)]
    var seen: Set<Pair> = []
    while let (p, q) = work.popLast() {
        switch (p, q) {
        case let (.list(x), .list(y)):
            if x === y { continue }
            guard x.items.count == y.items.count else { return false }
            guard seen.insert(Pair(x: ObjectIdentifier(x), y: ObjectIdentifier(y))).inserted else { continue }
            for i in x.items.indices.reversed() { work.append((x.items[i], y.items[i])) }
        case let (.record(x), .record(y)):
            if x === y { continue }
            guard x.names == y.names else { return false }
            guard seen.insert(Pair(x: ObjectIdentifier(x), y: ObjectIdentifier(y))).inserted else { continue }
            for i in x.values.indices.reversed() { work.append((x.values[i], y.values[i])) }
        case let (.dict(x), .dict(y)):
            if x === y { continue }
            guard x.count == y.count else { return false }
            guard seen.insert(Pair(x: ObjectIdentifier(x), y: ObjectIdentifier(y))).inserted else { continue }
            for (i, k) in x.keys.enumerated() {
                guard let v = y[k] else { return false }
                work.append((x.values[i], v))
            }
        default:
            if !scalarEqual(p, q) { return false }
        }
    }
    return true
}
