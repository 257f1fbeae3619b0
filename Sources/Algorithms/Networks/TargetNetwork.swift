import NeuralNets
import TensorCore

/// The target network θ⁻ of Mnih et al. (2015): a frozen copy of a Q-network's parameters,
/// refreshed every C updates (or softly, θ⁻ ← τθ + (1 − τ)θ⁻).
///
/// It is a snapshot of the parameter values, not a second module: `evaluate` swaps the
/// snapshot into the module's parameters, runs the body without recording gradients, and
/// swaps the live values back. So any module works, including one defined in a script that
/// could not be cloned, and the target always has the online network's exact structure.
public final class TargetNetwork {
    /// The network whose parameters are snapshotted.
    public let module: Module
    private let parameters: [Parameter]
    /// θ⁻, one tensor per parameter, in `module.parameters` order.
    public private(set) var values: [Tensor]
    /// How many times `sync` has run.
    public private(set) var syncCount = 0

    public init(of module: Module) throws {
        self.module = module
        parameters = module.parameters
        values = try parameters.map { try Tensor($0.value.scalars, shape: $0.shape) }
    }

    /// θ⁻ ← τθ + (1 − τ)θ⁻ (τ = 1: a hard copy, as DQN).
    public func sync(tau: Float = 1) throws {
        for (i, p) in parameters.enumerated() {
            if tau >= 1 {
                values[i] = try Tensor(p.value.scalars, shape: p.shape)
            } else {
                let live = p.value.scalars
                values[i].withUnsafeMutableBufferPointer { v in
                    for j in 0..<v.count { v[j] = tau * live[j] + (1 - tau) * v[j] }
                }
            }
        }
        syncCount += 1
    }

    /// Runs `body` with θ⁻ in place of the module's parameters, without gradients.
    public func evaluate<R>(_ body: () throws -> R) rethrows -> R {
        let live = parameters.map(\.value)
        for (p, v) in zip(parameters, values) { p.value = v }
        defer { for (p, v) in zip(parameters, live) { p.value = v } }
        return try noGrad(body)
    }
}
