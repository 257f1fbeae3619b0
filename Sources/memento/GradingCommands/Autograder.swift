import ArgumentParser
import Foundation
import Grading
import Language

/// `memento autograder LESSON -o autograder.zip`: a Gradescope autograder for one lesson or
/// exercise. The zip holds `setup.sh`, `run_autograder`, this `memento` executable with the
/// Swift runtime libraries it links (in `lib/`), and the instructor version as the tests.
/// Gradescope unpacks it in /autograder/source, puts the submission in
/// /autograder/submission and reads /autograder/results/results.json; the root can be moved
/// with MEMENTO_AUTOGRADER_ROOT to try the autograder locally.
struct Autograder: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Make a Gradescope autograder (zip) for a lesson or exercise.",
        discussion: """
        The zip holds setup.sh, run_autograder, this memento executable with the Swift runtime \
        libraries it needs, and the instructor version (the tests, hidden ones included). Upload \
        it as the assignment's autograder, and set the total points to the tests' total.

        To try it locally: unzip it into ROOT/source, put a submission in ROOT/submission and run \
        MEMENTO_AUTOGRADER_ROOT=ROOT ROOT/source/run_autograder; the results are in \
        ROOT/results/results.json.

        Example: memento autograder lessons/01-pomdps.mem -o autograder.zip
        """)

    @ArgumentParser.Argument(help: "The instructor version (.mem) whose tests grade the submissions.")
    var lesson: String

    @Option(name: .shortAndLong, help: "The zip to write.")
    var output: String = "autograder.zip"

    @Option(help: "Default CPU-time limit of a test, in seconds.")
    var timeout: Double = 60

    @Option(name: .customLong("memory-limit"), help: "Memory limit of one test, in MiB.")
    var memoryLimit: UInt64 = 2048

    func run() throws {
        let text = readScript(lesson)
        let tests: [GradedTest]
        do {
            tests = try TestDiscovery.tests(in: SourceFile(path: lesson, text: text))
        } catch let e as TestsFileError {
            for d in e.diagnostics { FileHandle.standardError.write(Data((d.render(color: useColor()) + "\n").utf8)) }
            FileHandle.standardError.write(Data("error: \(lesson) cannot grade anything, so no autograder was made\n".utf8))
            throw ExitCode(65)
        }
        guard !tests.isEmpty else {
            FileHandle.standardError.write(Data("error: \(lesson) has no tests, so no autograder was made\n".utf8))
            throw ExitCode(65)
        }
        let fm = FileManager.default
        let staging = fm.temporaryDirectory.appendingPathComponent("memento-autograder-\(getpid())")
        try? fm.removeItem(at: staging)
        defer { try? fm.removeItem(at: staging) }
        let testsName = URL(fileURLWithPath: lesson).lastPathComponent
        do {
            try fm.createDirectory(at: staging.appendingPathComponent("lib"), withIntermediateDirectories: true)
            try Data(text.utf8).write(to: staging.appendingPathComponent(testsName))
            try fm.copyItem(atPath: Grade.executablePath(), toPath: staging.appendingPathComponent("memento").path)
            for library in Autograder.toolchainLibraries(of: Grade.executablePath()) {
                let url = URL(fileURLWithPath: library)
                try fm.copyItem(at: url.resolvingSymlinksInPath(), to: staging.appendingPathComponent("lib").appendingPathComponent(url.lastPathComponent))
            }
            try write(Autograder.setupScript, to: staging.appendingPathComponent("setup.sh"))
            try write(runScript(testsName: testsName), to: staging.appendingPathComponent("run_autograder"))
        } catch {
            FileHandle.standardError.write(Data("error: cannot prepare the autograder: \((error as NSError).localizedDescription)\n".utf8))
            throw ExitCode(73)
        }
        let target = URL(fileURLWithPath: output).standardizedFileURL
        try? fm.removeItem(at: target)
        let zip = Process()
        zip.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        zip.arguments = ["zip", "-q", "-r", target.path, "."]
        zip.currentDirectoryURL = staging
        do {
            try zip.run()
            zip.waitUntilExit()
        } catch {
            FileHandle.standardError.write(Data("error: cannot run zip (install it: apt-get install zip): \(error)\n".utf8))
            throw ExitCode(73)
        }
        guard zip.terminationStatus == 0 else {
            FileHandle.standardError.write(Data("error: zip failed (exit status \(zip.terminationStatus)) writing \(target.path)\n".utf8))
            throw ExitCode(73)
        }
        let total = Points.sum(tests.map(\.points))
        let points = total == total.rounded() ? String(Int(total)) : String(total)
        print("\(target.path): \(tests.count) tests, \(points) points (\(tests.filter(\.hidden).count) hidden). "
              + "Upload it to Gradescope and set the assignment's total to \(points) points.")
    }

    private func write(_ script: String, to url: URL) throws {
        try Data(script.utf8).write(to: url)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: url.path)
    }

    /// The shared libraries of the Swift toolchain that the executable links (not the system's,
    /// which setup.sh installs).
    static func toolchainLibraries(of executable: String) -> [String] {
        let ldd = Process()
        ldd.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        ldd.arguments = ["ldd", executable]
        let pipe = Pipe()
        ldd.standardOutput = pipe
        ldd.standardError = FileHandle.nullDevice
        guard (try? ldd.run()) != nil else { return [] }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        ldd.waitUntilExit()
        var out: [String] = []
        for line in String(decoding: data, as: UTF8.self).split(separator: "\n") {
            guard let arrow = line.range(of: "=> ") else { continue }
            let path = line[arrow.upperBound...].split(separator: " ").first.map(String.init) ?? ""
            if path.contains("/swift/") { out.append(path) }
        }
        return out
    }

    static let setupScript = """
        #!/usr/bin/env bash
        # Installs the system libraries memento links against (the Swift ones are in lib/).
        set -e
        apt-get update
        apt-get install -y libopenblas0 libreadline8

        """

    func runScript(testsName: String) -> String {
        """
        #!/usr/bin/env bash
        # Memento autograder. Grading never fails because of the submission: results.json is
        # written either way and the exit status is 0. MEMENTO_AUTOGRADER_ROOT moves
        # Gradescope's /autograder (to try the autograder locally).
        set -u
        root="${MEMENTO_AUTOGRADER_ROOT:-/autograder}"
        source="$root/source"
        results="$root/results/results.json"
        export LD_LIBRARY_PATH="$source/lib:${LD_LIBRARY_PATH:-}"
        mkdir -p "$root/results"
        submission=$(find "$root/submission" -maxdepth 2 -name '*.mem' 2>/dev/null | sort | head -n 1)
        if [ -z "$submission" ]; then
          printf '%s\\n' '{"score": 0, "output": "No .mem file was submitted. Upload your lesson file (for example \(testsName)).", "tests": []}' > "$results"
          exit 0
        fi
        "$source/memento" grade "$submission" --tests "$source/\(testsName)" --format gradescope \\
            --timeout \(Int(timeout)) --memory-limit \(memoryLimit) -o "$results"
        status=$?
        if [ $status -ne 0 ]; then
          printf '{"score": 0, "output": "The autograder failed (exit status %s); please tell the course staff.", "tests": []}\\n' "$status" > "$results"
        fi
        exit 0

        """
    }
}
