#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

// The C library's read and write, named apart from `FileIO.read` (same on every platform).
private func systemRead(_ fd: Int32, _ buffer: UnsafeMutableRawPointer?, _ count: Int) -> Int { read(fd, buffer, count) }
private func systemWrite(_ fd: Int32, _ buffer: UnsafeRawPointer?, _ count: Int) -> Int { write(fd, buffer, count) }

/// Whole-file reads and atomic whole-file writes, with the operating system's reason in
/// every error.
enum FileIO {
    static func reason() -> String { String(cString: strerror(errno)) }

    /// The bytes of the file at `path`.
    static func read(_ path: String) throws -> [UInt8] {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw CheckpointError.cannotRead(file: path, reason: reason()) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw CheckpointError.cannotRead(file: path, reason: reason()) }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            throw CheckpointError.cannotRead(file: path, reason: "not a regular file")
        }
        var out = [UInt8]()
        out.reserveCapacity(Int(info.st_size))
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let got = chunk.withUnsafeMutableBytes { systemRead(fd, $0.baseAddress, $0.count) }
            if got < 0 {
                if errno == EINTR { continue }
                throw CheckpointError.cannotRead(file: path, reason: reason())
            }
            if got == 0 { break }
            out.append(contentsOf: chunk[0..<got])
        }
        return out
    }

    /// Writes `bytes` to a temporary file next to `path`, flushes it to disk, and renames it
    /// over `path` (atomic on POSIX file systems). On any failure the temporary file is
    /// removed and `path` is untouched.
    static func writeAtomically(_ bytes: [UInt8], to path: String) throws {
        // The folder part keeps its trailing slash ("/x" → "/"), or is empty for a bare name.
        let slash = path.lastIndex(of: "/")
        let folder = slash.map { String(path[...$0]) } ?? ""
        let base = slash.map { String(path[path.index(after: $0)...]) } ?? path
        guard !base.isEmpty else { throw CheckpointError.cannotWrite(file: path, reason: "the path names a folder, not a file") }
        var rng = SystemRandomNumberGenerator()
        let temporary = folder + ".\(base).tmp-\(getpid())-\(String(rng.next() as UInt64, radix: 36))"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL, 0o644)
        guard fd >= 0 else { throw CheckpointError.cannotWrite(file: path, reason: reason()) }
        var ok = false
        defer { if !ok { unlink(temporary) } }
        do {
            defer { close(fd) }
            var written = 0
            while written < bytes.count {
                let n = bytes.withUnsafeBytes { systemWrite(fd, $0.baseAddress! + written, $0.count - written) }
                if n < 0 {
                    if errno == EINTR { continue }
                    throw CheckpointError.cannotWrite(file: path, reason: reason())
                }
                written += n
            }
            guard fsync(fd) == 0 else { throw CheckpointError.cannotWrite(file: path, reason: reason()) }
        }
        guard rename(temporary, path) == 0 else { throw CheckpointError.cannotWrite(file: path, reason: reason()) }
        ok = true
        // Make the rename itself durable; a failure here does not undo the write.
        let dir = open(folder.isEmpty ? "." : folder, O_RDONLY)
        if dir >= 0 {
            _ = fsync(dir)
            close(dir)
        }
    }
}
