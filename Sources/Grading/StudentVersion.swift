import Language

/// Writing the student version of a lesson or exercise (`memento assign`).
///
/// - Each `# BEGIN SOLUTION` … `# END SOLUTION` region, from the start of the BEGIN line to
///   the end of the END line, becomes a stub at the BEGIN marker's indentation:
///   ```
///   # YOUR CODE HERE
///   error("not implemented: policy")
///   ```
///   naming the enclosing function (or the line, at the top level), so running it stops
///   with "not implemented: …".
/// - Each test with `hidden: true` is removed (its lines, when it has them to itself).
/// - Every other byte is kept as it is.
public enum StudentVersion {
    /// Why a source cannot be turned into a student version.
    public struct Failure: Error, CustomStringConvertible {
        public var diagnostics: [Diagnostic]
        public var description: String { diagnostics.map { $0.render() }.joined(separator: "\n") }
    }

    /// What `make` did, for the command's summary.
    public struct Summary: Sendable {
        public var solutionRegions: Int
        public var hiddenTests: Int
        public var tests: Int
    }

    /// The student version of `file`. Throws `Failure` for unbalanced or nested solution
    /// markers, a source that does not parse, or a hidden test inside a solution region.
    public static func make(from file: SourceFile) throws -> (text: String, summary: Summary) {
        var lexer = Lexer(file: file)
        _ = lexer.tokenize()
        let markerProblems = lexer.diagnostics.filter { $0.severity == .error }
        if !markerProblems.isEmpty { throw Failure(diagnostics: markerProblems) }
        let tests: [GradedTest]
        do {
            tests = try TestDiscovery.tests(in: file)
        } catch let e as TestsFileError {
            throw Failure(diagnostics: e.diagnostics)
        }
        let program = Parser.parse(file)
        let bytes = file.bytes

        // Edits: (range to replace, replacement), applied back to front.
        var edits: [(Range<Int>, [UInt8])] = []
        for region in lexer.solutionRegions {
            let start = lineStart(bytes, region.begin.offset)
            let end = lineEnd(bytes, region.end.offset)
            let indent = String(decoding: bytes[start..<region.begin.offset], as: UTF8.self)
            let what = enclosingFunction(program.statements, offset: region.begin.offset)
                .map { "\($0)" } ?? "line \(region.begin.line)"
            let stub = "\(indent)# YOUR CODE HERE\n\(indent)error(\"not implemented: \(what)\")"
            edits.append((start..<end, Array(stub.utf8)))
        }
        var hidden = 0
        for t in tests where t.hidden {
            if let r = lexer.solutionRegions.first(where: { $0.begin.offset < t.range.upperBound && t.range.lowerBound < $0.end.offset }) {
                throw Failure(diagnostics: [Diagnostic(.error, "hidden test \"\(t.declaredName)\" overlaps a solution region", at: r.begin)])
            }
            hidden += 1
            let start = lineStart(bytes, t.range.lowerBound), end = lineEnd(bytes, t.range.upperBound)
            let ownsLines = bytes[start..<t.range.lowerBound].allSatisfy { $0 == 32 || $0 == 9 }
                && bytes[t.range.upperBound..<end].allSatisfy { $0 == 32 || $0 == 9 || $0 == 13 }
            if ownsLines {
                // Drop the lines and their newline.
                edits.append((start..<min(end + 1, bytes.count), []))
            } else {
                edits.append((t.range, []))
            }
        }
        edits.sort { $0.0.lowerBound > $1.0.lowerBound }
        var out = bytes
        var previousStart = Int.max
        for (range, replacement) in edits {
            guard range.upperBound <= previousStart else { continue }  // overlapping: keep the first
            out.replaceSubrange(range, with: replacement)
            previousStart = range.lowerBound
        }
        let text = String(decoding: out, as: UTF8.self)
        return (text, Summary(solutionRegions: lexer.solutionRegions.count, hiddenTests: hidden, tests: tests.count))
    }

    private static func lineStart(_ bytes: [UInt8], _ offset: Int) -> Int {
        var i = min(offset, bytes.count)
        while i > 0, bytes[i - 1] != UInt8(ascii: "\n") { i -= 1 }
        return i
    }

    /// The offset of the newline ending the line that holds `offset` (or the end of file).
    private static func lineEnd(_ bytes: [UInt8], _ offset: Int) -> Int {
        var i = min(offset, bytes.count)
        while i < bytes.count, bytes[i] != UInt8(ascii: "\n") { i += 1 }
        return i
    }

    /// The innermost function (or `Class.method`) whose body contains `offset`.
    static func enclosingFunction(_ stmts: [Stmt], offset: Int, prefix: String = "") -> String? {
        for s in stmts {
            switch s.kind {
            case .function(let f):
                if contains(f.body, f.span, offset) {
                    return enclosingFunction(f.body, offset: offset, prefix: prefix) ?? prefix + f.name
                }
            case .classDecl(let c):
                for m in c.methods where contains(m.body, m.span, offset) {
                    return enclosingFunction(m.body, offset: offset) ?? "\(c.name).\(m.name)"
                }
            case .ifStmt(_, let then, let els):
                if let f = enclosingFunction(then + (els.map { [$0] } ?? []), offset: offset, prefix: prefix) { return f }
            case .forStmt(_, _, let body), .whileStmt(_, let body), .block(let body):
                if let f = enclosingFunction(body, offset: offset, prefix: prefix) { return f }
            default: break
            }
        }
        return nil
    }

    /// Whether a function declared at `span` with `body` spans `offset`: from its start to the
    /// end of its last statement's line, or, for a function whose body is only a solution
    /// region, up to the next statement (approximated by the body's last token).
    private static func contains(_ body: [Stmt], _ span: SourceSpan, _ offset: Int) -> Bool {
        guard offset > span.offset else { return false }
        let file = span.file
        // Find the function's closing brace by matching braces from its declaration.
        let bytes = file.bytes
        var i = span.offset
        var depth = 0
        var opened = false
        var inString = false, inComment = false
        while i < bytes.count {
            let b = bytes[i]
            if inComment {
                if b == UInt8(ascii: "\n") { inComment = false }
            } else if inString {
                if b == UInt8(ascii: "\\") { i += 1 } else if b == UInt8(ascii: "\"") { inString = false }
            } else if b == UInt8(ascii: "#") {
                inComment = true
            } else if b == UInt8(ascii: "\"") {
                inString = true
            } else if b == UInt8(ascii: "{") {
                depth += 1
                opened = true
            } else if b == UInt8(ascii: "}") {
                depth -= 1
                if opened && depth == 0 { return offset < i }
            }
            i += 1
        }
        return opened
    }
}
