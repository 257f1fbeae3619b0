import TensorCore

/// Shuffled standard 52-card decks, as POPGym's card games deal them.
///
/// A card is an index in `0 ..< 52`: its suit is `card / 13` (0 clubs, 1 diamonds,
/// 2 hearts, 3 spades), its rank `card % 13`, and its colour red (1) for diamonds and
/// hearts, black (0) otherwise.
struct CardDeck: Sendable, Equatable {
    /// The cards in dealing order.
    private(set) var cards: [Int]

    /// `decks` decks, shuffled with `rng` (Fisher–Yates).
    init(decks: Int, rng: inout RNG) {
        cards = (0..<decks * 52).map { $0 % 52 }
        rng.shuffle(&cards)
    }

    /// An empty deck, before the first shuffle.
    init() { cards = [] }

    var count: Int { cards.count }
    subscript(i: Int) -> Int { cards[i] }

    static func suit(_ card: Int) -> Int { card / 13 }
    static func rank(_ card: Int) -> Int { card % 13 }
    static func colour(_ card: Int) -> Int { (card / 13 == 1 || card / 13 == 2) ? 1 : 0 }
    static let suitSymbols: [Character] = ["♣", "♦", "♥", "♠"]

    /// A card drawn as rank and suit, such as "10♥".
    static func describe(_ card: Int) -> String {
        let ranks = ["A", "2", "3", "4", "5", "6", "7", "8", "9", "10", "J", "Q", "K"]
        return ranks[rank(card)] + String(suitSymbols[suit(card)])
    }
}

/// Writes a one-hot encoding of `index` (or all zeros for `nil`) into `buffer[offset ..< offset + count]`.
@inline(__always)
func writeOneHot(_ index: Int?, count: Int, into buffer: UnsafeMutableBufferPointer<Float>, at offset: Int = 0) {
    for i in 0..<count { buffer[offset + i] = index == i ? 1 : 0 }
}

/// A one-hot vector.
func oneHot(_ index: Int?, count: Int) -> [Float] {
    (0..<count).map { index == $0 ? 1 : 0 }
}
