// `execute_request`: running a cell in the kernel's session.
//
// Code runs through the notebook runner that `memento export` uses (`NotebookRunner`), so a
// cell shows exactly what it shows in an exported notebook: printed text as `stream`,
// figures as `display_data` (SVG, with the terminal drawing as text/plain), the final
// expression's value as `execute_result`, failures as `error` with the REPL's diagnostics
// (carets, hints, the stack). As at the REPL, the value is also stored in `_`, and a cell
// whose one line starts with `:` is a REPL command (`:help`, `:vars`, `:time`, `:load`,
// `:reset`). A progress bar of `train` is one display, updated in place.

import Foundation
import Language
import Notebook
import Runtime

extension JupyterKernel {
    /// What running a cell ended with.
    struct Outcome {
        var error: CellError?
        /// Pager payloads (`:help NAME`).
        var payload: [[String: Any]] = []
    }

    func execute(_ request: KernelMessage, socket: ZMQSocket) {
        let content = request.content
        let code = content["code"] as? String ?? ""
        let silent = content["silent"] as? Bool ?? false
        let storeHistory = content["store_history"] as? Bool ?? !silent
        let stopOnError = content["stop_on_error"] as? Bool ?? true
        if storeHistory && !silent { executionCount += 1 }
        let count = executionCount
        if !silent { iopub.publish("execute_input", ["code": code, "execution_count": count], parent: request) }

        if storeHistory && !silent { history.record(line: count, input: code) }
        currentRequest = request
        let outcome = run(code, count: count, silent: silent, request: request)
        iopub.flush()
        currentRequest = nil
        progressDisplay = nil

        var reply: [String: Any] = ["execution_count": count]
        if let error = outcome.error {
            reply["status"] = "error"
            reply["ename"] = error.name
            reply["evalue"] = error.summary
            reply["traceback"] = error.traceback(color: true)
        } else {
            reply["status"] = "ok"
            reply["payload"] = outcome.payload
            reply["user_expressions"] = userExpressions(content["user_expressions"])
        }
        self.reply(request, on: socket, "execute_reply", reply)
        if outcome.error != nil && stopOnError { abortQueuedExecutions(socket: socket) }
    }

    /// Runs a cell (or a `:` command) and publishes its outputs.
    private func run(_ code: String, count: Int, silent: Bool, request: KernelMessage) -> Outcome {
        let trimmed = code.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.hasPrefix(":") && !trimmed.contains("\n") {
            return command(trimmed, count: count, request: request)
        }
        return runCode(code, path: "<input-\(count)>", count: count, silent: silent, request: request)
    }

    /// Runs code as a cell named `path` in diagnostics.
    func runCode(_ code: String, path: String, count: Int, silent: Bool, request: KernelMessage) -> Outcome {
        let cell = Cell(kind: .code, lines: code.components(separatedBy: "\n"), firstLine: 1)
        let runner = NotebookRunner(path: path, interpreter: interpreter, session: session)
        let run = interruptible(interpreter.interrupt) {
            runner.run(cell, index: 0) { output in
                if !silent { self.show(output, count: count, request: request) }
            }
        }
        if run.error == nil, case .nil = runner.lastValue {} else if run.error == nil {
            interpreter.globals.define("_", runner.lastValue, mutable: false)
            history.recordOutput(line: count, run.outputs.compactMap { if case .result(let t) = $0 { t } else { nil } }.last)
        }
        return Outcome(error: run.error)
    }

    /// Publishes one output of running code.
    private func show(_ output: CellOutput, count: Int, request: KernelMessage) {
        switch output {
        case .stream(let text):
            iopub.stream("stdout", text, parent: request)
        case .result(let text):
            iopub.publish("execute_result", ["execution_count": count, "data": ["text/plain": text],
                                             "metadata": [String: Any]()], parent: request)
        case .figure(let figure):
            var data: [String: Any] = [:]
            for (mime, text) in NotebookExport.figureData(figure, width: session.columns) { data[mime] = text }
            iopub.publish("display_data", ["data": data, "metadata": [String: Any](), "transient": [String: Any]()],
                          parent: request)
        case .error(let error):
            iopub.publish("error", ["ename": error.name, "evalue": error.summary, "traceback": error.traceback(color: true)],
                          parent: request)
        }
    }

    /// A progress bar's text (`\r…` redraws, a final line ending in a newline) as one display:
    /// `display_data` for its first state, `update_display_data` for the next ones.
    func showProgress(_ text: String) {
        guard let request = currentRequest else { return }
        var line = NotebookExport.cleanTerminalText(text)
        while line.hasSuffix("\n") { line.removeLast() }
        let final = text.hasSuffix("\n")
        let id = progressDisplay ?? "memento-progress-\(UUID().uuidString.lowercased())"
        let content: [String: Any] = ["data": ["text/plain": line], "metadata": [String: Any](),
                                      "transient": ["display_id": id]]
        iopub.publish(progressDisplay == nil ? "display_data" : "update_display_data", content, parent: request)
        progressDisplay = final ? nil : id
    }

    /// `user_expressions`: each evaluated after the cell, as text (or its error).
    private func userExpressions(_ raw: Any?) -> [String: Any] {
        guard let expressions = raw as? [String: Any] else { return [:] }
        var out: [String: Any] = [:]
        for (name, value) in expressions {
            guard let code = value as? String else {
                out[name] = ["status": "error", "ename": "TypeError", "evalue": "the expression is not a string", "traceback": []]
                continue
            }
            let runner = NotebookRunner(path: "<user-expression>", interpreter: interpreter, session: session)
            let run = interruptible(interpreter.interrupt) {
                runner.run(Cell(kind: .code, lines: [code], firstLine: 1), index: 0)
            }
            if let error = run.error {
                out[name] = ["status": "error", "ename": error.name, "evalue": error.summary,
                             "traceback": error.traceback(color: true)]
            } else {
                let text = run.outputs.compactMap { if case .result(let t) = $0 { t } else { nil } }.last ?? "nil"
                out[name] = ["status": "ok", "data": ["text/plain": text], "metadata": [String: Any]()]
            }
        }
        return out
    }

    /// After a failed cell with `stop_on_error`, the execute requests already queued are
    /// answered `aborted` without running, as Jupyter expects (they assumed the cell worked);
    /// other queued requests are answered as usual, in order.
    private func abortQueuedExecutions(socket: ZMQSocket) {
        while let frames = try? socket.receive(timeout: 0) {
            guard let message = try? KernelMessage.parse(frames, signer: signer), message.type == "execute_request" else {
                handle(frames, socket: socket, channel: "shell")
                continue
            }
            iopub.publish("status", ["execution_state": "busy"], parent: message)
            reply(message, on: socket, "execute_reply", ["status": "aborted", "execution_count": executionCount])
            iopub.publish("status", ["execution_state": "idle"], parent: message)
        }
    }
}
