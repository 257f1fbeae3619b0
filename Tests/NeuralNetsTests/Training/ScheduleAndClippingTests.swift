import Foundation
import Testing
import TensorCore
@testable import NeuralNets

@Suite("Schedules")
struct ScheduleTests {
    @Test func constant() {
        let s = Schedule.constant(3e-4)
        #expect(s(0) == 3e-4 && s(1_000_000) == 3e-4)
    }

    @Test func linearDecay() {
        let s = Schedule.linear(from: 1, to: 0.1, steps: 10)
        #expect(s(0) == 1)
        #expect(close(s(5), 0.55))
        #expect(close(s(9), 0.19))
        #expect(s(10) == 0.1 && s(50) == 0.1)
        #expect(s(-3) == 1)
    }

    @Test func cosine() {
        let s = Schedule.cosine(from: 1, to: 0, steps: 100)
        #expect(s(0) == 1)
        #expect(close(s(25), 0.5 * (1 + cos(Double.pi / 4))))
        #expect(close(s(50), 0.5))
        #expect(close(s(75), 0.5 * (1 + cos(3 * Double.pi / 4))))
        #expect(s(100) == 0 && s(1000) == 0)
    }

    @Test func warmupThenCosine() {
        let s = Schedule.cosine(from: 0.1, to: 0.01, steps: 10).withWarmup(steps: 4)
        #expect(close(s(0), 0.025))
        #expect(close(s(1), 0.05))
        #expect(close(s(3), 0.1))
        #expect(close(s(4), 0.1))       // cosine's step 0
        #expect(close(s(9), 0.01 + 0.09 * 0.5 * (1 + cos(Double.pi / 2))))
        #expect(close(s(14), 0.01))
        #expect(s.description == "warmup(steps: 4, then: cosine(from: 0.1, to: 0.01, steps: 10))")
    }

    @Test func warmupThenLinearAndDegenerateSteps() {
        let s = Schedule.linear(from: 1, to: 0, steps: 2).withWarmup(steps: 2)
        #expect([0, 1, 2, 3, 4, 5].map { s($0) } == [0.5, 1, 1, 0.5, 0, 0])
        #expect(Schedule.warmup(steps: -3, then: .constant(2))(0) == 2)
        #expect(Schedule.linear(from: 1, to: 0.5, steps: 0)(0) == 0.5)
    }

    @Test func exploration() {
        // ε-greedy from 1 to 0.05 over the first 10% of 10 000 steps.
        let epsilon = Schedule.linear(from: 1, to: 0.05, steps: 1000)
        #expect(close(epsilon(500), 0.525))
        #expect(epsilon(5000) == 0.05)
    }
}

@Suite("Gradient clipping")
struct ClippingTests {
    @Test func returnsTheGlobalNormAndScales() throws {
        let a = Parameter(Tensor([0, 0])), b = Parameter(Tensor([0])), c = Parameter(Tensor([9]))
        try setGrad(a, [3, 0])
        try setGrad(b, [4])        // global norm √(9 + 16) = 5; c has no gradient
        let norm = try clipGradNorm([a, b, c], maxNorm: 1)
        #expect(norm == 5)
        let scale: Float = 1 / (5 + 1e-6)
        #expect(close(a.grad!.scalars, [3 * scale, 0]))
        #expect(close(b.grad!.scalars, [4 * scale]))
        #expect(c.grad == nil)
        // Clipped to norm 1 (up to the 1e-6 guard).
        #expect(try clipGradNorm([a, b], maxNorm: 10) <= 1)
    }

    @Test func aParameterListedTwiceCountsOnce() throws {
        let a = Parameter(Tensor([0, 0]))
        try setGrad(a, [3, 4])
        #expect(try clipGradNorm([a, a], maxNorm: 1) == 5)
        #expect(close(a.grad!.scalars, [0.6, 0.8], tolerance: 1e-5))
    }

    @Test func leavesSmallGradientsAlone() throws {
        let a = Parameter(Tensor([0, 0]))
        try setGrad(a, [0.3, 0.4])
        #expect(close(try clipGradNorm([a], maxNorm: 1), 0.5))
        #expect(a.grad!.scalars == [0.3, 0.4])
    }

    @Test func clippingDoesNotLeakIntoSharedGradients() throws {
        // x + y gives both leaves the same upstream gradient; clipping one parameter list
        // must scale each gradient once.
        let x = Parameter(Tensor([1, 1])), y = Parameter(Tensor([2, 2]))
        try (x.value + y.value).sum().backward()
        let norm = try clipGradNorm([x, y], maxNorm: 1)
        #expect(close(norm, 2))
        #expect(close(x.grad!.scalars, [0.5, 0.5], tolerance: 1e-5))
        #expect(close(y.grad!.scalars, [0.5, 0.5], tolerance: 1e-5))
    }

    @Test func nonFiniteNormIsReportedNotApplied() throws {
        let a = Parameter(Tensor([0, 0]))
        try setGrad(a, [.infinity, 1])
        #expect(try clipGradNorm([a], maxNorm: 1).isInfinite)
        #expect(a.grad!.scalars == [.infinity, 1])
    }

    @Test func clipByValue() throws {
        let a = Parameter(Tensor([0, 0, 0]))
        try setGrad(a, [-3, 0.2, 7])
        try clipGradValue([a], value: 1)
        #expect(a.grad!.scalars == [-1, 0.2, 1])
        #expect(throws: OptimizerError.self) { try clipGradNorm([a], maxNorm: -1) }
    }
}
