import TensorCore

/// A pre-LayerNorm Transformer block (GPT-2's): x + attn(LN(x)), then + MLP(LN(x)), the MLP
/// being Linear(C, 4C) → GELU → Linear(4C, C).
public final class TransformerBlock: Module, Layer {
    public let ln1: LayerNorm
    public let attention: MultiHeadAttention
    public let ln2: LayerNorm
    public let fc: Linear
    public let fcOut: Linear
    public let dropout: Dropout
    public let causal: Bool
    /// The attention weights [B, nh, T, T] of the last call (detached), for plotting.
    public private(set) var lastAttention: Tensor?

    public init(dModel: Int, heads: Int, causal: Bool = true, dropout: Double = 0, rng: inout RNG) throws {
        ln1 = try LayerNorm(dModel)
        attention = try MultiHeadAttention(dModel: dModel, heads: heads, rng: &rng)
        ln2 = try LayerNorm(dModel)
        fc = try Linear(dModel, 4 * dModel, rng: &rng)
        fcOut = try Linear(4 * dModel, dModel, rng: &rng)
        self.dropout = try Dropout(dropout, seed: rng.next())
        self.causal = causal
        super.init()
        addChild("ln1", ln1)
        addChild("attn", attention)
        addChild("ln2", ln2)
        addChild("fc", fc)
        addChild("fc_out", fcOut)
        addChild("dropout", self.dropout)
    }

    public func callAsFunction(_ x: Tensor) throws -> Tensor { try forward(x, padding: nil) }

    public func forward(_ x: Tensor, padding: Tensor?) throws -> Tensor {
        let (a, w) = try attention(ln1(x), causal: causal, padding: padding)
        lastAttention = w.detached()
        let h = try x + dropout(a)
        return try h + dropout(fcOut(fc(ln2(h)).gelu()))
    }
}

/// The configuration of a GPT (nanoGPT's `GPTConfig`).
public struct GPTConfig: Sendable, Equatable {
    /// Tokens in the vocabulary.
    public var vocabSize: Int
    /// The longest sequence (learned position embeddings).
    public var contextLength: Int
    /// Model width C.
    public var dModel: Int
    public var heads: Int
    public var layers: Int
    public var dropout: Double
    /// Whether the output head shares the token embedding's weights.
    public var tiedHead: Bool

    public init(vocabSize: Int, contextLength: Int, dModel: Int = 128, heads: Int = 4, layers: Int = 2,
                dropout: Double = 0, tiedHead: Bool = true) {
        self.vocabSize = vocabSize
        self.contextLength = contextLength
        self.dModel = dModel
        self.heads = heads
        self.layers = layers
        self.dropout = dropout
        self.tiedHead = tiedHead
    }
}

/// A stack of causal Transformer blocks over arbitrary input embeddings [B, T, C]: learned
/// position embeddings are added, the blocks applied, and a final LayerNorm. The Decision
/// Transformer feeds it interleaved return, state and action embeddings; `GPT` feeds it
/// token embeddings.
public final class Transformer: Module, Layer {
    public let config: GPTConfig
    public let positionEmbedding: Parameter
    public let blocks: [TransformerBlock]
    public let lnFinal: LayerNorm

    public init(_ config: GPTConfig, rng: inout RNG) throws {
        guard config.contextLength > 0, config.layers >= 0 else {
            throw LayerError("Transformer", "contextLength must be positive and layers >= 0, got \(config.contextLength) and \(config.layers)")
        }
        self.config = config
        positionEmbedding = Parameter(try Init.normal([config.contextLength, config.dModel], std: 0.02, rng: &rng))
        blocks = try (0..<config.layers).map { _ in
            try TransformerBlock(dModel: config.dModel, heads: config.heads, dropout: config.dropout, rng: &rng)
        }
        lnFinal = try LayerNorm(config.dModel)
        super.init()
        addParameter("position_embedding", shared: positionEmbedding)
        for (i, b) in blocks.enumerated() { addChild("blocks.\(i)", b) }
        addChild("ln_f", lnFinal)
        // GPT-2's initialisation: N(0, 0.02) weights, zero biases, and the projections into
        // the residual stream scaled by 1/√(2·layers).
        for b in blocks {
            for l in [b.attention.qkv, b.attention.proj, b.fc, b.fcOut] {
                let std: Float = (l === b.attention.proj || l === b.fcOut) ? 0.02 / (2 * Float(config.layers)).squareRoot() : 0.02
                try l.weight.assign(Init.normal(l.weight.shape, std: std, rng: &rng))
                if let bias = l.bias { try bias.assign(Tensor.zeros(bias.shape)) }
            }
        }
    }

    public func callAsFunction(_ x: Tensor) throws -> Tensor { try forward(x, padding: nil) }

    /// x [B, T, C] with T ≤ contextLength → [B, T, C].
    public func forward(_ x: Tensor, padding: Tensor?) throws -> Tensor {
        guard x.rank == 3, x.shape[2] == config.dModel else {
            throw LayerError("Transformer", "expected embeddings of shape [batch, time, \(config.dModel)], got \(shapeString(x.shape))")
        }
        guard x.shape[1] <= config.contextLength else {
            throw LayerError("Transformer", "sequence of \(x.shape[1]) positions exceeds the context length \(config.contextLength)")
        }
        var h = try x + positionEmbedding.value.narrow(axis: 0, start: 0, length: x.shape[1])
        for b in blocks { h = try b.forward(h, padding: padding) }
        return try lnFinal(h)
    }

    /// The attention weights of every block's last call, [B, nh, T, T] each.
    public var attentionMaps: [Tensor] { blocks.compactMap(\.lastAttention) }
}

/// A GPT (Radford et al., 2018/2019): token embeddings → `Transformer` → a linear head to
/// vocabulary logits (tied to the token embeddings by default).
public final class GPT: Module, Layer {
    public let config: GPTConfig
    public let tokenEmbedding: Embedding
    public let transformer: Transformer
    public let head: Linear?

    public init(_ config: GPTConfig, rng: inout RNG) throws {
        guard config.vocabSize > 0 else { throw LayerError("GPT", "vocabSize must be positive, got \(config.vocabSize)") }
        self.config = config
        tokenEmbedding = try Embedding(config.vocabSize, config.dModel, std: 0.02, rng: &rng)
        transformer = try Transformer(config, rng: &rng)
        head = config.tiedHead ? nil : try Linear(config.dModel, config.vocabSize, bias: false, rng: &rng)
        super.init()
        addChild("token_embedding", tokenEmbedding)
        addChild("transformer", transformer)
        if let head {
            try head.weight.assign(Init.normal(head.weight.shape, std: 0.02, rng: &rng))
            addChild("head", head)
        }
    }

    /// Tokens [B, T] (integral values) → logits [B, T, vocabSize].
    public func callAsFunction(_ tokens: Tensor) throws -> Tensor {
        guard tokens.rank == 2 else {
            throw LayerError("GPT", "expected tokens of shape [batch, time], got \(shapeString(tokens.shape))")
        }
        let h = try transformer(tokenEmbedding(tokens))
        return try Tensor.linear(h, weight: head?.weight.value ?? tokenEmbedding.weight.value, bias: nil)
    }
}
