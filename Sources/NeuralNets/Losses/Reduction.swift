import TensorCore

/// How a loss turns per-element values into its result (PyTorch's `reduction`).
public enum Reduction: String, Sendable, CaseIterable {
    /// The mean over elements (over unmasked positions when a mask is given).
    case mean
    /// The sum over elements.
    case sum
    /// No reduction: one loss per element (per position for cross-entropy).
    case none
}

/// The error a loss throws for inputs of the wrong shape or value; it names the loss.
public struct LossError: Error, CustomStringConvertible, Sendable {
    public let loss: String
    public let message: String
    public init(_ loss: String, _ message: String) {
        self.loss = loss
        self.message = message
    }
    public var description: String { "\(loss): \(message)" }
}

extension Tensor {
    /// Applies `reduction` to per-element losses.
    func reduced(_ reduction: Reduction) throws -> Tensor {
        switch reduction {
        case .mean: return count == 0 ? Tensor(Float.nan) : try mean()
        case .sum: return sum()
        case .none: return self
        }
    }
}

/// Prediction and target must have one shape: silent broadcasting of [B, 1] against [B]
/// into [B, B] is the classic bug these checks prevent.
func requireSameShape(_ loss: String, _ prediction: Tensor, _ target: Tensor) throws {
    guard prediction.shape == target.shape else {
        throw LossError(loss, "prediction \(shapeString(prediction.shape)) and target \(shapeString(target.shape)) must have the same shape")
    }
}
