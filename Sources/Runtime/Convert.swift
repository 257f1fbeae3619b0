import Language
import TensorCore

// Conversions between script values and engine values, with errors that say what was
// expected where.

extension Value {
    /// A tensor from a tensor, a number, or a (nested) list of numbers.
    func toTensor(_ what: String) throws -> Tensor {
        switch self {
        case .host(let h as TensorObject): return h.tensor
        case .int(let i): return Tensor(Float(i))
        case .float(let d): return Tensor(Float(d))
        case .bool(let b): return Tensor(b ? 1 : 0)
        case .list(let l): return try Value.tensorFromList(l.items, what)
        case .range(let r): return Tensor((0..<r.count).map { Float(r.lower + $0 * r.step) })
        default: throw HostError("\(what) must be a tensor, a number or a list of numbers, got \(typeName)")
        }
    }

    static func tensorFromList(_ items: [Value], _ what: String) throws -> Tensor {
        var shape: [Int] = []
        var flat: [Float] = []
        func walk(_ v: Value, depth: Int) throws {
            switch v {
            case .list(let l):
                if depth == shape.count { shape.append(l.items.count) } else if depth > shape.count || shape[depth] != l.items.count {
                    throw HostError("\(what): the nested lists are ragged (a list of \(l.items.count) where \(depth < shape.count ? shape[depth] : 0) were expected at depth \(depth + 1))",
                                    help: ["every row of a tensor literal needs the same length"])
                }
                for item in l.items { try walk(item, depth: depth + 1) }
            case .int(let i): guard depth == shape.count else { throw HostError("\(what): a number where a list was expected at depth \(depth + 1)") }; flat.append(Float(i))
            case .float(let d): guard depth == shape.count else { throw HostError("\(what): a number where a list was expected at depth \(depth + 1)") }; flat.append(Float(d))
            case .bool(let b): flat.append(b ? 1 : 0)
            case .host(let h as TensorObject) where h.tensor.rank == 0: flat.append(try h.tensor.item())
            default: throw HostError("\(what): tensors hold numbers, found \(v.typeName)")
            }
        }
        try walk(.list(ListObject(items)), depth: 0)
        return try Tensor(flat, shape: shape)
    }

    /// An integer (ints, and floats with an integral value).
    func toInt(_ what: String) throws -> Int {
        switch self {
        case .int(let i): return i
        case .float(let d) where d == d.rounded() && Swift.abs(d) < 1e15: return Int(d)
        case .host(let h as TensorObject) where h.tensor.count == 1:
            let v = try h.tensor.item()
            if v == v.rounded() { return Int(v) }
        default: break
        }
        throw HostError("\(what) must be an integer, got \(describeBriefly)")
    }

    func toDouble(_ what: String) throws -> Double {
        switch self {
        case .int(let i): return Double(i)
        case .float(let d): return d
        case .host(let h as TensorObject) where h.tensor.count == 1: return Double(try h.tensor.item())
        default: throw HostError("\(what) must be a number, got \(describeBriefly)")
        }
    }

    func toFloat(_ what: String) throws -> Float { Float(try toDouble(what)) }

    func toBool(_ what: String) throws -> Bool {
        if case .bool(let b) = self { return b }
        throw HostError("\(what) must be true or false, got \(describeBriefly)")
    }

    func toStringValue(_ what: String) throws -> String {
        if case .string(let s) = self { return s.value }
        throw HostError("\(what) must be a string, got \(describeBriefly)")
    }

    /// A shape: an int or a list of ints.
    func toShape(_ what: String) throws -> [Int] {
        switch self {
        case .int(let i): return [i]
        case .list(let l): return try l.items.enumerated().map { try $1.toInt("\(what)[\($0)]") }
        default: throw HostError("\(what) must be a shape such as [2, 3], got \(describeBriefly)")
        }
    }

    /// An optional list of axes: nil, an int or a list of ints.
    func toAxes(_ what: String) throws -> [Int]? {
        switch self {
        case .nil: return nil
        case .int(let i): return [i]
        case .list(let l): return try l.items.map { try $0.toInt(what) }
        default: throw HostError("\(what) must be an axis or a list of axes, got \(describeBriefly)")
        }
    }

    /// The type and, for short values, the value itself, for error messages.
    var describeBriefly: String {
        switch self {
        case .int(let i): return "\(i)"
        case .float(let d): return "\(d)"
        case .bool(let b): return "\(b)"
        case .nil: return "nil"
        case .string(let s): return s.value.count < 20 ? "\"\(s.value)\"" : "a String"
        default: return "a \(typeName)"
        }
    }
}

/// Runs engine code, turning engine errors into script errors with the engine's message.
@inline(__always)
func engine<T>(_ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch let e as HostError {
        throw e
    } catch {
        throw HostError("\(error)")
    }
}

/// A list of numbers as a script value.
func listValue(_ xs: [Float]) -> Value { .array(xs.map { .float(Double($0)) }) }
