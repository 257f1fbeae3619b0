/// A type-erased environment: any `Environment` behind one concrete type, so that
/// environments of different types (a built-in, a wrapped one, one defined in a script)
/// can share an array, a variable, or a vector environment.
///
/// It costs one dynamic dispatch per call; the wrapped value is still a value (copying an
/// `AnyEnvironment` copies the environment).
public struct AnyEnvironment: Environment {
    /// The wrapped environment.
    public var base: any Environment

    public init(_ base: any Environment) {
        if let erased = base as? AnyEnvironment {
            self = erased
        } else {
            self.base = base
        }
    }

    public var name: String { base.name }
    public var observationSize: Int { base.observationSize }
    public var observationSpace: Box { base.observationSpace }
    public var actionSpace: Discrete { base.actionSpace }
    public var state: [Float] { base.state }

    public mutating func reset(seed: UInt64?, options: ResetOptions, into observation: UnsafeMutableBufferPointer<Float>) throws(EnvironmentError) -> Info {
        try base.reset(seed: seed, options: options, into: observation)
    }

    public mutating func step(_ action: Int, into observation: UnsafeMutableBufferPointer<Float>) throws(EnvironmentError) -> StepResult {
        try base.step(action, into: observation)
    }

    public func render() -> String { base.render() }
}

extension Environment {
    /// This environment behind the type-erased `AnyEnvironment`.
    public func eraseToAnyEnvironment() -> AnyEnvironment { AnyEnvironment(self) }
}
