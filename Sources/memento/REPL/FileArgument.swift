// The file named by the argument of `:load` and `:step`. Both commands accept the same
// spellings, as a shell user would type them:
//
//   :load demo.mem          relative to the working folder, then to the lessons folder
//   :load demo              `.mem` may be left out
//   :load ~/course/demo     `~` is the home folder
//   :load "my demo.mem"     double or single quotes, or `my\ demo.mem`, for spaces
//
// The file must still lie where the session may read (the working and lessons folders).

import Foundation
import Language
import Runtime

enum FileArgument {
    /// The path the argument spells: quotes removed, `\ ` unescaped, a leading `~` expanded.
    static func path(_ argument: String, home: String = FileArgument.home) -> String {
        var path = argument.trimmingCharacters(in: .whitespaces)
        if path.count >= 2, let first = path.first, first == "\"" || first == "'", path.last == first {
            path = String(path.dropFirst().dropLast())
        } else if path.contains("\\") {
            // Unquoted: a backslash makes the next character literal, as in a shell.
            var out = "", escaped = false
            for c in path {
                if escaped { out.append(c); escaped = false } else if c == "\\" { escaped = true } else { out.append(c) }
            }
            if escaped { out.append("\\") }
            path = out
        }
        if path == "~" { return home }
        if path.hasPrefix("~/") { return (home.hasSuffix("/") ? String(home.dropLast()) : home) + path.dropFirst() }
        return path
    }

    static var home: String { ProcessInfo.processInfo.environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory() }

    /// The file to open for `argument`: `full` is its absolute path, `shown` the name to show
    /// in diagnostics (relative to the working folder when it is inside it). Throws a message
    /// naming what was tried when no such file exists, or the session's refusal.
    static func resolve(_ argument: String, session: Session, command: String) throws -> (full: String, shown: String) {
        let path = path(argument)
        var names = [path]
        if !path.hasSuffix(".mem") { names.append(path + ".mem") }
        let cwd = FileManager.default.currentDirectoryPath
        // Relative names are looked up in each readable folder in turn (working folder first).
        let folders = path.hasPrefix("/") ? [""] : [cwd] + session.readableRoots.map(\.path)
        var tried: [String] = []
        for folder in folders {
            for name in names {
                let candidate = folder.isEmpty ? name : (folder.hasSuffix("/") ? folder : folder + "/") + name
                var isDirectory: ObjCBool = false
                guard FileManager.default.fileExists(atPath: candidate, isDirectory: &isDirectory) else {
                    if !tried.contains(candidate) { tried.append(candidate) }
                    continue
                }
                if isDirectory.boolValue { continue }
                let full = try session.readablePath(URL(fileURLWithPath: candidate).standardizedFileURL.path)
                return (full, shown(candidate, cwd: cwd))
            }
        }
        var message = ":\(command): no file \(path)"
        if names.count > 1 { message += " or \(names[1])" }
        if folders.count > 1 {
            var places: [String] = []
            for folder in folders {
                let place = shown(folder, cwd: cwd)
                if !places.contains(place) { places.append(place) }
            }
            message += " in " + places.map { $0.isEmpty ? "the working folder" : $0 }.joined(separator: " or ")
        }
        throw HostError(message)
    }

    /// `path` relative to `cwd` when inside it ("" for `cwd` itself), else absolute.
    private static func shown(_ path: String, cwd: String) -> String {
        let standard = URL(fileURLWithPath: path).standardizedFileURL.path
        let base = cwd.hasSuffix("/") ? cwd : cwd + "/"
        if standard == cwd || standard + "/" == base { return "" }
        return standard.hasPrefix(base) ? String(standard.dropFirst(base.count)) : standard
    }
}
