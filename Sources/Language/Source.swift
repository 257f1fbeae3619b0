// Source files and positions: everything a diagnostic needs to point at code.

/// A script's text, kept as UTF-8 bytes with a table of line starts.
public final class SourceFile: Sendable {
    /// The path shown in diagnostics (`--> path:line:col`).
    public let path: String
    /// The whole text.
    public let text: String
    /// The text as UTF-8 bytes; token offsets index into this.
    public let bytes: [UInt8]
    /// Byte offset at which each line starts (line 1 is `lineStarts[0]`).
    public let lineStarts: [Int]

    public init(path: String, text: String) {
        self.path = path
        self.text = text
        let bytes = Array(text.utf8)
        self.bytes = bytes
        var starts = [0]
        for (i, b) in bytes.enumerated() where b == UInt8(ascii: "\n") { starts.append(i + 1) }
        self.lineStarts = starts
    }

    /// The 1-based line containing `offset`.
    public func line(at offset: Int) -> Int {
        var lo = 0, hi = lineStarts.count - 1
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if lineStarts[mid] <= offset { lo = mid } else { hi = mid - 1 }
        }
        return lo + 1
    }

    /// The 1-based column (in bytes) of `offset`.
    public func column(at offset: Int) -> Int {
        let line = line(at: offset)
        return offset - lineStarts[line - 1] + 1
    }

    /// The text of a 1-based line, without its newline.
    public func lineText(_ line: Int) -> String {
        guard line >= 1, line <= lineStarts.count else { return "" }
        let start = lineStarts[line - 1]
        var end = line < lineStarts.count ? lineStarts[line] - 1 : bytes.count
        if end > start, end - 1 < bytes.count, bytes[end - 1] == UInt8(ascii: "\r") { end -= 1 }
        guard start <= end, end <= bytes.count else { return "" }
        return String(decoding: bytes[start..<end], as: UTF8.self)
    }

    /// The source text of a byte range (clamped to the file).
    public func slice(offset: Int, length: Int) -> String {
        let start = max(0, min(offset, bytes.count))
        let end = max(start, min(offset + length, bytes.count))
        return String(decoding: bytes[start..<end], as: UTF8.self)
    }
}

/// A range of source text: where a token, expression or error lives.
public struct SourceSpan: Sendable, CustomStringConvertible {
    public let file: SourceFile
    /// Byte offset of the first byte.
    public let offset: Int
    /// Length in bytes (0 for a point, such as end of file).
    public let length: Int
    /// 1-based line of the first byte.
    public let line: Int
    /// 1-based column (in bytes) of the first byte.
    public let column: Int

    public init(file: SourceFile, offset: Int, length: Int, line: Int, column: Int) {
        self.file = file
        self.offset = offset
        self.length = length
        self.line = line
        self.column = column
    }

    /// The span from the start of `self` to the end of `other`.
    public func through(_ other: SourceSpan) -> SourceSpan {
        guard other.file === file, other.offset + other.length >= offset else { return self }
        return SourceSpan(file: file, offset: offset, length: other.offset + other.length - offset,
                          line: line, column: column)
    }

    /// 1-based line of the last byte.
    public var endLine: Int { file.line(at: max(offset, offset + length - 1)) }
    /// 1-based column just past the last byte (exclusive end, as editors expect).
    public var endColumn: Int {
        length == 0 ? column : file.column(at: offset + length - 1) + 1
    }
    /// The text covered.
    public var text: String { file.slice(offset: offset, length: length) }

    public var description: String { "\(file.path):\(line):\(column)" }
}

// MARK: - Reading source files

/// Source files are UTF-8. A file that is not (a Latin-1 comment, UTF-16, random bytes) is
/// refused with the place of its first bad byte; old Mac line endings (CR alone) are read as
/// line ends.
public enum SourceDecoding {
    /// Why a file could not be read as source text, and where.
    public struct Failure: Error, CustomStringConvertible, Sendable {
        public var path: String
        public var line: Int
        public var column: Int
        public var reason: String
        public init(path: String, line: Int, column: Int, reason: String) {
            self.path = path
            self.line = line
            self.column = column
            self.reason = reason
        }
        public var description: String {
            "\(path):\(line):\(column): \(reason); source files must be UTF-8 (save the file as UTF-8 in your editor)"
        }
    }

    /// The text of a file's bytes, or where the first byte that is not UTF-8 is.
    public static func decode(_ bytes: [UInt8], path: String) -> Result<String, Failure> {
        if bytes.count >= 2, (bytes[0] == 0xFF && bytes[1] == 0xFE) || (bytes[0] == 0xFE && bytes[1] == 0xFF) {
            return .failure(Failure(path: path, line: 1, column: 1, reason: "the file is UTF-16 (it starts with a byte-order mark)"))
        }
        if let bad = firstInvalidByte(bytes) {
            var line = 1, lineStart = 0
            var i = 0
            while i < bad {
                if bytes[i] == 0x0A || (bytes[i] == 0x0D && (i + 1 >= bytes.count || bytes[i + 1] != 0x0A)) {
                    line += 1
                    lineStart = i + 1
                }
                i += 1
            }
            let column = String(decoding: bytes[lineStart..<bad], as: UTF8.self).unicodeScalars.count + 1
            let hex = String(bytes[bad], radix: 16, uppercase: true)
            return .failure(Failure(path: path, line: line, column: column,
                                    reason: "byte 0x\(hex.count == 1 ? "0" + hex : hex) is not valid UTF-8"))
        }
        // CR alone ends a line too: it becomes LF (same length, so positions are unchanged).
        guard bytes.contains(0x0D) else { return .success(String(decoding: bytes, as: UTF8.self)) }
        var fixed = bytes
        for i in fixed.indices where fixed[i] == 0x0D && (i + 1 >= fixed.count || fixed[i + 1] != 0x0A) { fixed[i] = 0x0A }
        return .success(String(decoding: fixed, as: UTF8.self))
    }

    /// The offset of the first byte that does not belong to a well-formed UTF-8 sequence.
    static func firstInvalidByte(_ b: [UInt8]) -> Int? {
        var i = 0
        let n = b.count
        while i < n {
            let c = b[i]
            if c < 0x80 { i += 1; continue }
            var need = 0
            var lo: UInt8 = 0x80, hi: UInt8 = 0xBF
            switch c {
            case 0xC2...0xDF: need = 1
            case 0xE0: need = 2; lo = 0xA0
            case 0xE1...0xEC, 0xEE...0xEF: need = 2
            case 0xED: need = 2; hi = 0x9F
            case 0xF0: need = 3; lo = 0x90
            case 0xF1...0xF3: need = 3
            case 0xF4: need = 3; hi = 0x8F
            default: return i
            }
            guard i + need < n else { return i }
            if b[i + 1] < lo || b[i + 1] > hi { return i }
            var k = 2
            while k <= need {
                if b[i + k] < 0x80 || b[i + k] > 0xBF { return i }
                k += 1
            }
            i += need + 1
        }
        return nil
    }
}
