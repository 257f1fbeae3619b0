/// Text ↔ token ids: what a language model reads and writes, and what a text environment
/// puts in its observations.
///
/// Every tokenizer reserves the same three ids first, so that models, spaces and
/// environments agree on them whatever the alphabet:
/// - 0 `<pad>`: fills the rest of a fixed-length row (never produced by `encode`);
/// - 1 `<eos>`: ends a text (and starts one: generation is prompted with it);
/// - 2 `<unk>`: stands for a character outside the alphabet when the tokenizer was built
///   with `unknown: .replace` (with the default `.error`, such text is refused instead).
public protocol Tokenizer: Sendable {
    /// A short description for messages, such as `"CharacterTokenizer(48 tokens)"`.
    var name: String { get }
    /// The string each id stands for (`tokens[id]`); the specials are spelt `<pad>` etc.
    var tokens: [String] { get }
    /// What happens to characters outside the alphabet.
    var unknown: UnknownCharacterPolicy { get }
    /// The ids of `text`, without `<eos>`. Throws `TokenizerError.unknownCharacter` naming
    /// the first character outside the alphabet and its position (policy `.error`).
    func encode(_ text: String) throws(TokenizerError) -> [Int]
}

/// What a tokenizer does with a character outside its alphabet.
public enum UnknownCharacterPolicy: String, Sendable, CaseIterable {
    /// Refuse the text with an error naming the character and its position.
    case error
    /// Encode the character as `<unk>` (id 2); decoding gives back `"<unk>"`.
    case replace
}

/// The ids every tokenizer reserves.
public enum SpecialToken {
    public static let pad = 0
    public static let eos = 1
    public static let unk = 2
    /// The spellings of ids 0, 1, 2.
    public static let names = ["<pad>", "<eos>", "<unk>"]
    public static let count = 3
}

/// A tokenizer refusing its input.
public enum TokenizerError: Error, Equatable, Sendable, CustomStringConvertible {
    /// `character` at `position` (counted in characters from 0) is not in the alphabet.
    case unknownCharacter(tokenizer: String, character: Character, position: Int, text: String)
    /// An id outside 0 ..< vocabulary size was given to `decode`.
    case unknownId(tokenizer: String, id: Int, position: Int, vocabulary: Int)
    /// A tokenizer was built or trained with arguments it cannot use.
    case invalidArgument(tokenizer: String, message: String)
    /// An encoded text does not fit where it must go (a context, a fixed-length row).
    case tooLong(what: String, tokens: Int, limit: Int)

    public var description: String {
        switch self {
        case let .unknownCharacter(tokenizer, character, position, text):
            let shown = character.unicodeScalars.map { s in
                s.properties.isWhitespace || s.value < 32 ? "U+" + String(s.value, radix: 16, uppercase: true) : String(s)
            }.joined()
            let excerpt = text.count > 40 ? String(text.prefix(40)) + "…" : text
            return "\(tokenizer): the character \"\(shown)\" at position \(position) of \"\(excerpt)\" is not in the alphabet "
                + "(build the tokenizer with unknown: \"replace\" to encode it as <unk>)"
        case let .unknownId(tokenizer, id, position, vocabulary):
            return "\(tokenizer): token id \(id) at position \(position) is outside the vocabulary 0..<\(vocabulary)"
        case let .invalidArgument(tokenizer, message):
            return "\(tokenizer): \(message)"
        case let .tooLong(what, tokens, limit):
            return "\(what) is \(tokens) tokens long, more than the limit of \(limit)"
        }
    }
}

extension Tokenizer {
    /// The number of ids, specials included.
    public var vocabularySize: Int { tokens.count }

    /// The text of `ids`: `<eos>` and `<pad>` are dropped, `<unk>` is spelt out. An id outside
    /// the vocabulary throws `TokenizerError.unknownId`.
    public func decode(_ ids: [Int]) throws(TokenizerError) -> String {
        var out = ""
        for (i, id) in ids.enumerated() {
            guard id >= 0, id < tokens.count else {
                throw .unknownId(tokenizer: name, id: id, position: i, vocabulary: tokens.count)
            }
            if id == SpecialToken.pad || id == SpecialToken.eos { continue }
            out += tokens[id]
        }
        return out
    }

    /// The ids of `text` in a row of exactly `length` ids: truncated from the left (the most
    /// recent text kept) and padded with `<pad>` on the right.
    public func encode(_ text: String, paddedTo length: Int) throws(TokenizerError) -> [Int] {
        var ids = try encode(text)
        if ids.count > length { ids = Array(ids.suffix(length)) }
        return ids + [Int](repeating: SpecialToken.pad, count: length - ids.count)
    }
}

/// A character's position in a text, for errors (the characters of a `String`, from 0).
func characterIndex(of index: String.Index, in text: String) -> Int {
    text.distance(from: text.startIndex, to: index)
}
