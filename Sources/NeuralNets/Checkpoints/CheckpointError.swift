/// The error checkpoint reading and writing throws. Every case names the file; those about
/// one tensor name it too. A bad file never traps: each way a file can be wrong ends here.
public enum CheckpointError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The file could not be opened or read (missing, a directory, no permission).
    case cannotRead(file: String, reason: String)
    /// The file could not be written (the old file, if any, is untouched).
    case cannotWrite(file: String, reason: String)
    /// The file ends before the header or the tensor data it announces.
    case truncated(file: String, detail: String)
    /// The header is not a valid safetensors header (length, UTF-8, JSON, or entry fields).
    case invalidHeader(file: String, detail: String)
    /// The header is valid but the tensors' byte ranges do not tile the data section
    /// (overlap, gap, or bytes after the last tensor).
    case corrupt(file: String, detail: String)
    /// A tensor is stored with a dtype other than F32.
    case unsupportedDtype(file: String, tensor: String, dtype: String)
    /// A tensor name cannot be written (reserved, or duplicated).
    case invalidName(file: String, tensor: String, reason: String)
    /// Tensors the model (or optimizer) needs but the file lacks.
    case missingTensors(file: String, tensors: [String])
    /// Tensors the file holds that the model does not have (see `allowUnexpected`).
    case unexpectedTensors(file: String, tensors: [String])
    /// A tensor whose stored shape differs from the parameter's.
    case shapeMismatch(file: String, tensor: String, expected: [Int], found: [Int])
    /// An optimizer state that does not fit the optimizer it is loaded into.
    case incompatibleState(file: String, detail: String)

    /// The file the error is about.
    public var file: String {
        switch self {
        case .cannotRead(let f, _), .cannotWrite(let f, _), .truncated(let f, _), .invalidHeader(let f, _),
             .corrupt(let f, _), .unsupportedDtype(let f, _, _), .invalidName(let f, _, _),
             .missingTensors(let f, _), .unexpectedTensors(let f, _), .shapeMismatch(let f, _, _, _),
             .incompatibleState(let f, _):
            return f
        }
    }

    public var description: String {
        switch self {
        case .cannotRead(let f, let reason):
            return "cannot read checkpoint \(f): \(reason)"
        case .cannotWrite(let f, let reason):
            return "cannot write checkpoint \(f): \(reason)"
        case .truncated(let f, let detail):
            return "checkpoint \(f) is truncated: \(detail)"
        case .invalidHeader(let f, let detail):
            return "checkpoint \(f) has an invalid safetensors header: \(detail)"
        case .corrupt(let f, let detail):
            return "checkpoint \(f) is corrupt: \(detail)"
        case .unsupportedDtype(let f, let t, let dtype):
            return "checkpoint \(f): tensor \"\(t)\" is stored as \(dtype), but Memento loads only F32 tensors (convert it to float32 before saving)"
        case .invalidName(let f, let t, let reason):
            return "cannot write checkpoint \(f): tensor name \"\(t)\" \(reason)"
        case .missingTensors(let f, let ts):
            return "checkpoint \(f) is missing \(ts.count == 1 ? "tensor" : "\(ts.count) tensors") \(listed(ts))"
        case .unexpectedTensors(let f, let ts):
            return "checkpoint \(f) has \(ts.count == 1 ? "a tensor" : "\(ts.count) tensors") the model does not: \(listed(ts)) (pass allowUnexpected: true to ignore \(ts.count == 1 ? "it" : "them"))"
        case .shapeMismatch(let f, let t, let expected, let found):
            return "checkpoint \(f): tensor \"\(t)\" has shape \(shapeText(found)) in the file but the model expects \(shapeText(expected))"
        case .incompatibleState(let f, let detail):
            return "checkpoint \(f) does not fit this optimizer: \(detail)"
        }
    }
}

private func listed(_ names: [String]) -> String {
    let shown = names.prefix(8).map { "\"\($0)\"" }.joined(separator: ", ")
    return names.count > 8 ? shown + ", … (\(names.count - 8) more)" : shown
}

private func shapeText(_ shape: [Int]) -> String {
    "[" + shape.map(String.init).joined(separator: ", ") + "]"
}
