import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing
@testable import Display

/// The lines of a rendering with ANSI sequences removed.
func visibleLines(_ text: String) -> [String] {
    ANSI.strip(text).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
}

/// Checks that no line of `text` is wider than `width` (Unicode scalars, ANSI not counted).
func expectFits(_ text: String, width: Int, _ context: String = "", sourceLocation: SourceLocation = #_sourceLocation) {
    for line in visibleLines(text) {
        #expect(line.unicodeScalars.count <= width, "line of \(line.unicodeScalars.count) > \(width) columns \(context): \(line)", sourceLocation: sourceLocation)
    }
}

/// The set dots of braille characters in `rows` (cells outside U+2800…U+28FF are ignored),
/// as (x, y) in dots from the top left.
func brailleDots(_ rows: [String]) -> Set<[Int]> {
    let bitsAt: [[UInt32]] = [[0x01, 0x02, 0x04, 0x40], [0x08, 0x10, 0x20, 0x80]]
    var dots = Set<[Int]>()
    for (r, row) in rows.enumerated() {
        for (c, scalar) in row.unicodeScalars.enumerated() where (0x2800...0x28FF).contains(scalar.value) {
            let bits = scalar.value - 0x2800
            for dx in 0..<2 { for dy in 0..<4 where bits & bitsAt[dx][dy] != 0 { dots.insert([c * 2 + dx, r * 4 + dy]) } }
        }
    }
    return dots
}

/// The plot-area rows of a text line plot (the part after the y axis character).
func plotRows(_ text: String) -> [String] {
    visibleLines(text).compactMap { line in
        guard let i = line.firstIndex(where: { $0 == "┤" || $0 == "│" }) else { return nil }
        return String(line[line.index(after: i)...])
    }
}

/// Parses `svg` as XML; returns the error, or nil when it is well-formed, and the elements
/// seen with their attributes.
final class XMLCheck: NSObject, XMLParserDelegate {
    var elements: [(name: String, attributes: [String: String])] = []
    var texts: [String] = []
    var error: Error?

    static func parse(_ svg: String) -> XMLCheck {
        let check = XMLCheck()
        let parser = XMLParser(data: Data(svg.utf8))
        parser.delegate = check
        if !parser.parse() { check.error = parser.parserError ?? NSError(domain: "xml", code: 1) }
        return check
    }

    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String] = [:]) {
        elements.append((name, attributes))
    }
    func parser(_ parser: XMLParser, foundCharacters string: String) { texts.append(string) }
    func parser(_ parser: XMLParser, parseErrorOccurred parseError: Error) { error = parseError }

    func all(_ name: String) -> [[String: String]] { elements.filter { $0.name == name }.map(\.attributes) }
}

/// A deterministic stream of numbers in [0, 1) (SplitMix64).
struct TestRandom {
    var state: UInt64
    mutating func next() -> Double {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return Double((z ^ (z >> 31)) >> 11) / Double(1 << 53)
    }
}
