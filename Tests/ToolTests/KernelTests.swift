// The Jupyter kernel: `memento kernel install`, connection-file errors, and — when a Python
// with jupyter_client, jupyter_kernel_test and nbconvert is found ($MEMENTO_PEERS_PYTHON, which
// tools/setup sets, else ~/.cache/memento-peers) — Jupyter's conformance suite subclassed for
// Memento (Jupyter/test_kernel.py) and the nbconvert round trip of every lesson
// (Jupyter/roundtrip.py). Without that Python these two skip, saying so.

import Foundation
import Testing

/// A Python that can drive the kernel, or nil.
private let jupyterPython: String? = {
    var candidates: [String] = []
    if let p = ProcessInfo.processInfo.environment["MEMENTO_PEERS_PYTHON"], !p.isEmpty { candidates.append(p) }
    candidates.append(NSHomeDirectory() + "/.cache/memento-peers/bin/python")
    for c in candidates where FileManager.default.isExecutableFile(atPath: c) {
        if let r = try? runProcess(c, ["-c", "import jupyter_client, jupyter_kernel_test, nbconvert, zmq"]), r.status == 0 { return c }
    }
    return nil
}()

private let jupyterFolder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Jupyter")
private let repositoryFolder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()
private let noPython: Comment = "no Python with jupyter_client, jupyter_kernel_test and nbconvert: run tools/setup (it installs them into ~/.cache/memento-peers) or set MEMENTO_PEERS_PYTHON"

/// Installs the kernelspec under a fresh prefix; returns the prefix's Jupyter data folder.
private func installKernel(_ memento: String, in folder: URL) throws -> String {
    let r = try runProcess(memento, ["kernel", "install", "--prefix", folder.path])
    #expect(r.status == 0, "\(r.stderr)")
    return folder.appendingPathComponent("share/jupyter").path
}

@Suite("Jupyter kernel", .enabled(if: mementoExecutable != nil, "no memento executable: set MEMENTO_BIN, or build it first"))
struct KernelTests {
    let memento = mementoExecutable!

    @Test func installWritesAKernelspecJupyterFinds() throws {
        let folder = try makeTemporaryFolder("kernelspec")
        defer { try? FileManager.default.removeItem(at: folder) }
        let data = try installKernel(memento, in: folder)
        let spec = URL(fileURLWithPath: data).appendingPathComponent("kernels/memento")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: spec.appendingPathComponent("kernel.json"))) as? [String: Any])
        let argv = try #require(json["argv"] as? [String])
        #expect(argv.count == 4 && argv[1...] == ["kernel", "-f", "{connection_file}"])
        #expect(FileManager.default.isExecutableFile(atPath: argv[0]))
        #expect(json["language"] as? String == "memento" && json["display_name"] as? String == "Memento")
        #expect((json["metadata"] as? [String: String])?["file_extension"] == ".mem")
        for icon in ["logo-svg.svg", "logo-32x32.png", "logo-64x64.png"] {
            #expect(FileManager.default.fileExists(atPath: spec.appendingPathComponent(icon).path), "\(icon)")
        }
        let png = try Data(contentsOf: spec.appendingPathComponent("logo-64x64.png"))
        #expect(png.prefix(4) == Data([0x89, 0x50, 0x4E, 0x47]))
        if let python = jupyterPython {
            let r = try runProcess(python, ["-m", "jupyter_client.kernelspecapp", "list", "--json"], environment: ["JUPYTER_PATH": data])
            #expect(r.stdout.contains(spec.path), "\(r.stdout)\(r.stderr)")
        }
        let both = try runProcess(memento, ["kernel", "install", "--user", "--prefix", folder.path])
        #expect(both.status != 0 && both.stderr.contains("--user or --prefix"))
    }

    @Test func badConnectionFilesNameTheFileAndTheField() throws {
        let folder = try makeTemporaryFolder("connection")
        defer { try? FileManager.default.removeItem(at: folder) }
        let missing = folder.appendingPathComponent("missing.json").path
        var r = try runProcess(memento, ["kernel", "-f", missing])
        #expect(r.status != 0 && r.stderr.contains(missing), "\(r.stderr)")
        let cases: [(String, String)] = [
            ("{\"transport\": \"tcp\"", "not valid JSON"),
            ("{\"transport\": \"tcp\", \"ip\": \"127.0.0.1\"}", "'shell_port' is missing"),
            ("{\"transport\": \"tcp\", \"ip\": \"127.0.0.1\", \"shell_port\": \"x\", \"iopub_port\": 2, \"stdin_port\": 3, \"control_port\": 4, \"hb_port\": 5}",
             "'shell_port' must be a port number"),
            ("{\"transport\": \"udp\", \"ip\": \"127.0.0.1\"}", "'transport' must be"),
            ("{\"transport\": \"tcp\", \"ip\": \"127.0.0.1\", \"shell_port\": 1, \"iopub_port\": 2, \"stdin_port\": 3, \"control_port\": 4, \"hb_port\": 5, \"signature_scheme\": \"hmac-md5\"}",
             "'signature_scheme' must be"),
        ]
        for (k, (text, expected)) in cases.enumerated() {
            let file = folder.appendingPathComponent("c\(k).json")
            try Data(text.utf8).write(to: file)
            r = try runProcess(memento, ["kernel", "-f", file.path])
            #expect(r.status != 0, "\(text)")
            #expect(r.stderr.contains("connection file \(file.path)") && r.stderr.contains(expected), "\(r.stderr)")
        }
    }

    @Test("jupyter_kernel_test's conformance suite, and interrupts and bad input",
          .enabled(if: jupyterPython != nil, noPython))
    func conformance() throws {
        let folder = try makeTemporaryFolder("kernel-conformance")
        defer { try? FileManager.default.removeItem(at: folder) }
        let data = try installKernel(memento, in: folder)
        let r = try runProcess(jupyterPython!, ["-m", "unittest", "-v", "test_kernel"], directory: jupyterFolder,
                               environment: ["JUPYTER_PATH": data])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("OK"))
    }

    @Test("every lesson through nbconvert --execute shows what memento run prints",
          .enabled(if: jupyterPython != nil, noPython))
    func lessonsRoundTrip() throws {
        let folder = try makeTemporaryFolder("kernel-roundtrip")
        defer { try? FileManager.default.removeItem(at: folder) }
        let data = try installKernel(memento, in: folder)
        let lessons = try FileManager.default.contentsOfDirectory(atPath: repositoryFolder.appendingPathComponent("lessons").path)
            .filter { $0.hasSuffix(".mem") }.sorted().map { "lessons/" + $0 }
        #expect(!lessons.isEmpty)
        let r = try runProcess(jupyterPython!, [jupyterFolder.appendingPathComponent("roundtrip.py").path, memento,
                                                repositoryFolder.path, folder.appendingPathComponent("work").path] + lessons,
                               environment: ["JUPYTER_PATH": data])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        #expect(r.stdout.components(separatedBy: ": ok in").count - 1 == lessons.count, "\(r.stdout)")
    }
}
