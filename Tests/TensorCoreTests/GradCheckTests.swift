import Testing
@testable import TensorCore

/// A finite-difference gradient check for every differentiable op. The table is keyed by
/// op name and must cover `Op.allCases` and `Op.composites`: an op added without a check
/// fails `everyOpHasACheck`.
@Suite("Gradient checks")
struct GradCheckTests {
    static var positive: Tensor { rand([3, 4], seed: 11, low: 0.5, high: 2) }
    static var checks: [String: () throws -> Void] { [
        // Binary, with broadcasting both ways
        "add": { try expectGradients("add", [rand([3, 4]), rand([4], seed: 2)]) { try $0[0] + $0[1] } },
        "sub": { try expectGradients("sub", [rand([2, 1, 4]), rand([3, 1], seed: 2)]) { try $0[0] - $0[1] } },
        "mul": { try expectGradients("mul", [rand([3, 4]), rand([3, 1], seed: 2)]) { try $0[0] * $0[1] } },
        "div": { try expectGradients("div", [rand([3, 4]), positive]) { try $0[0] / $0[1] } },
        "pow": { try expectGradients("pow", [positive, rand([4], seed: 3)]) { try Tensor.pow($0[0], $0[1]) } },
        "maximum": { try expectGradients("maximum", [spread([3, 4]), spread([3, 4], seed: 5).adding(0.05)]) { try Tensor.maximum($0[0], $0[1]) } },
        "minimum": { try expectGradients("minimum", [spread([3, 4]), spread([1, 4], seed: 5).adding(0.05)]) { try Tensor.minimum($0[0], $0[1]) } },
        // With a scalar
        "addScalar": { try expectGradients("addScalar", [rand([5])]) { $0[0] + 3 } },
        "mulScalar": { try expectGradients("mulScalar", [rand([5])]) { $0[0] * -2.5 } },
        "powScalar": { try expectGradients("powScalar", [positive]) { $0[0].pow(1.7) } },
        "rsubScalar": { try expectGradients("rsubScalar", [rand([5])]) { 1 - $0[0] } },
        "rdivScalar": { try expectGradients("rdivScalar", [positive]) { 2 / $0[0] } },
        // Unary
        "neg": { try expectGradients("neg", [rand([4])]) { -$0[0] } },
        "square": { try expectGradients("square", [rand([4])]) { $0[0].square() } },
        "exp": { try expectGradients("exp", [rand([3, 4])]) { $0[0].exp() } },
        "log": { try expectGradients("log", [positive]) { $0[0].log() } },
        "sqrt": { try expectGradients("sqrt", [positive]) { $0[0].sqrt() } },
        "sin": { try expectGradients("sin", [rand([6])]) { $0[0].sin() } },
        "cos": { try expectGradients("cos", [rand([6])]) { $0[0].cos() } },
        "tanh": { try expectGradients("tanh", [rand([3, 4])]) { $0[0].tanh() } },
        "sigmoid": { try expectGradients("sigmoid", [rand([3, 4], low: -4, high: 4)]) { $0[0].sigmoid() } },
        "relu": { try expectGradients("relu", [rand([3, 4])]) { $0[0].relu() } },
        "leakyRelu": { try expectGradients("leakyRelu", [rand([3, 4])]) { $0[0].leakyRelu(slope: 0.1) } },
        "gelu": { try expectGradients("gelu", [rand([3, 4], low: -3, high: 3)]) { $0[0].gelu() } },
        "geluTanh": { try expectGradients("geluTanh", [rand([3, 4], low: -3, high: 3)]) { $0[0].gelu(approximate: true) } },
        "softplus": { try expectGradients("softplus", [rand([3, 4], low: -5, high: 5)]) { $0[0].softplus() } },
        "abs": { try expectGradients("abs", [rand([3, 4])]) { $0[0].abs() } },
        "clamp": { try expectGradients("clamp", [spread([3, 4])]) { try $0[0].clamp(min: -0.5, max: 0.5) } },
        "whereSelect": {
            let cond = try Tensor.gt(rand([3, 4], seed: 9), Tensor(0))
            try expectGradients("where", [rand([3, 4]), rand([4], seed: 2)]) { try Tensor.where(cond, $0[0], $0[1]) }
        },
        "maskedFill": {
            let mask = try Tensor.gt(rand([1, 4], seed: 9), Tensor(0))
            try expectGradients("maskedFill", [rand([3, 4])]) { try $0[0].maskedFill(mask, -1e9).softmax() }
        },
        // Reductions
        "sum": { try expectGradients("sum", [rand([2, 3, 4])]) { try $0[0].sum(axes: [0, 2], keepdims: true) } },
        "mean": { try expectGradients("mean", [rand([2, 3, 4])]) { try $0[0].mean(axis: 1) } },
        "max": { try expectGradients("max", [spread([2, 3, 4])]) { try $0[0].max(axis: -1) } },
        "min": { try expectGradients("min", [spread([2, 3, 4])]) { try $0[0].min(axes: [0, 1]) } },
        "variance": { try expectGradients("variance", [rand([3, 5])]) { try $0[0].variance(axis: 1) } },
        "std": { try expectGradients("std", [rand([3, 5])]) { try $0[0].std(axis: 0, correction: 0) } },
        "logsumexp": { try expectGradients("logsumexp", [rand([3, 5], low: -3, high: 3)]) { try $0[0].logsumexp(axes: [1]) } },
        "softmax": { try expectGradients("softmax", [rand([2, 3, 4])]) { try $0[0].softmax(axis: 1) } },
        "logSoftmax": { try expectGradients("logSoftmax", [rand([3, 5])]) { try $0[0].logSoftmax() } },
        "cumsum": {
            try expectGradients("cumsum", [rand([3, 4])]) { try $0[0].cumsum(axis: 1) }
            try expectGradients("cumsum reverse", [rand([3, 4])]) { try $0[0].cumsum(axis: 0, reverse: true) }
        },
        // Shape
        "reshape": { try expectGradients("reshape", [rand([2, 6])]) { try $0[0].reshape([3, -1]).exp() } },
        "permute": { try expectGradients("permute", [rand([2, 3, 4])]) { try $0[0].permute([2, 0, 1]).cumsum(axis: 0) } },
        "transpose": { try expectGradients("transpose", [rand([3, 4])]) { try $0[0].transposed().cumsum(axis: 1) } },
        "broadcastTo": { try expectGradients("broadcastTo", [rand([3, 1])]) { try $0[0].broadcast(to: [2, 3, 4]).cumsum(axis: 2) } },
        "slice": {
            try expectGradients("slice", [rand([4, 5])]) { try $0[0][.slice(1, nil, step: 2), .slice(-1, 0, step: -2)] }
            try expectGradients("slice at", [rand([4, 5])]) { try $0[0][.all, .at(-2), .newAxis] }
        },
        "indexSelect": { try expectGradients("indexSelect", [rand([5, 3])]) { try $0[0].indexSelect(axis: 0, [4, 0, 4, 2]) } },
        "gather": {
            let idx = try Tensor([2, 0, 1, 1], shape: [4, 1])
            try expectGradients("gather", [rand([4, 3])]) { try $0[0].gather(axis: 1, idx) }
        },
        "scatterAdd": {
            let idx = try Tensor([0, 2, 2, 1, 0, 0], shape: [2, 3])
            try expectGradients("scatterAdd", [rand([2, 4]), rand([2, 3], seed: 3)]) { try $0[0].scatterAdd(axis: 1, idx, $0[1]) }
        },
        "maskedSelect": {
            let mask = try Tensor([1, 0, 1, 1, 0, 0, 1, 0, 1, 0, 0, 1], shape: [3, 4])
            try expectGradients("maskedSelect", [rand([3, 4])]) { try $0[0].maskedSelect(mask).cumsum(axis: 0) }
            let rows = Tensor([0, 1, 1])
            try expectGradients("maskedSelect rows", [rand([3, 4])]) { try $0[0].maskedSelect(rows).cumsum(axis: 1) }
        },
        "concat": { try expectGradients("concat", [rand([2, 3]), rand([2, 1], seed: 2)]) { try Tensor.concat([$0[0], $0[1], $0[0]], axis: 1) } },
        "stack": { try expectGradients("stack", [rand([2, 3]), rand([2, 3], seed: 2)]) { try Tensor.stack([$0[0], $0[1]], axis: 1) } },
        "split": {
            try expectGradients("split", [rand([5, 2])]) { x in
                let parts = try x[0].split(sizes: [2, 3], axis: 0)
                return try parts[0].sum() * parts[1].sum()
            }
        },
        "pad": { try expectGradients("pad", [rand([2, 3])]) { try $0[0].pad([(1, 0), (2, 1)], value: 0.5).cumsum(axis: 1) } },
        // Linear algebra
        "matmul": {
            try expectGradients("matmul 2d", [rand([3, 4]), rand([4, 2], seed: 2)]) { try $0[0].matmul($0[1]) }
            try expectGradients("matmul folded", [rand([2, 3, 4]), rand([4, 2], seed: 2)]) { try $0[0].matmul($0[1]) }
            try expectGradients("matmul batched broadcast", [rand([2, 1, 3, 4]), rand([3, 4, 2], seed: 2)]) { try $0[0].matmul($0[1]) }
            try expectGradients("matmul vector", [rand([4]), rand([4, 2], seed: 2)]) { try $0[0].matmul($0[1]) }
        },
        // A kernel with two outputs made through recordMulti: (x·y, x + y).
        "custom": {
            func fused(_ x: Tensor, _ y: Tensor) -> [Tensor] {
                let prod = Tensor.makeStorage(count: x.count), total = Tensor.makeStorage(count: x.count)
                for i in 0..<x.count {
                    prod.elements[i] = x.unsafePointer[i] * y.unsafePointer[i]
                    total.elements[i] = x.unsafePointer[i] + y.unsafePointer[i]
                }
                return Tensor.recordMulti("fusedMulAdd", outputs: [(prod, x.shape), (total, x.shape)], inputs: [x, y]) { g in
                    var dx = Tensor.zeros(like: x), dy = Tensor.zeros(like: y)
                    if let gp = g[0] { try! dx.addInPlace(gp * y); try! dy.addInPlace(gp * x) }
                    if let gs = g[1] { try! dx.addInPlace(gs); try! dy.addInPlace(gs) }
                    x.accumulateGradient(dx)
                    y.accumulateGradient(dy)
                }
            }
            try expectGradients("custom both outputs", [rand([5]), rand([5], seed: 2)]) { xs in
                let o = fused(xs[0], xs[1])
                return try o[0] * 2 + o[1].square()
            }
            try expectGradients("custom second output only", [rand([5]), rand([5], seed: 2)]) { xs in fused(xs[0], xs[1])[1].exp() }
        },
        // Composites used by layers and losses
        "linear": {
            try expectGradients("linear", [rand([2, 5, 3]), rand([4, 3], seed: 2), rand([4], seed: 3)]) { try Tensor.linear($0[0], weight: $0[1], bias: $0[2]) }
            try expectGradients("linear no bias", [rand([5, 3]), rand([4, 3], seed: 2)]) { try Tensor.linear($0[0], weight: $0[1], bias: nil) }
        },
        "normalize": {
            try expectGradients("normalize", [rand([3, 6])]) { x in
                let mu = try x[0].mean(axis: -1, keepdims: true)
                let v = try x[0].variance(axis: -1, correction: 0, keepdims: true)
                return try (x[0] - mu) / (v + 1e-5).sqrt()
            }
        },
        "huber": {
            try expectGradients("huber", [rand([8], low: -3, high: 3)]) { x in
                let a = x[0].abs()
                return try Tensor.where(Tensor.lt(a, Tensor(1)), x[0].square() * 0.5, a - 0.5)
            }
        },
        "mse": { try expectGradients("mse", [rand([6]), rand([6], seed: 2)]) { try ($0[0] - $0[1]).square().mean() } },
    ] }

    @Test func everyOpHasACheck() {
        let required = Set(Op.allCases.filter { $0 != .leaf }.map(\.rawValue) + Op.composites)
        let missing = required.subtracting(GradCheckTests.checks.keys)
        #expect(missing.isEmpty, "ops without a gradient check: \(missing.sorted())")
        let unknown = Set(GradCheckTests.checks.keys).subtracting(required)
        #expect(unknown.isEmpty, "checks for unknown ops (add them to Op or Op.composites): \(unknown.sorted())")
    }

    @Test(arguments: checks.keys.sorted())
    func gradient(of op: String) throws {
        try GradCheckTests.checks[op]!()
    }

    @Test func gradientsAccumulateAcrossCalls() throws {
        let x = Tensor([1, 2, 3]).requiringGrad()
        try (x * x).sum().backward()
        try (x * 3).sum().backward()
        expectClose(x.grad!, [5, 7, 9])
        x.zeroGrad()
        #expect(x.grad == nil)
    }

    @Test func sharedInputGetsBothContributions() throws {
        let x = Tensor([2]).requiringGrad()
        let y = try x * x + x  // dy/dx = 2x + 1
        try y.sum().backward()
        expectClose(x.grad!, [5])
    }

    @Test func noGradRecordsNothing() throws {
        let x = Tensor([1, 2]).requiringGrad()
        let y = try noGrad { try x * x }
        #expect(!y.requiresGrad)
        #expect(errorText { try y.sum().backward() }?.contains("does not require gradients") == true)
    }

    @Test func detachStopsGradient() throws {
        let x = Tensor([3]).requiringGrad()
        let y = try x * x.detached()
        try y.sum().backward()
        expectClose(x.grad!, [3])
    }

    @Test func backwardTwiceNeedsRetainGraph() throws {
        let x = Tensor([1, 2]).requiringGrad()
        let y = x.exp().sum()
        try y.backward(retainGraph: true)
        try y.backward()
        expectClose(x.grad!, [2 * Foundation.exp(1), 2 * Foundation.exp(2)], tol: 1e-5)
        #expect(errorText { try y.backward() }?.contains("already released") == true)
    }

    @Test func deepChainDoesNotOverflowTheStack() throws {
        // A 20 000-step chain (a long recurrent unroll) back-propagates iteratively.
        let x = Tensor([1]).requiringGrad()
        var h = x
        for _ in 0..<20_000 { h = h * 1.0001 }
        try h.sum().backward()
        #expect(Swift.abs(try x.grad!.item() - Float(Foundation.pow(1.0001, 20_000.0))) < 1e-2)
    }

    @Test func nonScalarBackwardNeedsGradient() throws {
        let x = Tensor([1, 2]).requiringGrad()
        #expect(errorText { try (x * 2).backward() }?.contains("needs a scalar") == true)
        try (x * 2).backward(gradient: Tensor([1, 10]))
        expectClose(x.grad!, [2, 20])
    }
}

import Foundation
