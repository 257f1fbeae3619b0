import Language

// Finding the tests of a file without running it: the grader must know every test, its
// points and limits before any submission code runs, so that a submission that crashes,
// hangs or exits early still gets a complete report with the right maximum score.

/// A test block found in a tests file.
public struct GradedTest: Sendable {
    /// The name shown in reports (made unique within a grading run; see `uniqueNames`).
    public var name: String
    /// The name as written in the file.
    public var declaredName: String
    /// The points the test is worth (`points:`; 1 when not given; for a test whose expects
    /// carry `points:` and which has no `points:` itself, the sum of those).
    public var points: Double
    /// `hidden: true`: removed from the student version, redacted in reports.
    public var hidden: Bool
    /// `timeout:` in CPU seconds, if given.
    public var timeout: Double?
    /// Whether the test gives partial credit (`expect … , points: k` inside it).
    public var weighted: Bool
    /// The file that holds it.
    public var path: String
    /// 1-based line of the `test` keyword.
    public var line: Int
    /// Byte range of the whole block (`test` keyword through the closing `}`).
    public var range: Range<Int>
    /// Byte ranges of the file's given functions and classes (top-level, holding no solution
    /// region) that the test uses, directly or through each other. When a submission is
    /// graded against this file, these are the instructor's: they replace the submission's
    /// definitions of the same names for the test, so a submission cannot forge them.
    public var givenRanges: [Range<Int>] = []
    /// The file's exercises: top-level functions and classes that hold a solution region.
    /// Only these names are said to be missing when a hidden test needs them.
    public var exercises: [String] = []
}

/// A tests file that cannot be used: it does not parse, or a test's options are not literals.
public struct TestsFileError: Error, CustomStringConvertible {
    public var diagnostics: [Diagnostic]
    public var description: String { diagnostics.map { $0.render() }.joined(separator: "\n") }
}

public enum TestDiscovery {
    /// The top-level test blocks of a file, in order. Throws `TestsFileError` when the file
    /// does not parse, when a test's options are not literal values, or when a test block is
    /// nested inside another construct (it could not be graded on its own).
    public static func tests(in file: SourceFile) throws -> [GradedTest] {
        let program = Parser.parse(file)
        var problems = program.diagnostics.filter { $0.severity == .error }
        if !problems.isEmpty { throw TestsFileError(diagnostics: problems) }
        var lexer = Lexer(file: file)
        let tokens = lexer.tokenize()
        let definitions = givenDefinitions(program, tokens: tokens, file: file)
        let exercises = definitions.filter(\.hasSolution).map(\.name)
        var found: [GradedTest] = []
        for stmt in program.statements {
            guard case .test(let name, let options, let body) = stmt.kind else {
                nestedTests(in: stmt, problems: &problems)
                continue
            }
            var points: Double?
            var hidden = false
            var timeout: Double?
            if let e = options.points {
                if let v = literalNumber(e), v.isFinite, v >= 0 { points = v } else {
                    problems.append(Diagnostic(.error, "a graded test's points must be a number written out, like 'points: 2'", at: e.span))
                }
            }
            if let e = options.hidden {
                if case .bool(let b) = e.kind { hidden = b } else {
                    problems.append(Diagnostic(.error, "'hidden:' must be true or false, written out", at: e.span))
                }
            }
            if let e = options.timeout {
                if let v = literalNumber(e), v.isFinite, v > 0 { timeout = v } else {
                    problems.append(Diagnostic(.error, "a test's timeout must be a positive number of seconds, like 'timeout: 10'", at: e.span))
                }
            }
            var weights: [Double] = []
            var nonLiteral = false
            collectWeights(body, into: &weights, nonLiteral: &nonLiteral)
            let weighted = !weights.isEmpty || nonLiteral
            if points == nil, weighted {
                if nonLiteral {
                    problems.append(Diagnostic(.error, "test \"\(name)\" gives partial credit with computed points, so it needs 'points: N' itself", at: stmt.span))
                } else {
                    points = Points.sum(weights)
                }
            }
            guard let end = blockEnd(tokens, from: stmt.span.offset) else {
                problems.append(Diagnostic(.error, "cannot find the end of test \"\(name)\"", at: stmt.span))
                continue
            }
            var test = GradedTest(name: Report.oneLine(name), declaredName: name, points: points ?? 1, hidden: hidden, timeout: timeout,
                                  weighted: weighted, path: file.path, line: stmt.span.line,
                                  range: stmt.span.offset..<end)
            test.givenRanges = given(usedBy: stmt.span.offset..<end, tokens: tokens, definitions: definitions)
            test.exercises = exercises
            found.append(test)
        }
        if !problems.isEmpty { throw TestsFileError(diagnostics: problems) }
        return found
    }

    /// Gives duplicate names a suffix (" (2)", " (3)", …) so that every report row is unique;
    /// returns the renamed tests and one warning per duplicate.
    public static func uniqueNames(_ tests: [GradedTest]) -> (tests: [GradedTest], warnings: [String]) {
        var seen: [String: Int] = [:]
        var out: [GradedTest] = []
        var warnings: [String] = []
        for var t in tests {
            let n = (seen[t.name] ?? 0) + 1
            seen[t.name] = n
            if n > 1 {
                var candidate = "\(t.name) (\(n))"
                var k = n
                while seen[candidate] != nil {
                    k += 1
                    candidate = "\(t.name) (\(k))"
                }
                seen[candidate] = 1
                warnings.append("\(t.path):\(t.line): a second test named \"\(t.name)\"; it is reported as \"\(candidate)\"")
                t.name = candidate
            }
            out.append(t)
        }
        return (out, warnings)
    }

    /// The file's text with everything outside `range` blanked (spaces, newlines kept), so a
    /// single test compiles on its own while its lines and columns stay those of the file.
    public static func isolate(_ text: String, range: Range<Int>) -> String {
        var bytes = Array(text.utf8)
        for i in bytes.indices where !range.contains(i) && bytes[i] != UInt8(ascii: "\n") {
            bytes[i] = UInt8(ascii: " ")
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    // MARK: - Given code

    /// A top-level function or class of a tests file.
    struct Definition {
        var name: String
        var range: Range<Int>
        var hasSolution: Bool
    }

    static func givenDefinitions(_ program: Program, tokens: [Token], file: SourceFile) -> [Definition] {
        var out: [Definition] = []
        for stmt in program.statements {
            let name: String
            switch stmt.kind {
            case .function(let f): name = f.name
            case .classDecl(let c): name = c.name
            default: continue
            }
            guard let end = blockEnd(tokens, from: stmt.span.offset) else { continue }
            let range = stmt.span.offset..<end
            let text = String(decoding: file.bytes[range], as: UTF8.self)
            out.append(Definition(name: name, range: range, hasSolution: text.contains("# BEGIN SOLUTION")))
        }
        return out
    }

    /// The ranges of the given definitions a byte range uses, directly or through each other,
    /// in file order.
    static func given(usedBy range: Range<Int>, tokens: [Token], definitions: [Definition]) -> [Range<Int>] {
        let byName = Dictionary(definitions.filter { !$0.hasSolution }.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        guard !byName.isEmpty else { return [] }
        var chosen: [String: Range<Int>] = [:]
        var work = [range]
        while let r = work.popLast() {
            for name in identifiers(in: r, tokens: tokens) where chosen[name] == nil {
                if let d = byName[name], !d.range.overlaps(range) {
                    chosen[name] = d.range
                    work.append(d.range)
                }
            }
        }
        return chosen.values.sorted { $0.lowerBound < $1.lowerBound }
    }

    /// The identifiers among the tokens inside a byte range.
    private static func identifiers(in range: Range<Int>, tokens: [Token]) -> Set<String> {
        var lo = 0, hi = tokens.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if tokens[mid].offset < range.lowerBound { lo = mid + 1 } else { hi = mid }
        }
        var names: Set<String> = []
        var i = lo
        while i < tokens.count, tokens[i].offset < range.upperBound {
            if tokens[i].kind == .identifier { names.insert(tokens[i].span.text) }
            i += 1
        }
        return names
    }

    /// The text of a tests file reduced to some of its byte ranges, every other line left
    /// empty, so that they compile on their own while keeping their lines and columns.
    /// The cost is that of the ranges and the lines before the last one, not of the file.
    public static func excerpt(_ file: SourceFile, ranges: [Range<Int>]) -> String {
        var out: [UInt8] = []
        var line = 1, column = 1
        for r in ranges.sorted(by: { $0.lowerBound < $1.lowerBound }) where r.lowerBound >= 0 && r.upperBound <= file.bytes.count {
            let startLine = file.line(at: r.lowerBound), startColumn = file.column(at: r.lowerBound)
            if startLine < line || (startLine == line && startColumn < column) { continue }  // overlapping
            if startLine > line {
                out.append(contentsOf: repeatElement(UInt8(ascii: "\n"), count: startLine - line))
                line = startLine
                column = 1
            }
            out.append(contentsOf: repeatElement(UInt8(ascii: " "), count: startColumn - column))
            for b in file.bytes[r] {
                out.append(b)
                if b == UInt8(ascii: "\n") {
                    line += 1
                    column = 1
                } else {
                    column += 1
                }
            }
        }
        out.append(UInt8(ascii: "\n"))
        return String(decoding: out, as: UTF8.self)
    }

    // MARK: - Helpers

    static func literalNumber(_ e: Expr) -> Double? {
        switch e.kind {
        case .int(let i): return Double(i)
        case .float(let d): return d
        default: return nil
        }
    }

    /// The `points:` of every weighted expect lexically inside a test body.
    private static func collectWeights(_ stmts: [Stmt], into weights: inout [Double], nonLiteral: inout Bool) {
        for s in stmts {
            switch s.kind {
            case .expect(_, _, _, let points?):
                if let v = literalNumber(points) { weights.append(v) } else { nonLiteral = true }
            case .ifStmt(_, let then, let els):
                collectWeights(then, into: &weights, nonLiteral: &nonLiteral)
                if let els { collectWeights([els], into: &weights, nonLiteral: &nonLiteral) }
            case .forStmt(_, _, let body), .whileStmt(_, let body), .block(let body):
                collectWeights(body, into: &weights, nonLiteral: &nonLiteral)
            default: break
            }
        }
    }

    /// Reports test blocks that are not at the top level.
    private static func nestedTests(in stmt: Stmt, problems: inout [Diagnostic]) {
        func walk(_ stmts: [Stmt]) {
            for s in stmts {
                if case .test = s.kind {
                    problems.append(Diagnostic(.error, "a graded test must be at the top level of the file", at: s.span,
                                               help: ["move the test out of the enclosing block or function"]))
                }
                nestedTests(in: s, problems: &problems)
            }
        }
        switch stmt.kind {
        case .ifStmt(_, let then, let els):
            walk(then)
            if let els { walk([els]) }
        case .forStmt(_, _, let body), .whileStmt(_, let body), .block(let body): walk(body)
        case .function(let f): walk(f.body)
        case .classDecl(let c): for m in c.methods { walk(m.body) }
        default: break
        }
    }

    /// The byte offset just past the `}` that closes the test starting at `offset`.
    private static func blockEnd(_ tokens: [Token], from offset: Int) -> Int? {
        var lo = 0, hi = tokens.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if tokens[mid].offset < offset { lo = mid + 1 } else { hi = mid }
        }
        guard lo < tokens.count, tokens[lo].offset == offset else { return nil }
        var i = lo
        var parens = 0
        // Skip the name and the options to the body's `{`.
        while i < tokens.count {
            let k = tokens[i].kind
            if k == .leftParen || k == .leftBracket { parens += 1 }
            if k == .rightParen || k == .rightBracket { parens -= 1 }
            if k == .leftBrace && parens == 0 { break }
            if k == .eof { return nil }
            i += 1
        }
        var depth = 0
        while i < tokens.count {
            switch tokens[i].kind {
            case .leftBrace: depth += 1
            case .rightBrace:
                depth -= 1
                if depth == 0 { return tokens[i].offset + tokens[i].length }
            case .eof: return nil
            default: break
            }
            i += 1
        }
        return nil
    }
}
