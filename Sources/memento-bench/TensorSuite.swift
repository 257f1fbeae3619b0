import CBLAS
import Foundation
import Synchronization
import TensorCore

/// Suite `tensor`: matrix products against `torch.mm`, the machine's FMA peak, and the
/// per-operation overhead of a tiny forward and backward pass.
func tensorSuite() -> [BenchCase] {
    var cases: [BenchCase] = []
    for n in [64, 256, 1024] {
        var rng = RNG(seed: UInt64(n))
        let a = try! Tensor.normal([n, n], rng: &rng), b = try! Tensor.normal([n, n], rng: &rng)
        cases.append(BenchCase(
            suite: "tensor", name: "matmul_\(n)", unit: "GFLOPS", better: .higher, peerCase: "matmul_\(n)", noPeerReason: nil
        ) {
            let (calls, seconds) = try timed(atLeast: 0.2) { _ = try a.matmul(b) }
            return 2 * Double(n * n * n) * Double(calls) / seconds / 1e9
        })
    }
    cases.append(BenchCase(
        suite: "tensor", name: "fp32_peak", unit: "GFLOPS", better: .higher, peerCase: nil,
        noPeerReason: "the physical limit of this machine (FMA loop on every core); no peer"
    ) {
        fmaPeak(threads: ProcessInfo.processInfo.activeProcessorCount)
    })
    cases.append(BenchCase(
        suite: "tensor", name: "tiny_op_fwd_bwd", unit: "µs", better: .lower, peerCase: "tiny_op_fwd_bwd", noPeerReason: nil
    ) {
        var rng = RNG(seed: 1)
        let a = try Tensor.normal([4, 4], rng: &rng).requiringGrad()
        let b = try Tensor.normal([4, 4], rng: &rng).requiringGrad()
        let (calls, seconds) = try timed(atLeast: 0.2) {
            for _ in 0..<100 {
                let z = try (a * b + a).sum()
                try z.backward()
                a.zeroGrad()
                b.zeroGrad()
            }
        }
        return seconds / Double(calls * 100) * 1e6
    })
    return cases
}

/// GFLOPS of the register-resident FMA loop run on `threads` threads at once: each thread
/// times its own run, and the rates add up (thread start-up is not counted).
func fmaPeak(threads: Int) -> Double {
    let iterations = 40_000_000
    let rates = Mutex([Double](repeating: 0, count: threads))
    DispatchQueue.concurrentPerform(iterations: threads) { t in
        let start = DispatchTime.now().uptimeNanoseconds
        let flops = memento_fma_peak_kernel(iterations)
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        rates.withLock { $0[t] = flops / seconds / 1e9 }
    }
    return rates.withLock { $0.reduce(0, +) }
}
