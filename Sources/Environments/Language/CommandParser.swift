/// The text adventure's commands: a verb and, for most verbs, a noun.
public struct Command: Hashable, Sendable, CustomStringConvertible {
    public enum Verb: String, Sendable, CaseIterable {
        case go, take, drop, open, unlock, look, inventory
        /// Whether the verb needs a noun ("take key") or stands alone ("look").
        public var takesNoun: Bool { self != .look && self != .inventory }
    }

    public enum Noun: String, Sendable, CaseIterable {
        case north, south, east, west, key, lamp, book, door
        public var isDirection: Bool { [.north, .south, .east, .west].contains(self) }
    }

    public let verb: Verb
    public let noun: Noun?

    public init(_ verb: Verb, _ noun: Noun? = nil) {
        self.verb = verb
        self.noun = noun
    }

    public var description: String { noun.map { "\(verb.rawValue) \($0.rawValue)" } ?? verb.rawValue }
}

/// Reads free text as a `Command`, the way an Infocom-style parser does: forgiving about
/// wording, and when it cannot understand, it says so in the game's voice instead of
/// failing.
///
/// The rules, applied in order:
/// 1. **Words**: lower-case the text; every character that is not a letter becomes a space.
/// 2. **Fillers**: drop "the", "a", "an", "to", "at", "please", "my", "up", "down", "around".
/// 3. **Synonyms**: verbs get, grab, pick → take; walk, move, head, run → go; put,
///    discard → drop; l, examine → look; i, inv → inventory. Nouns n, s, e, w → the
///    directions; keys → key; lantern, light → lamp; gate → door.
/// 4. **Bare direction**: a sentence that is only a direction means "go" there.
/// 5. **Verb and object**: the first word must be a known verb; a verb that takes a noun
///    takes the first known noun after it, skipping the prepositions with, on, in, from
///    (so "unlock the door with the key" is "unlock door"); a verb without one ignores the rest.
/// Failures are answered as the game would: "i don't know the word \"xyzzy\".",
/// "what do you want to take?", "i don't understand that."
public enum CommandParser {
    public enum Outcome: Equatable, Sendable {
        case command(Command)
        /// The game's reply to text it could not read.
        case failure(String)
    }

    static let fillers: Set<String> = ["the", "a", "an", "to", "at", "please", "my", "up", "down", "around"]
    static let verbSynonyms: [String: Command.Verb] = [
        "get": .take, "grab": .take, "pick": .take, "walk": .go, "move": .go, "head": .go, "run": .go,
        "put": .drop, "discard": .drop, "l": .look, "examine": .look, "i": .inventory, "inv": .inventory,
    ]
    static let nounSynonyms: [String: Command.Noun] = [
        "n": .north, "s": .south, "e": .east, "w": .west, "keys": .key, "lantern": .lamp, "light": .lamp, "gate": .door,
    ]

    /// The words of `text` after rules 1–3 (unknown words kept as written).
    public static func words(_ text: String) -> [String] {
        let cleaned = String(text.lowercased().map { $0.isLetter ? $0 : " " })
        return cleaned.split(separator: " ").map(String.init).filter { !fillers.contains($0) }
    }

    static func verb(_ w: String) -> Command.Verb? { Command.Verb(rawValue: w) ?? verbSynonyms[w] }
    static func noun(_ w: String) -> Command.Noun? { Command.Noun(rawValue: w) ?? nounSynonyms[w] }

    public static func parse(_ text: String) -> Outcome {
        let ws = words(text)
        guard let first = ws.first else { return .failure("i beg your pardon?") }
        if ws.count == 1, let n = noun(first), n.isDirection { return .command(Command(.go, n)) }
        guard let v = verb(first) else {
            return noun(first) == nil ? .failure("i don't know the word \"\(first)\".") : .failure("i don't understand that.")
        }
        guard v.takesNoun else { return .command(Command(v)) }
        for w in ws.dropFirst() {
            if let n = noun(w) { return .command(Command(v, n)) }
            if verb(w) == nil, noun(w) == nil, !["with", "on", "in", "from"].contains(w) {
                return .failure("i don't know the word \"\(w)\".")
            }
        }
        return .failure(v == .go ? "go where?" : "what do you want to \(v.rawValue)?")
    }
}
