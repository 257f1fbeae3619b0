import CBLAS
import Foundation
import Testing
@testable import TensorCore

@Suite("Kernel choice and the CPU")
struct GemmCalibrationTests {
    @Test func theSystemReportsTheCPU() {
        #expect(!CPU.model.isEmpty)
        #expect(CPU.l1Data >= 8 << 10 && CPU.l1Data <= 4 << 20, "L1d \(CPU.l1Data)")
        #expect(CPU.l2 > CPU.l1Data, "L2 \(CPU.l2), L1d \(CPU.l1Data)")
        #expect(BLAS.inPlaceMaxK >= 64 && BLAS.transAChunk >= 64 && BLAS.transAChunk % 64 == 0)
        #expect(CPU.summary.contains(CPU.model))
    }

    @Test func productsFallIntoClasses() {
        #expect(GemmClass.of(transA: true, m: 512, n: 512, k: 4096) == .weightGradient)
        #expect(GemmClass.of(transA: false, m: 16, n: 512, k: 145) == .small)
        #expect(GemmClass.of(transA: false, m: 64, n: 16, k: 16) == .small)
        #expect(GemmClass.of(transA: false, m: 2048, n: 128, k: 384) == .tall)
        #expect(GemmClass.of(transA: false, m: 1024, n: 1024, k: 1024) == .square)
        for c in GemmClass.allCases {
            let s = c.calibrationShape
            #expect(GemmClass.of(transA: s.transA, m: s.m, n: s.n, k: s.k) == c, "\(c)'s calibration shape")
        }
    }

    /// OpenBLAS takes a class only when it is faster by the margin: timings that differ by
    /// noise keep Memento's kernel.
    @Test func theChoiceHasAMargin() {
        #expect(GemmChoices.choose(memento: 1.0, openblas: 0.95) == .memento)
        #expect(GemmChoices.choose(memento: 1.0, openblas: 1.05) == .memento)
        #expect(GemmChoices.choose(memento: 1.0, openblas: 0.8) == .openblas)
    }

    @Test func theEnvironmentForcesAKernel() {
        #expect(GemmPolicy.forced(nil).kernel == nil)
        #expect(GemmPolicy.forced("auto").kernel == nil)
        #expect(GemmPolicy.forced("memento").kernel == .memento)
        #expect(GemmPolicy.forced("OpenBLAS").kernel == .openblas)
        let bad = GemmPolicy.forced("mkl")
        #expect(bad.kernel == nil && bad.message?.contains("MEMENTO_GEMM=mkl") == true)
    }

    /// AVX-512 forced on a CPU without it: the decision is no (never an illegal
    /// instruction) and the message says why.
    @Test func forcingAVX512WithoutItFallsBack() {
        func decide(_ setting: String?, _ hardware: Int32) -> (Int32, String) {
            var buffer = [CChar](repeating: 0, count: 256)
            let on = memento_avx512_decide(setting, hardware, &buffer, buffer.count)
            return (on, String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        #expect(decide(nil, 1) == (1, ""))
        #expect(decide("auto", 0) == (0, ""))
        #expect(decide("0", 1) == (0, ""))
        #expect(decide("off", 1) == (0, ""))
        #expect(decide("1", 1) == (1, ""))
        let forced = decide("1", 0)
        #expect(forced.0 == 0 && forced.1.contains("lacks AVX-512"), "\(forced.1)")
        let bad = decide("maybe", 1)
        #expect(bad.0 == 1 && bad.1.contains("not understood"))
    }

    @Test func theCacheFileRoundTrips() throws {
        let choices = GemmChoices(kernels: [.small: .memento, .tall: .openblas, .square: .memento, .weightGradient: .openblas],
                                  macsPerSecond: 1.25e11, seconds: [.small: [.memento: 1e-5, .openblas: 2e-5]])
        let text = choices.serialized(key: "CPU X | avx512 on | openblas SkylakeX")
        let back = try #require(GemmChoices.parse(text, key: "CPU X | avx512 on | openblas SkylakeX"))
        #expect(back.kernels == choices.kernels && back.macsPerSecond == choices.macsPerSecond)
        #expect(back.summary == "small=memento tall=openblas square=memento weight_gradient=openblas")
        // Another machine's file, a truncated one, garbage, a duplicated class: ignored.
        #expect(GemmChoices.parse(text, key: "CPU Y | avx512 on | openblas SkylakeX") == nil)
        #expect(GemmChoices.parse(String(text.prefix(text.count / 2)), key: "CPU X | avx512 on | openblas SkylakeX") == nil)
        #expect(GemmChoices.parse("\u{0}\u{1}garbage\n", key: "CPU X | avx512 on | openblas SkylakeX") == nil)
        let duplicated = text.replacingOccurrences(of: "class tall openblas", with: "class small openblas")
        #expect(GemmChoices.parse(duplicated, key: "CPU X | avx512 on | openblas SkylakeX") == nil)
        #expect(GemmChoices.parse(text.replacingOccurrences(of: "macs_per_second \(choices.macsPerSecond)", with: "macs_per_second -3"), key: "CPU X | avx512 on | openblas SkylakeX") == nil)
    }

    /// The first run calibrates and saves; the next reads the same choices back; a corrupt
    /// file is replaced by a new calibration.
    @Test func aCorruptCacheIsRebuilt() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("memento-gemm-\(getpid())-\(UInt64.random(in: 0...UInt64.max))")
        defer { try? FileManager.default.removeItem(at: dir) }
        let key = GemmPolicy.machineKey
        let (first, firstSource) = GemmPolicy.cachedOrCalibrated(key: key, directory: dir)
        #expect(firstSource.hasPrefix("calibrated, saved"), "\(firstSource)")
        #expect(first.macsPerSecond > 0 && first.kernels.count == GemmClass.allCases.count)
        let (second, secondSource) = GemmPolicy.cachedOrCalibrated(key: key, directory: dir)
        #expect(secondSource.hasPrefix("cached"), "\(secondSource)")
        #expect(second.kernels == first.kernels && second.macsPerSecond == first.macsPerSecond)
        let file = GemmPolicy.cacheFile(key: key, directory: dir)
        try Data("memento-gemm-calibration 1\nkey \(key)\nmacs_per_second x\n".utf8).write(to: file)
        let (_, thirdSource) = GemmPolicy.cachedOrCalibrated(key: key, directory: dir)
        #expect(thirdSource.hasPrefix("calibrated, saved"), "\(thirdSource)")
        let rewritten = try String(contentsOf: file, encoding: .utf8)
        #expect(GemmChoices.parse(rewritten, key: key) != nil)
        // Without AVX-512 every class runs OpenBLAS.
        if !BLAS.hasInPlaceKernel { #expect(first.kernels.values.allSatisfy { $0 == .openblas }) }
    }
}

@Suite("Vector math")
struct VectorMathTests {
    /// exp, sigmoid and tanh of the active path (AVX-512; AVX2 with MEMENTO_AVX512=0; the C
    /// library elsewhere) against Foundation's, including a tail shorter than a vector, the
    /// underflow to an exact 0 and saturation.
    @Test func matchesTheCLibrary() {
        var x: [Float] = (0..<37).map { Float($0) * 0.61 - 11 }
        x += [-100, -87.5, -20, 0, 20, 88, 100]
        var e = [Float](repeating: 0, count: x.count), s = e, t = e
        memento_vexp(x, &e, x.count)
        memento_vsigmoid(x, &s, x.count)
        memento_vtanh(x, &t, x.count)
        for i in x.indices {
            let ref = Foundation.exp(x[i])
            if x[i] < -87.3 { #expect(e[i] == 0, "exp(\(x[i]))") } else if x[i] <= 88 {
                #expect(Swift.abs(e[i] - ref) <= 3e-7 * ref, "exp(\(x[i])) = \(e[i]), not \(ref)")
            }
            #expect(Swift.abs(s[i] - 1 / (1 + Foundation.exp(-x[i]))) < 1e-6, "sigmoid(\(x[i]))")
            #expect(Swift.abs(t[i] - Foundation.tanh(x[i])) < 1e-6, "tanh(\(x[i]))")
        }
    }
}
