/// A seeded, splittable random number generator: Philox4x32-10 (Salmon et al., "Parallel
/// random numbers: as easy as 1, 2, 3", SC 2011), the counter-based generator behind
/// cuRAND, JAX-style key splitting, and PyTorch's CUDA RNG.
///
/// Counter-based means the n-th output block is a pure function of (key, n): the same seed
/// gives the same numbers on every machine, and `split()` can hand a child an independent
/// key without sharing state. The generator is checked against Random123's known-answer
/// vectors in `RNGTests`.
///
/// Layout: the 64-bit seed is the key; counter words 0-1 count blocks, words 2-3 name the
/// stream (0 for a fresh generator). Each block yields four `UInt32`s.
public struct RNG: Sendable, RandomNumberGenerator {
    @usableFromInline var key0: UInt32
    @usableFromInline var key1: UInt32
    @usableFromInline var block: UInt64 = 0
    @usableFromInline var stream: UInt64 = 0
    @usableFromInline var buffer: (UInt32, UInt32, UInt32, UInt32) = (0, 0, 0, 0)
    @usableFromInline var index = 4          // 4 = buffer exhausted
    @usableFromInline var splits: UInt64 = 0  // children handed out by `split()`
    @usableFromInline var spareNormal: Float? = nil

    /// A generator whose whole output is determined by `seed`.
    public init(seed: UInt64) {
        key0 = UInt32(truncatingIfNeeded: seed)
        key1 = UInt32(truncatingIfNeeded: seed >> 32)
    }

    init(key0: UInt32, key1: UInt32, stream: UInt64) {
        self.key0 = key0
        self.key1 = key1
        self.stream = stream
    }

    // MARK: - Philox4x32-10

    /// One Philox4x32-10 block: the bijection of `counter` under `key`.
    public static func philox(
        counter c: (UInt32, UInt32, UInt32, UInt32), key k: (UInt32, UInt32)
    ) -> (UInt32, UInt32, UInt32, UInt32) {
        var (c0, c1, c2, c3) = c
        var (k0, k1) = k
        for round in 0..<10 {
            let p0 = UInt64(0xD251_1F53) &* UInt64(c0)
            let p1 = UInt64(0xCD9E_8D57) &* UInt64(c2)
            let hi0 = UInt32(truncatingIfNeeded: p0 >> 32), lo0 = UInt32(truncatingIfNeeded: p0)
            let hi1 = UInt32(truncatingIfNeeded: p1 >> 32), lo1 = UInt32(truncatingIfNeeded: p1)
            (c0, c1, c2, c3) = (hi1 ^ c1 ^ k0, lo1, hi0 ^ c3 ^ k1, lo0)
            if round < 9 {
                k0 = k0 &+ 0x9E37_79B9
                k1 = k1 &+ 0xBB67_AE85
            }
        }
        return (c0, c1, c2, c3)
    }

    @inlinable @inline(__always)
    mutating func refill() {
        buffer = RNG.philox(
            counter: (UInt32(truncatingIfNeeded: block), UInt32(truncatingIfNeeded: block >> 32),
                      UInt32(truncatingIfNeeded: stream), UInt32(truncatingIfNeeded: stream >> 32)),
            key: (key0, key1))
        block &+= 1
        index = 0
    }

    // MARK: - Raw output

    /// The next 32 random bits.
    @inlinable
    public mutating func nextUInt32() -> UInt32 {
        if index == 4 { refill() }
        defer { index += 1 }
        switch index {
        case 0: return buffer.0
        case 1: return buffer.1
        case 2: return buffer.2
        default: return buffer.3
        }
    }

    /// The next 64 random bits (`RandomNumberGenerator`, so Swift's `shuffle(using:)` works).
    @inlinable
    public mutating func next() -> UInt64 {
        let lo = UInt64(nextUInt32())
        return (UInt64(nextUInt32()) << 32) | lo
    }

    // MARK: - Distributions

    /// Uniform in [0, 1), with 24 random bits (every representable step of a Float32 there).
    @inlinable
    public mutating func uniform() -> Float {
        Float(nextUInt32() >> 8) * 0x1p-24
    }

    /// Uniform in [low, high).
    @inlinable
    public mutating func uniform(_ low: Float, _ high: Float) -> Float {
        low + (high - low) * uniform()
    }

    /// Uniform in [0, 1) with 53 bits, for probabilities compared against Doubles.
    @inlinable
    public mutating func uniformDouble() -> Double {
        Double(next() >> 11) * 0x1p-53
    }

    /// Standard normal by the Box–Muller transform; the second value of each pair is kept
    /// for the next call.
    public mutating func normal() -> Float {
        if let spare = spareNormal {
            spareNormal = nil
            return spare
        }
        // u1 in (0, 1] so that log(u1) is finite.
        let u1 = (Double(nextUInt32() >> 8) + 1) * 0x1p-24
        let u2 = Double(nextUInt32() >> 8) * 0x1p-24
        let r = (-2 * log(u1)).squareRoot()
        let theta = 2 * Double.pi * u2
        spareNormal = Float(r * sin(theta))
        return Float(r * cos(theta))
    }

    /// Normal with the given mean and standard deviation.
    public mutating func normal(mean: Float, std: Float) -> Float {
        mean + std * normal()
    }

    /// `true` with probability `p`.
    @inlinable
    public mutating func bernoulli(_ p: Double) -> Bool {
        uniformDouble() < p
    }

    /// A uniform integer in `0..<n` without modulo bias (Lemire's multiply-and-reject).
    /// Shuffles `items` in place (Fisher–Yates, from the last position down): the one order
    /// every minibatch sampler and deck of the project draws, so that the same seed gives
    /// the same order wherever it is used.
    public mutating func shuffle<T>(_ items: inout [T]) {
        for i in stride(from: items.count - 1, to: 0, by: -1) { items.swapAt(i, int(below: i + 1)) }
    }

    public mutating func int(below n: Int) -> Int {
        precondition(n > 0, "RNG.int(below:) needs n > 0, got \(n)")
        let bound = UInt64(n)
        var m = next().multipliedFullWidth(by: bound)
        if m.low < bound {
            let threshold = (0 &- bound) % bound
            while m.low < threshold { m = next().multipliedFullWidth(by: bound) }
        }
        return Int(m.high)
    }

    /// A uniform integer in `range`.
    public mutating func int(in range: Range<Int>) -> Int {
        range.lowerBound + int(below: range.count)
    }

    /// An index drawn with the given (unnormalised, non-negative) weights. Returns the last
    /// index with positive weight if rounding leaves the draw past the total.
    public mutating func categorical<C: Collection>(weights: C) -> Int where C.Element == Float {
        var total: Double = 0
        for w in weights { total += Double(w) }
        let target = uniformDouble() * total
        var acc: Double = 0
        var lastPositive = 0
        for (i, w) in weights.enumerated() {
            if w > 0 { lastPositive = i }
            acc += Double(w)
            if target < acc { return i }
        }
        return lastPositive
    }

    // MARK: - Bulk draws

    /// Writes the next `count` 32-bit outputs to `out`: exactly what `count` calls of
    /// `nextUInt32()` return, leaving the generator in the same state, but the whole blocks
    /// in between computed in bulk (vectorised, CBLAS/philox.c).
    public mutating func fill(_ out: UnsafeMutablePointer<UInt32>, count: Int) {
        var done = 0
        while done < count && index < 4 { out[done] = nextUInt32(); done += 1 }
        let whole = (count - done) / 4
        if whole > 0 {
            memento_philox_blocks(key0, key1, block, stream, whole, out + done)
            block &+= UInt64(whole)
            done += 4 * whole
        }
        while done < count { out[done] = nextUInt32(); done += 1 }
    }

    /// n Bernoulli draws, as `bernoulli(p)` n times: out[i] is `value` for a true draw, else 0.
    /// Draw i is the i-th pair of words from the generator's position on, so the draws are
    /// made in parallel chunks and the generator ends where n scalar draws leave it.
    public mutating func bernoulli(_ p: Double, count n: Int, value: Float, into out: UnsafeMutablePointer<Float>) {
        guard n > 0 else { return }
        // uniformDouble() < p, with uniformDouble() = k·2⁻⁵³ for the integer k = next() >> 11,
        // holds exactly when k < ⌈p·2⁵³⌉ (p·2⁵³ is exact: a power-of-two scaling).
        let threshold = UInt64((p * 0x1p53).rounded(.up))
        // The next word is word `index` of block `block − 1` (the buffered one), or word 0 of
        // `block` when the buffer is used up.
        let (first, offset) = index < 4 ? (block &- 1, index) : (block, 0)
        let (k0, k1, s) = (key0, key1, stream)
        // Philox costs about as much as streaming the mask out: 2¹⁴ draws a chunk.
        Parallel.forChunks(n, grain: 1 << 14) { r in
            let position = offset + 2 * r.lowerBound
            memento_bernoulli_philox(k0, k1, s, first &+ UInt64(position / 4), position % 4, r.count, threshold, value,
                                     out + r.lowerBound)
        }
        // Leave the generator as n scalar draws would, its buffer the block that holds the
        // last word drawn (word offset + 2n − 1 of `first`, 2n ≥ 2) and pointing after it.
        let last = offset + 2 * n - 1
        block = first &+ UInt64(last / 4)
        refill()
        index = last % 4 + 1
    }

    // MARK: - Splitting

    /// A child generator on its own key, statistically independent of this one and of every
    /// other child. Advances this generator's split count (not its stream of numbers).
    public mutating func split() -> RNG {
        // The child's key is a Philox block of this key at a counter reserved for splits
        // (stream word 3 = 0xFFFF_FFFF, never reached by ordinary streams).
        let out = RNG.philox(
            counter: (UInt32(truncatingIfNeeded: splits), UInt32(truncatingIfNeeded: splits >> 32),
                      UInt32(truncatingIfNeeded: stream), 0xFFFF_FFFF),
            key: (key0, key1))
        splits &+= 1
        return RNG(key0: out.0, key1: out.1, stream: UInt64(out.2) | (UInt64(out.3 & 0x7FFF_FFFF) << 32))
    }

    /// `n` children, as by calling `split()` n times.
    public mutating func split(_ n: Int) -> [RNG] {
        (0..<n).map { _ in split() }
    }
}

import CBLAS
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
