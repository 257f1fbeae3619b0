/// Gymnasium's `Text` space, as token ids: strings of at most `length` tokens of a
/// tokenizer's vocabulary, carried in an observation or action as a row of `length` ids
/// padded with `<pad>` (0).
///
/// A text observation is such a row of floats (each an id, exact below 2²⁴) — what an
/// embedding layer reads; `box` is that row's `Box`, and `actionSpace` the matching
/// token-sequence action space for agents that write text token by token.
public struct TextSpace: Sendable, Equatable, CustomStringConvertible {
    /// Token ids are in 0 ..< vocabulary.
    public let vocabulary: Int
    /// Tokens per row.
    public let length: Int

    public init(vocabulary: Int, length: Int) throws(EnvironmentError) {
        try EnvironmentError.require(vocabulary, atLeast: SpecialToken.count + 1, "vocabulary", in: "TextSpace")
        try EnvironmentError.require(length, atLeast: 1, "length", in: "TextSpace")
        self.vocabulary = vocabulary
        self.length = length
    }

    /// A text space for `tokenizer`'s vocabulary.
    public init(_ tokenizer: any Tokenizer, length: Int) throws(EnvironmentError) {
        try self.init(vocabulary: tokenizer.vocabularySize, length: length)
    }

    /// The observation box of one row of ids.
    public var box: Box { Box(low: 0, high: Float(vocabulary - 1), shape: [length]) }

    /// The action space of an agent that writes one such row.
    public var actionSpace: ActionSpace { .tokens(vocabulary: vocabulary, length: length) }

    /// Writes `text`'s ids (the last `length` of them, then padding) into `row`.
    public func write(_ text: String, with tokenizer: any Tokenizer, into row: UnsafeMutableBufferPointer<Float>) throws(TokenizerError) {
        let ids = try tokenizer.encode(text, paddedTo: length)
        for i in 0..<length { row[i] = Float(ids[i]) }
    }

    /// The text of a row of ids (padding and `<eos>` dropped).
    public func read(_ row: [Float], with tokenizer: any Tokenizer) throws(TokenizerError) -> String {
        try tokenizer.decode(row.map { Int($0) })
    }

    public var description: String { "Text(vocabulary: \(vocabulary), length: \(length))" }
}
