import Foundation
import Testing
import TensorCore
@testable import NeuralNets

@Suite("Losses")
struct LossTests {
    let prediction = Tensor([-1, 0.5, 2, 4, 0])
    let target = Tensor([2, 0, 2, 2, -0.25])   // d = [−3, 0.5, 0, 2, 0.25]

    @Test func mse() throws {
        let perElement = try mseLoss(prediction, target, reduction: .none)
        #expect(perElement.scalars == [9, 0.25, 0, 4, 0.0625])
        #expect(close(try mseLoss(prediction, target).item(), 13.3125 / 5))
        #expect(try mseLoss(prediction, target, reduction: .sum).item() == 13.3125)
        let e = #expect(throws: LossError.self) { try mseLoss(Tensor([1, 2]), try Tensor([[1], [2]])) }
        #expect(e?.description.contains("[2] and target [2, 1]") == true)
    }

    @Test func huberWithDeltaOne() throws {
        // 0.5d² for |d| ≤ 1, |d| − 0.5 beyond
        let h = try huberLoss(prediction, target, reduction: .none)
        #expect(close(h.scalars, [2.5, 0.125, 0, 1.5, 0.03125]))
        #expect(close(try smoothL1Loss(prediction, target, reduction: .none).scalars, h.scalars))
    }

    @Test func huberWithDeltaTwoAndSmoothL1WithBetaTwo() throws {
        // Huber δ = 2: |d| = 3 → 2(3 − 1) = 4; |d| = 2 → 0.5·4 = 2
        let h = try huberLoss(prediction, target, delta: 2, reduction: .none)
        #expect(close(h.scalars, [4, 0.125, 0, 2, 0.03125]))
        // smooth L1 β = 2 is Huber δ = 2 divided by 2
        let s = try smoothL1Loss(prediction, target, beta: 2, reduction: .none)
        #expect(close(s.scalars, [2, 0.0625, 0, 1, 0.015625]))
        #expect(close(try smoothL1Loss(prediction, target, beta: 0, reduction: .none).scalars, [3, 0.5, 0, 2, 0.25]))
        #expect(throws: LossError.self) { try huberLoss(prediction, target, delta: 0) }
    }

    @Test func huberGradientIsTheClippedError() throws {
        let x = prediction.requiringGrad()
        try huberLoss(x, target, reduction: .sum).backward()
        #expect(close(x.grad!.scalars, [-1, 0.5, 0, 1, 0.25]))
    }

    @Test func regressionGradients() throws {
        var rng = RNG(seed: 3)
        let a = try Tensor.normal([2, 3], rng: &rng), b = try Tensor.normal([2, 3], rng: &rng)
        #expect(try GradCheck.check([a, b]) { try mseLoss($0[0], $0[1]) }.passed)
        #expect(try GradCheck.check([a, b]) { try huberLoss($0[0], $0[1], delta: 0.7, reduction: .sum) }.passed)
        #expect(try GradCheck.check([a, b]) { try smoothL1Loss($0[0], $0[1], beta: 0.7, reduction: .none) }.passed)
    }

    /// −log softmax(row)[k], in Double.
    func nll(_ row: [Double], _ k: Int) -> Double {
        let m = row.max()!
        return -(row[k] - m - Foundation.log(row.map { Foundation.exp($0 - m) }.reduce(0, +)))
    }

    @Test func crossEntropyOnRows() throws {
        let logits = try Tensor([[1, 2, 3], [1, 1, 1], [-5, 10, 0]])
        let expected = [nll([1, 2, 3], 2), nll([1, 1, 1], 0), nll([-5, 10, 0], 0)]
        let none = try crossEntropyLoss(logits: logits, targets: Tensor([2, 0, 0]), reduction: .none)
        #expect(zip(none.scalars, expected).allSatisfy { close($0, $1) })
        #expect(close(try crossEntropyLoss(logits: logits, targets: [2, 0, 0]).item(), expected.reduce(0, +) / 3))
        #expect(close(try crossEntropyLoss(logits: logits, targets: [2, 0, 0], reduction: .sum).item(), expected.reduce(0, +)))
        #expect(close(Float(Foundation.log(3.0)), nll([1, 1, 1], 0)))
    }

    @Test func crossEntropyOnSequencesWithAMask() throws {
        // [B = 2, T = 3, C = 2]; the last step of the second sequence is padding.
        let values: [Float] = [0.5, -0.5, 2, 1, 0, 0, 1, 3, -1, -2, 7, -7]
        let logits = try Tensor(values, shape: [2, 3, 2])
        let targets = try Tensor([0, 1, 1, 1, 0, 0], shape: [2, 3])
        let mask = try Tensor([1, 1, 1, 1, 1, 0], shape: [2, 3])
        let rows = stride(from: 0, to: 12, by: 2).map { [Double(values[$0]), Double(values[$0 + 1])] }
        let perPosition = zip(rows, [0, 1, 1, 1, 0, 0]).map { nll($0, $1) }
        let kept = perPosition.prefix(5).reduce(0, +)
        #expect(close(try crossEntropyLoss(logits: logits, targets: targets, mask: mask).item(), kept / 5))
        #expect(close(try crossEntropyLoss(logits: logits, targets: targets, mask: mask, reduction: .sum).item(), kept))
        let none = try crossEntropyLoss(logits: logits, targets: targets, mask: mask, reduction: .none)
        #expect(none.shape == [2, 3] && none.scalars[5] == 0)
        // The padded position gets no gradient.
        let x = logits.requiringGrad()
        try crossEntropyLoss(logits: x, targets: targets, mask: mask).backward()
        #expect(Array(x.grad!.scalars[10...]) == [0, 0])
        // Everything masked: 0, not NaN.
        #expect(try crossEntropyLoss(logits: logits, targets: targets, mask: Tensor.zeros([2, 3])).item() == 0)
    }

    @Test func crossEntropyWithLabelSmoothing() throws {
        let logits = try Tensor([[1, 2, 3]])
        let eps: Double = 0.1
        let expected = (1 - eps) * nll([1, 2, 3], 0) + eps * (0..<3).map { nll([1, 2, 3], $0) }.reduce(0, +) / 3
        #expect(close(try crossEntropyLoss(logits: logits, targets: [0], labelSmoothing: 0.1).item(), expected))
    }

    @Test func crossEntropyGradients() throws {
        var rng = RNG(seed: 5)
        let logits = try Tensor.normal([2, 3, 4], rng: &rng)
        let targets = try Tensor([3, 0, 1, 2, 2, 1], shape: [2, 3])
        let mask = try Tensor([1, 0, 1, 1, 1, 0], shape: [2, 3])
        #expect(try GradCheck.check([logits]) { try crossEntropyLoss(logits: $0[0], targets: targets, mask: mask) }.passed)
        #expect(try GradCheck.check([logits]) {
            try crossEntropyLoss(logits: $0[0], targets: targets, labelSmoothing: 0.2, reduction: .none)
        }.passed)
    }

    @Test func crossEntropyRejectsBadTargets() throws {
        let logits = try Tensor([[1, 2, 3], [1, 1, 1]])
        let outOfRange = #expect(throws: LossError.self) { try crossEntropyLoss(logits: logits, targets: [0, 3]) }
        #expect(outOfRange?.description.contains("0..<3") == true)
        #expect(throws: LossError.self) { try crossEntropyLoss(logits: logits, targets: Tensor([0, 1.5])) }
        #expect(throws: LossError.self) { try crossEntropyLoss(logits: logits, targets: Tensor([0, 1, 2])) }
        #expect(throws: LossError.self) { try crossEntropyLoss(logits: logits, targets: [0, 1], mask: Tensor([1])) }
    }

    @Test func binaryCrossEntropyWithLogitsIsStable() throws {
        let x = Tensor([0, 2, -1, 100, -100, 30])
        let y = Tensor([1, 0, 0.25, 0, 1, 1])
        func reference(_ x: Double, _ y: Double) -> Double {
            // −[y log σ(x) + (1 − y) log(1 − σ(x))] with log σ(x) = −softplus(−x)
            let softplus = { (z: Double) in Swift.max(z, 0) + Foundation.log1p(Foundation.exp(-Swift.abs(z))) }
            return y * softplus(-x) + (1 - y) * softplus(x)
        }
        let loss = try binaryCrossEntropyWithLogits(x, y, reduction: .none)
        let expected = zip(x.scalars, y.scalars).map { reference(Double($0), Double($1)) }
        #expect(zip(loss.scalars, expected).allSatisfy { close($0, $1) })
        #expect(loss.scalars.allSatisfy { $0.isFinite })
        #expect(close(loss.scalars[3], 100) && close(loss.scalars[4], 100))
        let weighted = try binaryCrossEntropyWithLogits(x, y, positiveWeight: 3, reduction: .none)
        let expectedWeighted = zip(x.scalars, y.scalars).map { x, y in
            3 * Double(y) * (reference(Double(x), 1)) + (1 - Double(y)) * reference(Double(x), 0)
        }
        #expect(zip(weighted.scalars, expectedWeighted).allSatisfy { close($0, $1) })
    }

    @Test func binaryCrossEntropyGradient() throws {
        var rng = RNG(seed: 9)
        let x = try Tensor.normal([3, 2], std: 2, rng: &rng)
        let y = try Tensor.uniform([3, 2], rng: &rng)
        #expect(try GradCheck.check([x]) { try binaryCrossEntropyWithLogits($0[0], y) }.passed)
        #expect(try GradCheck.check([x]) { try binaryCrossEntropyWithLogits($0[0], y, positiveWeight: 2, reduction: .sum) }.passed)
        // d/dx = σ(x) − y
        let leaf = x.requiringGrad()
        try binaryCrossEntropyWithLogits(leaf, y, reduction: .sum).backward()
        let expected = zip(x.scalars, y.scalars).map { 1 / (1 + Foundation.exp(-$0)) - $1 }
        #expect(close(leaf.grad!.scalars, expected, tolerance: 1e-5))
    }
}
