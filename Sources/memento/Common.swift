import Foundation

/// Reads a script, or exits 66 with a message naming the file.
func readScript(_ path: String) -> String {
    do {
        return try String(contentsOfFile: path, encoding: .utf8)
    } catch {
        FileHandle.standardError.write(Data("error: cannot read \(path): \((error as NSError).localizedDescription)\n".utf8))
        Foundation.exit(66)
    }
}

/// Whether to colour diagnostics: a terminal, and NO_COLOR unset.
func useColor() -> Bool {
    isatty(2) != 0 && ProcessInfo.processInfo.environment["NO_COLOR"] == nil
}

