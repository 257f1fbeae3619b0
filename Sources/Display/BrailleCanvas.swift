/// A grid of terminal cells drawn with Unicode braille: each cell holds 2 × 4 dots, so a
/// canvas of `columns` × `rows` cells has `2·columns` × `4·rows` dots. Dot (0, 0) is the top
/// left. Each cell remembers the last series that drew into it (its colour) and may carry a
/// marker character that replaces its dots (series drawn without colour).
public struct BrailleCanvas: Sendable {
    public let columns: Int
    public let rows: Int
    private var bits: [UInt8]
    private var owner: [Int]
    private var markers: [Character?]

    /// Bit of dot (x, y) within a cell, in the braille block U+2800…U+28FF: dots 1-2-3-7 are
    /// the left column top to bottom, dots 4-5-6-8 the right one.
    private static let dotBits: [[UInt8]] = [[0x01, 0x02, 0x04, 0x40], [0x08, 0x10, 0x20, 0x80]]

    public init(columns: Int, rows: Int) {
        self.columns = max(0, columns)
        self.rows = max(0, rows)
        bits = Array(repeating: 0, count: self.columns * self.rows)
        owner = Array(repeating: -1, count: self.columns * self.rows)
        markers = Array(repeating: nil, count: self.columns * self.rows)
    }

    /// Width and height in dots.
    public var dotWidth: Int { columns * 2 }
    public var dotHeight: Int { rows * 4 }

    /// Sets dot (x, y) for `series`; dots outside the canvas are ignored.
    public mutating func set(_ x: Int, _ y: Int, series: Int = 0) {
        guard x >= 0, y >= 0, x < dotWidth, y < dotHeight else { return }
        let cell = (y / 4) * columns + x / 2
        bits[cell] |= BrailleCanvas.dotBits[x % 2][y % 4]
        owner[cell] = series
    }

    /// Draws the dots of the straight line from (x0, y0) to (x1, y1) (Bresenham).
    public mutating func line(_ x0: Int, _ y0: Int, _ x1: Int, _ y1: Int, series: Int = 0) {
        var x = x0, y = y0
        let dx = abs(x1 - x0), dy = -abs(y1 - y0)
        let sx = x0 < x1 ? 1 : -1, sy = y0 < y1 ? 1 : -1
        var err = dx + dy
        while true {
            set(x, y, series: series)
            if x == x1 && y == y1 { break }
            let e2 = 2 * err
            if e2 >= dy { err += dy; x += sx }
            if e2 <= dx { err += dx; y += sy }
        }
    }

    /// Puts `marker` in cell (column, row), replacing its dots, for `series`.
    public mutating func mark(column: Int, row: Int, _ marker: Character, series: Int) {
        guard column >= 0, row >= 0, column < columns, row < rows else { return }
        markers[row * columns + column] = marker
        owner[row * columns + column] = series
    }

    /// Lays `top` (a canvas of the same size) over this one: each cell where `top` drew
    /// anything shows only what `top` drew there, so a line drawn on `top` stays a clean line
    /// over busy dots below it.
    public mutating func overlay(_ top: BrailleCanvas) {
        guard top.columns == columns, top.rows == rows else { return }
        for i in bits.indices where top.bits[i] != 0 || top.markers[i] != nil {
            bits[i] = top.bits[i]
            markers[i] = top.markers[i]
            owner[i] = top.owner[i]
        }
    }

    /// Whether the cell has any dot or marker.
    public func isSet(column: Int, row: Int) -> Bool {
        let i = row * columns + column
        return bits[i] != 0 || markers[i] != nil
    }

    /// The series that last drew into a cell (-1 when empty).
    public func series(column: Int, row: Int) -> Int { owner[row * columns + column] }

    /// The character of a cell: its marker, its braille pattern, or a blank braille cell
    /// when `blank` is nil (U+2800 keeps columns aligned in every font), else `blank`.
    public func character(column: Int, row: Int, blank: Character = " ") -> Character {
        let i = row * columns + column
        if let m = markers[i] { return m }
        if bits[i] == 0 { return blank }
        return Character(Unicode.Scalar(0x2800 + UInt32(bits[i]))!)
    }

    /// Row `row` as text; cells painted with `color(series)` SGR codes when given.
    public func render(row: Int, color: ((Int) -> String)? = nil) -> String {
        var out = ""
        var current: String? = nil
        for c in 0..<columns {
            let ch = character(column: c, row: row)
            if let color {
                let s = owner[row * columns + c]
                let code = ch == " " || s < 0 ? nil : color(s)
                if code != current {
                    if current != nil { out += ANSI.reset }
                    if let code { out += "\u{1B}[\(code)m" }
                    current = code
                }
            }
            out.append(ch)
        }
        if current != nil { out += ANSI.reset }
        return out
    }
}
