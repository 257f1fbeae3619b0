/// One token per character of a fixed alphabet (Karpathy's char-rnn and nanoGPT's
/// Shakespeare-char): the simplest tokenizer, and the one whose errors are easiest to read.
///
/// Ids 0–2 are the specials of `Tokenizer`; the alphabet's characters follow in the order
/// given. `CharacterTokenizer.lessons` is the alphabet of the lessons' generated corpus.
public struct CharacterTokenizer: Tokenizer, Equatable {
    public let tokens: [String]
    public let unknown: UnknownCharacterPolicy
    let ids: [Character: Int]

    /// A tokenizer over `alphabet`'s characters (each once).
    public init(alphabet: String, unknown: UnknownCharacterPolicy = .error) throws(TokenizerError) {
        var ids: [Character: Int] = [:]
        var tokens = SpecialToken.names
        for c in alphabet {
            guard ids[c] == nil else {
                throw .invalidArgument(tokenizer: "CharacterTokenizer", message: "the alphabet has \"\(c)\" twice")
            }
            ids[c] = tokens.count
            tokens.append(String(c))
        }
        guard !ids.isEmpty else { throw .invalidArgument(tokenizer: "CharacterTokenizer", message: "the alphabet is empty") }
        self.tokens = tokens
        self.ids = ids
        self.unknown = unknown
    }

    /// Lower-case letters, digits, space, newline and the punctuation of the lessons' dialogues.
    public static let lessonAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789 \n.,?!:;'->$"

    /// The tokenizer of the lessons' corpus (`lessonAlphabet`, unknown characters refused).
    public static var lessons: CharacterTokenizer { try! CharacterTokenizer(alphabet: lessonAlphabet) }

    public var name: String { "CharacterTokenizer(\(tokens.count) tokens)" }

    public func encode(_ text: String) throws(TokenizerError) -> [Int] {
        var out: [Int] = []
        out.reserveCapacity(text.utf8.count)
        var position = 0
        for c in text {
            if let id = ids[c] {
                out.append(id)
            } else if unknown == .replace {
                out.append(SpecialToken.unk)
            } else {
                throw .unknownCharacter(tokenizer: name, character: c, position: position, text: text)
            }
            position += 1
        }
        return out
    }

    public static func == (a: CharacterTokenizer, b: CharacterTokenizer) -> Bool {
        a.tokens == b.tokens && a.unknown == b.unknown
    }
}
