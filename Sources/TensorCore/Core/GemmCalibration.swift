import CBLAS
import Foundation

/// Which code computes a matrix product: Memento's in-place AVX-512 kernel (CBLAS/vmath.c)
/// or OpenBLAS.
public enum GemmKernel: String, Sendable, CaseIterable {
    case memento, openblas
}

/// The kinds of product the engine meets, each of which gets its own kernel choice: which
/// kernel is faster depends on the shape as much as on the CPU (the in-place kernel saves
/// OpenBLAS's packing copies, which matter most when few rows of A share them).
public enum GemmClass: String, Sendable, CaseIterable {
    /// Fewer than 32 rows or under 2¹⁸ multiply-adds: a recurrent step's product, a
    /// single actor's forward pass, one attention head's products.
    case small
    /// Many more rows than columns (m ≥ 4·n): a layer applied to every time step of a batch.
    case tall
    /// The rest of A·B and A·Bᵀ.
    case square
    /// Aᵀ·B: the weight gradients dW = dYᵀ·X, reduced over the batch's rows.
    case weightGradient = "weight_gradient"

    /// The class of the product op(A)·op(B) with op(A) m × k and op(B) k × n.
    public static func of(transA: Bool, m: Int, n: Int, k: Int) -> GemmClass {
        if transA { return .weightGradient }
        if m < 32 || m * n * k < 1 << 18 { return .small }
        return m >= 4 * n ? .tall : .square
    }

    /// The product the calibration times for the class: (transA, transB, m, n, k), one shape
    /// typical of the class in the engine's models.
    public var calibrationShape: (transA: Bool, transB: Bool, m: Int, n: Int, k: Int) {
        switch self {
        case .small: return (false, false, 16, 256, 96)      // a recurrent step: 16 sequences, LSTM(32 → 64)
        case .tall: return (false, true, 1024, 128, 128)     // x·Wᵀ over batch × time rows
        case .square: return (false, false, 384, 384, 384)
        case .weightGradient: return (true, false, 128, 128, 1024)
        }
    }
}

/// The kernel each class of product runs on this machine, and the rate at which one core
/// computes products: chosen by a short calibration (about 0.1 s) the first time the engine
/// runs on a CPU model, then read from a cache file, so that one machine makes the same
/// choice on every run.
///
/// - `MEMENTO_GEMM=memento|openblas` forces a kernel for every class (tests and
///   comparisons); `auto` (the default) uses the calibration. Forcing Memento's kernel on a
///   CPU without AVX-512 prints a message and runs OpenBLAS.
/// - The cache is `$XDG_CACHE_HOME/memento/` (else `~/.cache/memento/`), one file per CPU
///   model, AVX-512 setting and OpenBLAS kernel, written atomically (a temporary file
///   renamed). A file that does not parse, or was written for another CPU or setting, is
///   ignored and replaced.
/// - A debug build, whose C kernels run unoptimised, neither calibrates nor reads the cache:
///   it follows `GemmPolicy.defaultRule`.
/// - Noise: each kernel's time is the fastest of several interleaved runs, and OpenBLAS
///   takes a class from Memento's kernel only when it is at least `margin` faster, so that
///   a calibration on a busy machine does not flip a choice on noise. Results are
///   deterministic for a given choice and thread count: Memento's kernel gives the same
///   bits however a product is split; OpenBLAS's can differ in the last bits between
///   thread counts (its edge kernels depend on the size of the piece).
public struct GemmChoices: Equatable, Sendable {
    /// The kernel per class.
    public var kernels: [GemmClass: GemmKernel]
    /// Multiply-adds per second of one core on the `square` calibration product with its
    /// chosen kernel: the yardstick for the work thresholds of the worker pool.
    public var macsPerSecond: Double
    /// Seconds per calibration product, by class and kernel (empty when not measured).
    public var seconds: [GemmClass: [GemmKernel: Double]]

    /// OpenBLAS must be this much faster (fraction of Memento's time) to take a class.
    public static let margin = 0.10

    public func kernel(for c: GemmClass) -> GemmKernel { kernels[c] ?? .openblas }

    /// "small=memento tall=memento square=openblas weight_gradient=memento".
    public var summary: String {
        GemmClass.allCases.map { "\($0.rawValue)=\(kernel(for: $0).rawValue)" }.joined(separator: " ")
    }

    /// The choice for measured times: OpenBLAS when faster by the margin.
    static func choose(memento: Double, openblas: Double) -> GemmKernel {
        openblas < memento * (1 - margin) ? .openblas : .memento
    }

    // MARK: the cache file

    static let formatLine = "memento-gemm-calibration 1"

    /// The text of the cache file for the machine named `key`.
    func serialized(key: String) -> String {
        var lines = [GemmChoices.formatLine, "key \(key)", "macs_per_second \(macsPerSecond)"]
        for c in GemmClass.allCases {
            let t = seconds[c] ?? [:]
            lines.append("class \(c.rawValue) \(kernel(for: c).rawValue) \(t[.memento] ?? 0) \(t[.openblas] ?? 0)")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The choices a cache file holds, or nil when it is not one written for `key` by this
    /// version (corrupt, truncated, foreign: the caller calibrates again).
    static func parse(_ text: String, key: String) -> GemmChoices? {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard lines.count >= 3 + GemmClass.allCases.count, lines[0] == formatLine, lines[1] == "key \(key)" else { return nil }
        let rate = lines[2].split(separator: " ")
        guard rate.count == 2, rate[0] == "macs_per_second", let macs = Double(rate[1]), macs.isFinite, macs > 0 else { return nil }
        var kernels: [GemmClass: GemmKernel] = [:], seconds: [GemmClass: [GemmKernel: Double]] = [:]
        for line in lines[3...] where !line.isEmpty {
            let f = line.split(separator: " ").map(String.init)
            guard f.count == 5, f[0] == "class", let c = GemmClass(rawValue: f[1]), let k = GemmKernel(rawValue: f[2]),
                  let tm = Double(f[3]), let to = Double(f[4]), tm.isFinite, to.isFinite, kernels[c] == nil else { return nil }
            kernels[c] = k
            seconds[c] = [.memento: tm, .openblas: to]
        }
        guard kernels.count == GemmClass.allCases.count else { return nil }
        return GemmChoices(kernels: kernels, macsPerSecond: macs, seconds: seconds)
    }
}

/// How the choices of this process were made: calibrated, read from the cache, forced.
public enum GemmPolicy {
    /// The choices every product of this process follows (decided on first use).
    public static var choices: GemmChoices { state.choices }

    /// The kernel of a class, without copying the choices (called for every product).
    @inline(__always)
    static func kernel(for c: GemmClass) -> GemmKernel {
        switch c {
        case .small: return table.small
        case .tall: return table.tall
        case .square: return table.square
        case .weightGradient: return table.weightGradient
        }
    }

    private static let table = (small: choices.kernel(for: .small), tall: choices.kernel(for: .tall),
                                square: choices.kernel(for: .square), weightGradient: choices.kernel(for: .weightGradient))
    /// Where they came from, for logs and benchmark records.
    public static var source: String { state.source }

    /// What the machine is, for the cache: a calibration holds for one CPU model, one
    /// AVX-512 setting and one OpenBLAS kernel.
    static var machineKey: String {
        "\(CPU.model) | avx512 \(CPU.avx512 ? "on" : "off") | openblas \(BLAS.isAvailable ? BLAS.coreName : "none")"
    }

    /// The cache file for `key` in `directory`.
    static func cacheFile(key: String, directory: URL) -> URL {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325  // FNV-1a
        for byte in key.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return directory.appendingPathComponent("gemm-" + String(hash, radix: 16) + ".txt")
    }

    static var cacheDirectory: URL? {
        let env = ProcessInfo.processInfo.environment
        if let x = env["XDG_CACHE_HOME"], x.hasPrefix("/") { return URL(fileURLWithPath: x).appendingPathComponent("memento") }
        if let h = env["HOME"], !h.isEmpty { return URL(fileURLWithPath: h).appendingPathComponent(".cache/memento") }
        return nil
    }

    /// The forced kernel of a `MEMENTO_GEMM` value: nil for auto (or unset); a message for
    /// a value that is not understood (then auto).
    static func forced(_ setting: String?) -> (kernel: GemmKernel?, message: String?) {
        guard let s = setting?.lowercased(), !s.isEmpty, s != "auto" else { return (nil, nil) }
        if let k = GemmKernel(rawValue: s) { return (k, nil) }
        return (nil, "memento: MEMENTO_GEMM=\(setting!) is not understood (use memento, openblas or auto); using auto")
    }

    /// Reads the cache for `key` in `directory`, else calibrates and writes it.
    /// Processes that start together (a test suite's, a class's grading) take a lock on the
    /// cache file while one of them calibrates, and the others read what it wrote: two
    /// calibrations under load could choose differently, and then two processes of one
    /// machine would round differently.
    static func cachedOrCalibrated(key: String, directory: URL?) -> (GemmChoices, String) {
        let file = directory.map { cacheFile(key: key, directory: $0) }
        func cached() -> GemmChoices? {
            guard let file, let data = try? Data(contentsOf: file), let text = String(data: data, encoding: .utf8) else { return nil }
            return GemmChoices.parse(text, key: key)
        }
        if let c = cached(), let file { return (c, "cached in \(file.path)") }
        var lock: Int32 = -1
        if let file, let directory {
            try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            lock = open(file.path + ".lock", O_CREAT | O_RDWR, 0o644)
            if lock >= 0 { _ = flock(lock, LOCK_EX) }
        }
        defer { if lock >= 0 { _ = flock(lock, LOCK_UN); close(lock) } }
        if let c = cached(), let file { return (c, "cached in \(file.path)") }
        let measured = calibrate()
        if let file, let directory {
            try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            if (try? Data(measured.serialized(key: key).utf8).write(to: file, options: .atomic)) != nil {
                return (measured, "calibrated, saved in \(file.path)")
            }
        }
        return (measured, "calibrated (not saved)")
    }

    private struct State: @unchecked Sendable {
        let choices: GemmChoices
        let source: String
    }

    private static let state: State = {
        let (forcedKernel, message) = forced(ProcessInfo.processInfo.environment["MEMENTO_GEMM"])
        if let message { FileHandle.standardError.write(Data((message + "\n").utf8)) }
        var (choices, source) = memento_kernels_optimized() != 0
            ? cachedOrCalibrated(key: machineKey, directory: cacheDirectory) : (defaultRule, "the default rule (a debug build)")
        if var k = forcedKernel {
            if k == .memento && !BLAS.hasInPlaceKernel {
                FileHandle.standardError.write(Data(
                    "memento: MEMENTO_GEMM=memento, but Memento's product kernel needs AVX-512, which is \(CPU.avx512Hardware ? "turned off (MEMENTO_AVX512)" : "absent"); using OpenBLAS\n".utf8))
                k = .openblas
            }
            for c in GemmClass.allCases { choices.kernels[c] = k }
            source = "forced by MEMENTO_GEMM=\(k.rawValue)"
        }
        return State(choices: choices, source: source)
    }()

    /// The choices of a debug build, whose C kernels are compiled without optimisation and
    /// so cannot be timed fairly against OpenBLAS: Memento's kernel wherever it runs (as in
    /// a release build on a CPU where it wins every class), with the product rate of a
    /// typical AVX-512 core for the work thresholds. Fixed, so that debug test runs do not
    /// depend on what a release build measured.
    static var defaultRule: GemmChoices {
        let k: GemmKernel = BLAS.hasInPlaceKernel ? .memento : .openblas
        return GemmChoices(kernels: Dictionary(uniqueKeysWithValues: GemmClass.allCases.map { ($0, k) }),
                           macsPerSecond: 55e9, seconds: [:])
    }

    /// Times each class's calibration product with both kernels, on this thread, and
    /// chooses. Without one of the kernels, every class takes the other.
    public static func calibrate() -> GemmChoices {
        let both = BLAS.hasInPlaceKernel && BLAS.isAvailable
        var kernels: [GemmClass: GemmKernel] = [:], seconds: [GemmClass: [GemmKernel: Double]] = [:]
        var rate = 0.0
        for c in GemmClass.allCases {
            let candidates: [GemmKernel] = both ? [.memento, .openblas] : [BLAS.hasInPlaceKernel ? .memento : .openblas]
            let t = time(c.calibrationShape, kernels: candidates)
            seconds[c] = t
            let chosen = both ? GemmChoices.choose(memento: t[.memento]!, openblas: t[.openblas]!) : candidates[0]
            kernels[c] = chosen
            if c == .square {
                let s = c.calibrationShape
                rate = Double(s.m * s.n * s.k) / t[chosen]!
            }
        }
        return GemmChoices(kernels: kernels, macsPerSecond: rate, seconds: seconds)
    }

    /// The fastest of several interleaved runs of one product per kernel, in seconds per
    /// product (each run repeats the product for about a millisecond).
    public static func time(_ s: (transA: Bool, transB: Bool, m: Int, n: Int, k: Int), kernels: [GemmKernel]) -> [GemmKernel: Double] {
        let a = UnsafeMutablePointer<Float>.allocate(capacity: s.m * s.k)
        let b = UnsafeMutablePointer<Float>.allocate(capacity: s.k * s.n)
        let c = UnsafeMutablePointer<Float>.allocate(capacity: s.m * s.n)
        defer { a.deallocate(); b.deallocate(); c.deallocate() }
        for i in 0..<(s.m * s.k) { a[i] = Float(i % 7) * 0.25 - 0.75 }
        for i in 0..<(s.k * s.n) { b[i] = Float(i % 5) * 0.25 - 0.5 }
        let lda = s.transA ? s.m : s.k, ldb = s.transB ? s.k : s.n
        let repeats = Swift.max(1, 20_000_000 / (s.m * s.n * s.k))
        var best: [GemmKernel: Double] = [:]
        for _ in 0..<6 {
            for kernel in kernels {
                let start = DispatchTime.now().uptimeNanoseconds
                for _ in 0..<repeats {
                    BLAS.product(transA: s.transA, transB: s.transB, m: s.m, n: s.n, k: s.k, alpha: 1, a: a, lda: lda,
                                 b: b, ldb: ldb, beta: 0, c: c, ldc: s.n, bias: nil, threads: 1, kernel: kernel)
                }
                let t = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 / Double(repeats)
                best[kernel] = Swift.min(best[kernel] ?? .infinity, t)
            }
        }
        return best
    }
}
