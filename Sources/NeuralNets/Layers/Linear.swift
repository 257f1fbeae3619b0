import TensorCore

/// A fully connected layer, y = x·Wᵀ + b, on the last axis of x.
///
/// Parameters: `weight` [outputs, inputs] and `bias` [outputs] (PyTorch's layout and
/// initialisation, U(−1/√inputs, 1/√inputs)).
public final class Linear: Module, Layer {
    public let inputs: Int
    public let outputs: Int
    public let weight: Parameter
    public let bias: Parameter?
    /// Whether the layer adds a bias (`bias:` of the initialiser).
    public var hasBias: Bool { bias != nil }

    public init(_ inputs: Int, _ outputs: Int, bias: Bool = true, rng: inout RNG) throws {
        guard inputs > 0, outputs > 0 else {
            throw LayerError("Linear", "sizes must be positive, got inputs \(inputs), outputs \(outputs)")
        }
        self.inputs = inputs
        self.outputs = outputs
        let w = try Init.uniformFanIn([outputs, inputs], fanIn: inputs, rng: &rng)
        let b = bias ? try Init.uniformFanIn([outputs], fanIn: inputs, rng: &rng) : nil
        self.weight = Parameter(w)
        self.bias = b.map { Parameter($0) }
        super.init()
        addParameter("weight", shared: weight)
        if let p = self.bias { addParameter("bias", shared: p) }
    }

    public func callAsFunction(_ x: Tensor) throws -> Tensor {
        guard x.rank >= 1, x.shape[x.rank - 1] == inputs else {
            throw LayerError("Linear(\(inputs), \(outputs))", "expected input of shape [..., \(inputs)], got \(shapeString(x.shape))")
        }
        return try Tensor.linear(x, weight: weight.value, bias: bias?.value)
    }
}

/// A lookup table of vectors: integral indices of any shape → shape + [dimension].
public final class Embedding: Module, Layer {
    public let count: Int
    public let dimension: Int
    public let weight: Parameter

    /// Rows drawn from N(0, std²) (PyTorch: std 1; GPT-2: 0.02).
    public init(_ count: Int, _ dimension: Int, std: Float = 1, rng: inout RNG) throws {
        guard count > 0, dimension > 0 else {
            throw LayerError("Embedding", "sizes must be positive, got count \(count), dimension \(dimension)")
        }
        self.count = count
        self.dimension = dimension
        weight = Parameter(try Init.normal([count, dimension], std: std, rng: &rng))
        super.init()
        addParameter("weight", shared: weight)
    }

    /// Looks up `indices` (a tensor of integral values in 0..<count).
    public func callAsFunction(_ indices: Tensor) throws -> Tensor {
        let flat = indices.scalars
        var rows = [Int](repeating: 0, count: flat.count)
        for (i, v) in flat.enumerated() {
            guard v == v.rounded(), v >= 0, v < Float(count) else {
                throw LayerError("Embedding(\(count), \(dimension))", "index \(v) at position \(i) is not an integer in 0..<\(count)")
            }
            rows[i] = Int(v)
        }
        return try lookup(rows, shape: indices.shape)
    }

    /// Looks up integer indices; the result has shape `shape + [dimension]`.
    public func lookup(_ rows: [Int], shape: [Int]) throws -> Tensor {
        try weight.value.indexSelect(axis: 0, rows).reshape(shape + [dimension])
    }
}

/// Randomly zeroes elements with probability p during training and scales the rest by
/// 1/(1−p) (inverted dropout); the identity in evaluation mode.
public final class Dropout: Module, Layer {
    public let p: Double
    private var rng: RNG

    public init(_ p: Double, seed: UInt64 = 0) throws {
        guard p >= 0 && p < 1 else { throw LayerError("Dropout", "probability must be in [0, 1), got \(p)") }
        self.p = p
        rng = RNG(seed: seed)
        super.init()
    }

    public func callAsFunction(_ x: Tensor) throws -> Tensor {
        guard isTraining, p > 0 else { return x }
        let keep = try Tensor.bernoulli(x.shape, p: 1 - p, value: Float(1 / (1 - p)), rng: &rng)  // 0 or 1/(1 − p)
        return try x * keep
    }
}

/// An element-wise function as a layer (`relu`, `tanh`, … in a `Sequential`).
public final class Activation: Module, Layer {
    public let name: String
    private let function: @Sendable (Tensor) throws -> Tensor

    public init(_ name: String, _ function: @escaping @Sendable (Tensor) throws -> Tensor) {
        self.name = name
        self.function = function
        super.init()
    }

    override public var typeName: String { name }

    public func callAsFunction(_ x: Tensor) throws -> Tensor { try function(x) }

    public static var relu: Activation { Activation("relu") { $0.relu() } }
    public static var tanh: Activation { Activation("tanh") { $0.tanh() } }
    public static var sigmoid: Activation { Activation("sigmoid") { $0.sigmoid() } }
    public static var gelu: Activation { Activation("gelu") { $0.gelu() } }
    public static var softplus: Activation { Activation("softplus") { $0.softplus() } }
    public static func leakyRelu(_ slope: Float = 0.01) -> Activation { Activation("leakyRelu") { $0.leakyRelu(slope: slope) } }

    /// The activation named `name`, or nil.
    public static func named(_ name: String) -> Activation? {
        switch name {
        case "relu": return relu
        case "tanh": return tanh
        case "sigmoid": return sigmoid
        case "gelu": return gelu
        case "softplus": return softplus
        case "leakyRelu", "leaky_relu": return leakyRelu()
        default: return nil
        }
    }
}

/// Layers applied one after the other; children are named "0", "1", ….
public final class Sequential: Module, Layer {
    public private(set) var layers: [any Layer]

    public init(_ layers: [any Layer]) {
        self.layers = layers
        super.init()
        for (i, l) in layers.enumerated() { addChild(String(i), l) }
    }

    public func callAsFunction(_ x: Tensor) throws -> Tensor {
        var h = x
        for l in layers { h = try l(h) }
        return h
    }

    /// Appends a layer.
    public func append(_ layer: any Layer) {
        addChild(String(layers.count), layer)
        layers.append(layer)
    }
}

/// A multi-layer perceptron: Linear layers of the given sizes with `activation` between
/// them (none after the last).
public final class MLP: Module, Layer {
    public let sizes: [Int]
    /// The activation between layers, by name.
    public let activation: String
    private let body: Sequential

    public init(_ sizes: [Int], activation: String = "relu", rng: inout RNG) throws {
        guard sizes.count >= 2 else { throw LayerError("MLP", "needs at least an input and an output size, got \(sizes)") }
        guard Activation.named(activation) != nil else {
            throw LayerError("MLP", "unknown activation '\(activation)'; use relu, tanh, sigmoid, gelu, softplus or leakyRelu")
        }
        self.sizes = sizes
        self.activation = activation
        var layers: [any Layer] = []
        for i in 0..<(sizes.count - 1) {
            layers.append(try Linear(sizes[i], sizes[i + 1], rng: &rng))
            if i < sizes.count - 2 { layers.append(Activation.named(activation)!) }
        }
        body = Sequential(layers)
        super.init()
        addChild("layers", body)
    }

    public func callAsFunction(_ x: Tensor) throws -> Tensor { try body(x) }
}
