// The call fast paths (a global holding a plain function, expression-shaped bodies): the
// traceback, safe points and lifetimes must be those of the general path.

import Testing
@testable import Language

@Suite struct CallPathTests {
    @Test func tracebackThroughExpressionBodiedRecursion() {
        let (_, d) = run("""
        fn f(n) {
            if n < 1 { return [][n] }
            return f(n - 1)
        }
        f(2)
        """)
        #expect(d.first?.message.contains("out of range") == true)
        #expect(d.first?.trace.map(\.function) == ["<script>", "f", "f", "f"])
        #expect(d.first?.trace.map(\.span.line) == [5, 3, 3, 2])
        #expect(d.first?.span.column == 23)
    }

    @Test func errorInAnArgumentUnwindsTheFrame() {
        // The failed call leaves no frame behind: later calls still work and the traceback
        // holds only the calls that were entered.
        let (out, d) = run("""
        fn g(a, b) { return a + b }
        fn h(x) { return g(x, x / 0) }
        print(g(1, 2))
        h(1)
        """)
        #expect(out == "3\n")
        #expect(d.first?.message == "division by zero")
        #expect(d.first?.trace.map(\.function) == ["<script>", "h"])
    }

    @Test func functionReleasedWhileItRunsInALaterInput() {
        // The closure lives only in a global that its own body clears; the chunk that
        // defined it is gone from the host's side.
        let out: String = Interpreter.runOnLargeStack {
            let it = Interpreter()
            var out = ""
            it.output = { out += $0 }
            _ = it.run(source: "var g = nil\ng = fn(n) {\n    g = nil\n    let xs = [n, n]\n    return xs[0] + xs[1]\n}", path: "<repl 1>")
            let d = it.run(source: "print(g(21))\nprint(g)", path: "<repl 2>")
            out += d.map(\.message).joined()
            return out
        }
        #expect(out == "42\nnil\n")
    }

    @Test func recursionHonoursTheStepBudget() {
        let d: [Diagnostic] = Interpreter.runOnLargeStack {
            let it = Interpreter()
            it.stepBudget = 5_000
            return it.run(source: "fn fib(n) {\n    if n < 2 { return n }\n    return fib(n - 1) + fib(n - 2)\n}\nfib(30)")
        }
        #expect(d.first?.message == "step budget exhausted")
        #expect(d.first?.trace.first?.function == "<script>")
        #expect(d.first?.trace.last?.function == "fib")
    }

    @Test func recursionCanBeInterrupted() {
        let it = Interpreter()
        it.globals.define("stop_soon", .native(NativeFunction("stop_soon", parameters: []) { _, it in
            it.interrupt.request()
            return .nil
        }))
        let d = Interpreter.runOnLargeStack {
            it.run(source: "fn fib(n) {\n    if n < 2 { return n }\n    return fib(n - 1) + fib(n - 2)\n}\nstop_soon()\nfib(40)")
        }
        #expect(d.first?.message == "interrupted")
        // The interpreter is usable afterwards, with its frames unwound.
        let after = Interpreter.runOnLargeStack { it.run(source: "print(fib(10))") }
        #expect(after.isEmpty)
    }

    @Test func callDepthLimitAppliesToTheFastPath() {
        let d: [Diagnostic] = Interpreter.runOnLargeStack {
            let it = Interpreter()
            it.maxCallDepth = 50
            var out = ""
            it.output = { out += $0 }
            let d = it.run(source: "fn down(n) {\n    if n == 0 { return 0 }\n    return down(n - 1)\n}\nprint(down(40))\ndown(60)")
            #expect(out == "0\n")
            return d
        }
        #expect(d.first?.message == "stack overflow: more than 50 nested calls")
        // The script's own frame counts as one of the 50.
        #expect(d.first?.trace.count == 50)
        #expect(d.first?.trace.last?.function == "down")
    }
}
