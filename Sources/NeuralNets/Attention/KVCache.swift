/// The keys and values of every position a `GPTDecoder` has read, per layer, so that the
/// next token costs one position's work instead of a forward pass over the whole prefix
/// (the "KV cache" of every fast Transformer sampler).
///
/// Layout per layer: values [B, capacity, C], the heads side by side in C as in the
/// attention's qkv projection; keys transposed within each row, [B, C, capacity], so that
/// each head's keys are dimension-major with the positions contiguous (the scores of many
/// positions are then vector multiply-adds, decode.c). `length` positions are filled; all
/// rows of the batch advance together.
public final class KVCache {
    public let batch: Int
    /// The most positions it holds (the model's context length at most).
    public let capacity: Int
    public let layers: Int
    public let dModel: Int
    /// Positions filled so far (the position of the next token).
    public internal(set) var length = 0
    let keys: [UnsafeMutablePointer<Float>]
    let values: [UnsafeMutablePointer<Float>]

    init(batch: Int, capacity: Int, layers: Int, dModel: Int) {
        self.batch = batch
        self.capacity = capacity
        self.layers = layers
        self.dModel = dModel
        let size = batch * capacity * dModel
        keys = (0..<layers).map { _ in .allocate(capacity: size) }
        values = (0..<layers).map { _ in .allocate(capacity: size) }
    }

    deinit {
        for p in keys { p.deallocate() }
        for p in values { p.deallocate() }
    }

    /// Empties the cache (the memory is kept for the next sequence).
    public func reset() { length = 0 }

    /// Bytes held.
    public var bytes: Int { 2 * layers * batch * capacity * dModel * MemoryLayout<Float>.size }
}
