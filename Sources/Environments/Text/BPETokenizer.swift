/// Byte-pair encoding over characters (Sennrich et al., 2016; GPT-2's tokenizer without the
/// byte layer): start from one token per character and repeatedly merge the most frequent
/// adjacent pair of tokens in a training corpus into a new token.
///
/// Text is first cut into chunks — a run of letters and digits with the one space before
/// it (`" door"`), or any other single character — and merges never cross a chunk, so a
/// token never spans two words (GPT-2's pre-tokenization, simplified). Encoding applies the
/// learned merges to each chunk in the order they were learned. Ids: the specials, the
/// alphabet's characters in order, then one id per merge.
public struct BPETokenizer: Tokenizer, Equatable {
    public let tokens: [String]
    public let unknown: UnknownCharacterPolicy
    /// The merges in the order learned: (left id, right id) → the new token's id is
    /// `SpecialToken.count + alphabet.count + index`.
    public let merges: [Pair]
    let base: CharacterTokenizer
    let rank: [Pair: Int]

    /// Two adjacent token ids.
    public struct Pair: Hashable, Sendable, Comparable {
        public let left: Int, right: Int
        public init(_ left: Int, _ right: Int) { self.left = left; self.right = right }
        public static func < (a: Pair, b: Pair) -> Bool { (a.left, a.right) < (b.left, b.right) }
    }

    /// Learns up to `merges` merges from `corpus` over the characters of `alphabet` (every
    /// character of the corpus must be in it). Ties between equally frequent pairs go to the
    /// smaller (left, right) ids, so training is deterministic. Stops early when no pair
    /// occurs twice.
    public init(training corpus: String, alphabet: String = CharacterTokenizer.lessonAlphabet, merges: Int,
                unknown: UnknownCharacterPolicy = .error) throws(TokenizerError) {
        guard merges >= 0 else { throw .invalidArgument(tokenizer: "BPETokenizer", message: "merges must be >= 0, got \(merges)") }
        let base = try CharacterTokenizer(alphabet: alphabet, unknown: .error)
        var counts: [[Int]: Int] = [:]
        for chunk in BPETokenizer.chunks(corpus) {
            do {
                counts[try base.encode(String(corpus[chunk])), default: 0] += 1
            } catch {
                if case let .unknownCharacter(_, c, p, _) = error {
                    throw .unknownCharacter(tokenizer: "BPETokenizer training corpus", character: c,
                                            position: characterIndex(of: chunk.lowerBound, in: corpus) + p, text: String(corpus[chunk]))
                }
                throw error
            }
        }
        // Words as id sequences with their counts, merged in place as merges are learned.
        var words = counts.sorted { $0.key.lexicographicallyPrecedes($1.key) }.map { (ids: $0.key, count: $0.value) }
        var tokens = base.tokens
        var learned: [Pair] = []
        for _ in 0..<merges {
            var pairCounts: [Pair: Int] = [:]
            for w in words where w.ids.count > 1 {
                for i in 0..<(w.ids.count - 1) { pairCounts[Pair(w.ids[i], w.ids[i + 1]), default: 0] += w.count }
            }
            guard let best = pairCounts.max(by: { $0.value < $1.value || ($0.value == $1.value && $0.key > $1.key) }),
                  best.value >= 2 else { break }
            let id = tokens.count
            tokens.append(tokens[best.key.left] + tokens[best.key.right])
            learned.append(best.key)
            for i in words.indices where words[i].ids.count > 1 {
                words[i].ids = BPETokenizer.merge(words[i].ids, best.key, into: id)
            }
        }
        self.init(base: base, tokens: tokens, merges: learned, unknown: unknown)
    }

    /// A tokenizer from learned merges (as saved by `merges` and `alphabet`).
    public init(alphabet: String, merges: [Pair], unknown: UnknownCharacterPolicy = .error) throws(TokenizerError) {
        let base = try CharacterTokenizer(alphabet: alphabet, unknown: .error)
        var tokens = base.tokens
        for (i, m) in merges.enumerated() {
            guard m.left >= 0, m.left < tokens.count, m.right >= 0, m.right < tokens.count,
                  m.left >= SpecialToken.count, m.right >= SpecialToken.count else {
                throw .invalidArgument(tokenizer: "BPETokenizer", message: "merge \(i) (\(m.left), \(m.right)) refers to an id that is not a token yet")
            }
            tokens.append(tokens[m.left] + tokens[m.right])
        }
        self.init(base: base, tokens: tokens, merges: merges, unknown: unknown)
    }

    init(base: CharacterTokenizer, tokens: [String], merges: [Pair], unknown: UnknownCharacterPolicy) {
        self.base = base
        self.tokens = tokens
        self.merges = merges
        self.unknown = unknown
        var rank: [Pair: Int] = [:]
        for (i, m) in merges.enumerated() { rank[m] = i }
        self.rank = rank
    }

    /// The characters the merges start from.
    public var alphabet: String { base.tokens.dropFirst(SpecialToken.count).joined() }

    public var name: String { "BPETokenizer(\(tokens.count) tokens)" }

    public func encode(_ text: String) throws(TokenizerError) -> [Int] {
        var out: [Int] = []
        var position = 0
        for chunk in BPETokenizer.chunks(text) {
            var ids: [Int] = []
            for c in text[chunk] {
                if let id = base.ids[c] {
                    ids.append(id)
                } else if unknown == .replace {
                    ids.append(SpecialToken.unk)
                } else {
                    throw .unknownCharacter(tokenizer: name, character: c, position: position, text: text)
                }
                position += 1
            }
            // Apply the earliest-learned merge present, until none applies.
            while ids.count > 1 {
                var best: (rank: Int, pair: Pair)? = nil
                for i in 0..<(ids.count - 1) {
                    let p = Pair(ids[i], ids[i + 1])
                    if let r = rank[p], r < (best?.rank ?? Int.max) { best = (r, p) }
                }
                guard let best else { break }
                ids = BPETokenizer.merge(ids, best.pair, into: base.tokens.count + best.rank)
            }
            out += ids
        }
        return out
    }

    /// `ids` with every non-overlapping occurrence of `pair` (left to right) replaced by `id`.
    static func merge(_ ids: [Int], _ pair: Pair, into id: Int) -> [Int] {
        var out: [Int] = []
        out.reserveCapacity(ids.count)
        var i = 0
        while i < ids.count {
            if i + 1 < ids.count, ids[i] == pair.left, ids[i + 1] == pair.right {
                out.append(id)
                i += 2
            } else {
                out.append(ids[i])
                i += 1
            }
        }
        return out
    }

    /// The pre-tokenization: runs of letters and digits with at most one space before them;
    /// every other character alone.
    static func chunks(_ text: String) -> [Range<String.Index>] {
        func isWordCharacter(_ c: Character) -> Bool { c.isLetter || c.isNumber }
        var out: [Range<String.Index>] = []
        var i = text.startIndex
        while i < text.endIndex {
            var j = text.index(after: i)
            let c = text[i]
            if isWordCharacter(c) || (c == " " && j < text.endIndex && isWordCharacter(text[j])) {
                while j < text.endIndex, isWordCharacter(text[j]) { j = text.index(after: j) }
            }
            out.append(i..<j)
            i = j
        }
        return out
    }

    public static func == (a: BPETokenizer, b: BPETokenizer) -> Bool {
        a.tokens == b.tokens && a.merges == b.merges && a.unknown == b.unknown
    }
}
