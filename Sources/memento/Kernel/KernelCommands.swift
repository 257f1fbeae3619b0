// The REPL's `:` commands in a notebook cell. They print what the REPL prints (the same
// functions make the text); `:help NAME` also opens Jupyter's pager, as IPython's `?name`.
// `:step` and `:quit` belong to the terminal and say what to do instead.

import Foundation
import Notebook

extension JupyterKernel {
    func command(_ line: String, count: Int, request: KernelMessage) -> Outcome {
        let body = line.dropFirst()
        let name = String(body.prefix { !$0.isWhitespace })
        let argument = body.dropFirst(name.count).trimmingCharacters(in: .whitespaces)
        func out(_ text: String) { iopub.stream("stdout", text, parent: request) }
        func err(_ text: String) { iopub.stream("stderr", text, parent: request) }
        switch name {
        case "help", "h", "?":
            switch REPL.helpText(argument, interpreter: interpreter, columns: session.columns) {
            case .success(let text):
                return Outcome(payload: [["source": "page", "data": ["text/plain": text], "start": 0]])
            case .failure(let error):
                err(error.message + "\n")
            }
        case "vars":
            out(REPL.varsText(interpreter: interpreter, columns: session.columns))
        case "time":
            guard !argument.isEmpty else {
                err(":time needs code to run: :time EXPR, e.g. :time train(agent, on: maze, steps: 5_000)\n")
                break
            }
            let start = DispatchTime.now().uptimeNanoseconds
            let outcome = runCode(argument, path: "<input-\(count)>", count: count, silent: false, request: request)
            let elapsed = formatDuration(DispatchTime.now().uptimeNanoseconds - start)
            out("time: \(elapsed)\(outcome.error == nil ? "" : " (stopped by an error)")\n")
            return outcome
        case "load":
            guard !argument.isEmpty else {
                err(":load needs a file: :load FILE, e.g. :load lessons/00-tour.mem\n")
                break
            }
            var path = argument
            if path.count >= 2, path.hasPrefix("\""), path.hasSuffix("\"") { path = String(path.dropFirst().dropLast()) }
            let text: String
            do {
                text = try String(contentsOfFile: session.readablePath(path), encoding: .utf8)
            } catch {
                err("error: :load \(path): \(error)\n")
                break
            }
            return runCode(text, path: path, count: count, silent: false, request: request)
        case "reset":
            resetSession()
            out("The session was reset: every variable is gone.\n")
        case "step":
            err(":step is for the terminal; in Jupyter, open the lesson as a notebook: memento export \(argument.isEmpty ? "FILE" : argument) --to ipynb\n")
        case "quit", "q", "exit":
            err("the kernel stays: shut it down or restart it from the notebook's Kernel menu\n")
        default:
            var message = "unknown command ':\(name)'"
            if let near = REPL.suggestion(for: name, among: REPL.commands.map(\.name)) { message += "; did you mean ':\(near)'?" }
            err(message + " (:help lists the commands)\n")
        }
        return Outcome()
    }
}
