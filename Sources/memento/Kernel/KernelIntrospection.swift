// `complete_request`, `inspect_request` and `is_complete_request`: the REPL's tab
// completion (`Completer`: names, members after `.`, keyword arguments, paths), its `:help`
// text, and its test for an unfinished entry (`InputState`).
//
// Jupyter counts cursor positions in Unicode code points (protocol 5.2 and later).

import Foundation
import Language

extension JupyterKernel {
    func complete(_ content: [String: Any]) -> [String: Any] {
        let code = Array((content["code"] as? String ?? "").unicodeScalars)
        let cursor = min(max((content["cursor_pos"] as? Int) ?? code.count, 0), code.count)
        let completer = Completer(interpreter: interpreter, commands: REPL.commands.map { ($0.name, $0.argument != nil) },
                                  directory: FileManager.default.currentDirectoryPath)
        let beforeCursor = JupyterKernel.string(code[..<cursor])
        // The word being completed starts after the last word break, as readline splits it.
        let breaks = Set((completer.isPathContext(beforeCursor) ? Completer.pathBreaks : Completer.codeBreaks).unicodeScalars)
        var start = cursor
        while start > 0, !breaks.contains(code[start - 1]) { start -= 1 }
        let result = completer.complete(before: JupyterKernel.string(code[..<start]), word: JupyterKernel.string(code[start..<cursor]))
        return ["status": "ok", "matches": result.candidates, "cursor_start": start, "cursor_end": cursor,
                "metadata": [String: Any]()]
    }

    func inspect(_ content: [String: Any]) -> [String: Any] {
        let code = Array((content["code"] as? String ?? "").unicodeScalars)
        let cursor = min(max((content["cursor_pos"] as? Int) ?? code.count, 0), code.count)
        guard let name = JupyterKernel.name(at: cursor, in: code),
              case .success(let text) = REPL.helpText(name, interpreter: interpreter, columns: session.columns) else {
            return ["status": "ok", "found": false, "data": [String: Any](), "metadata": [String: Any]()]
        }
        return ["status": "ok", "found": true, "data": ["text/plain": text], "metadata": [String: Any]()]
    }

    func isComplete(_ content: [String: Any]) -> [String: Any] {
        let code = content["code"] as? String ?? ""
        if InputState.isIncomplete(code) { return ["status": "incomplete", "indent": ""] }
        let program = Parser.parse(SourceFile(path: "<input>", text: code))
        if program.diagnostics.contains(where: { $0.severity == .error }) { return ["status": "invalid"] }
        return ["status": "complete"]
    }

    /// The identifier under or just before the cursor; in `train(|` or `train(agent, |` the
    /// function being called.
    static func name(at cursor: Int, in code: [Unicode.Scalar]) -> String? {
        func isWord(_ c: Unicode.Scalar) -> Bool { c == "_" || c.properties.isAlphabetic || ("0"..."9").contains(c) }
        var start = cursor, end = cursor
        while start > 0, isWord(code[start - 1]) { start -= 1 }
        while end < code.count, isWord(code[end]) { end += 1 }
        if start < end { return string(code[start..<end]) }
        // Not on a word: the callee of the innermost open call before the cursor.
        var depth = 0
        var i = cursor - 1
        while i >= 0 {
            let c = code[i]
            if c == ")" { depth += 1 } else if c == "(" {
                if depth == 0 {
                    var s = i
                    while s > 0, isWord(code[s - 1]) { s -= 1 }
                    return s < i ? string(code[s..<i]) : nil
                }
                depth -= 1
            } else if c == "\n" && depth == 0 {
                return nil
            }
            i -= 1
        }
        return nil
    }

    static func string(_ scalars: ArraySlice<Unicode.Scalar>) -> String {
        var view = String.UnicodeScalarView()
        view.append(contentsOf: scalars)
        return String(view)
    }
}
