import Foundation
import TensorCore

/// Which direction of a measurement is an improvement.
enum Better: String, Sendable {
    case lower, higher
}

/// One measurement: the case's value and, for cases that report them, further figures of
/// the same run (e.g. the episodes a training run needed beside its seconds).
struct BenchSample {
    var value: Double
    var figures: [String: Double] = [:]
}

/// One benchmark case: a Memento measurement and, optionally, the name of the same case in
/// the suite's peer script (`bench/peers/<suite>.py`).
struct BenchCase {
    let suite: String
    let name: String
    /// The unit of `measure`'s value, e.g. "GFLOPS", "µs", "steps/s".
    let unit: String
    let better: Better
    /// The case's name in the peer script, or nil when no peer exists for it.
    let peerCase: String?
    /// Why there is no peer, when `peerCase` is nil.
    let noPeerReason: String?
    /// The further figures every sample reports (both sides), in the order they are shown;
    /// each is reported as its median over the samples, like the value.
    let figures: [String]
    /// One measurement, in `unit`; should take about 0.1–0.3 s.
    let measure: () throws -> BenchSample

    init(suite: String, name: String, unit: String, better: Better, peerCase: String?, noPeerReason: String?,
         sample: @escaping () throws -> Double) {
        self.init(suite: suite, name: name, unit: unit, better: better, peerCase: peerCase, noPeerReason: noPeerReason,
                  figures: []) { BenchSample(value: try sample()) }
    }

    init(suite: String, name: String, unit: String, better: Better, peerCase: String?, noPeerReason: String?,
         figures: [String], measure: @escaping () throws -> BenchSample) {
        self.suite = suite
        self.name = name
        self.unit = unit
        self.better = better
        self.peerCase = peerCase
        self.noPeerReason = noPeerReason
        self.figures = figures
        self.measure = measure
    }
}

/// The result of one case.
struct BenchResult {
    let benchCase: BenchCase
    let memento: Double
    let peer: Double?
    let peerName: String?
    let reason: String?
    let mementoSamples: [Double]
    let peerSamples: [Double]
    /// The medians of the case's further figures, by name (a side without samples: absent).
    let mementoFigures: [String: Double]
    let peerFigures: [String: Double]

    var ratio: Double? { peer.map { memento / $0 } }

    /// The ratio of a further figure, Memento / peer.
    func figureRatio(_ name: String) -> Double? {
        guard let m = mementoFigures[name], let p = peerFigures[name], p != 0 else { return nil }
        return m / p
    }

    /// The JSON line of the contract: suite, case, unit, better, memento, peer, peer_name,
    /// ratio (and reason when there is no peer).
    var jsonLine: String {
        func num(_ v: Double?) -> String {
            guard let v, v.isFinite else { return "null" }
            return String(format: "%.6g", v)
        }
        func str(_ s: String?) -> String {
            guard let s else { return "null" }
            let escaped = s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            return "\"\(escaped)\""
        }
        var fields = [
            "\"suite\": \(str(benchCase.suite))", "\"case\": \(str(benchCase.name))", "\"unit\": \(str(benchCase.unit))",
            "\"better\": \(str(benchCase.better.rawValue))", "\"memento\": \(num(memento))", "\"peer\": \(num(peer))",
            "\"peer_name\": \(str(peerName))", "\"ratio\": \(num(ratio))",
        ]
        if peer == nil { fields.append("\"reason\": \(str(reason))") }
        fields.append("\"machine\": \(BenchMachine.shared.json)")
        if !benchCase.figures.isEmpty {
            let figures = benchCase.figures.map { name in
                "\(str(name)): {\"memento\": \(num(mementoFigures[name])), \"peer\": \(num(peerFigures[name])), \"ratio\": \(num(figureRatio(name)))}"
            }
            fields.append("\"figures\": {" + figures.joined(separator: ", ") + "}")
        }
        return "{" + fields.joined(separator: ", ") + "}"
    }
}

/// Where a run happened, recorded in every JSON line: the CPU, the product kernels chosen
/// on it (and how), and its measured FMA peak, so that figures from different machines are
/// never compared unawares.
struct BenchMachine: @unchecked Sendable {
    let json: String
    let summary: String

    static let shared: BenchMachine = {
        let choices = BLAS.kernelChoices
        let peak = fmaPeak(threads: ProcessInfo.processInfo.activeProcessorCount)
        func str(_ s: String) -> String {
            "\"" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
        }
        let gemm = GemmClass.allCases.map { "\(str($0.rawValue)): \(str(choices.kernel(for: $0).rawValue))" }.joined(separator: ", ")
        let json = "{\"cpu\": \(str(CPU.model)), \"cores\": \(ProcessInfo.processInfo.activeProcessorCount), "
            + "\"l1d_kib\": \(CPU.l1Data >> 10), \"l2_kib\": \(CPU.l2 >> 10), \"l3_kib\": \(CPU.l3 >> 10), "
            + "\"avx512\": \(CPU.avx512), \"openblas\": \(str(BLAS.coreName)), \"gemm\": {\(gemm)}, "
            + "\"gemm_source\": \(str(GemmPolicy.source)), \"fp32_peak_gflops\": \(String(format: "%.1f", peak))}"
        let summary = "\(CPU.summary)\nproducts: \(choices.summary) (\(GemmPolicy.source)); OpenBLAS \(BLAS.coreName); "
            + "FMA peak \(String(format: "%.0f", peak)) GFLOPS on \(ProcessInfo.processInfo.activeProcessorCount) cores"
        return BenchMachine(json: json, summary: summary)
    }()
}

func median(_ xs: [Double]) -> Double {
    let s = xs.sorted()
    guard !s.isEmpty else { return .nan }
    return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
}

/// Runs `body` repeatedly for at least `seconds` (and at least once) and returns the number
/// of calls and the elapsed time.
func timed(atLeast seconds: Double, _ body: () throws -> Void) rethrows -> (calls: Int, seconds: Double) {
    let start = DispatchTime.now().uptimeNanoseconds
    var calls = 0
    var elapsed = 0.0
    repeat {
        try body()
        calls += 1
        elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    } while elapsed < seconds
    return (calls, elapsed)
}

// MARK: - Peers

/// Where the repository is: `MEMENTO_ROOT`, else found from this source file's path.
func repositoryRoot() -> URL {
    if let root = ProcessInfo.processInfo.environment["MEMENTO_ROOT"] { return URL(fileURLWithPath: root) }
    return URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
}

/// The Python that runs the peers: `MEMENTO_PEERS_PYTHON`, else the virtualenv made by
/// `bench/setup-peers.sh`, else `python3` on the PATH.
func peerPython() -> String {
    let env = ProcessInfo.processInfo.environment
    if let p = env["MEMENTO_PEERS_PYTHON"], !p.isEmpty { return p }
    let venv = (env["HOME"] ?? "/root") + "/.cache/memento-peers/bin/python"
    if FileManager.default.isExecutableFile(atPath: venv) { return venv }
    return "/usr/bin/env"
}

/// A peer script running as a child process, answering one measurement per request line.
final class Peer {
    let name: String?
    let unavailableReason: String?
    private let process = Process()
    private let input = Pipe(), output = Pipe()
    private var buffer = Data()

    init(suite: String) {
        let script = repositoryRoot().appendingPathComponent("bench/peers/\(suite).py")
        guard FileManager.default.fileExists(atPath: script.path) else {
            name = nil
            unavailableReason = "no peer script bench/peers/\(suite).py"
            return
        }
        let python = peerPython()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = (python == "/usr/bin/env" ? ["python3"] : []) + [script.path]
        process.standardInput = input
        process.standardOutput = output
        process.standardError = FileHandle.standardError
        do {
            try process.run()
        } catch {
            name = nil
            unavailableReason = "could not start \(python): \(error)"
            return
        }
        var n: String?, reason: String?
        if let line = Peer.readLine(output.fileHandleForReading, &buffer),
           let obj = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] {
            if obj["ready"] as? Bool == true {
                n = obj["peer_name"] as? String ?? "peer"
            } else {
                reason = obj["reason"] as? String ?? "peer not ready"
            }
        } else {
            reason = "peer script printed no ready line"
        }
        name = n
        unavailableReason = reason
    }

    var isAvailable: Bool { name != nil }

    /// One measurement of `caseName` by the peer: `{"value": x}`, with `"figures": {name: y}`
    /// for cases that report further figures.
    func sample(_ caseName: String) throws -> BenchSample {
        input.fileHandleForWriting.write(Data((caseName + "\n").utf8))
        guard let line = Peer.readLine(output.fileHandleForReading, &buffer) else {
            throw BenchError("peer exited while measuring \(caseName)")
        }
        guard let obj = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
            throw BenchError("peer printed \(line)")
        }
        if let v = obj["value"] as? Double {
            var figures: [String: Double] = [:]
            for (k, f) in obj["figures"] as? [String: Any] ?? [:] {
                if let f = f as? Double { figures[k] = f }
            }
            return BenchSample(value: v, figures: figures)
        }
        throw BenchError("peer failed on \(caseName): \(obj["error"] ?? line)")
    }

    func close() {
        if process.isRunning {
            try? input.fileHandleForWriting.close()
            process.waitUntilExit()
        }
    }

    private static func readLine(_ handle: FileHandle, _ buffer: inout Data) -> String? {
        while true {
            if let nl = buffer.firstIndex(of: 0x0A) {
                let line = String(decoding: buffer[buffer.startIndex..<nl], as: UTF8.self)
                buffer.removeSubrange(buffer.startIndex...nl)
                return line
            }
            let chunk = handle.availableData
            if chunk.isEmpty { return nil }
            buffer.append(chunk)
        }
    }
}

struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}

// MARK: - Running

/// Runs every case of one suite, alternating Memento and peer samples (A B A B …) so that
/// drift in the machine's speed affects both alike, and reports medians.
func runSuite(_ suite: String, cases: [BenchCase], rounds: Int, log: (String) -> Void) -> [BenchResult] {
    let needsPeer = cases.contains { $0.peerCase != nil }
    let peer = needsPeer ? Peer(suite: suite) : nil
    defer { peer?.close() }
    if let peer, !peer.isAvailable {
        log("note: peer for suite \(suite) skipped: \(peer.unavailableReason ?? "unavailable")")
    }
    var results: [BenchResult] = []
    for c in cases {
        var mine: [BenchSample] = [], theirs: [BenchSample] = []
        var reason: String? = c.noPeerReason
        let usePeer = c.peerCase != nil && peer?.isAvailable == true
        if c.peerCase != nil && !usePeer { reason = peer?.unavailableReason ?? "peer unavailable" }
        do {
            // Warm-up, not counted.
            _ = try c.measure()
            if usePeer { _ = try peer!.sample(c.peerCase!) }
            let showSamples = ProcessInfo.processInfo.environment["MEMENTO_BENCH_SAMPLES"] != nil
            for round in 0..<rounds {
                mine.append(try c.measure())
                if usePeer { theirs.append(try peer!.sample(c.peerCase!)) }
                if showSamples {  // every round, to see the machine's drift
                    log("  \(suite)/\(c.name) round \(round + 1): memento \(mine.last!.value)" + (usePeer ? ", peer \(theirs.last!.value)" : ""))
                }
            }
        } catch {
            log("error in \(suite)/\(c.name): \(error)")
            if mine.isEmpty { continue }
            if theirs.isEmpty { reason = "\(error)" }
        }
        func figureMedians(_ samples: [BenchSample]) -> [String: Double] {
            var medians: [String: Double] = [:]
            for name in c.figures {
                let values = samples.compactMap { $0.figures[name] }
                if values.count == samples.count, !values.isEmpty { medians[name] = median(values) }
            }
            return medians
        }
        let result = BenchResult(
            benchCase: c, memento: median(mine.map(\.value)), peer: theirs.isEmpty ? nil : median(theirs.map(\.value)),
            peerName: theirs.isEmpty ? nil : peer?.name, reason: theirs.isEmpty ? reason : nil,
            mementoSamples: mine.map(\.value), peerSamples: theirs.map(\.value),
            mementoFigures: figureMedians(mine), peerFigures: figureMedians(theirs))
        results.append(result)
        log(tableRow(result))
        for name in c.figures { log(figureRow(result, name)) }
    }
    return results
}

func tableHeader() -> String {
    "suite   case                     unit         memento         peer    ratio  peer"
}

func tableRow(_ r: BenchResult) -> String {
    func f(_ v: Double?) -> String {
        guard let v, v.isFinite else { return "-" }
        return v >= 1000 ? String(format: "%.0f", v) : String(format: "%.3g", v)
    }
    let c = r.benchCase
    let peerText = r.peer != nil ? (r.peerName ?? "") : "(\(r.reason ?? "no peer"))"
    return String(format: "%-7@ %-24@ %-9@ %12@ %12@ %8@  %@", c.suite as NSString, c.name as NSString, c.unit as NSString,
                  f(r.memento) as NSString, f(r.peer) as NSString, f(r.ratio) as NSString, peerText as NSString)
}

/// A further figure of a case, on its own row under the case's, with the figure's name as
/// the unit.
func figureRow(_ r: BenchResult, _ name: String) -> String {
    func f(_ v: Double?) -> String {
        guard let v, v.isFinite else { return "-" }
        return v >= 1000 ? String(format: "%.0f", v) : String(format: "%.3g", v)
    }
    return String(format: "%-7@ %-24@ %-9@ %12@ %12@ %8@  (median over the same samples)", "" as NSString,
                  "  ↳ \(r.benchCase.name)" as NSString, name as NSString, f(r.mementoFigures[name]) as NSString,
                  f(r.peerFigures[name]) as NSString, f(r.figureRatio(name)) as NSString)
}
