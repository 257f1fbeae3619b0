/// The error every public tensor operation throws for a bad shape or argument.
///
/// The message names the operation, the offending values and what was expected, e.g.
/// `matmul: [32, 64] × [32, 4]: inner dimensions 64 and 32 differ`.
public struct TensorError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The operation that refused its input (`matmul`, `reshape`, …).
    public let op: String
    /// What was wrong, and what was expected.
    public let message: String

    public init(_ op: String, _ message: String) {
        self.op = op
        self.message = message
    }

    public var description: String { "\(op): \(message)" }
}

/// Formats a shape the way every message shows it: `[2, 3]`, `[]` for a scalar.
@inlinable
public func shapeString(_ shape: [Int]) -> String {
    "[" + shape.map(String.init).joined(separator: ", ") + "]"
}
