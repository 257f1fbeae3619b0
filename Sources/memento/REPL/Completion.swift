// Tab completion for the REPL: what the word before the cursor may become.
//
// Contexts, tried in order:
//   * a command (`:he` → `:help`), and its argument: file paths after `:load ` and `:step `,
//     names after `:help `, code after `:time `;
//   * a file path inside `import "…"` (folders and `.mem` files);
//   * a member after `.`: the receiver is evaluated only when it is a plain name or
//     attribute chain (`env.spec.`), never a call or an index, so completion runs no code;
//   * keyword arguments of the call the cursor is in (`train(agent, st` → `steps:`). When
//     some keyword matches, only keywords are offered, so one Tab finishes it;
//   * otherwise keywords and the names in scope (built-ins and everything the session
//     defined).

import Foundation
import Language

/// What to offer for the word before the cursor.
struct CompletionResult: Equatable {
    /// Full replacements for the word, sorted and without duplicates.
    var candidates: [String]
    /// Appended after a single candidate (nil: nothing).
    var append: Character?

    static let none = CompletionResult(candidates: [], append: nil)
}

struct Completer {
    static let keywords = ["let", "var", "fn", "class", "if", "else", "for", "in", "while", "break", "continue",
                           "return", "true", "false", "nil", "import", "test", "expect", "and", "or", "not", "self"]

    /// The interpreter whose names and values are offered.
    let interpreter: Interpreter
    /// REPL commands, without the colon, and whether each takes an argument.
    let commands: [(name: String, takesArgument: Bool)]
    /// Paths are relative to this folder.
    let directory: String

    /// Characters that end a word in code (everything but identifier characters).
    static let codeBreaks = " \t\n\"\\'`@$><=;|&{}()[],.+-*/%:!#~^?"
    /// Characters that end a file path.
    static let pathBreaks = " \t\n\"'"

    /// Whether the cursor, after `before` (the whole entry so far), is in a file-path
    /// position; the line editor then splits words at `pathBreaks`.
    func isPathContext(_ before: String) -> Bool {
        if let (name, argument) = commandParts(before), argument != nil {
            return name == "load" || name == "step"
        }
        if case .string(let opening) = Self.scan(before) { return isImportString(before, opening) }
        return false
    }

    /// Candidates for `word`, the text between the last word break and the cursor; `before`
    /// is everything before `word` in the entry (earlier lines of a multi-line entry included).
    func complete(before: String, word: String) -> CompletionResult {
        if let (name, argument) = commandParts(before + word) {
            guard let argument else {
                // The command name itself: `word` follows the ':'.
                let matches = commands.filter { $0.name.hasPrefix(word) }
                let append: Character? = matches.count == 1 && matches[0].takesArgument ? " " : nil
                return CompletionResult(candidates: matches.map(\.name).sorted(), append: append)
            }
            switch name {
            case "load", "step": return paths(word, closingQuote: false)
            case "help":
                let names = commands.map { ":" + $0.name } + globalNames()
                return CompletionResult(candidates: Self.filter(names, word), append: nil)
            case "time": return completeCode(before: String(argument.dropLast(word.count)), word: word)
            default: return .none
            }
        }
        return completeCode(before: before, word: word)
    }

    /// `(command, argument)` when the entry is a command line: the argument is nil while the
    /// command name is being typed (no space after it yet).
    private func commandParts(_ text: String) -> (String, String?)? {
        let trimmed = text.drop { $0 == " " || $0 == "\t" }
        guard trimmed.first == ":", !trimmed.contains("\n") else { return nil }
        let body = trimmed.dropFirst()
        guard let space = body.firstIndex(of: " ") else { return (String(body), nil) }
        return (String(body[..<space]), String(body[body.index(after: space)...].drop { $0 == " " }))
    }

    // MARK: - Code

    private func completeCode(before: String, word: String) -> CompletionResult {
        switch Self.scan(before) {
        case .comment: return .none
        case .string(let opening):
            return isImportString(before, opening) ? paths(word, closingQuote: true) : .none
        case .code(let openBrackets):
            if before.last == "." {
                return CompletionResult(candidates: Self.filter(members(before: String(before.dropLast())), word), append: nil)
            }
            if word.first?.isNumber == true { return .none }
            if let call = openBrackets.last, call.bracket == "(" {
                let keywords = keywordArguments(before: before, callOpen: call.offset)
                let matches = Self.filter(keywords, word).map { $0 + ":" }
                if !matches.isEmpty { return CompletionResult(candidates: matches, append: " ") }
            }
            return CompletionResult(candidates: Self.filter(Self.keywords + globalNames(), word), append: nil)
        }
    }

    /// Where the end of `text` is: in code (with the brackets still open), in a string
    /// literal (with the offset of its opening quote), or in a comment.
    enum Position: Equatable {
        case code([OpenBracket])
        case string(opening: Int)
        case comment
    }

    struct OpenBracket: Equatable {
        var bracket: Character
        /// Offset in characters.
        var offset: Int
    }

    static func scan(_ text: String) -> Position {
        var stack: [OpenBracket] = []
        var inString = false, inComment = false
        var opening = 0
        var escaped = false
        for (i, ch) in text.enumerated() {
            if inComment {
                if ch == "\n" { inComment = false }
                continue
            }
            if inString {
                if escaped { escaped = false } else if ch == "\\" { escaped = true } else if ch == "\"" || ch == "\n" { inString = false }
                continue
            }
            switch ch {
            case "\"": inString = true; opening = i
            case "#": inComment = true
            case "(", "[", "{": stack.append(OpenBracket(bracket: ch, offset: i))
            case ")", "]", "}": if !stack.isEmpty { stack.removeLast() }
            default: break
            }
        }
        if inComment { return .comment }
        if inString { return .string(opening: opening) }
        return .code(stack)
    }

    private func isImportString(_ before: String, _ opening: Int) -> Bool {
        let head = before.prefix(opening).reversed().drop { $0 == " " || $0 == "\t" }
        let word = String(head.prefix(6).reversed())
        guard word == "import" else { return false }
        let rest = head.dropFirst(6)
        return rest.first.map { !($0.isLetter || $0.isNumber || $0 == "_") } ?? true
    }

    // MARK: - Names and values

    /// Built-ins and session definitions that have a value.
    private func globalNames() -> [String] {
        interpreter.globals.allNames.filter { interpreter.globals[$0] != nil }
    }

    /// A plain `name.attr.attr` chain at the end of `text`, or nil if the expression there is
    /// anything else (a call, an index, a literal).
    static func trailingChain(_ text: String) -> [String]? {
        var chars = Array(text)
        while let last = chars.last, last == " " || last == "\t" { chars.removeLast() }
        var end = chars.count
        var parts: [String] = []
        while true {
            var start = end
            while start > 0, chars[start - 1].isLetter || chars[start - 1].isNumber || chars[start - 1] == "_" { start -= 1 }
            guard start < end, !chars[start].isNumber else { return nil }
            parts.insert(String(chars[start..<end]), at: 0)
            if start > 0, chars[start - 1] == "." {
                // `..` is a range operator, not an attribute.
                if start > 1, chars[start - 2] == "." { return nil }
                end = start - 1
                continue
            }
            if start > 0, [")", "]", "\"", "}"].contains(chars[start - 1]) { return nil }
            return parts
        }
    }

    /// Evaluates a chain by reading globals and attributes only.
    private func value(of chain: [String]) -> Value? {
        guard let first = chain.first, !Self.keywords.contains(first) || first == "self",
              var v = interpreter.globals[first] else { return nil }
        for name in chain.dropFirst() {
            guard let next = try? interpreter.member(of: v, name) else { return nil }
            v = next
        }
        return v
    }

    private func members(before: String) -> [String] {
        guard let chain = Self.trailingChain(before), let v = value(of: chain) else { return [] }
        return interpreter.memberNames(of: v)
    }

    /// Parameter names of the call whose `(` is at `callOpen`, when the cursor is where an
    /// argument starts; names already given in the call are left out.
    private func keywordArguments(before: String, callOpen: Int) -> [String] {
        let chars = Array(before)
        // Only at the start of an argument: right after '(' or ','.
        var i = chars.count
        while i > 0, chars[i - 1] == " " || chars[i - 1] == "\t" || chars[i - 1] == "\n" { i -= 1 }
        guard i > 0, chars[i - 1] == "(" || chars[i - 1] == "," else { return [] }
        guard let chain = Self.trailingChain(String(chars[0..<callOpen])), let callee = value(of: chain),
              let names = interpreter.parameterNames(of: callee) else { return [] }
        let given = Self.givenKeywords(String(chars[(callOpen + 1)...]))
        return names.filter { !given.contains($0) }
    }

    /// `name:` labels at the top level of a call's argument text.
    static func givenKeywords(_ text: String) -> Set<String> {
        var given: Set<String> = []
        var depth = 0, inString = false, escaped = false
        var word = ""
        for ch in text {
            if inString {
                if escaped { escaped = false } else if ch == "\\" { escaped = true } else if ch == "\"" { inString = false }
                continue
            }
            switch ch {
            case "\"": inString = true; word = ""
            case "(", "[", "{": depth += 1; word = ""
            case ")", "]", "}": depth -= 1; word = ""
            case ":":
                if depth == 0, !word.isEmpty { given.insert(word) }
                word = ""
            case " ", "\t", "\n": break
            default:
                if ch.isLetter || ch.isNumber || ch == "_" {
                    if let last = word.last, !(last.isLetter || last.isNumber || last == "_") { word = "" }
                    word.append(ch)
                } else {
                    word = ""
                }
            }
        }
        return given
    }

    // MARK: - Paths

    /// Folders and `.mem` files starting with `word`, relative to `directory`.
    private func paths(_ word: String, closingQuote: Bool) -> CompletionResult {
        let slash = word.lastIndex(of: "/")
        let folderPart = slash.map { String(word[...$0]) } ?? ""
        let namePrefix = slash.map { String(word[word.index(after: $0)...]) } ?? word
        let folder: String
        if folderPart.hasPrefix("/") { folder = folderPart } else { folder = directory + "/" + folderPart }
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return .none }
        var out: [String] = []
        for name in entries where name.hasPrefix(namePrefix) {
            if name.hasPrefix("."), !namePrefix.hasPrefix(".") { continue }
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: folder + "/" + name, isDirectory: &isDirectory) else { continue }
            if isDirectory.boolValue {
                out.append(folderPart + name + "/")
            } else if name.hasSuffix(".mem") {
                out.append(folderPart + name)
            }
        }
        out.sort()
        // A folder gets no space or quote after it, so Tab can go on into it.
        let append: Character? = out.count == 1 && !out[0].hasSuffix("/") ? (closingQuote ? "\"" : " ") : nil
        return CompletionResult(candidates: out, append: append)
    }

    // MARK: - Helpers

    static func filter(_ names: [String], _ prefix: String) -> [String] {
        Array(Set(names.filter { $0.hasPrefix(prefix) })).sorted()
    }
}
