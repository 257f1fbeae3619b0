// `history_request`: the cells run in this kernel, as IPython's history answers it — `tail`
// (the last n), `range` (lines start..<stop of a session) and `search` (a glob pattern, like
// IPython's, optionally unique and limited to the last n). One kernel process is one
// session, numbered 1; session 0 and negative numbers (relative to the current one, as in
// IPython) also name it.

import Foundation

struct KernelHistory {
    struct Entry {
        var line: Int
        var input: String
        var output: String?
    }

    private(set) var entries: [Entry] = []
    static let session = 1

    mutating func record(line: Int, input: String) {
        entries.append(Entry(line: line, input: input, output: nil))
    }

    /// The text of a cell's value (its `Out`), for `output: true` requests.
    mutating func recordOutput(line: Int, _ text: String?) {
        guard let text, let k = entries.lastIndex(where: { $0.line == line }) else { return }
        entries[k].output = text
    }

    func reply(to content: [String: Any]) -> [String: Any] {
        let output = content["output"] as? Bool ?? false
        let n = content["n"] as? Int
        var selected: [Entry]
        switch content["hist_access_type"] as? String ?? "tail" {
        case "tail":
            selected = Array(entries.suffix(max(n ?? 10, 0)))
        case "range":
            let session = content["session"] as? Int ?? 0
            guard session <= KernelHistory.session else { selected = []; break }
            let start = content["start"] as? Int ?? 0
            let stop = content["stop"] as? Int
            selected = entries.filter { $0.line >= start && (stop == nil || $0.line < stop!) }
        case "search":
            let pattern = content["pattern"] as? String ?? "*"
            selected = entries.filter { fnmatch(pattern, $0.input, 0) == 0 }
            if content["unique"] as? Bool ?? false {
                var seen = Set<String>()
                selected = selected.reversed().filter { seen.insert($0.input).inserted }.reversed()
            }
            if let n { selected = Array(selected.suffix(max(n, 0))) }
        case let other:
            return ["status": "error", "ename": "ValueError", "evalue": "unknown hist_access_type '\(other)'",
                    "traceback": [String](), "history": [Any]()]
        }
        let items: [[Any]] = selected.map { e in
            output ? [KernelHistory.session, e.line, [e.input, e.output as Any? ?? NSNull()]]
                   : [KernelHistory.session, e.line, e.input]
        }
        return ["status": "ok", "history": items]
    }
}
