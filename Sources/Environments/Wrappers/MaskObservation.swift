/// Hides some elements of the observation: velocity masking (zero them, keeping the
/// shape) or a position-only view (drop them).
///
/// `MaskObservation(cartPole, indices: CartPole.velocityIndices, mode: .drop)` observes
/// only the cart position and the pole angle, as POPGym's position-only CartPole; with
/// `.zero` the velocities read 0, as the DRQN paper's velocity-masked tasks.
public struct MaskObservation<Inner: Environment>: Environment {
    /// What happens to the masked elements.
    public enum Mode: String, Sendable {
        /// Masked elements read 0; the observation keeps its shape.
        case zero
        /// Masked elements are removed; the observation is flat and shorter.
        case drop
    }

    /// The wrapped environment.
    public var inner: Inner
    /// The masked indices into the inner (flat) observation, sorted.
    public let indices: [Int]
    public let mode: Mode

    /// The inner indices that remain visible (in `.drop` mode, the output's elements).
    @usableFromInline let kept: [Int]
    /// The inner observation before masking (`.drop` mode only).
    @usableFromInline var scratch: [Float]

    public init(_ inner: Inner, indices: [Int], mode: Mode = .zero) throws(EnvironmentError) {
        let size = inner.observationSize
        let sorted = Array(Set(indices)).sorted()
        if let bad = sorted.first(where: { $0 < 0 || $0 >= size }) {
            throw .invalidArgument(environment: "MaskObservation(\(inner.name))", argument: "indices",
                                   value: "\(bad)", allowed: "indices in 0 ..< \(size)")
        }
        if mode == .drop && sorted.count == size {
            throw .invalidArgument(environment: "MaskObservation(\(inner.name))", argument: "indices",
                                   value: "\(indices)", allowed: "at least one element left visible")
        }
        self.inner = inner
        self.indices = sorted
        self.mode = mode
        kept = (0..<size).filter { !sorted.contains($0) }
        scratch = mode == .drop ? [Float](repeating: 0, count: size) : []
    }

    public var name: String { inner.name }

    @inlinable
    public var observationSize: Int { mode == .zero ? inner.observationSize : kept.count }
    public var observationSpace: Box {
        let box = inner.observationSpace
        switch mode {
        case .zero:
            var low = box.low, high = box.high
            for i in indices { low[i] = 0; high[i] = 0 }
            return Box(low: low, high: high, shape: box.shape)
        case .drop:
            return Box(low: kept.map { box.low[$0] }, high: kept.map { box.high[$0] })
        }
    }

    public var actionSpace: Discrete { inner.actionSpace }
    public var state: [Float] { inner.state }

    @inlinable
    public mutating func reset(seed: UInt64?, options: ResetOptions, into observation: UnsafeMutableBufferPointer<Float>) throws(EnvironmentError) -> Info {
        switch mode {
        case .zero:
            let info = try inner.reset(seed: seed, options: options, into: observation)
            for i in indices { observation[i] = 0 }
            return info
        case .drop:
            var buffer = takeScratch()
            defer { scratch = buffer }
            let info = try buffer.withUnsafeMutableBufferPointer { b throws(EnvironmentError) in
                try inner.reset(seed: seed, options: options, into: b)
            }
            for (o, i) in kept.enumerated() { observation[o] = buffer[i] }
            return info
        }
    }

    @inlinable
    public mutating func step(_ action: Int, into observation: UnsafeMutableBufferPointer<Float>) throws(EnvironmentError) -> StepResult {
        switch mode {
        case .zero:
            let result = try inner.step(action, into: observation)
            for i in indices { observation[i] = 0 }
            return result
        case .drop:
            var buffer = takeScratch()
            defer { scratch = buffer }
            let result = try buffer.withUnsafeMutableBufferPointer { b throws(EnvironmentError) in
                try inner.step(action, into: b)
            }
            for (o, i) in kept.enumerated() { observation[o] = buffer[i] }
            return result
        }
    }

    /// Moves the scratch buffer out of `self`, so that the inner environment can write into
    /// it while `self` is being mutated (no copy: the array stays uniquely referenced).
    @inlinable
    mutating func takeScratch() -> [Float] {
        var buffer: [Float] = []
        swap(&buffer, &scratch)
        return buffer
    }

    public func render() -> String {
        inner.render() + "  [masked \(indices), \(mode)]"
    }
}

extension Environment {
    /// This environment with the observation elements at `indices` zeroed or dropped.
    public func masked(_ indices: [Int], mode: MaskObservation<Self>.Mode = .zero) throws(EnvironmentError) -> MaskObservation<Self> {
        try MaskObservation(self, indices: indices, mode: mode)
    }
}

extension CartPole {
    /// CartPole with its velocities zeroed (`.zero`) or removed, leaving [x, θ] (`.drop`).
    public func velocityMasked(mode: MaskObservation<CartPole>.Mode = .zero) -> MaskObservation<CartPole> {
        // The indices are CartPole's own, so the mask cannot fail.
        try! MaskObservation(self, indices: CartPole.velocityIndices, mode: mode)
    }
}
