// Diagnostics: text layout, JSON, suggestions.

import Testing
@testable import Language

@Suite struct DiagnosticTests {
    @Test func textLayoutUnderlinesTheCulprit() {
        let (_, d) = run("let speed = 1\nprint(sped + 1)")
        #expect(d.first?.render() == """
        error: undefined name 'sped'
         --> t.mem:2:7
          |
        2 | print(sped + 1)
          |       ^^^^
          = help: did you mean 'speed'?

        """)
    }

    @Test func runtimeErrorsHaveATraceback() {
        let (_, d) = run("fn inner(x) { return x / 0 }\nfn outer() { return inner(1) }\nouter()")
        let text = d.first?.render() ?? ""
        #expect(text.contains("error: division by zero"))
        #expect(text.contains("traceback (most recent call last):"))
        #expect(text.contains("t.mem:3:1 in <script>"))
        #expect(text.contains("t.mem:2:21 in outer"))
        #expect(text.contains("t.mem:1:22 in inner"))
        #expect(d.first?.trace.map(\.function) == ["<script>", "outer", "inner"])
    }

    @Test func jsonHasTheEditorFields() {
        let (_, d) = run("let x = 1\nx = \"a\\tb\"")
        let json = Diagnostic.json(d)
        #expect(json == #"[{"path":"t.mem","line":2,"column":1,"endLine":2,"endColumn":2,"severity":"error","message":"cannot assign to 'x': it is a constant","help":["'x' is declared at line 1","declare it with 'var x = …' to change it"]}]"#)
    }

    @Test func jsonEscapesAndMultiLineSpans() {
        let file = SourceFile(path: "a\"b.mem", text: "ab\ncd")
        let d = Diagnostic(.warning, "line1\nline2", at: SourceSpan(file: file, offset: 1, length: 3, line: 1, column: 2))
        #expect(d.json == #"{"path":"a\"b.mem","line":1,"column":2,"endLine":2,"endColumn":2,"severity":"warning","message":"line1\nline2","help":[]}"#)
    }

    @Test func suggestionsUseEditDistanceWithSwaps() {
        #expect(editDistance("stesp", "steps") == 1)
        #expect(editDistance("kitten", "sitting") == 3)
        #expect(suggestions(for: "lenght", among: ["length", "len", "print"]) == ["length"])
        #expect(suggestions(for: "zzz", among: ["print", "len"]).isEmpty)
    }
}
