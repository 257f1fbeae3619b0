import TensorCore

/// The temporal order problem (Hochreiter and Schmidhuber, 1997, experiments 6a and 6b):
/// classify a long sequence of distractors by the order in which two or three relevant
/// symbols appeared, far apart.
///
/// ## Sequences
/// Symbols, one-hot over 8: E (start), B (end), the distractors a, b, c, d, and the
/// relevant X and Y, in that order. A sequence is E, then random distractors, then B, of
/// length uniform in 100 … 110. Relevant symbols (X or Y, equally likely) replace the
/// distractors at random times: with 2 symbols at t₁ ∈ [10, 20] and t₂ ∈ [50, 60]; with 3
/// at t₁ ∈ [10, 20], t₂ ∈ [33, 43] and t₃ ∈ [66, 76].
///
/// ## Target
/// The class of the relevant symbols in order, one-hot: 4 classes for 2 symbols (XX, XY,
/// YX, YY) and 8 for 3 (XXX … YYY), reading X as 0 and Y as 1, first symbol most significant.
///
/// ## Shapes
/// Inputs `[batch, time, 8]` zero-padded to the longest sequence; targets
/// `[batch, 2^symbols]`.
///
/// ## Arguments
/// `symbols`: 2 or 3.
public struct TemporalOrder: SequenceTask {
    public let symbols: Int

    /// Indices of the symbols in the one-hot input.
    public enum Symbol: Int, Sendable, CaseIterable {
        case start = 0, end, a, b, c, d, x, y
    }

    public init(symbols: Int = 2) throws(EnvironmentError) {
        guard symbols == 2 || symbols == 3 else {
            throw .invalidArgument(environment: "TemporalOrder", argument: "symbols", value: "\(symbols)",
                                   allowed: "2 or 3")
        }
        self.symbols = symbols
    }

    public var name: String { "TemporalOrder(symbols: \(symbols))" }
    public var inputSize: Int { 8 }
    public var targetSize: Int { 1 << symbols }

    /// The windows the relevant symbols fall in, per the paper.
    public var windows: [ClosedRange<Int>] {
        symbols == 2 ? [10...20, 50...60] : [10...20, 33...43, 66...76]
    }

    public func batch(size: Int, rng: inout RNG) throws(EnvironmentError) -> SequenceBatch {
        try EnvironmentError.require(size, atLeast: 1, "size", in: name)
        let lengths = (0..<size).map { _ in rng.int(in: 100 ..< 111) }
        let time = lengths.max()!
        var inputs = [Float](repeating: 0, count: size * time * 8)
        var targets = [Float](repeating: 0, count: size * targetSize)
        for b in 0..<size {
            let length = lengths[b]
            var sequence = [Symbol](repeating: .a, count: length)
            sequence[0] = .start
            sequence[length - 1] = .end
            for t in 1..<length - 1 { sequence[t] = [Symbol.a, .b, .c, .d][rng.int(below: 4)] }
            var label = 0
            for window in windows {
                let t = rng.int(in: window.lowerBound ..< window.upperBound + 1)
                let isY = rng.bernoulli(0.5)
                sequence[t] = isY ? .y : .x
                label = label << 1 | (isY ? 1 : 0)
            }
            for (t, symbol) in sequence.enumerated() {
                inputs[(b * time + t) * 8 + symbol.rawValue] = 1
            }
            targets[b * targetSize + label] = 1
        }
        return SequenceBatch(inputs: inputs, inputShape: [size, time, 8],
                             targets: targets, targetShape: [size, targetSize], lengths: lengths)
    }
}
