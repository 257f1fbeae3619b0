import Foundation
import Language

/// Reads a source file as UTF-8 (CR-only line ends accepted): the text, or why it cannot be
/// used. Exits 66 when the file cannot be read at all.
func readSource(_ path: String) -> Result<String, SourceDecoding.Failure> {
    let data: Data
    do {
        data = try Data(contentsOf: URL(fileURLWithPath: path))
    } catch {
        FileHandle.standardError.write(Data("error: cannot read \(path): \((error as NSError).localizedDescription)\n".utf8))
        Foundation.exit(66)
    }
    return SourceDecoding.decode([UInt8](data), path: path)
}

/// Reads a script, or exits 66 with a message naming the file (and, for a file that is not
/// UTF-8, the line and column of its first bad byte).
func readScript(_ path: String) -> String {
    switch readSource(path) {
    case .success(let text): return text
    case .failure(let failure):
        FileHandle.standardError.write(Data("error: \(failure)\n".utf8))
        Foundation.exit(66)
    }
}

/// Whether to colour diagnostics: a terminal, and NO_COLOR unset.
func useColor() -> Bool {
    isatty(2) != 0 && ProcessInfo.processInfo.environment["NO_COLOR"] == nil
}
