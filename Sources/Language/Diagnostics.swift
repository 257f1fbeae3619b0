// Diagnostics: compile and runtime errors, rendered for people (Elm / rustc style) and as JSON.

/// How serious a diagnostic is.
public enum Severity: String, Sendable {
    case error, warning, note
}

/// One entry of a runtime traceback: a call site in a script.
public struct TraceEntry: Sendable {
    /// The function that was running (`<script>` at top level).
    public let function: String
    /// Where in that function the failing call or operation is.
    public let span: SourceSpan
}

/// A problem found in a script, with where it is and what may fix it.
public struct Diagnostic: Error, Sendable, CustomStringConvertible {
    public var severity: Severity
    public var message: String
    public var span: SourceSpan
    /// Suggestions, shown as `help:` lines.
    public var help: [String]
    /// For runtime errors: the calls that led here, outermost first.
    public var trace: [TraceEntry]

    public init(_ severity: Severity, _ message: String, at span: SourceSpan, help: [String] = [],
                trace: [TraceEntry] = []) {
        self.severity = severity
        self.message = message
        self.span = span
        self.help = help
        self.trace = trace
    }

    public var description: String { render() }

    // MARK: - Text

    /// Renders the diagnostic the way rustc and Elm do:
    ///
    ///     error: expected ')' after arguments
    ///      --> lesson.mem:3:14
    ///       |
    ///     3 | print(f(1, 2)
    ///       |              ^
    ///       = help: …
    public func render(color: Bool = false) -> String {
        let red = color ? "\u{1B}[1;31m" : "", blue = color ? "\u{1B}[1;34m" : ""
        let bold = color ? "\u{1B}[1m" : "", reset = color ? "\u{1B}[0m" : ""
        let header = severity == .error ? red : blue
        var out = "\(header)\(severity.rawValue)\(reset)\(bold): \(message)\(reset)\n"
        out += excerpt(span, blue: blue, red: header, reset: reset)
        if !trace.isEmpty {
            out += "traceback (most recent call last):\n"
            var i = 0
            while i < trace.count {
                let entry = trace[i]
                out += "  \(entry.span.file.path):\(entry.span.line):\(entry.span.column) in \(entry.function)\n"
                var text = entry.span.file.lineText(entry.span.line).trimmingSpaces()
                if text.count > Diagnostic.excerptWidth { text = String(text.prefix(Diagnostic.excerptWidth)) + "…" }
                if !text.isEmpty { out += "    \(text)\n" }
                // Runaway recursion: say how often the same call repeats instead of listing it.
                var j = i + 1
                while j < trace.count, trace[j].function == entry.function, trace[j].span.offset == entry.span.offset,
                      trace[j].span.file === entry.span.file { j += 1 }
                if j - i > 1 { out += "  … the same call repeated \(j - i - 1) more time\(j - i - 1 == 1 ? "" : "s")\n" }
                i = j
            }
        }
        for h in help { out += "  \(blue)= help:\(reset) \(h)\n" }
        return out
    }

    /// At most this many characters of a source line are shown; a longer line (a minified
    /// file, a 50 MB string literal) is shown as a window around the culprit.
    static let excerptWidth = 160

    private func excerpt(_ span: SourceSpan, blue: String, red: String, reset: String) -> String {
        let fullLine = span.file.lineText(span.line)
        let number = String(span.line)
        let gutter = String(repeating: " ", count: number.count)
        var out = "\(gutter)\(blue)-->\(reset) \(span.file.path):\(span.line):\(span.column)\n"
        out += "\(gutter) \(blue)|\(reset)\n"
        // Underline in characters, not bytes, up to the end of the first line.
        let lineBytes = Array(fullLine.utf8)
        let startByte = min(max(span.column - 1, 0), lineBytes.count)
        let endByte = min(startByte + max(span.length, 1), max(lineBytes.count, startByte + 1))
        var before = String(decoding: lineBytes[0..<startByte], as: UTF8.self)
        var covered = endByte <= lineBytes.count ? String(decoding: lineBytes[startByte..<endByte], as: UTF8.self) : " "
        var after = endByte <= lineBytes.count ? String(decoding: lineBytes[endByte...], as: UTF8.self) : ""
        let width = Diagnostic.excerptWidth
        if before.count + covered.count + after.count > width {
            if covered.count > width / 2 { covered = String(covered.prefix(width / 2)) + "…"; after = "" }
            if before.count > width / 4 { before = "…" + String(before.suffix(width / 4)) }
            let room = max(width - before.count - covered.count, 0)
            if after.count > room { after = String(after.prefix(room)) + "…" }
        }
        let shown = (before + covered + after).replacingTabs()
        out += "\(blue)\(number) |\(reset) \(shown)\n"
        let pad = before.replacingTabs().count
        out += "\(gutter) \(blue)|\(reset) \(String(repeating: " ", count: pad))\(red)\(String(repeating: "^", count: max(covered.replacingTabs().count, 1)))\(reset)\n"
        return out
    }

    // MARK: - JSON

    /// The diagnostic as one JSON object for editors:
    /// `{"path", "line", "column", "endLine", "endColumn", "severity", "message", "help"}`.
    public var json: String {
        var fields = [
            "\"path\":\(jsonString(span.file.path))",
            "\"line\":\(span.line)",
            "\"column\":\(span.column)",
            "\"endLine\":\(span.endLine)",
            "\"endColumn\":\(span.endColumn)",
            "\"severity\":\(jsonString(severity.rawValue))",
            "\"message\":\(jsonString(message))",
            "\"help\":[\(help.map(jsonString).joined(separator: ","))]",
        ]
        if !trace.isEmpty {
            let frames = trace.map {
                "{\"function\":\(jsonString($0.function)),\"path\":\(jsonString($0.span.file.path)),\"line\":\($0.span.line),\"column\":\($0.span.column)}"
            }
            fields.append("\"trace\":[\(frames.joined(separator: ","))]")
        }
        return "{" + fields.joined(separator: ",") + "}"
    }

    /// A JSON array of diagnostics.
    public static func json(_ diagnostics: [Diagnostic]) -> String {
        "[" + diagnostics.map(\.json).joined(separator: ",") + "]"
    }
}

/// Quotes a string for JSON (also used by the notebook exporter).
public func jsonString(_ s: String) -> String {
    var out = "\""
    for scalar in s.unicodeScalars {
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        default:
            if scalar.value < 0x20 {
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
    }
    return out + "\""
}

extension String {
    func trimmingSpaces() -> String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\t" || l == "\r" { s = s.dropLast() }
        return String(s)
    }

    func replacingTabs() -> String {
        String(map { $0 == "\t" ? " " : $0 })
    }
}

// MARK: - Suggestions

/// The edit distance between two strings (insertions, deletions, substitutions and swaps of
/// neighbouring characters each cost one), by characters.
func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a), b = Array(b)
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var d = [[Int]](repeating: [Int](repeating: 0, count: b.count + 1), count: a.count + 1)
    for i in 0...a.count { d[i][0] = i }
    for j in 0...b.count { d[0][j] = j }
    for i in 1...a.count {
        for j in 1...b.count {
            let cost = a[i - 1] == b[j - 1] ? 0 : 1
            d[i][j] = Swift.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
            if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                d[i][j] = Swift.min(d[i][j], d[i - 2][j - 2] + 1)
            }
        }
    }
    return d[a.count][b.count]
}

/// The candidates closest to `name` (at most three), for "did you mean …?" hints.
func suggestions(for name: String, among candidates: some Sequence<String>) -> [String] {
    let limit = Swift.max(1, name.count / 3)
    var scored: [(Int, String)] = []
    var seen = Set<String>()
    for c in candidates where c != name && !seen.contains(c) {
        seen.insert(c)
        let d = editDistance(name.lowercased(), c.lowercased())
        if d <= limit || (name.count > 2 && c.lowercased().hasPrefix(name.lowercased())) {
            scored.append((d, c))
        }
    }
    return scored.sorted { $0.0 != $1.0 ? $0.0 < $1.0 : $0.1 < $1.1 }.prefix(3).map(\.1)
}

/// "did you mean 'x'?" or "did you mean one of 'x', 'y'?"; nil when there is nothing close.
func didYouMean(_ name: String, among candidates: some Sequence<String>) -> String? {
    let s = suggestions(for: name, among: candidates)
    if s.isEmpty { return nil }
    if s.count == 1 { return "did you mean '\(s[0])'?" }
    return "did you mean one of " + s.map { "'\($0)'" }.joined(separator: ", ") + "?"
}
