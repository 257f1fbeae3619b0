import ArgumentParser
import Foundation
import TensorCore

/// `memento-bench`: Memento's speed against its peers (PyTorch, Gymnasium, CPython), measured
/// side by side in one run. Build in release mode: `swift run -c release memento-bench tensor`.
struct MementoBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "memento-bench",
        abstract: "Measure Memento against PyTorch, Gymnasium and CPython in the same run.",
        discussion: """
        Each case prints one JSON line on stdout (with --json) and a table row on stderr:
          {"suite": …, "case": …, "unit": …, "better": "lower"|"higher", "memento": x,
           "peer": y, "peer_name": …, "ratio": x/y, "machine": {"cpu": …, "cores": …,
           "l1d_kib"/"l2_kib"/"l3_kib": …, "avx512": …, "openblas": …, "gemm": {class: kernel},
           "gemm_source": …, "fp32_peak_gflops": …}}
        The machine's FMA peak is measured once at the start (the fp32_peak case measures
        it again, with peer-style repetitions).
        Cases that report further figures of the same samples (drqn_tmaze10_solve: episodes
        and environment steps to solve) add "figures": {name: {"memento", "peer", "ratio"}}
        with the medians, and a table row each.
        Peers are the scripts in bench/peers/, run by the Python of bench/setup-peers.sh
        (override with MEMENTO_PEERS_PYTHON); a missing peer gives null and a reason.
        MEMENTO_BENCH_SAMPLES=1 logs every round's pair of samples on stderr.
        --calibrate times each class of matrix product with both kernels on one core (the
        calibration behind the "gemm" choices, run afresh) and prints GFLOPS per kernel.
        Examples:
          swift run -c release memento-bench tensor
          swift run -c release memento-bench all --json --rounds 7
        """)

    @Argument(help: "Suites to run: \(suiteNames.joined(separator: ", ")), or all.")
    var suites: [String] = ["all"]

    @Flag(help: "Print one JSON line per case on stdout.")
    var json = false

    @Option(help: "Alternating Memento/peer samples per case (the median is reported).")
    var rounds = 5

    @Option(help: "Only the cases whose name contains this text.")
    var filter: String?

    @Flag(help: "Instead of the suites: time each class of matrix product with Memento's kernel and OpenBLAS on one core (the kernel calibration, run afresh), plus 1024³, and print what it would choose.")
    var calibrate = false

    func validate() throws {
        for s in suites where s != "all" && !suiteNames.contains(s) {
            throw ValidationError("unknown suite '\(s)'; the suites are: \(suiteNames.joined(separator: ", ")), all")
        }
        guard rounds >= 1 else { throw ValidationError("--rounds must be at least 1") }
    }

    func run() throws {
        if calibrate {
            printCalibration()
            return
        }
        let chosen = suites.contains("all") ? suiteNames : suites
        let log: (String) -> Void = { FileHandle.standardError.write(Data(($0 + "\n").utf8)) }
        log("memento-bench on \(ProcessInfo.processInfo.activeProcessorCount) cores; OpenBLAS kernel: \(BLAS.coreName)"
            + (BLAS.coreTypeSetByMemento.map { " (OPENBLAS_CORETYPE=\($0) set by Memento)" } ?? ""))
        log(BenchMachine.shared.summary)
        log(tableHeader())
        for suite in chosen {
            var cases = makeSuite(suite)
            if let filter { cases = cases.filter { $0.name.contains(filter) } }
            for r in runSuite(suite, cases: cases, rounds: rounds, log: log) where json {
                print(r.jsonLine)
                fflush(nil)
            }
        }
    }
}

/// `--calibrate`: the calibration's measurements, as GFLOPS per kernel and class on one core.
func printCalibration() {
    print(CPU.summary)
    print("OpenBLAS \(BLAS.coreName); in use: \(BLAS.kernelChoices.summary) (\(GemmPolicy.source))")
    let fresh = GemmPolicy.calibrate()
    print("class            shape (op(A) m × k, op(B) k × n)   Memento GFLOPS  OpenBLAS GFLOPS  choice")
    func row(_ name: String, _ s: (transA: Bool, transB: Bool, m: Int, n: Int, k: Int), _ t: [GemmKernel: Double], _ choice: String) {
        let flops = 2 * Double(s.m * s.n * s.k)
        let shape = "\(s.transA ? "Aᵀ·B" : s.transB ? "A·Bᵀ" : "A·B") \(s.m)×\(s.k)·\(s.k)×\(s.n)"
        func g(_ k: GemmKernel) -> String { t[k].map { String(format: "%.1f", flops / $0 / 1e9) } ?? "-" }
        func left(_ s: String, _ w: Int) -> String { s + String(repeating: " ", count: Swift.max(0, w - s.count)) }
        func right(_ s: String, _ w: Int) -> String { String(repeating: " ", count: Swift.max(0, w - s.count)) + s }
        print(left(name, 16) + " " + left(shape, 34) + " " + right(g(.memento), 14) + " " + right(g(.openblas), 16) + "  " + choice)
    }
    for c in GemmClass.allCases {
        row(c.rawValue, c.calibrationShape, fresh.seconds[c] ?? [:], fresh.kernel(for: c).rawValue)
    }
    let big = (transA: false, transB: false, m: 1024, n: 1024, k: 1024)
    row("(1024³)", big, GemmPolicy.time(big, kernels: CPU.avx512 ? [.memento, .openblas] : [.openblas]), "-")
}

/// The suites, in the order `all` runs them.
let suiteNames = ["tensor", "nn", "env", "rl", "lang"]

func makeSuite(_ name: String) -> [BenchCase] {
    switch name {
    case "tensor": return tensorSuite()
    case "nn": return nnSuite()
    case "env": return envSuite()
    case "rl": return rlSuite()
    case "lang": return langSuite()
    default: return []
    }
}

MementoBench.main()
