import TensorCore

/// A batch of (input sequence, target) pairs as flat arrays with shapes, ready to wrap as
/// tensors: inputs `[batch, time, features]`, targets `[batch, targetSize]`.
///
/// Sequences shorter than `time` are padded with zeros at the end; `lengths[b]` is the
/// number of real steps of sequence b, and its target belongs to step `lengths[b] − 1`.
public struct SequenceBatch: Sendable, Equatable {
    /// The input sequences, row-major `[batch, time, features]`.
    public var inputs: [Float]
    /// `[batch, time, features]`.
    public var inputShape: [Int]
    /// The targets, row-major `[batch, targetSize]`.
    public var targets: [Float]
    /// `[batch, targetSize]`.
    public var targetShape: [Int]
    /// The real length of each sequence.
    public var lengths: [Int]

    public var batchSize: Int { inputShape[0] }
    public var time: Int { inputShape[1] }
    public var features: Int { inputShape[2] }

    /// The input of sequence `b` at step `t`.
    public func input(_ b: Int, _ t: Int) -> ArraySlice<Float> {
        let start = (b * time + t) * features
        return inputs[start ..< start + features]
    }

    /// The target of sequence `b`.
    public func target(_ b: Int) -> ArraySlice<Float> {
        let size = targetShape[1]
        return targets[b * size ..< (b + 1) * size]
    }
}

/// A generator of supervised sequence problems (the LSTM paper's long-time-lag tasks).
public protocol SequenceTask: Sendable {
    /// A name for messages and plots.
    var name: String { get }
    /// Features per input step.
    var inputSize: Int { get }
    /// Size of the target vector.
    var targetSize: Int { get }
    /// A fresh batch of `size` independent sequences drawn with `rng`.
    func batch(size: Int, rng: inout RNG) throws(EnvironmentError) -> SequenceBatch
}
