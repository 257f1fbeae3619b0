import TensorCore

/// The adding problem (Hochreiter and Schmidhuber, "Long Short-Term Memory", 1997,
/// experiment 4): remember two marked numbers across a long, noisy sequence and output
/// their scaled sum at the end.
///
/// ## Sequences
/// Each step is a pair (value, marker). Values are uniform in [−1, 1]. Lengths are
/// uniform in T … T + T/10 (T = `minimumLag`). Exactly two steps carry marker 1: one of
/// the first ten (X₁), and one of the first T/2 − 1 not already marked (X₂). The first and
/// last steps carry marker −1 unless marked; every other marker is 0. If the first step
/// is marked, its value is set to 0 (the paper's rule).
///
/// ## Target
/// 0.5 + (X₁ + X₂) / 4, the sum scaled into [0, 1], given at the last step. The paper
/// counts a sequence as solved when the absolute error is below 0.04.
///
/// ## Shapes
/// Inputs `[batch, time, 2]` zero-padded to the longest sequence; targets `[batch, 1]`.
///
/// ## Arguments
/// `minimumLag` T ≥ 4 (the paper used 100, 500 and 1000). For T < 22 the first ten and
/// first T/2 − 1 windows are cut to the sequence (X₂ comes from the first max(T/2 − 1, 2)).
public struct AddingProblem: SequenceTask {
    public let minimumLag: Int

    public init(minimumLag: Int = 100) throws(EnvironmentError) {
        try EnvironmentError.require(minimumLag, atLeast: 4, "minimumLag", in: "AddingProblem")
        self.minimumLag = minimumLag
    }

    public var name: String { "AddingProblem(T: \(minimumLag))" }
    public var inputSize: Int { 2 }
    public var targetSize: Int { 1 }
    /// The longest possible sequence: T + T/10.
    public var maximumLength: Int { minimumLag + minimumLag / 10 }

    public func batch(size: Int, rng: inout RNG) throws(EnvironmentError) -> SequenceBatch {
        try EnvironmentError.require(size, atLeast: 1, "size", in: name)
        let lengths = (0..<size).map { _ in rng.int(in: minimumLag ..< maximumLength + 1) }
        let time = lengths.max()!
        var inputs = [Float](repeating: 0, count: size * time * 2)
        var targets = [Float](repeating: 0, count: size)
        for b in 0..<size {
            let length = lengths[b], base = b * time * 2
            for t in 0..<length {
                inputs[base + 2 * t] = rng.uniform(-1, 1)
            }
            inputs[base + 1] = -1
            inputs[base + 2 * (length - 1) + 1] = -1
            let first = rng.int(below: min(10, length))
            let window = max(minimumLag / 2 - 1, 2)
            var second = rng.int(below: window)
            if second >= first { second += 1 }  // one of the first `window` unmarked positions
            for marked in [first, second] {
                inputs[base + 2 * marked + 1] = 1
                if marked == 0 { inputs[base] = 0 }
            }
            targets[b] = 0.5 + (inputs[base + 2 * first] + inputs[base + 2 * second]) / 4
        }
        return SequenceBatch(inputs: inputs, inputShape: [size, time, 2],
                             targets: targets, targetShape: [size, 1], lengths: lengths)
    }
}
