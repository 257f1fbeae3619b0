// A script as a notebook: its cells, title and summary, and the lessons catalogue.

import Foundation

/// A problem with the notebook file itself (not with its code).
public struct NotebookError: Error, CustomStringConvertible {
    public var message: String
    /// The exit code for the CLI: 66 (EX_NOINPUT) for a file that cannot be read.
    public var exitCode: Int32
    public init(_ message: String, exitCode: Int32 = 66) {
        self.message = message
        self.exitCode = exitCode
    }
    public var description: String { message }
}

/// A `.mem` script split into cells.
public struct Notebook: Sendable {
    /// The path as given (shown in diagnostics).
    public var path: String
    public var cells: [Cell]

    public init(path: String, text: String) {
        self.path = path
        self.cells = CellSplitter.split(text)
    }

    /// Reads and splits the script at `path`, or throws a `NotebookError` naming the file.
    public static func load(_ path: String) throws -> Notebook {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw NotebookError("cannot read \(path): no such file")
        }
        if isDirectory.boolValue { throw NotebookError("cannot read \(path): it is a folder, not a script") }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw NotebookError("cannot read \(path): permission denied or unreadable")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw NotebookError("cannot read \(path): the file is not UTF-8 text")
        }
        return Notebook(path: path, text: text)
    }

    /// The text of the first Markdown heading in a prose cell, without its `#`s.
    public var title: String? {
        for cell in cells where cell.kind == .markdown {
            for line in cell.lines {
                let t = line.trimmed(" \t")
                let hashes = t.prefix(while: { $0 == "#" }).count
                if (1...6).contains(hashes), t.dropFirst(hashes).first == " " {
                    return Notebook.plainText(String(t.dropFirst(hashes)).trimmed(" \t#"))
                }
            }
        }
        return nil
    }

    /// The first sentence of prose that is not a heading (Markdown markers removed).
    public var summary: String? {
        for cell in cells where cell.kind == .markdown {
            var paragraph: [String] = []
            var inFence = false
            for line in cell.lines + [""] {
                let t = line.trimmed(" \t")
                if t.hasPrefix("```") || t.hasPrefix("~~~") { inFence.toggle(); continue }
                if inFence { continue }
                if t.isEmpty || t.hasPrefix("#") {
                    if !paragraph.isEmpty { return Notebook.firstSentence(paragraph.joined(separator: " ")) }
                    continue
                }
                paragraph.append(t)
            }
        }
        return nil
    }

    /// The first sentence of a paragraph: up to the first `.`, `!` or `?` followed by a space
    /// (or the end), outside code spans.
    static func firstSentence(_ text: String) -> String {
        let plain = plainText(text)
        let chars = Array(plain)
        var inCode = false
        for (i, c) in chars.enumerated() {
            if c == "`" { inCode.toggle() }
            if !inCode, c == "." || c == "!" || c == "?", i + 1 == chars.count || chars[i + 1] == " " {
                return String(chars[...i])
            }
        }
        return plain
    }

    /// Markdown inline markers removed: `**x**`, `*x*`, `_x_` → x, `[t](u)` → t. Code spans
    /// keep their backticks (they read as code in plain text).
    static func plainText(_ text: String) -> String {
        var out = ""
        let chars = Array(text)
        var i = 0
        var inCode = false
        while i < chars.count {
            let c = chars[i]
            if c == "`" { inCode.toggle(); out.append(c); i += 1; continue }
            if inCode { out.append(c); i += 1; continue }
            if c == "*" { i += 1; continue }
            if c == "_", (i == 0 || !(chars[i - 1].isLetter || chars[i - 1].isNumber))
                || (i + 1 == chars.count || !(chars[i + 1].isLetter || chars[i + 1].isNumber)) {
                i += 1
                continue
            }
            if c == "[", let close = chars[i...].firstIndex(of: "]"), close + 1 < chars.count, chars[close + 1] == "(",
               let end = chars[close...].firstIndex(of: ")") {
                out += String(chars[(i + 1)..<close])
                i = end + 1
                continue
            }
            out.append(c)
            i += 1
        }
        return out
    }
}

/// The lessons in a folder: file, title and one-line summary of each `.mem` file.
public struct LessonCatalog {
    public struct Entry: Sendable {
        /// The file name (`00-tour.mem`).
        public var file: String
        public var title: String?
        public var summary: String?
        /// Set when the file could not be read.
        public var problem: String?
    }

    /// The folder listed.
    public var folder: URL
    public var entries: [Entry]

    /// Lists `folder`'s `.mem` files in name order.
    public init(folder: URL) throws {
        self.folder = folder
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: folder.path)
        } catch {
            throw NotebookError("cannot list \(folder.path): \((error as NSError).localizedDescription)")
        }
        entries = names.filter { $0.hasSuffix(".mem") }.sorted().map { name in
            do {
                let nb = try Notebook.load(folder.appendingPathComponent(name).path)
                return Entry(file: name, title: nb.title, summary: nb.summary)
            } catch {
                return Entry(file: name, title: nil, summary: nil, problem: "\(error)")
            }
        }
    }

    /// Where the lessons are: `lessons/` in the current directory if it exists, else
    /// `lessons/` in the first ancestor of the executable's folder that has one (so a built
    /// `.build/release/memento` finds the repository's lessons from anywhere). Nil if neither.
    public static func locate(currentDirectory: String = FileManager.default.currentDirectoryPath,
                              executable: String? = CommandLine.arguments.first) -> URL? {
        let fm = FileManager.default
        func isFolder(_ url: URL) -> Bool {
            var dir: ObjCBool = false
            return fm.fileExists(atPath: url.path, isDirectory: &dir) && dir.boolValue
        }
        let local = URL(fileURLWithPath: currentDirectory).appendingPathComponent("lessons")
        if isFolder(local) { return local.standardizedFileURL }
        var exe = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        if exe.path == "/proc/self/exe", let executable {
            exe = URL(fileURLWithPath: executable, relativeTo: URL(fileURLWithPath: currentDirectory)).resolvingSymlinksInPath()
        }
        var dir = exe.deletingLastPathComponent()
        while dir.path != "/" && !dir.path.isEmpty {
            let candidate = dir.appendingPathComponent("lessons")
            if isFolder(candidate) { return candidate.standardizedFileURL }
            dir = dir.deletingLastPathComponent()
        }
        return nil
    }

    /// The catalogue as text, one lesson per line (`file  title — summary`), cut to `width`.
    public func render(width: Int, color: Bool) -> String {
        let nameWidth = entries.map(\.file.count).max() ?? 0
        func cut(_ s: String, _ room: Int) -> String {
            s.count <= room ? s : room <= 1 ? String(s.prefix(max(room, 0))) : String(s.prefix(room - 1)) + "…"
        }
        return entries.map { e in
            let name = e.file.padding(toLength: nameWidth, withPad: " ", startingAt: 0)
            let room = max(width - nameWidth - 2, 10)
            let title = cut(e.title ?? "(no title)", room)
            let rest = cut(e.problem.map { "  error: \($0)" } ?? (e.summary.map { " — \($0)" } ?? ""), room - title.count)
            if color {
                return "\u{1B}[1m\(name)\u{1B}[0m  \u{1B}[36m\(title)\u{1B}[0m\u{1B}[2m\(rest)\u{1B}[0m"
            }
            return "\(name)  \(title)\(rest)"
        }.joined(separator: "\n")
    }
}
