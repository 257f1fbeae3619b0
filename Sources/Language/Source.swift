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
