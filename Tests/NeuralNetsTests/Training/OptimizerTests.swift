import Foundation
import Testing
import TensorCore
@testable import NeuralNets

// Each optimizer takes two steps from θ₀ = [1, −2, 0.5] with gradients g₁ = [0.5, −1, 0]
// and g₂ = [0.25, 2, −0.75]; the expected parameters follow the update rules in each
// optimizer's header. The numbers were worked out by hand for the first element (shown in
// the comments) and agree with PyTorch 2.x's torch.optim to Float32 precision.

@Suite("Optimizers")
struct OptimizerTests {
    static let start: [Float] = [1, -2, 0.5]
    static let g1: [Float] = [0.5, -1, 0]
    static let g2: [Float] = [0.25, 2, -0.75]

    /// Runs two steps and returns the parameter after each.
    func twoSteps(_ make: ([Parameter]) throws -> any Optimizer) throws -> (first: [Float], second: [Float], optimizer: any Optimizer) {
        let p = Parameter(Tensor(Self.start))
        let opt = try make([p])
        try setGrad(p, Self.g1)
        try opt.step()
        let first = p.value.scalars
        try setGrad(p, Self.g2)
        try opt.step()
        return (first, p.value.scalars, opt)
    }

    @Test func plainSGD() throws {
        // θ₁ = 1 − 0.1·0.5 = 0.95; θ₂ = 0.95 − 0.1·0.25 = 0.925
        let r = try twoSteps { try SGD($0, learningRate: 0.1) }
        #expect(close(r.first, [0.95, -1.9, 0.5]))
        #expect(close(r.second, [0.925, -2.1, 0.575]))
        #expect(Set(r.optimizer.state().keys) == ["step", "0.step"])  // no buffers without momentum
    }

    @Test func sgdWithMomentumAndWeightDecay() throws {
        // g = 0.5 + 0.01·1 = 0.51, b = 0.51, θ₁ = 1 − 0.051 = 0.949
        // g = 0.25 + 0.01·0.949 = 0.25949, b = 0.9·0.51 + 0.25949 = 0.71849, θ₂ = 0.949 − 0.071849 = 0.877151
        let r = try twoSteps { try SGD($0, learningRate: 0.1, momentum: 0.9, weightDecay: 0.01) }
        #expect(close(r.first, [0.949, -1.898, 0.4995]))
        #expect(close(r.second, [0.8771510124206543, -2.0043020248413086, 0.5735505223274231]))
        #expect(close(r.optimizer.state()["0.momentum_buffer"]!.scalars, [0.71849, 1.06302, -0.740505]))
    }

    @Test func sgdWithDampening() throws {
        // b₁ = g₁ (no dampening on the first step); b₂ = 0.9·0.5 + 0.5·0.25 = 0.575
        let r = try twoSteps { try SGD($0, learningRate: 0.1, momentum: 0.9, dampening: 0.5) }
        #expect(close(r.first, [0.95, -1.9, 0.5]))
        #expect(close(r.second, [0.8924999833106995, -1.909999966621399, 0.5375000238418579]))
    }

    @Test func sgdWithNesterov() throws {
        // b₁ = 0.5, step = 0.5 + 0.9·0.5 = 0.95 → θ₁ = 0.905; b₂ = 0.45 + 0.25 = 0.7,
        // step = 0.25 + 0.63 = 0.88 → θ₂ = 0.817
        let r = try twoSteps { try SGD($0, learningRate: 0.1, momentum: 0.9, nesterov: true) }
        #expect(close(r.first, [0.905, -1.81, 0.5]))
        #expect(close(r.second, [0.817, -2.109, 0.6425]))
    }

    @Test func adamWithBiasCorrection() throws {
        // t = 1: m = 0.05, v = 0.00025; m̂ = 0.5, v̂ = 0.25 → θ₁ = 1 − 0.1·0.5/0.5 = 0.9
        // t = 2: m = 0.045 + 0.025 = 0.07, v = 0.00024975 + 0.0000625 = 0.00031225
        //        m̂ = 0.07/0.19, v̂ = 0.00031225/0.001999 → θ₂ = 0.9 − 0.1·m̂/(√v̂ + ε) = 0.806782
        let r = try twoSteps { try Adam($0, learningRate: 0.1) }
        #expect(close(r.first, [0.9, -1.9, 0.5]))
        #expect(close(r.second, [0.806782066822052, -1.9366103410720825, 0.5744136571884155]))
        let state = r.optimizer.state()
        #expect(try state["step"]!.item() == 2)
        #expect(try state["0.step"]!.item() == 2)
        #expect(close(state["0.exp_avg"]!.scalars, [0.07, 0.11, -0.075]))
        #expect(close(state["0.exp_avg_sq"]!.scalars, [0.00031225, 0.004999, 0.0005625]))
    }

    @Test func adamWithL2AndAMSGrad() throws {
        let r = try twoSteps { try Adam($0, learningRate: 0.1, weightDecay: 0.1, amsgrad: true) }
        #expect(close(r.first, [0.9, -1.9, 0.4]))
        #expect(close(r.second, [0.8050097823143005, -1.9250178337097168, 0.4695253074169159]))
        #expect(close(r.optimizer.state()["0.max_exp_avg_sq"]!.scalars, [0.00047524, 0.00471466, 0.0005065975]))
    }

    @Test func adamWDecouplesWeightDecay() throws {
        // θ is first shrunk by 1 − 0.1·0.1 = 0.99, then moved as by Adam: 0.99 − 0.1 = 0.89;
        // the moments are Adam's (the decay never enters them).
        let r = try twoSteps { try AdamW($0, learningRate: 0.1, weightDecay: 0.1) }
        #expect(close(r.first, [0.89, -1.88, 0.495]))
        #expect(close(r.second, [0.7878820896148682, -1.8978103399276733, 0.5644636750221252]))
        #expect(close(r.optimizer.state()["0.exp_avg"]!.scalars, [0.07, 0.11, -0.075]))
    }

    @Test func rmsprop() throws {
        // s = 0.01·0.25 = 0.0025, θ₁ = 1 − 0.01·0.5/0.05 = 0.9
        let r = try twoSteps { try RMSprop($0, learningRate: 0.01) }
        #expect(close(r.first, [0.9, -1.9, 0.5]))
        #expect(close(r.second, [0.8550987243652344, -1.989532232284546, 0.5999999642372131], tolerance: 2e-6))
        #expect(close(r.optimizer.state()["0.square_avg"]!.scalars, [0.0031, 0.0499, 0.005625]))
    }

    @Test func rmspropCenteredWithMomentumAndWeightDecay() throws {
        // g = 0.5 + 0.1 = 0.6, s = 0.1·0.36 = 0.036, ḡ = 0.06, d = √(0.036 − 0.0036) = 0.18,
        // b = 0.6/0.18 = 3.333…, θ₁ = 1 − 0.01·3.333… = 0.966667
        let r = try twoSteps {
            try RMSprop($0, learningRate: 0.01, alpha: 0.9, weightDecay: 0.1, momentum: 0.9, centered: true)
        }
        #expect(close(r.first, [0.9666666984558105, -1.9666666984558105, 0.46666669845581055]))
        #expect(close(r.second, [0.9185352325439453, -1.9635621309280396, 0.46969079971313477], tolerance: 2e-6))
        let state = r.optimizer.state()
        #expect(close(state["0.momentum_buffer"]!.scalars, [4.813145, -0.31046104, -0.30240965], tolerance: 1e-5))
        #expect(close(state["0.grad_avg"]!.scalars, [0.08866667, 0.07233333, -0.06583333]))
    }

    /// Every optimizer drives f(θ) = Σ aᵢ(θᵢ − cᵢ)² (an ill-conditioned bowl) to its minimum.
    @Test(arguments: ["SGD", "Nesterov", "Adam", "AdamW", "AMSGrad", "RMSprop", "RMSprop-centered"])
    func minimizesAQuadratic(kind: String) throws {
        let target = Tensor([3, -1, 0.5, 2])
        let scale = Tensor([1, 4, 0.5, 2])
        let p = Parameter(try Tensor.zeros([4]))
        let opt: any Optimizer
        switch kind {
        case "SGD": opt = try SGD([p], learningRate: 0.05, momentum: 0.9)
        case "Nesterov": opt = try SGD([p], learningRate: 0.05, momentum: 0.9, nesterov: true)
        case "Adam": opt = try Adam([p], learningRate: 0.05)
        case "AdamW": opt = try AdamW([p], learningRate: 0.05, weightDecay: 0)
        case "AMSGrad": opt = try Adam([p], learningRate: 0.05, amsgrad: true)
        case "RMSprop": opt = try RMSprop([p], learningRate: 0.01)
        default: opt = try RMSprop([p], learningRate: 0.01, momentum: 0.5, centered: true)
        }
        for _ in 0..<600 {
            opt.zeroGrad()
            let loss = try (scale * (p.value - target).square()).sum()
            try loss.backward()
            try opt.step()
        }
        #expect(close(p.value.scalars, target.scalars, tolerance: 2e-2), "\(kind) ended at \(p.value.scalars)")
        #expect(opt.stepCount == 600)
    }

    @Test func parametersWithoutGradientsAreSkipped() throws {
        let a = Parameter(Tensor([1, 2])), b = Parameter(Tensor([3]))
        let opt = try Adam([a, b], learningRate: 0.1)
        try setGrad(a, [1, 1])
        try opt.step()
        #expect(b.value.scalars == [3])
        let state = opt.state()
        #expect(state["1.step"] == nil && state["1.exp_avg"] == nil)
        #expect(try state["0.step"]!.item() == 1)
        // b's first step later is a first step for its bias correction: a full-size move.
        opt.zeroGrad()
        try setGrad(b, [5])
        try opt.step()
        #expect(close(b.value.scalars, [2.9]))
        #expect(try opt.state()["1.step"]!.item() == 1)
    }

    @Test func stepsUpdateInPlace() throws {
        // The parameter keeps its storage and its identity as a variable: no copy per step.
        let p = Parameter(Tensor([1, 2, 3]))
        let opt = try Adam([p], learningRate: 0.1)
        func address() -> UnsafePointer<Float>? { p.value.withUnsafeBufferPointer { $0.baseAddress } }
        try setGrad(p, [1, 1, 1])
        try opt.step()
        let first = address()
        for _ in 0..<3 {
            opt.zeroGrad()
            try (p.value * p.value).sum().backward()
            try opt.step()
            #expect(address() == first)
        }
        #expect(p.value.requiresGrad)
    }

    @Test func adamWDecayScope() throws {
        let net = try TinyNet()
        let before = net.parameterTensors()
        let opt = try AdamW(net, learningRate: 0.1, weightDecay: 0.5, weightDecayScope: .matricesOnly)
        for (_, p) in net.namedParameters() { try setGrad(p, [Float](repeating: 0, count: p.count)) }
        try opt.step()   // zero gradients: only the decay moves the weights
        #expect(close(net.weight.value.scalars, before["weight"]!.scalars.map { $0 * 0.95 }))
        #expect(close(net.head.weight.value.scalars, before["head.weight"]!.scalars.map { $0 * 0.95 }))
        #expect(net.bias.value.scalars == before["bias"]!.scalars)
        let named = try AdamW(net, learningRate: 0.1, weightDecay: 0.5, weightDecayScope: .allExcept(["weight"]))
        try named.step()
        #expect(close(net.bias.value.scalars, before["bias"]!.scalars.map { $0 * 0.95 }))
    }

    @Test func moduleParametersAreNamedByPath() throws {
        let net = try TinyNet()
        let opt = try SGD(net, learningRate: 0.1, momentum: 0.9)
        #expect(opt.namedParameters.map(\.name) == ["weight", "bias", "head.weight"])
        for (_, p) in opt.namedParameters { try setGrad(p, [Float](repeating: 1, count: p.count)) }
        try opt.step()
        #expect(Set(opt.state().keys) == ["step", "weight.step", "weight.momentum_buffer", "bias.step",
                                             "bias.momentum_buffer", "head.weight.step", "head.weight.momentum_buffer"])
    }

    @Test func stateRoundTripResumesExactly() throws {
        // Two optimizers: one runs 5 steps; the other gets its state after 3 and runs 2.
        func grads(_ step: Int) -> [Float] { [Float(step) * 0.3 - 1, 0.5, Float(step % 2) - 0.2] }
        let p = Parameter(Tensor([0.2, -0.4, 1.5])), q = Parameter(Tensor([0.2, -0.4, 1.5]))
        let a = try AdamW([p], learningRate: 0.05), b = try AdamW([q], learningRate: 0.05)
        for s in 0..<3 { try setGrad(p, grads(s)); try a.step() }
        try q.assign(p.value)
        try b.loadState(a.state())
        #expect(b.stepCount == 3)
        for s in 3..<5 {
            try setGrad(p, grads(s)); try a.step()
            try setGrad(q, grads(s)); try b.step()
        }
        #expect(bits(p.value) == bits(q.value))
    }

    @Test func loadStateRejectsMismatches() throws {
        let p = Parameter(Tensor([1, 2]))
        let opt = try Adam([p])
        try setGrad(p, [1, 1])
        try opt.step()
        var state = opt.state()
        let fresh = try Adam([Parameter(Tensor([1, 2]))])

        state["0.exp_avg"] = Tensor([1, 2, 3])
        let shape = #expect(throws: OptimizerError.self) { try fresh.loadState(state) }
        #expect(shape?.message.contains("0.exp_avg") == true)

        state = opt.state()
        state["7.exp_avg"] = Tensor([1, 2])
        let extra = #expect(throws: OptimizerError.self) { try fresh.loadState(state) }
        #expect(extra?.message.contains("7.exp_avg") == true)

        state = opt.state()
        state["0.exp_avg_sq"] = nil
        #expect(throws: OptimizerError.self) { try fresh.loadState(state) }
        #expect(fresh.stepCount == 0)  // nothing changed by the failed loads

        state = opt.state()
        state["step"] = Tensor(1.5)
        #expect(throws: OptimizerError.self) { try fresh.loadState(state) }
    }

    @Test func badHyperparametersThrow() throws {
        let p = [Parameter(Tensor([1]))]
        #expect(throws: OptimizerError.self) { try SGD(p, learningRate: -1) }
        #expect(throws: OptimizerError.self) { try SGD(p, learningRate: 0.1, nesterov: true) }
        #expect(throws: OptimizerError.self) { try Adam(p, beta1: 1) }
        #expect(throws: OptimizerError.self) { try AdamW(p, beta2: -0.1) }
        #expect(throws: OptimizerError.self) { try RMSprop(p, alpha: 1.5) }
        #expect(throws: OptimizerError.self) { try Adam(p + p) }
        let e = #expect(throws: OptimizerError.self) { try Adam(p, learningRate: .nan) }
        #expect(e?.description.hasPrefix("Adam: learning rate") == true)
    }

    @Test func printsItsHyperparameters() throws {
        let opt = try SGD([Parameter(Tensor([1]))], learningRate: 0.5, momentum: 0.9)
        #expect(opt.description == "SGD(lr: 0.5, dampening: 0.0, momentum: 0.9, nesterov: false, weight_decay: 0.0; 1 parameter, 0 steps)")
    }

    @Test func stepFollowsASchedule() throws {
        let p = Parameter(Tensor([0]))
        let opt = try SGD([p], learningRate: 1)
        let schedule = Schedule.linear(from: 1, to: 0, steps: 4)
        var lrs: [Float] = []
        for _ in 0..<5 {
            try setGrad(p, [1])
            try opt.step(schedule: schedule)
            lrs.append(opt.learningRate)
        }
        #expect(lrs == [1, 0.75, 0.5, 0.25, 0])
        #expect(close(p.value.scalars, [-2.5]))
    }
}
