import CBLAS

/// The CPU the engine runs on, as the system reports it: its model, the sizes of its data
/// caches, and whether the AVX-512 kernels run. The product kernels size their blocking
/// from these figures (BLAS.swift) instead of assuming one machine's.
public enum CPU {
    /// CPUID's brand string with family, model and stepping, e.g.
    /// "AMD EPYC (family 26, model 2, stepping 1)".
    public static let model: String = {
        var buffer = [CChar](repeating: 0, count: 256)
        memento_cpu_model(&buffer, buffer.count)
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }()

    /// Bytes of one core's L1 data cache, L2 and L3, from sysfs or CPUID. When the system
    /// does not say (`cachesFromSystem` false), the common sizes of current x86-64 cores
    /// (32 KiB, 1 MiB, 8 MiB) stand in.
    public static let l1Data = size(level: 1, default: 32 << 10)
    public static let l2 = size(level: 2, default: 1 << 20)
    public static let l3 = size(level: 3, default: 8 << 20)
    public static var cachesFromSystem: Bool { memento_cpu_cache_size(1) > 0 && memento_cpu_cache_size(2) > 0 }

    /// Whether the AVX-512 kernels run (the CPU has them and `MEMENTO_AVX512` does not turn
    /// them off; forcing them on a CPU without them prints a message at start-up and runs
    /// the other paths).
    public static var avx512: Bool { memento_cpu_has_avx512() != 0 }

    /// Whether the hardware has AVX-512 (F, BW, DQ, VL), whatever `MEMENTO_AVX512` says.
    public static var avx512Hardware: Bool { memento_cpu_avx512_hardware() != 0 }

    /// One line for logs and benchmark records: model, caches, vector width.
    public static var summary: String {
        "\(model); L1d \(l1Data >> 10) KiB, L2 \(l2 >> 10) KiB, L3 \(l3 >> 20) MiB"
            + (cachesFromSystem ? "" : " (assumed: the system does not say)")
            + "; AVX-512 " + (avx512 ? "on" : (avx512Hardware ? "off (MEMENTO_AVX512)" : "absent"))
    }

    private static func size(level: Int32, default fallback: Int) -> Int {
        let s = memento_cpu_cache_size(level)
        return s > 0 ? s : fallback
    }
}
