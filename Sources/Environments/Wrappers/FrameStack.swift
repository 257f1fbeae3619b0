/// The windowing baseline: the observation is the last `k` observations side by side,
/// oldest first (Gymnasium's `FrameStackObservation`, shape `[k] + inner shape`).
///
/// At the start of an episode the window is padded with zeros (`.zero`, the default, so
/// that the agent can tell the start apart) or with copies of the first observation
/// (`.reset`, Gymnasium's default). Padding never leaks observations across episodes.
public struct FrameStack<Inner: Environment>: Environment {
    /// What fills the window before `k` observations have been seen.
    public enum Padding: String, Sendable {
        case zero
        case reset
    }

    /// The wrapped environment.
    public var inner: Inner
    /// The window length.
    public let k: Int
    public let padding: Padding

    /// The current window, flat `[k, frameSize]`, oldest first.
    @usableFromInline var window: [Float]
    @usableFromInline let frameSize: Int

    public init(_ inner: Inner, k: Int, padding: Padding = .zero) throws(EnvironmentError) {
        try EnvironmentError.require(k, atLeast: 1, "k", in: "FrameStack(\(inner.name))")
        self.inner = inner
        self.k = k
        self.padding = padding
        frameSize = inner.observationSize
        window = [Float](repeating: 0, count: k * frameSize)
    }

    public var name: String { inner.name }

    @inlinable
    public var observationSize: Int { k * frameSize }
    public var observationSpace: Box {
        let frame = inner.observationSpace
        var low = [Float](), high = [Float]()
        for _ in 0..<k {
            low += frame.low.map { padding == .zero ? min($0, 0) : $0 }
            high += frame.high.map { padding == .zero ? max($0, 0) : $0 }
        }
        return Box(low: low, high: high, shape: [k] + frame.shape)
    }

    public var actionSpace: Discrete { inner.actionSpace }
    public var state: [Float] { inner.state }

    @inlinable
    public mutating func reset(seed: UInt64?, options: ResetOptions, into observation: UnsafeMutableBufferPointer<Float>) throws(EnvironmentError) -> Info {
        let newest = UnsafeMutableBufferPointer(rebasing: observation[(k - 1) * frameSize ..< k * frameSize])
        let info = try inner.reset(seed: seed, options: options, into: newest)
        let n = frameSize, k = self.k, zeroPadding = padding == .zero
        window.withUnsafeMutableBufferPointer { w in
            for slot in 0..<k {
                for i in 0..<n { w[slot * n + i] = zeroPadding && slot < k - 1 ? 0 : newest[i] }
            }
            for i in 0..<(k - 1) * n { observation[i] = w[i] }
        }
        return info
    }

    @inlinable
    public mutating func step(_ action: Int, into observation: UnsafeMutableBufferPointer<Float>) throws(EnvironmentError) -> StepResult {
        let newest = UnsafeMutableBufferPointer(rebasing: observation[(k - 1) * frameSize ..< k * frameSize])
        let result = try inner.step(action, into: newest)
        let n = frameSize, total = k * frameSize, k = self.k
        window.withUnsafeMutableBufferPointer { w in
            // Slide the window one frame towards the past, then append the newest frame.
            if k > 1 {
                w.baseAddress!.update(from: w.baseAddress! + n, count: total - n)
            }
            for i in 0..<n { w[total - n + i] = newest[i] }
            for i in 0..<total - n { observation[i] = w[i] }
        }
        return result
    }

    public func render() -> String {
        inner.render() + "  [window of \(k)]"
    }
}

extension Environment {
    /// This environment seeing its last `k` observations (zero-padded at episode start).
    public func frameStack(_ k: Int, padding: FrameStack<Self>.Padding = .zero) throws(EnvironmentError) -> FrameStack<Self> {
        try FrameStack(self, k: k, padding: padding)
    }
}
