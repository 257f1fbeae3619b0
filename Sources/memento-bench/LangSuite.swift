import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Language
import Runtime

/// Suite `lang`: the interpreter against CPython (`bench/peers/lang.py`) on the same
/// programs, and the start-up time of `memento run` against `python3 -c 'print(1)'`.
func langSuite() -> [BenchCase] {
    var cases = LangPrograms.all.map { name, source in
        BenchCase(suite: "lang", name: name, unit: "s", better: .lower, peerCase: name, noPeerReason: nil) {
            try runProgram(source, name: name)
        }
    }
    cases.append(BenchCase(suite: "lang", name: "startup", unit: "ms", better: .lower, peerCase: "startup", noPeerReason: nil) {
        try startupTime()
    })
    return cases
}

/// The benchmark programs, written in Memento (the peer runs the same in Python).
enum LangPrograms {
    static let all: [(String, String)] = [
        ("fib27", """
        fn fib(n) {
          if n < 2 { return n }
          return fib(n - 1) + fib(n - 2)
        }
        let result = fib(27)
        """),
        ("sum_loop_10m", """
        var s = 0
        for i in 0..<10_000_000 { s = s + i }
        let result = s
        """),
        ("list_build_sort_1m", """
        var xs = []
        var x = 12345
        for i in 0..<1_000_000 {
          x = (x * 1103515245 + 12345) % 2147483648
          xs.append(x)
        }
        xs.sort()
        let result = xs[0]
        """),
    ]
}

/// Seconds to compile and run `source` once in a fresh interpreter with the engine bound.
func runProgram(_ source: String, name: String) throws -> Double {
    let result: (Double, [Diagnostic]) = Interpreter.runOnLargeStack {
        let interpreter = Interpreter()
        Runtime.install(in: interpreter, session: Session(scriptDirectory: FileManager.default.temporaryDirectory))
        let start = DispatchTime.now().uptimeNanoseconds
        let diagnostics = interpreter.run(source: source, path: "\(name).mem")
        return (Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9, diagnostics)
    }
    if let d = result.1.first { throw BenchError("\(name) failed: \(d.message)") }
    return result.0
}

/// Milliseconds for `memento run` on a one-line script (the median of a few runs is taken
/// by the harness; each sample is the mean of 5 launches).
func startupTime() throws -> Double {
    let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("memento")
    guard FileManager.default.isExecutableFile(atPath: binary.path) else {
        throw BenchError("no memento binary beside memento-bench (build it: swift build -c release --product memento)")
    }
    let script = FileManager.default.temporaryDirectory.appendingPathComponent("memento-startup.mem")
    try "print(1)\n".write(to: script, atomically: true, encoding: .utf8)
    // posix_spawn directly: Foundation's Process adds tens of milliseconds of its own on
    // Linux, which would be charged to Memento (the peer uses Python's subprocess).
    let out = FileManager.default.temporaryDirectory.appendingPathComponent("memento-out").path
    let argv = [binary.path, "run", script.path, "--out", out]
    var total = 0.0
    for _ in 0..<5 {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        defer { posix_spawn_file_actions_destroy(&actions) }
        var cargs = argv.map { strdup($0) } + [nil]
        defer { for a in cargs { free(a) } }
        var pid: pid_t = 0
        let start = DispatchTime.now().uptimeNanoseconds
        guard posix_spawn(&pid, binary.path, &actions, nil, &cargs, environ) == 0 else {
            throw BenchError("could not start \(binary.path)")
        }
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        total += Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6
        guard status == 0 else { throw BenchError("memento run exited with status \(status)") }
    }
    return total / 5
}
