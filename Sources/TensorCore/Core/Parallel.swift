/// Splits element-wise work across the cores (`BLAS.threads` of them) when there is enough
/// of it, as PyTorch's `parallel_for` does: below `grain` elements one thread does it all,
/// since handing work to another costs more than it saves. The threads are the worker pool's
/// (WorkerPool.swift).
public enum Parallel {
    /// Calls `body` on disjoint chunks of `0..<count`, concurrently when `count ≥ grain`.
    /// `body` must only write to memory belonging to its own chunk.
    ///
    /// The default grain is in elements, not derived from a measurement: element-wise work
    /// streams memory at one to a few elements per nanosecond on x86-64 cores of any vector
    /// width (bandwidth, not the FMA units, sets the rate), so 2¹⁵ elements take 10–30 µs —
    /// several hand-offs' worth (WorkerPool.swift) — on the CPUs the engine has met.
    @inlinable
    public static func forChunks(_ count: Int, grain: Int = 1 << 15, _ body: (Range<Int>) -> Void) {
        let threads = BLAS.threads
        if threads <= 1 || count < grain {
            if count > 0 { body(0..<count) }
            return
        }
        let parts = Swift.min(threads, count / Swift.max(grain / 2, 1))
        runParts(parts, threads: threads) { p in body(count * p / parts ..< count * (p + 1) / parts) }
    }

    /// Calls `body` on the chunks `0..<chunk`, `chunk..<2·chunk`, … of `0..<count`, which the
    /// threads take one at a time, each as soon as it finished its previous one: more
    /// chunks than threads balance work whose cost varies, or threads that run at
    /// different speeds (on a shared machine, one core is often slower for a while).
    /// `body` must only write to memory belonging to its own chunk.
    @inlinable
    public static func forChunks(_ count: Int, chunk: Int, _ body: (Range<Int>) -> Void) {
        let chunk = Swift.max(chunk, 1)
        let parts = (count + chunk - 1) / chunk
        if BLAS.threads <= 1 || parts <= 1 {
            if count > 0 { body(0..<count) }
            return
        }
        runParts(parts, threads: BLAS.threads) { p in body(p * chunk ..< Swift.min(count, (p + 1) * chunk)) }
    }

    /// Runs `body(0) … body(parts − 1)` on up to `threads` threads of the worker pool
    /// (WorkerPool.swift), the calling one included.
    @usableFromInline
    static func runParts(_ parts: Int, threads: Int, _ body: (Int) -> Void) {
        WorkerPool.shared.run(parts: parts, threads: threads, body)
    }
}
