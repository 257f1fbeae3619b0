import Dispatch

/// Splits element-wise work across the cores (`BLAS.threads` of them) when there is enough
/// of it, as PyTorch's `parallel_for` does: below `grain` elements one thread does it all,
/// since waking another costs more than it saves.
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
        withoutActuallyEscaping(body) { body in
            let box = UncheckedSendable(body)
            DispatchQueue.concurrentPerform(iterations: parts) { p in
                box.value(count * p / parts ..< count * (p + 1) / parts)
            }
        }
    }
}

/// A value handed to worker threads whose safety the caller guarantees (disjoint writes).
@usableFromInline
struct UncheckedSendable<T>: @unchecked Sendable {
    @usableFromInline let value: T
    @usableFromInline init(_ value: T) { self.value = value }
}
