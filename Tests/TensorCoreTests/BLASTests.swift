import Testing
import CBLAS
@testable import TensorCore

@Suite("OpenBLAS")
struct BLASTests {
    @Test func openBLASIsLoadedWithTheFastKernel() {
        #expect(BLAS.isAvailable, "OpenBLAS not available: \(BLAS.loadError ?? "?")")
        // On an AVX-512 CPU, Memento asks for the SkylakeX kernel unless the user chose one
        // (Haswell when MEMENTO_AVX512=0 turns AVX-512 off), and OpenBLAS runs it.
        if let asked = BLAS.coreTypeSetByMemento {
            #expect(asked == (CPU.avx512 ? "SkylakeX" : "Haswell"))
            #expect(BLAS.coreName.lowercased() == asked.lowercased(), "OpenBLAS runs \(BLAS.coreName)")
        }
    }

    /// OpenBLAS agrees with the plain-loop reference for every transpose combination and
    /// odd sizes, with leading dimensions larger than the matrices.
    @Test(arguments: [(false, false), (true, false), (false, true), (true, true)])
    func agreesWithReference(transA: Bool, transB: Bool) throws {
        for (m, n, k) in [(1, 1, 1), (3, 5, 7), (17, 9, 33), (64, 65, 66)] {
            let lda = (transA ? m : k) + 2, ldb = (transB ? k : n) + 3, ldc = n + 1
            let a = rand([(transA ? k : m) * lda], seed: 1), b = rand([(transB ? n : k) * ldb], seed: 2)
            let c0 = rand([m * ldc], seed: 3)
            var fast = c0.scalars, slow = c0.scalars
            a.withUnsafeBufferPointer { pa in
                b.withUnsafeBufferPointer { pb in
                    fast.withUnsafeMutableBufferPointer { pc in
                        BLAS.sgemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: 0.5, a: pa.baseAddress!, lda: lda,
                                   b: pb.baseAddress!, ldb: ldb, beta: 2, c: pc.baseAddress!, ldc: ldc)
                    }
                    slow.withUnsafeMutableBufferPointer { pc in
                        BLAS.referenceSgemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: 0.5, a: pa.baseAddress!, lda: lda,
                                            b: pb.baseAddress!, ldb: ldb, beta: 2, c: pc.baseAddress!, ldc: ldc)
                    }
                }
            }
            for i in 0..<fast.count {
                #expect(Swift.abs(fast[i] - slow[i]) < 1e-4 * Float(k), "m=\(m) n=\(n) k=\(k) at \(i)")
            }
        }
    }

    /// The unpacked small-product kernel of recurrent steps agrees with the reference,
    /// including partial row blocks (m mod 4) and column blocks (n mod 64), with strides.
    @Test func smallProductMatchesReference() {
        for (m, n, k) in [(1, 1, 1), (2, 40, 9), (3, 17, 5), (4, 64, 8), (6, 70, 12), (7, 130, 33), (32, 512, 128), (16, 128, 512)] {
            for beta: Float in [0, 1] {
                let lda = k + 3, ldb = n + 5, ldc = n + 2
                let a = rand([m * lda], seed: 11), b = rand([k * ldb], seed: 12), c0 = rand([m * ldc], seed: 13)
                var fast = c0.scalars, slow = c0.scalars
                a.withUnsafeBufferPointer { pa in
                    b.withUnsafeBufferPointer { pb in
                        fast.withUnsafeMutableBufferPointer { pc in
                            BLAS.smallProduct(m: m, n: n, k: k, a: pa.baseAddress!, lda: lda, b: pb.baseAddress!, ldb: ldb,
                                              beta: beta, c: pc.baseAddress!, ldc: ldc)
                        }
                        slow.withUnsafeMutableBufferPointer { pc in
                            BLAS.referenceSgemm(transA: false, transB: false, m: m, n: n, k: k, alpha: 1, a: pa.baseAddress!, lda: lda,
                                                b: pb.baseAddress!, ldb: ldb, beta: beta, c: pc.baseAddress!, ldc: ldc)
                        }
                    }
                }
                var worst: Float = 0
                for i in 0..<(m * ldc) where i % ldc < n { worst = Swift.max(worst, Swift.abs(fast[i] - slow[i])) }
                #expect(worst < 1e-4 * Float(k), "m=\(m) n=\(n) k=\(k) beta=\(beta): \(worst)")
                // Padding columns of C (beyond n) are untouched.
                for i in 0..<(m * ldc) where i % ldc >= n { #expect(fast[i] == c0.scalars[i]) }
            }
        }
    }

    /// Products that `sgemm` gives to the in-place kernel (α = 1, β ∈ {0, 1}; A·B, A·Bᵀ
    /// with Bᵀ copied first, Aᵀ·B with the reduction in chunks of 256), with a bias row,
    /// strides, partial row and column blocks and chunks, and sizes large enough to be
    /// split across threads: they agree with the reference, leave C's padding alone, and
    /// (Memento's kernel) give the same bits on 1 and 2 threads.
    /// Each kernel is forced in turn, so that both paths are tested on every machine whatever
    /// its calibration chose; (40, 290, 1000) packs B's panels when the L2 is 1 MiB or less.
    @Test(arguments: [(false, false), (false, true), (true, false)], GemmKernel.allCases)
    func productsMatchReference(transposes: (Bool, Bool), kernel: GemmKernel) {
        let (transA, transB) = transposes
        for (m, n, k) in [(32, 16, 1), (33, 17, 5), (37, 70, 33), (130, 384, 128), (2048, 100, 16), (300, 64, 1024), (40, 20, 600), (36, 300, 700), (40, 290, 1000)] {
            for (beta, withBias) in [(Float(0), false), (0, true), (1, false), (1, true)] {
                if kernel == .memento && k <= BLAS.inPlaceMaxK {
                    #expect(BLAS.inPlaceKernelFits(transA: transA, transB: transB, m: m, n: n, k: k, alpha: 1, beta: beta) == BLAS.hasInPlaceKernel)
                }
                let lda = (transA ? m : k) + 3, ldb = (transB ? k : n) + 5, ldc = n + 2
                let a = rand([(transA ? k : m) * lda], seed: 31), b = rand([(transB ? n : k) * ldb], seed: 32)
                let c0 = rand([m * ldc], seed: 33), bias = rand([n], seed: 34).scalars
                var slow = c0.scalars
                func fast(threads: Int) -> [Float] {
                    var c = c0.scalars
                    a.withUnsafeBufferPointer { pa in
                        b.withUnsafeBufferPointer { pb in
                            bias.withUnsafeBufferPointer { pbias in
                                c.withUnsafeMutableBufferPointer { pc in
                                    BLAS.product(transA: transA, transB: transB, m: m, n: n, k: k, alpha: 1, a: pa.baseAddress!,
                                                 lda: lda, b: pb.baseAddress!, ldb: ldb, beta: beta, c: pc.baseAddress!, ldc: ldc,
                                                 bias: withBias ? pbias.baseAddress! : nil, threads: threads, kernel: kernel)
                                }
                            }
                        }
                    }
                    return c
                }
                a.withUnsafeBufferPointer { pa in
                    b.withUnsafeBufferPointer { pb in
                        slow.withUnsafeMutableBufferPointer { pc in
                            BLAS.referenceSgemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: 1, a: pa.baseAddress!, lda: lda,
                                                b: pb.baseAddress!, ldb: ldb, beta: beta, c: pc.baseAddress!, ldc: ldc)
                        }
                    }
                }
                if withBias { for i in 0..<m { for j in 0..<n { slow[i * ldc + j] += bias[j] } } }
                let one = fast(threads: 1), two = fast(threads: 2)
                // Memento's kernel computes each element the same way on any split; OpenBLAS's
                // edge kernels depend on the piece's size, so it only agrees closely.
                let sameBits = one == two
                if kernel == .memento && BLAS.hasInPlaceKernel { #expect(sameBits, "m=\(m) n=\(n) k=\(k): 1 and 2 threads differ") }
                var worstSplit: Float = 0
                for i in one.indices { worstSplit = Swift.max(worstSplit, Swift.abs(one[i] - two[i])) }
                #expect(worstSplit < 1e-4 * Float(k), "m=\(m) n=\(n) k=\(k): 1 and 2 threads differ by \(worstSplit)")
                var worst: Float = 0
                for i in 0..<(m * ldc) where i % ldc < n { worst = Swift.max(worst, Swift.abs(one[i] - slow[i])) }
                #expect(worst < 1e-4 * Float(k), "m=\(m) n=\(n) k=\(k) beta=\(beta) bias=\(withBias) transA=\(transA) transB=\(transB) \(kernel): \(worst)")
                for i in 0..<(m * ldc) where i % ldc >= n { #expect(one[i] == c0.scalars[i]) }
            }
        }
    }

    /// A bias with the other paths (Aᵀ·B in the kernel; α ≠ 1 in OpenBLAS), split across
    /// threads or not.
    @Test func biasOnTheOtherPaths() {
        for (transA, alpha, m) in [(true, Float(1), 40), (false, Float(0.5), 40), (true, Float(1), 600)] {
            let (n, k) = (70, 9)
            let lda = (transA ? m : k) + 1, ldc = n + 1
            let a = rand([(transA ? k : m) * lda], seed: 41), b = rand([k * n], seed: 42)
            let c0 = rand([m * ldc], seed: 43), bias = rand([n], seed: 44).scalars
            var fast = c0.scalars, slow = c0.scalars
            a.withUnsafeBufferPointer { pa in
                b.withUnsafeBufferPointer { pb in
                    bias.withUnsafeBufferPointer { pbias in
                        fast.withUnsafeMutableBufferPointer { pc in
                            BLAS.sgemm(transA: transA, transB: false, m: m, n: n, k: k, alpha: alpha, a: pa.baseAddress!, lda: lda,
                                       b: pb.baseAddress!, ldb: n, beta: 1, c: pc.baseAddress!, ldc: ldc, bias: pbias.baseAddress!)
                        }
                    }
                    slow.withUnsafeMutableBufferPointer { pc in
                        BLAS.referenceSgemm(transA: transA, transB: false, m: m, n: n, k: k, alpha: alpha, a: pa.baseAddress!, lda: lda,
                                            b: pb.baseAddress!, ldb: n, beta: 1, c: pc.baseAddress!, ldc: ldc)
                    }
                }
            }
            for i in 0..<m { for j in 0..<n { slow[i * ldc + j] += bias[j] } }
            for i in 0..<(m * ldc) { #expect(Swift.abs(fast[i] - slow[i]) < 1e-4 * Float(k), "transA=\(transA) alpha=\(alpha) m=\(m) at \(i)") }
        }
    }

    /// Copying B's panels into a contiguous buffer first changes no bit of the result (A·B and
    /// Aᵀ·B, partial panels, strides, β and bias).
    @Test(.enabled(if: BLAS.hasInPlaceKernel, "Memento's kernel needs AVX-512")) func packedPanelsGiveTheSameBits() {
        for (m, n, k) in [(5, 17, 3), (16, 64, 40), (37, 130, 77), (64, 200, 300)] {
            for beta: Float in [0, 1] {
                let lda = k + 3, ldb = n + 5, ldc = n + 2, ldat = m + 1
                let a = rand([m * lda], seed: 51).scalars, at = rand([k * ldat], seed: 55).scalars
                let b = rand([k * ldb], seed: 52).scalars
                let c0 = rand([m * ldc], seed: 53).scalars, bias = rand([n], seed: 54).scalars
                let pack = BLAS.PanelBuffer(rows: k)
                defer { pack.free() }
                var plain = c0, packed = c0, plainT = c0, packedT = c0
                _ = memento_gemm_nn(m, n, k, a, lda, b, ldb, beta, bias, &plain, ldc)
                _ = memento_gemm_nn_packed(m, n, k, a, lda, b, ldb, beta, bias, &packed, ldc, pack.pointer)
                _ = memento_gemm_tn(m, n, k, at, ldat, b, ldb, beta, &plainT, ldc)
                _ = memento_gemm_tn_packed(m, n, k, at, ldat, b, ldb, beta, &packedT, ldc, pack.pointer)
                #expect(plain == packed, "A·B m=\(m) n=\(n) k=\(k) beta=\(beta)")
                #expect(plainT == packedT, "Aᵀ·B m=\(m) n=\(n) k=\(k) beta=\(beta)")
            }
        }
    }

    /// The transpose kernel (used for W_hhᵀ in recurrent unrolls), with row blocks that do not
    /// fill the 16 lanes and strided source and destination.
    @Test func transposeMatchesLoops() {
        for (rows, cols) in [(1, 1), (5, 3), (16, 16), (37, 20), (256, 64)] {
            let lds = cols + 2, ldd = rows + 3
            let src = rand([rows * lds], seed: 21).scalars
            var dst = [Float](repeating: -7, count: cols * ldd)
            memento_transpose(src, rows, cols, lds, &dst, ldd)
            for c in 0..<cols {
                for r in 0..<ldd {
                    #expect(dst[c * ldd + r] == (r < rows ? src[r * lds + c] : -7), "rows=\(rows) cols=\(cols) at (\(c), \(r))")
                }
            }
        }
    }

    @Test func largeMatmulMatchesReference() throws {
        let a = rand([128, 96], seed: 4), b = rand([96, 80], seed: 5)
        let c = try a.matmul(b)
        var ref = [Float](repeating: 0, count: 128 * 80)
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                BLAS.referenceSgemm(transA: false, transB: false, m: 128, n: 80, k: 96, alpha: 1, a: pa.baseAddress!, lda: 96,
                                    b: pb.baseAddress!, ldb: 80, beta: 0, c: &ref, ldc: 80)
            }
        }
        #expect(c.isClose(to: try Tensor(ref, shape: [128, 80]), rtol: 1e-4, atol: 1e-4))
    }
}
