import Dispatch

/// Splits element-wise work across the cores (`BLAS.threads` of them) when there is enough
/// of it, as PyTorch's `parallel_for` does: below `grain` elements one thread does it all,
/// since handing work to another costs more than it saves. The threads are the worker pool's
/// (WorkerPool.swift).
public enum Parallel {
    /// Calls `body` on disjoint chunks of `0..<count`, concurrently when `count ≥ grain`.
    /// `body` must only write to memory belonging to its own chunk.
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

    /// Runs `body(0) … body(parts − 1)` on up to `threads` threads of the worker pool
    /// (WorkerPool.swift), the calling one included.
    @usableFromInline
    static func runParts(_ parts: Int, threads: Int, _ body: (Int) -> Void) {
        WorkerPool.shared.run(parts: parts, threads: threads, body)
    }
}
