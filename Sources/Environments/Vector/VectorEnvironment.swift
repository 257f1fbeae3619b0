import Dispatch

/// N copies of an environment stepped together, with Gymnasium's autoreset semantics
/// (next-step by default, as Gymnasium 1.x).
///
/// ## Autoreset
/// With `.nextStep` (the default, as `SyncVectorEnv` in Gymnasium 1.x): when copy i ends
/// an episode (terminated or truncated) on step t, step t returns that episode's final
/// observation, reward and flags as usual; on step t + 1, copy i ignores its action,
/// resets, and returns the first observation of the new episode with reward 0,
/// `terminated` and `truncated` false, and the reset's info. A learner must not treat the
/// transition from a final observation to a reset observation as real: mask it with the
/// previous step's done flags, exactly as with Gymnasium. We follow it because it keeps the
/// final observation in the observation array and is what Gymnasium 1.x code expects.
/// `.sameStep` is available for code written against the older convention.
///
/// ## Seeding and determinism
/// `reset(seed: s)` seeds copy i with `s + i` (as Gymnasium). Each copy owns its random
/// stream, so results do not depend on `threads`: serial and 2-thread runs give the same
/// numbers, which a test checks.
///
/// ## Layout
/// After each call the results sit in flat arrays: `observations` is `[count, size]`
/// row-major (size = `singleObservationSpace.size`); `rewards`, `terminations`,
/// `truncations` and `infos` have one entry per copy. A step allocates nothing (apart
/// from infos that a copy chooses to report).
public struct VectorEnvironment<Env: Environment>: Sendable {
    /// How many worker threads step the copies (1 = serial, in the calling thread).
    public let threads: Int
    public let autoresetMode: AutoresetMode

    /// The copies.
    public var environments: [Env] { _environments }
    /// The latest observations, `[count, observationSize]` row-major.
    public var observations: [Float] { _observations }
    /// The latest rewards.
    public var rewards: [Double] { _rewards }
    /// The latest `terminated` flags.
    public var terminations: [Bool] { _terminations }
    /// The latest `truncated` flags.
    public var truncations: [Bool] { _truncations }
    /// The latest info of each copy (from `step`, or from `reset` on a reset step).
    public var infos: [Info] { _infos }
    /// `.sameStep` only: row i holds copy i's final observation when its episode ended on
    /// the latest step (`terminations[i] || truncations[i]`); other rows are stale.
    public var finalObservations: [Float] { _finals }

    @usableFromInline var _environments: [Env]
    @usableFromInline var _observations: [Float]
    @usableFromInline var _rewards: [Double]
    @usableFromInline var _terminations: [Bool]
    @usableFromInline var _truncations: [Bool]
    @usableFromInline var _infos: [Info]
    @usableFromInline var _finals: [Float]
    /// `.nextStep` only: copies whose episode ended on the previous step.
    @usableFromInline var pendingReset: [Bool]
    @usableFromInline var started = false
    @usableFromInline let size: Int

    /// `count` copies made by `make(i)`, stepped on `threads` threads (1 = serial).
    public init(
        count: Int, threads: Int = 1, autoresetMode: AutoresetMode = .nextStep,
        make: (Int) throws(EnvironmentError) -> Env
    ) throws(EnvironmentError) {
        try EnvironmentError.require(count, atLeast: 1, "count", in: "VectorEnvironment")
        var environments: [Env] = []
        for i in 0..<count { environments.append(try make(i)) }
        try self.init(environments, threads: threads, autoresetMode: autoresetMode)
    }

    /// A vector environment over the given copies (they must share their spaces).
    public init(_ environments: [Env], threads: Int = 1, autoresetMode: AutoresetMode = .nextStep) throws(EnvironmentError) {
        try EnvironmentError.require(environments.count, atLeast: 1, "count", in: "VectorEnvironment")
        try EnvironmentError.require(threads, atLeast: 1, "threads", in: "VectorEnvironment")
        let first = environments[0]
        if let odd = environments.first(where: {
            $0.observationSpace != first.observationSpace || $0.actionSpace != first.actionSpace
        }) {
            throw .invalidArgument(environment: "VectorEnvironment", argument: "environments", value: odd.name,
                                   allowed: "copies with the spaces of \(first.name)")
        }
        let n = environments.count
        _environments = environments
        self.threads = min(threads, n)
        self.autoresetMode = autoresetMode
        size = first.observationSize
        _observations = [Float](repeating: 0, count: n * size)
        _rewards = [Double](repeating: 0, count: n)
        _terminations = [Bool](repeating: false, count: n)
        _truncations = [Bool](repeating: false, count: n)
        _infos = [Info](repeating: Info(), count: n)
        _finals = autoresetMode == .sameStep ? [Float](repeating: 0, count: n * size) : []
        pendingReset = [Bool](repeating: false, count: n)
    }

    /// The number of copies.
    public var count: Int { _environments.count }
    /// One copy's observation space.
    public var singleObservationSpace: Box { _environments[0].observationSpace }
    /// One copy's action space.
    public var singleActionSpace: Discrete { _environments[0].actionSpace }
    /// The batched observation space, shape `[count] + single shape`.
    public var observationSpace: Box {
        let one = singleObservationSpace
        return Box(low: Array([[Float]](repeating: one.low, count: count).joined()),
                   high: Array([[Float]](repeating: one.high, count: count).joined()),
                   shape: [count] + one.shape)
    }
    /// The latest observation of copy `i`.
    public func observation(_ i: Int) -> ArraySlice<Float> { _observations[i * size ..< (i + 1) * size] }
    /// Each copy's hidden state.
    public var states: [[Float]] { _environments.map(\.state) }
    /// A name for messages.
    public var name: String { "VectorEnvironment(\(count) × \(_environments[0].name))" }

    // MARK: - Reset and step

    /// Resets every copy (copy i with seed `seed + i` when a seed is given).
    public mutating func reset(seed: UInt64? = nil, options: ResetOptions = [:]) throws(EnvironmentError) {
        let size = self.size
        var envs = takeEnvironments()
        defer { _environments = envs }
        try _observations.withUnsafeMutableBufferPointer { obs throws(EnvironmentError) in
            for i in envs.indices {
                let slot = UnsafeMutableBufferPointer(rebasing: obs[i * size ..< (i + 1) * size])
                _infos[i] = try envs[i].reset(seed: seed.map { $0 &+ UInt64(i) }, options: options, into: slot)
            }
        }
        for i in 0..<envs.count {
            _rewards[i] = 0
            _terminations[i] = false
            _truncations[i] = false
            pendingReset[i] = false
        }
        started = true
    }

    /// Steps every copy with its action, autoresetting as `autoresetMode` says. Actions are
    /// checked before any copy moves, so an invalid one leaves every copy as it was.
    @inlinable
    public mutating func step(_ actions: [Int]) throws(EnvironmentError) {
        guard started else { throw .notReset(environment: name) }
        guard actions.count == _environments.count else {
            throw .actionCount(environment: name, count: actions.count, expected: _environments.count)
        }
        let space = _environments[0].actionSpace
        for (i, a) in actions.enumerated() where !space.contains(a) && !pendingReset[i] {
            throw _environments[i].invalidAction(a)
        }
        let n = count, threads = self.threads
        let failure = withBatch(actions) { batch in Self.run(batch, count: n, threads: threads) }
        if let failure { throw failure }
    }

    /// Moves the copies out of `self` so they can be mutated while other properties are.
    @inlinable
    mutating func takeEnvironments() -> [Env] {
        var envs: [Env] = []
        swap(&envs, &_environments)
        return envs
    }

    /// Pins every per-copy array for the duration of one step and hands `body` raw views.
    @inlinable
    mutating func withBatch<R>(_ actions: [Int], _ body: (Batch) -> R) -> R {
        var envs = takeEnvironments()
        defer { _environments = envs }
        let size = self.size, sameStep = autoresetMode == .sameStep
        return envs.withUnsafeMutableBufferPointer { e in
            _observations.withUnsafeMutableBufferPointer { o in
                _rewards.withUnsafeMutableBufferPointer { r in
                    _terminations.withUnsafeMutableBufferPointer { te in
                        _truncations.withUnsafeMutableBufferPointer { tr in
                            _infos.withUnsafeMutableBufferPointer { i in
                                _finals.withUnsafeMutableBufferPointer { f in
                                    pendingReset.withUnsafeMutableBufferPointer { p in
                                        actions.withUnsafeBufferPointer { a in
                                            body(Batch(
                                                envs: e.baseAddress!, observations: o.baseAddress!, rewards: r.baseAddress!,
                                                terminations: te.baseAddress!, truncations: tr.baseAddress!,
                                                infos: i.baseAddress!, finals: f.baseAddress, pending: p.baseAddress!,
                                                actions: a.baseAddress!, size: size, sameStep: sameStep))
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    // MARK: - Stepping a range of copies

    /// Raw views of the per-copy arrays for one step; each worker touches only its own
    /// copies' elements, so workers never share memory.
    @usableFromInline
    struct Batch: @unchecked Sendable {
        @usableFromInline let envs: UnsafeMutablePointer<Env>
        @usableFromInline let observations: UnsafeMutablePointer<Float>
        @usableFromInline let rewards: UnsafeMutablePointer<Double>
        @usableFromInline let terminations: UnsafeMutablePointer<Bool>
        @usableFromInline let truncations: UnsafeMutablePointer<Bool>
        @usableFromInline let infos: UnsafeMutablePointer<Info>
        @usableFromInline let finals: UnsafeMutablePointer<Float>?
        @usableFromInline let pending: UnsafeMutablePointer<Bool>
        @usableFromInline let actions: UnsafePointer<Int>
        @usableFromInline let size: Int
        @usableFromInline let sameStep: Bool

        @inlinable
        init(envs: UnsafeMutablePointer<Env>, observations: UnsafeMutablePointer<Float>,
             rewards: UnsafeMutablePointer<Double>, terminations: UnsafeMutablePointer<Bool>,
             truncations: UnsafeMutablePointer<Bool>, infos: UnsafeMutablePointer<Info>,
             finals: UnsafeMutablePointer<Float>?, pending: UnsafeMutablePointer<Bool>,
             actions: UnsafePointer<Int>, size: Int, sameStep: Bool) {
            self.envs = envs; self.observations = observations; self.rewards = rewards
            self.terminations = terminations; self.truncations = truncations; self.infos = infos
            self.finals = finals; self.pending = pending; self.actions = actions
            self.size = size; self.sameStep = sameStep
        }

        /// Steps (or resets) copies `range`; returns the first error, if any.
        @inlinable
        func step(_ range: Range<Int>) -> EnvironmentError? {
            for i in range {
                let slot = UnsafeMutableBufferPointer(start: observations + i * size, count: size)
                do {
                    if pending[i] {
                        // Next-step autoreset: this step is the reset.
                        infos[i] = try envs[i].reset(seed: nil, options: [:], into: slot)
                        rewards[i] = 0
                        terminations[i] = false
                        truncations[i] = false
                        pending[i] = false
                        continue
                    }
                    let result = try envs[i].step(actions[i], into: slot)
                    rewards[i] = result.reward
                    terminations[i] = result.terminated
                    truncations[i] = result.truncated
                    if result.done && sameStep, let finals {
                        (finals + i * size).update(from: slot.baseAddress!, count: size)
                        var info = try envs[i].reset(seed: nil, options: [:], into: slot)
                        info["final_info"] = .info(result.info)
                        infos[i] = info
                    } else {
                        if !result.info.isEmpty || !infos[i].isEmpty { infos[i] = result.info }
                        pending[i] = result.done
                    }
                } catch {
                    return error
                }
            }
            return nil
        }
    }

    /// Steps all copies, serially or split into `threads` contiguous ranges.
    @inlinable
    static func run(_ batch: Batch, count n: Int, threads: Int) -> EnvironmentError? {
        if threads <= 1 { return batch.step(0..<n) }
        let errors = ErrorSlots(count: threads)
        DispatchQueue.concurrentPerform(iterations: threads) { worker in
            let lo = worker * n / threads, hi = (worker + 1) * n / threads
            errors.set(worker, batch.step(lo..<hi))
        }
        return errors.first
    }
}

/// One error slot per worker thread, written by that worker only (raw memory, so that
/// workers writing different slots never touch a shared array header).
@usableFromInline
final class ErrorSlots: @unchecked Sendable {
    @usableFromInline let slots: UnsafeMutablePointer<EnvironmentError?>
    @usableFromInline let count: Int

    @usableFromInline
    init(count: Int) {
        self.count = count
        slots = .allocate(capacity: count)
        slots.initialize(repeating: nil, count: count)
    }

    deinit {
        slots.deinitialize(count: count)
        slots.deallocate()
    }

    @usableFromInline
    func set(_ i: Int, _ error: EnvironmentError?) { slots[i] = error }

    /// The error of the lowest-numbered worker that failed, so the report is deterministic.
    @usableFromInline
    var first: EnvironmentError? {
        for i in 0..<count { if let error = slots[i] { return error } }
        return nil
    }
}
