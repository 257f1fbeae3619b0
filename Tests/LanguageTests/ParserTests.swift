// Parser: structure, precedence, recovery without cascades, nesting limits.

import Testing
@testable import Language

private func parse(_ text: String) -> Program {
    Parser.parse(SourceFile(path: "t.mem", text: text))
}

@Suite struct ParserTests {
    @Test func precedenceOfPipeArithmeticAndPower() {
        let p = parse("x + 1 |> f")
        guard case .expression(let e) = p.statements[0].kind, case .binary(.pipe, let l, _, _) = e.kind,
              case .binary(.add, _, _, _) = l.kind else {
            Issue.record("expected (x + 1) |> f")
            return
        }
        let q = parse("-2 ** 2")
        guard case .expression(let e2) = q.statements[0].kind, case .unary(.negate, let inner) = e2.kind,
              case .binary(.power, _, _, _) = inner.kind else {
            Issue.record("expected -(2 ** 2)")
            return
        }
    }

    @Test func keywordArgumentsAndMultiAxisSlices() {
        let p = parse("train(agent, on: maze, steps: 20_000)\nx[:, 0]\nx[1:3]")
        #expect(p.diagnostics.isEmpty)
        guard case .expression(let call) = p.statements[0].kind, case .call(_, let args) = call.kind else {
            Issue.record("expected a call")
            return
        }
        #expect(args.map(\.label) == [nil, "on", "steps"])
        guard case .expression(let idx) = p.statements[1].kind, case .index(_, let subs) = idx.kind, subs.count == 2,
              case .slice(nil, nil, nil) = subs[0], case .single = subs[1] else {
            Issue.record("expected x[:, 0]")
            return
        }
    }

    @Test func designExampleParses() {
        let p = parse("""
        let maze = TMaze(length: 10)
        let net = Linear(maze.observation_size, 32) |> relu |> LSTM(32, 64) |> Linear(64, maze.actions)
        let run = train(DRQN(net, replay: "burn_in", burn_in: 8), on: maze, steps: 20_000)
        plot(run.returns, title: "DRQN on TMaze(10)")
        """)
        #expect(p.diagnostics.isEmpty)
        #expect(p.statements.count == 4)
    }

    @Test func severalErrorsWithoutCascades() {
        let p = parse("""
        let a = (1 +
        let b = 2
        print(b b)
        fn f( { }
        let ok = 1
        """)
        #expect(p.diagnostics.count == 3, "\(p.diagnostics.map(\.message))")
        #expect(p.diagnostics.map(\.span.line) == [1, 3, 4])
    }

    @Test func errorMessagesNameWhatWasExpectedAndFound() {
        let p = parse("print(1, 2")
        #expect(p.diagnostics.first?.message == "expected ')' after arguments, found end of file")
    }

    @Test func deepNestingIsADiagnosticNotACrash() {
        let text = String(repeating: "[", count: 5_000) + String(repeating: "]", count: 5_000)
        let p = Interpreter.runOnLargeStack { parse(text) }
        #expect(p.diagnostics.count == 1)
        #expect(p.diagnostics.first?.message.contains("nested too deeply") == true)
    }

    @Test func garbageNeverCrashes() {
        let inputs = ["", "(", ")", "}", "{", "fn", "class", "let", "\"", "\\(", "1..<", "a.", "x[", "x[:", "test",
                      "import", "fn (", "if {", "for in", "\"\\(\"", "@@@", "|>", "1 if", "((((", "expect", "a = = b",
                      "class A { fn }", "\u{0}", "é", "let (a, b", "0x", "1e", "9999999999999999999999",
                      "\n)", "\n]\n]", "x\n)\n}", "class A {\n)\n}", "fn f() {\n)\n}", ";)", "test \"t\" {\n]\n}"]
        for text in inputs {
            _ = Interpreter.runOnLargeStack { Interpreter().run(source: text) }
        }
    }
}
