import CBLAS
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The threads that run the engine's parallel regions (split matrix products,
/// `Parallel.forChunks`): `BLAS.threads − 1` persistent workers plus the calling thread.
///
/// Why not `DispatchQueue.concurrentPerform`: a training step of the small models our
/// lessons use has tens to hundreds of parallel regions of 20–500 µs each, and handing
/// one to a Dispatch worker costs 2–7.5 µs here (a futex wake-up, measured) plus the
/// scheduler's work on both cores. A worker of this pool spins for a while after its
/// last part (`spinNanoseconds`, 140 µs by the clock) and so picks up the next region in
/// well under a microsecond; after that it sleeps on a condition variable and costs
/// nothing. The caller takes parts too, so a region never waits for a sleeping worker
/// to wake up before starting.
///
/// One region runs at a time. A region started while another is running — from inside
/// a part (nested parallelism), or from a second thread — runs its parts one after the
/// other on its own thread, which gives the same results: every part computes the same
/// numbers whichever thread runs it.
///
/// The workers never exit. A process that forks (the grader) sets `BLAS.threads = 1` in
/// the child, which then never enters the pool.
final class WorkerPool: @unchecked Sendable {
    static let shared = WorkerPool()

    /// How long an idle worker spins before it sleeps: longer than the gaps between the
    /// regions of a training step (tens of µs: the serial work between two split products),
    /// short enough that an idle engine gives its cores back at once. Kept in time, read
    /// from the monotonic clock every 64 PAUSEs, because a PAUSE lasts from about 10 to
    /// 150 cycles depending on the CPU (27 ns on the machine the figure was first measured
    /// on), so a count of them would spin 5–15× longer or shorter elsewhere.
    static let spinNanoseconds: UInt64 = 140_000

    /// The monotonic clock in nanoseconds (vDSO: about 20 ns a call).
    @inline(__always)
    static func now() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
    }

    /// The current region in one word, so that a worker claims a part with one
    /// compare-and-swap and can never take a part of a region it did not see start:
    /// generation (bits 32–62) | number of parts (bits 16–31) | next part (bits 0–15).
    private let ticket = Atomic<Int>(0)
    /// Parts of the current region not finished yet.
    private let pending = Atomic<Int>(0)
    /// Workers asleep (or about to sleep) on the condition variable.
    private let sleepers = Atomic<Int>(0)
    /// Held by the thread whose region is running.
    private let busy = Atomic<Bool>(false)
    /// The current region's body, valid while its parts are pending (written before the
    /// ticket that announces the region is published, read after a part is claimed).
    private var job: Unmanaged<Job>?
    private var generation = 0
    private var workers = 0
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private let condition: UnsafeMutablePointer<pthread_cond_t>

    final class Job {
        let body: (Int) -> Void
        init(_ body: @escaping (Int) -> Void) { self.body = body }
    }

    private init() {
        mutex = .allocate(capacity: 1)
        condition = .allocate(capacity: 1)
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(condition, nil)
    }

    /// Runs `body(0) … body(parts − 1)`, each exactly once, on up to `threads` threads
    /// (this one included), and returns when all have finished. Parts must only write
    /// memory of their own.
    func run(parts: Int, threads: Int, _ body: (Int) -> Void) {
        if parts <= 1 || threads <= 1 || parts > 0xFFFF
            || !busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged {
            for p in 0..<parts { body(p) }
            return
        }
        defer { busy.store(false, ordering: .releasing) }
        startWorkers(Swift.min(threads, parts) - 1)
        withoutActuallyEscaping(body) { body in
            let box = Job(body)
            job = Unmanaged.passUnretained(box)
            pending.store(parts, ordering: .relaxed)
            generation = (generation + 1) & 0x7FFF_FFFF
            let gen = generation
            ticket.store(gen << 32 | parts << 16, ordering: .sequentiallyConsistent)
            if sleepers.load(ordering: .sequentiallyConsistent) > 0 {
                pthread_mutex_lock(mutex)
                pthread_cond_broadcast(condition)
                pthread_mutex_unlock(mutex)
            }
            work(generation: gen)
            while pending.load(ordering: .acquiring) > 0 { memento_cpu_relax() }
            job = nil
            withExtendedLifetime(box) {}
        }
    }

    /// Claims and runs parts of region `generation` until none is left.
    private func work(generation gen: Int) {
        var t = ticket.load(ordering: .acquiring)
        while t >> 32 == gen {
            let parts = (t >> 16) & 0xFFFF, next = t & 0xFFFF
            if next >= parts { return }
            let (claimed, current) = ticket.compareExchange(expected: t, desired: t + 1, ordering: .acquiringAndReleasing)
            if claimed {
                job!._withUnsafeGuaranteedRef { $0.body(next) }
                pending.subtract(1, ordering: .releasing)
                t = ticket.load(ordering: .acquiring)
            } else {
                t = current
            }
        }
    }

    /// A worker's life: wait for a region it has not seen, help with it, repeat.
    private func workerLoop() {
        var seen = ticket.load(ordering: .acquiring) >> 32
        while true {
            var spins = 0
            var deadline = WorkerPool.now() &+ WorkerPool.spinNanoseconds
            var t = ticket.load(ordering: .acquiring)
            while t >> 32 == seen {
                spins += 1
                if spins & 63 != 0 || WorkerPool.now() < deadline {
                    memento_cpu_relax()
                } else {
                    pthread_mutex_lock(mutex)
                    sleepers.add(1, ordering: .sequentiallyConsistent)
                    while ticket.load(ordering: .sequentiallyConsistent) >> 32 == seen {
                        pthread_cond_wait(condition, mutex)
                    }
                    sleepers.subtract(1, ordering: .sequentiallyConsistent)
                    pthread_mutex_unlock(mutex)
                    spins = 0
                    deadline = WorkerPool.now() &+ WorkerPool.spinNanoseconds
                }
                t = ticket.load(ordering: .acquiring)
            }
            seen = t >> 32
            work(generation: seen)
        }
    }

    /// Starts workers until there are `count` (called with `busy` held).
    private func startWorkers(_ count: Int) {
        while workers < count {
            let context = Unmanaged.passRetained(self).toOpaque()
            var thread = pthread_t()
            let started = pthread_create(&thread, nil, { context in
                Unmanaged<WorkerPool>.fromOpaque(context!).takeRetainedValue().workerLoop()
                return nil
            }, context)
            if started != 0 {
                Unmanaged<WorkerPool>.fromOpaque(context).release()
                return  // run with the workers there are (the caller takes any part)
            }
            pthread_detach(thread)
            workers += 1
        }
    }
}
