import Foundation
import Testing
import TensorCore
@testable import NeuralNets

// Shared helpers for the training tests: small modules, gradient setting, comparisons and
// temporary files.

/// A two-level module: `weight` and `bias` at the top, `head.weight` in a child.
final class TinyNet: Module {
    let weight: Parameter
    let bias: Parameter
    let head: TinyHead

    init(seed: UInt64 = 1) throws {
        var rng = RNG(seed: seed)
        weight = Parameter(try Tensor.normal([3, 2], rng: &rng))
        bias = Parameter(try Tensor.normal([3], rng: &rng))
        head = TinyHead(try Tensor.normal([1, 3], rng: &rng))
        super.init()
        addParameter("weight", shared: weight)
        addParameter("bias", shared: bias)
        addChild("head", head)
    }
}

final class TinyHead: Module {
    let weight: Parameter
    init(_ w: Tensor) {
        weight = Parameter(w)
        super.init()
        addParameter("weight", shared: weight)
    }
}

/// Replaces the gradient of `p` with `values`.
func setGrad(_ p: Parameter, _ values: [Float]) throws {
    p.zeroGrad()
    try p.value.backward(gradient: Tensor(values, shape: p.shape))
}

/// Whether `a` and `b` agree element by element within `tolerance` (absolute + relative).
func close(_ a: [Float], _ b: [Float], tolerance: Float = 1e-6) -> Bool {
    a.count == b.count && zip(a, b).allSatisfy { Swift.abs($0 - $1) <= tolerance * (1 + Swift.abs($1)) }
}

func close(_ a: Float, _ b: Double, tolerance: Double = 1e-5) -> Bool {
    Swift.abs(Double(a) - b) <= tolerance * (1 + Swift.abs(b))
}

/// The bit patterns of the elements (for bit-exact comparisons, NaN payloads included).
func bits(_ t: Tensor) -> [UInt32] { t.scalars.map(\.bitPattern) }

/// A fresh, empty folder under the system's temporary directory.
func temporaryFolder() throws -> URL {
    let url = FileManager.default.temporaryDirectory
        .appendingPathComponent("memento-training-tests-\(UUID().uuidString)", isDirectory: true)
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}
