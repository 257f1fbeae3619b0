import CBLAS
import Synchronization

/// Matrix products through OpenBLAS, with a plain Swift fallback (also the reference the
/// tests compare OpenBLAS against).
///
/// OpenBLAS is loaded on first use, with `OPENBLAS_CORETYPE=SkylakeX` on AVX-512 CPUs when
/// the user has not set it: see `Sources/CBLAS/include/CBLAS.h` for why.
public enum BLAS {
    /// Whether OpenBLAS is loaded (false: the Swift fallback computes every product).
    public static var isAvailable: Bool { memento_blas_load() != 0 }

    /// Why OpenBLAS is not available, if it is not.
    public static var loadError: String? { memento_blas_error().map { String(cString: $0) } }

    /// The kernel family OpenBLAS runs (e.g. "SkylakeX", "Haswell"), or "none".
    public static var coreName: String { String(cString: memento_blas_corename()) }

    /// The core type Memento asked OpenBLAS for, if it set one.
    public static var coreTypeSetByMemento: String? { memento_blas_coretype_set().map { String(cString: $0) } }

    /// How many threads a large product is split across (default: the number of cores,
    /// or `MEMENTO_THREADS`). OpenBLAS itself runs each piece on one thread.
    public static var threads: Int {
        get { threadCount.load(ordering: .relaxed) }
        set { threadCount.store(Swift.max(1, newValue), ordering: .relaxed) }
    }

    private static let threadCount = Atomic<Int>(defaultThreads())

    private static func defaultThreads() -> Int {
        if let s = getenv("MEMENTO_THREADS"), let n = Int(String(cString: s)), n > 0 { return n }
        return Swift.max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
    }

    /// Products with fewer multiply-adds than this run on one thread: below it, handing part
    /// of the product to another thread (about 1–5 µs, and the second core's caches start
    /// cold) costs more than it saves. The rule is in time — the work one core does in
    /// 20 µs at its measured product rate (`GemmPolicy`) — so that a faster core hands off
    /// only larger products (2¹⁸ at the least).
    public static var parallelThreshold: Int { parallelThresholdValue }
    private static let parallelThresholdValue = Swift.max(1 << 18, Int(GemmPolicy.choices.macsPerSecond * 20e-6))

    /// Whether the CPU runs Memento's own AVX-512 product kernel (CBLAS/vmath.c).
    static var hasInPlaceKernel: Bool { CPU.avx512 }

    /// The kernel choices of this process, one per class of product (`GemmPolicy`).
    public static var kernelChoices: GemmChoices { GemmPolicy.choices }

    /// The longest reduction the in-place kernel takes for A·B and A·Bᵀ: it keeps a panel of
    /// B (64 columns × k rows, 256·k bytes) in the L2 while all rows of A pass over it, and
    /// a panel that takes at most a quarter of the L2 stays there beside the rows of A and C
    /// in flight (measured: k = 1024 on a 1 MiB L2 runs at the FMA peak). Longer
    /// reductions go to OpenBLAS, whose blocking splits k.
    static let inPlaceMaxK = Swift.max(64, CPU.l2 / 1024)

    /// Rows of A (the reduction) per call of the kernel for Aᵀ·B: a chunk of B (kc × 64
    /// floats) takes a sixteenth of the L2, so that it and the chunk of A stay there while
    /// the block of C is finished (256 rows on a 1 MiB L2).
    static let transAChunk = Swift.min(1024, Swift.max(64, CPU.l2 / 4096 / 64 * 64))

    /// Whether the kernel copies each 64-column panel of B into a contiguous buffer first
    /// (vmath.c): when the panel's k rows are spread over more memory than the L2 holds
    /// (k · ldb · 4 bytes), its lines come from as many pages and, with a row stride of a
    /// multiple of 4 KiB, from the same few L1 sets; the copy puts them in 256-byte rows one
    /// after the other. It costs k · 64 copies per panel, against m · k · 64 multiply-adds:
    /// only with 16 rows of A or more. Measured on 1024 × 1024 × 1024 on one core: 92–114
    /// GFLOPS unpacked, 167–199 packed.
    @inline(__always)
    static func packsPanels(m: Int, k: Int, ldb: Int) -> Bool {
        m >= 16 && k * ldb * 4 > CPU.l2
    }

    /// Whether the in-place kernel can compute a product at all (its chosen kernel aside):
    /// α = 1 and β ∈ {0, 1}; at least 16 columns; for A·Bᵀ, at least 32 rows of A to repay
    /// the copy of Bᵀ; a reduction the L2 holds (`inPlaceMaxK`), except for Aᵀ·B, which
    /// runs the reduction in chunks.
    @inline(__always)
    static func inPlaceKernelFits(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float, beta: Float) -> Bool {
        guard hasInPlaceKernel, alpha == 1, beta == 0 || beta == 1, n >= 16 else { return false }
        if transA { return !transB && m >= 4 }
        return k <= inPlaceMaxK && (transB ? m >= 32 : m >= 4)
    }

    /// Whether `sgemm` gives this product to Memento's in-place kernel: it fits, and the
    /// product's class chose it (`GemmPolicy`: by calibration on this machine, or forced
    /// with `MEMENTO_GEMM`).
    @inline(__always)
    static func inPlaceKernelRuns(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float, beta: Float) -> Bool {
        inPlaceKernelFits(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, beta: beta)
            && GemmPolicy.kernel(for: GemmClass.of(transA: transA, m: m, n: n, k: k)) == .memento
    }

    /// C = alpha · op(A) · op(B) + beta · C (+ bias) for row-major matrices, where op(A) is
    /// m × k and op(B) is k × n; lda, ldb, ldc are the row strides of A, B, C as stored;
    /// `bias` (n values) is added to every row of C. Large products are split across
    /// threads unless `singleThreaded` (for callers that are already running one product
    /// per thread). The kernel is the one chosen for the product's class on this machine
    /// (`GemmPolicy`). In Memento's kernel each element of C is computed the same way however
    /// the product is split, so its results do not depend on the number of threads (tested
    /// bit for bit); OpenBLAS's pieces are whole rows or columns of C, whose last bits can
    /// depend on the piece's size (tested to agree closely).
    public static func sgemm(
        transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float = 1,
        a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int, bias: UnsafePointer<Float>? = nil,
        singleThreaded: Bool = false
    ) {
        if m == 0 || n == 0 { return }
        let kernel = GemmPolicy.kernel(for: GemmClass.of(transA: transA, m: m, n: n, k: k))
        product(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb,
                beta: beta, c: c, ldc: ldc, bias: bias, threads: singleThreaded ? 1 : threads, kernel: kernel)
    }

    /// `sgemm` with the kernel given: Memento's where it fits (`inPlaceKernelFits`), else
    /// OpenBLAS (else the plain loops). Tests force each kernel through this, and the
    /// calibration times both.
    static func product(
        transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
        a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int, bias: UnsafePointer<Float>?,
        threads t: Int, kernel: GemmKernel
    ) {
        if m == 0 || n == 0 { return }
        let parallel = t > 1 && Swift.max(m, n) >= 32 && m * n * k >= parallelThreshold
        /// Rows and columns of C: C = beta·C + bias (then a product with beta 1).
        func addBias(_ bias: UnsafePointer<Float>, rows: Range<Int>, columns: Range<Int>) {
            for i in rows {
                let row = c + i * ldc
                for j in columns { row[j] = (beta == 0 ? 0 : beta * row[j]) + bias[j] }
            }
        }
        if k > 0 && kernel == .memento
            && inPlaceKernelFits(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, beta: beta) {
            if transA {  // C = β·C + Aᵀ·B (+ bias), A stored k × m; blocks of C by rows or columns
                let work = GemmPointers(a: a, b: b, c: c)
                let byRows = m >= n
                let parts = parallel ? Swift.min(t, (byRows ? m : n) / 16) : 1
                let chunk = transAChunk
                Parallel.runParts(parts, threads: t) { p in
                    let size = byRows ? m : n
                    let lo = size * p / parts, hi = size * (p + 1) / parts
                    let (rows, cols) = byRows ? (hi - lo, n) : (m, hi - lo)
                    let pa = byRows ? work.a + lo : work.a, pb = byRows ? work.b : work.b + lo
                    let pc = byRows ? work.c + lo * ldc : work.c + lo
                    if let bias { addBias(bias, rows: byRows ? lo..<hi : 0..<m, columns: byRows ? 0..<n : lo..<hi) }
                    let pack = packsPanels(m: rows, k: Swift.min(chunk, k), ldb: ldb) ? PanelBuffer(rows: Swift.min(chunk, k)) : nil
                    defer { pack?.free() }
                    var k0 = 0
                    while k0 < k {
                        let kc = Swift.min(chunk, k - k0)
                        _ = memento_gemm_tn_packed(rows, cols, kc, pa + k0 * lda, lda, pb + k0 * ldb, ldb,
                                                   k0 == 0 && bias == nil ? beta : 1, pc, ldc, pack?.pointer)
                        k0 += kc
                    }
                }
                return
            }
            // op(B) as a row-major k × n matrix: B itself, or Bᵀ copied once.
            let bt: UnsafeMutablePointer<Float>? = transB ? .allocate(capacity: k * n) : nil
            if let bt { memento_transpose(b, n, k, ldb, bt, n) }
            let pb = bt.map { UnsafePointer($0) } ?? b, ldp = bt == nil ? ldb : n
            let work = GemmPointers(a: a, b: pb, c: c)
            let parts = parallel ? Swift.min(t, m / 16) : 1
            Parallel.runParts(parts, threads: t) { p in
                let lo = m * p / parts, hi = m * (p + 1) / parts
                let pack = packsPanels(m: hi - lo, k: k, ldb: ldp) ? PanelBuffer(rows: k) : nil
                defer { pack?.free() }
                _ = memento_gemm_nn_packed(hi - lo, n, k, work.a + lo * lda, lda, work.b, ldp, beta, bias, work.c + lo * ldc,
                                           ldc, pack?.pointer)
            }
            bt?.deallocate()
            return
        }
        let betaAfterBias: Float = bias == nil ? beta : 1
        if k == 0 {
            for i in 0..<m { for j in 0..<n { c[i * ldc + j] = (beta == 0 ? 0 : beta * c[i * ldc + j]) + (bias?[j] ?? 0) } }
            return
        }
        if isAvailable {
            if parallel {
                // Split C into one block per thread: by rows when C is tall, by columns when
                // it is wide (then each thread packs only its part of op(B)).
                let byRows = m >= n
                let parts = Swift.min(t, (byRows ? m : n) / 16)
                let work = GemmPointers(a: a, b: b, c: c)
                Parallel.runParts(parts, threads: t) { p in
                    let size = byRows ? m : n
                    let lo = size * p / parts, hi = size * (p + 1) / parts
                    if byRows {
                        if let bias { addBias(bias, rows: lo..<hi, columns: 0..<n) }
                        memento_sgemm(transA ? 1 : 0, transB ? 1 : 0, Int32(hi - lo), Int32(n), Int32(k), alpha,
                                      work.a + (transA ? lo : lo * lda), Int32(lda), work.b, Int32(ldb), betaAfterBias,
                                      work.c + lo * ldc, Int32(ldc))
                    } else {
                        if let bias { addBias(bias, rows: 0..<m, columns: lo..<hi) }
                        memento_sgemm(transA ? 1 : 0, transB ? 1 : 0, Int32(m), Int32(hi - lo), Int32(k), alpha,
                                      work.a, Int32(lda), work.b + (transB ? lo * ldb : lo), Int32(ldb), betaAfterBias,
                                      work.c + lo, Int32(ldc))
                    }
                }
            } else {
                if let bias { addBias(bias, rows: 0..<m, columns: 0..<n) }
                memento_sgemm(transA ? 1 : 0, transB ? 1 : 0, Int32(m), Int32(n), Int32(k), alpha,
                              a, Int32(lda), b, Int32(ldb), betaAfterBias, c, Int32(ldc))
            }
        } else {
            if let bias { addBias(bias, rows: 0..<m, columns: 0..<n) }
            referenceSgemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha,
                           a: a, lda: lda, b: b, ldb: ldb, beta: betaAfterBias, c: c, ldc: ldc)
        }
    }

    /// C = β·C (+ bias) + A·B (row-major, no transposes) for a product with few rows whose B is
    /// reused across calls (a recurrent step's weights): a kernel that reads B in place
    /// instead of packing it on every call (CBLAS/vmath.c), when the `small` class chose it;
    /// else OpenBLAS. Single-threaded.
    public static func smallProduct(
        m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int, bias: UnsafePointer<Float>? = nil
    ) {
        if m == 0 || n == 0 { return }
        if k > 0 && GemmPolicy.kernel(for: .small) == .memento
            && memento_gemm_nn(m, n, k, a, lda, b, ldb, beta, bias, c, ldc) != 0 { return }
        product(transA: false, transB: false, m: m, n: n, k: k, alpha: 1, a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c,
                ldc: ldc, bias: bias, threads: 1, kernel: .openblas)
    }

    /// A 64-byte aligned buffer for one packed panel of B (rows × 64 floats).
    struct PanelBuffer {
        let pointer: UnsafeMutablePointer<Float>
        init(rows: Int) {
            pointer = UnsafeMutableRawPointer.allocate(byteCount: rows * 64 * 4, alignment: 64).bindMemory(to: Float.self, capacity: rows * 64)
        }
        func free() { UnsafeMutableRawPointer(pointer).deallocate() }
    }

    /// Operand pointers handed to the worker threads of one product (each writes its own
    /// rows of C).
    @usableFromInline
    struct GemmPointers: @unchecked Sendable {
        let a: UnsafePointer<Float>, b: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>
        @usableFromInline init(a: UnsafePointer<Float>, b: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>) {
            self.a = a; self.b = b; self.c = c
        }
    }

    /// The same product computed by plain loops (slow, obviously correct).
    public static func referenceSgemm(
        transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
        a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        var row = [Float](repeating: 0, count: n)
        for i in 0..<m {
            for j in 0..<n { row[j] = 0 }
            for p in 0..<k {
                let av = transA ? a[p * lda + i] : a[i * lda + p]
                if av == 0 { continue }
                if transB {
                    for j in 0..<n { row[j] += av * b[j * ldb + p] }
                } else {
                    let bp = b + p * ldb
                    for j in 0..<n { row[j] += av * bp[j] }
                }
            }
            for j in 0..<n {
                c[i * ldc + j] = alpha * row[j] + (beta == 0 ? 0 : beta * c[i * ldc + j])
            }
        }
    }
}

#if canImport(Glibc)
import Glibc
#endif
