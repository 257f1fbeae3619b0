// Lexer: positions, literals, layout and markers.

import Testing
@testable import Language

private func lex(_ text: String) -> (tokens: [Token], lexer: Lexer) {
    var lexer = Lexer(file: SourceFile(path: "t.mem", text: text))
    let tokens = lexer.tokenize()
    return (tokens, lexer)
}

@Suite struct LexerTests {
    @Test func tokensCarryLineColumnOffsetAndLength() {
        let (tokens, _) = lex("let x = 10\n  print(x)")
        let t = tokens.filter { $0.kind != .newline }
        #expect(t[0].kind == .kwLet && t[0].line == 1 && t[0].column == 1 && t[0].offset == 0 && t[0].length == 3)
        #expect(t[1].kind == .identifier && t[1].column == 5 && t[1].length == 1)
        #expect(t[3].kind == .int && t[3].column == 9 && t[3].length == 2)
        #expect(t[4].lexeme == "print" && t[4].line == 2 && t[4].column == 3 && t[4].offset == 13)
    }

    @Test func numbersWithSeparatorsAndFloats() {
        let (tokens, _) = lex("20_000 1.5 2e3 0..<3")
        guard case .int(let a) = tokens[0].literal, case .float(let b) = tokens[1].literal,
              case .float(let c) = tokens[2].literal else {
            Issue.record("wrong literals")
            return
        }
        #expect(a == 20_000 && b == 1.5 && c == 2000)
        #expect(tokens[3].kind == .int && tokens[4].kind == .rangeHalfOpen && tokens[5].kind == .int)
    }

    @Test func interpolationRecordsCodeRanges() {
        let text = "\"a\\(x + 1)b\""
        let (tokens, _) = lex(text)
        guard case .string(let parts) = tokens[0].literal, parts.count == 3,
              case .code(let s, let e) = parts[1] else {
            Issue.record("expected text, code, text")
            return
        }
        #expect(SourceFile(path: "", text: text).slice(offset: s, length: e - s) == "x + 1")
    }

    @Test func newlinesInsideBracketsAreSkipped() {
        let (tokens, _) = lex("f(1,\n2)\n[3,\n4]")
        #expect(tokens.filter { $0.kind == .newline }.count == 1)
    }

    @Test func newlinesInsideBracesAreKept() {
        let (tokens, _) = lex("f(fn() {\nlet a = 1\nreturn a\n})")
        #expect(tokens.filter { $0.kind == .newline }.count == 3)
    }

    @Test func solutionRegionsAndCellMarkers() {
        let (_, lexer) = lex("# %%\nlet a = 1\n# BEGIN SOLUTION\nlet b = 2\n# END SOLUTION\n# %% [markdown]\n")
        #expect(lexer.cellMarkers.count == 2)
        #expect(lexer.solutionRegions.count == 1)
        #expect(lexer.solutionRegions.first?.begin.line == 3)
        #expect(lexer.solutionRegions.first?.end.line == 5)
        #expect(lexer.diagnostics.isEmpty)
    }

    @Test func unbalancedSolutionMarkersAreDiagnosed() {
        let (_, lexer) = lex("# END SOLUTION\n# BEGIN SOLUTION\n")
        #expect(lexer.diagnostics.count == 2)
    }

    @Test func errorTokensCarryMessages() {
        let (tokens, _) = lex("a $ \"open")
        let errors = tokens.filter { $0.kind == .error }
        #expect(errors.count == 2)
        #expect(errors[0].message.contains("unexpected character '$'"))
        #expect(errors[1].message == "unterminated string")
    }

    @Test func multibyteCharactersDoNotBreakPositions() {
        let (tokens, _) = lex("\"é\" x")
        #expect(tokens[1].column == 6)  // columns count bytes: the quote, 2 bytes, quote, space
    }
}
