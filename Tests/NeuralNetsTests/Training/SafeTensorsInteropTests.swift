import Foundation
import Testing
import TensorCore
@testable import NeuralNets

/// Checks files against Python's reference `safetensors` package in both directions. Runs
/// when a Python with `safetensors` and `numpy` is found ($MEMENTO_PEERS_PYTHON, then
/// ~/.cache/memento-peers/bin/python, then python3 on the PATH); otherwise prints a note
/// and passes.
@Suite("safetensors interop with Python")
struct SafeTensorsInteropTests {
    /// The command prefix for a usable Python, or nil.
    static let python: [String]? = {
        var candidates: [[String]] = []
        if let env = ProcessInfo.processInfo.environment["MEMENTO_PEERS_PYTHON"], !env.isEmpty { candidates.append([env]) }
        let home = ProcessInfo.processInfo.environment["HOME"] ?? FileManager.default.homeDirectoryForCurrentUser.path
        candidates.append([home + "/.cache/memento-peers/bin/python"])
        candidates.append(["/usr/bin/env", "python3"])
        for c in candidates where FileManager.default.isExecutableFile(atPath: c[0]) {
            if let r = try? run(c + ["-c", "import numpy, safetensors.numpy"]), r.status == 0 { return c }
        }
        return nil
    }()

    /// Runs a process and returns its exit status and output.
    static func run(_ command: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: command[0])
        process.arguments = Array(command.dropFirst())
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
    }

    /// Each tensor's name, shape and little-endian bytes in hex, one per line, sorted — the
    /// form the Python side prints.
    static func listing(_ tensors: [String: Tensor]) -> String {
        tensors.keys.sorted().map { name in
            let t = tensors[name]!
            let hex = t.scalars.map { v -> String in
                var b = v.bitPattern.littleEndian
                return withUnsafeBytes(of: &b) { $0.map { String(format: "%02x", $0) }.joined() }
            }.joined()
            return "\(name) \(t.shape.map(String.init).joined(separator: "x")) \(hex)"
        }.joined(separator: "\n")
    }

    static let printScript = """
    import sys
    from safetensors import safe_open
    from safetensors.numpy import load_file
    tensors = load_file(sys.argv[1])
    for name in sorted(tensors):
        a = tensors[name]
        assert a.dtype.name == "float32", (name, a.dtype)
        print(name, "x".join(str(d) for d in a.shape), a.astype("<f4").tobytes().hex())
    with safe_open(sys.argv[1], framework="numpy") as f:
        meta = f.metadata() or {}
    for k in sorted(meta):
        print("meta", k, meta[k])
    """

    static let writeScript = """
    import sys
    import numpy as np
    from safetensors.numpy import save_file
    tensors = {
        "encoder.weight": (np.arange(12, dtype=np.float32).reshape(3, 4) / 7).astype(np.float32),
        "encoder.bias": np.array([-0.0, 1e-40, np.inf, -np.inf], dtype=np.float32),
        "scale": np.array(3.25, dtype=np.float32),
        "empty": np.zeros((0, 5), dtype=np.float32),
        "cube": np.linspace(-1, 1, 24, dtype=np.float32).reshape(2, 3, 4),
    }
    save_file(tensors, sys.argv[1], metadata={"source": "python", "version": "1"})
    if len(sys.argv) > 2:
        save_file({"counts": np.array([1, 2], dtype=np.int64)}, sys.argv[2])
    for name in sorted(tensors):
        a = tensors[name]
        print(name, "x".join(str(d) for d in a.shape), a.astype("<f4").tobytes().hex())
    """

    @Test func pythonReadsMementoFiles() throws {
        guard let python = Self.python else {
            print("note: no Python with safetensors and numpy found; skipping the Python interop check")
            return
        }
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("memento.safetensors").path
        var rng = RNG(seed: 42)
        let tensors: [String: Tensor] = [
            "lstm.weight_ih": try Tensor.normal([8, 3], rng: &rng),
            "lstm.bias": try Tensor.normal([8], rng: &rng),
            "head.weight": try Tensor([-0.0, Float(bitPattern: 0x0001_16C2), .infinity, 1.5], shape: [1, 4]),
            "temperature": Tensor(0.7),
            "empty": try Tensor.zeros([2, 0]),
        ]
        try SafeTensors.write(tensors, metadata: ["format": "pt", "note": "from Memento"], to: path)
        let r = try Self.run(python + ["-c", Self.printScript, path])
        try #require(r.status == 0, "python failed: \(r.stderr)")
        let lines = r.stdout.split(separator: "\n").map(String.init)
        #expect(lines.filter { !$0.hasPrefix("meta ") }.joined(separator: "\n") == Self.listing(tensors))
        #expect(lines.filter { $0.hasPrefix("meta ") } == ["meta format pt", "meta note from Memento"])
    }

    @Test func mementoReadsPythonFiles() throws {
        guard let python = Self.python else {
            print("note: no Python with safetensors and numpy found; skipping the Python interop check")
            return
        }
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("python.safetensors").path
        let intPath = folder.appendingPathComponent("ints.safetensors").path
        let r = try Self.run(python + ["-c", Self.writeScript, path, intPath])
        try #require(r.status == 0, "python failed: \(r.stderr)")
        let contents = try SafeTensors.read(from: path)
        #expect(Self.listing(contents.tensors) == r.stdout.trimmingCharacters(in: .newlines))
        #expect(contents.metadata == ["source": "python", "version": "1"])
        let e = #expect(throws: CheckpointError.self) { try SafeTensors.read(from: intPath) }
        #expect(e == .unsupportedDtype(file: intPath, tensor: "counts", dtype: "I64"))
    }
}
