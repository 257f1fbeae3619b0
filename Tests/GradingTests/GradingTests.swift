import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Grading
import Language
import Testing

// The grader is tested end to end: every corpus submission (Corpus/*.mem) is graded by the
// built `memento` executable's worker against Corpus/exercise.mem, and its score and the
// status of every test are checked. Each test of each submission runs in its own process,
// so one hostile submission cannot change another test's score.

let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Corpus")
let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().resolvingSymlinksInPath()
    .deletingLastPathComponent().deletingLastPathComponent()

/// The `memento` executable built beside this test bundle (swift build builds both).
func mementoExecutable() -> String {
    // tools/test builds a release tool and names it (swift test alone does not link it).
    if let bin = ProcessInfo.processInfo.environment["MEMENTO_BIN"], FileManager.default.isExecutableFile(atPath: bin) { return bin }
    let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    var dir = URL(fileURLWithPath: exe).deletingLastPathComponent()
    for _ in 0..<4 {
        let candidate = dir.appendingPathComponent("memento").path
        if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        dir = dir.deletingLastPathComponent()
    }
    return "memento"
}

func read(_ url: URL) -> String { (try? String(contentsOf: url, encoding: .utf8)) ?? "" }

func fastOptions() -> GradingOptions {
    var o = GradingOptions(workerExecutable: mementoExecutable())
    o.testTimeout = 1
    o.loadTimeout = 2
    o.memoryLimit = 256 << 20
    o.maxOutputBytes = 4096
    return o
}

func gradeCorpus(_ name: String, options: GradingOptions = fastOptions()) throws -> GradingReport {
    let tests = corpus.appendingPathComponent("exercise.mem")
    return try Grader.grade(submissionPath: "Corpus/\(name)", submissionText: read(corpus.appendingPathComponent(name)),
                            tests: [(path: "Corpus/exercise.mem", text: read(tests))], options: options)
}

typealias S = TestResult.Status

/// Each hostile or broken submission with its expected score (of 10) and the status of each
/// test in order: add (2), mean (2), scale a tensor (1), partial credit (3), hidden add (2).
let expectations: [(file: String, score: Double, statuses: [S])] = [
    ("infinite_loop.mem", 3, [.timeout, .passed, .passed, .timeout, .timeout]),
    ("infinite_recursion.mem", 4, [.error, .passed, .passed, .failed, .error]),
    ("allocation_bomb.mem", 3, [.memory, .passed, .passed, .memory, .memory]),
    ("tensor_bomb.mem", 5, [.passed, .memory, .passed, .memory, .passed]),
    ("huge_string.mem", 3, [.memory, .passed, .passed, .memory, .memory]),
    ("output_flood.mem", 10, [.passed, .passed, .passed, .passed, .passed]),
    ("fake_results.mem", 4, [.failed, .passed, .passed, .failed, .failed]),
    ("syntax_error.mem", 0, [.error, .error, .error, .error, .error]),
    ("load_runtime_error.mem", 10, [.passed, .passed, .passed, .passed, .passed]),
    ("read_tests_import.mem", 0, [.error, .error, .error, .error, .error]),
    ("read_file_load.mem", 7, [.passed, .error, .passed, .failed, .passed]),
    ("write_files.mem", 6, [.passed, .error, .error, .failed, .passed]),
    ("redefine_builtins.mem", 7, [.passed, .failed, .passed, .failed, .passed]),
    ("swallow_interrupt.mem", 3, [.timeout, .passed, .passed, .timeout, .timeout]),
    ("nan_results.mem", 6, [.passed, .error, .failed, .failed, .passed]),
    ("inf_results.mem", 3, [.failed, .passed, .failed, .failed, .failed]),
    ("name_collision.mem", 10, [.passed, .passed, .passed, .passed, .passed]),
    ("defines_nothing.mem", 0, [.error, .error, .error, .error, .error]),
    ("partly_right.mem", 9, [.passed, .passed, .passed, .failed, .passed]),
    ("slow_load.mem", 4, [.passed, .error, .error, .error, .passed]),
    ("control_characters.mem", 4, [.failed, .passed, .passed, .failed, .failed]),
    ("deep_nesting.mem", 0, [.error, .error, .error, .error, .error]),
    ("wrong_types.mem", 0, [.failed, .error, .failed, .failed, .failed]),
    ("spawn_process.mem", 0, [.error, .error, .error, .error, .error]),
    ("read_environment.mem", 0, [.error, .error, .error, .error, .error]),
]

@Suite("Adversarial corpus")
struct CorpusTests {
    @Test("the corpus has at least 20 hostile submissions")
    func size() {
        #expect(expectations.count >= 20)
    }

    @Test("each submission is contained and scored correctly", arguments: expectations.map(\.file))
    func contained(_ file: String) throws {
        let expected = expectations.first { $0.file == file }!
        let report = try gradeCorpus(file)
        #expect(report.maxScore == 10)
        #expect(report.results.map(\.status) == expected.statuses, "\(file): \(report.results.map { "\($0.test.name): \($0.status) \($0.output.prefix(300))" })")
        #expect(report.score == expected.score, "\(file)")
        // A non-passing test always says why.
        for r in report.results where r.status != .passed {
            #expect(!r.output.isEmpty, "\(file): \(r.test.name) has no reason")
        }
    }

    @Test("the instructor version scores full marks, the student version 0")
    func instructorAndStudent() throws {
        let source = read(corpus.appendingPathComponent("exercise.mem"))
        let full = try Grader.grade(submissionPath: "exercise.mem", submissionText: source, tests: [], options: fastOptions())
        #expect(full.score == 10 && full.maxScore == 10)
        let student = try StudentVersion.make(from: SourceFile(path: "exercise.mem", text: source)).text
        let graded = try Grader.grade(submissionPath: "student.mem", submissionText: student,
                                      tests: [(path: "exercise.mem", text: source)], options: fastOptions())
        #expect(graded.score == 0 && graded.maxScore == 10)
        #expect(graded.results.allSatisfy { $0.status == .error || $0.status == .failed })
        #expect(graded.results.allSatisfy { $0.output.contains("not implemented: ") })
        // The student version's own (visible) tests run without crashing too.
        let own = try Grader.grade(submissionPath: "student.mem", submissionText: student, tests: [], options: fastOptions())
        #expect(own.maxScore == 8 && own.score == 0)
    }

    @Test("a missing function fails only the tests that call it, with 'not defined: NAME'")
    func notDefined() throws {
        let submission = "fn add(a, b) { return a + b }\nfn scale(t, k) { return t * k }\n"
        let report = try Grader.grade(submissionPath: "s.mem", submissionText: submission,
                                      tests: [(path: "exercise.mem", text: read(corpus.appendingPathComponent("exercise.mem")))],
                                      options: fastOptions())
        #expect(report.results.map(\.status) == [.passed, .error, .passed, .error, .passed])
        #expect(report.results[1].output.contains("not defined: mean"))
        #expect(report.score == 5)
    }

    @Test("hidden tests' source never reaches the report")
    func hiddenRedacted() throws {
        let report = try gradeCorpus("fake_results.mem")
        let hidden = try #require(report.results.last)
        #expect(hidden.test.hidden && hidden.status == .failed)
        #expect(hidden.output.contains("a hidden check failed"))
        #expect(!hidden.output.contains("add(100, 23)"))
        #expect(!hidden.output.contains("123"))
        for format in ReportFormat.allCases {
            #expect(!Report.render(report, as: format).contains("add(100, 23)"))
        }
    }

    @Test("output is capped and control characters are neutralised")
    func output() throws {
        let flood = try gradeCorpus("output_flood.mem")
        let long = try #require(flood.results.first)
        #expect(long.output.utf8.count < 8000)
        #expect(long.output.contains("output truncated"))
        let control = try gradeCorpus("control_characters.mem")
        for format in ReportFormat.allCases {
            let text = Report.render(control, as: format)
            #expect(!text.contains("\u{1B}[2J"))
            #expect(!text.contains("\u{0}"))
        }
    }

    @Test("each test gets its own seed, the same on every run")
    func seeds() throws {
        let tests = """
        test "a" { print(randint(0, 1000000)) }
        test "b" { print(randint(0, 1000000)) }
        """
        let submission = "seed(5)\nlet drawn_at_load = randint(0, 1000000)\n"
        let one = try Grader.grade(submissionPath: "s.mem", submissionText: submission, tests: [(path: "t.mem", text: tests)], options: fastOptions())
        #expect(one.results.map(\.status) == [.passed, .passed])
        #expect(Grader.testSeed(0, "a") != Grader.testSeed(0, "b"))
        #expect(Grader.testSeed(0, "a") != Grader.testSeed(1, "a"))
        // Printed output is shown only for failures; compare through a failing variant.
        let failing = tests.replacingOccurrences(of: ") }", with: "); expect false }")
        let three = try Grader.grade(submissionPath: "s.mem", submissionText: submission, tests: [(path: "t.mem", text: failing)], options: fastOptions())
        let four = try Grader.grade(submissionPath: "s.mem", submissionText: submission, tests: [(path: "t.mem", text: failing)], options: fastOptions())
        #expect(three.results.map(\.output) == four.results.map(\.output))
        #expect(three.results[0].output != three.results[1].output)
    }

    @Test("the whole-run time limit stops grading, and the rest are not run")
    func totalTimeout() throws {
        var options = fastOptions()
        options.totalTimeout = 0.5
        options.testTimeout = 30
        let report = try gradeCorpus("infinite_loop.mem", options: options)
        #expect(report.results.count == 5)
        #expect(report.results.contains { $0.status == .notRun })
        #expect(report.score <= 3)
    }
}

@Suite("Student version")
struct StudentVersionTests {
    @Test("solution regions become stubs, hidden tests go, the rest is byte-for-byte the same")
    func stubs() throws {
        let source = read(corpus.appendingPathComponent("exercise.mem"))
        let (student, summary) = try StudentVersion.make(from: SourceFile(path: "exercise.mem", text: source))
        #expect(summary.solutionRegions == 3 && summary.hiddenTests == 1 && summary.tests == 5)
        #expect(student.contains("    # YOUR CODE HERE\n    error(\"not implemented: add\")\n}"))
        #expect(student.contains("error(\"not implemented: mean\")"))
        #expect(!student.contains("BEGIN SOLUTION") && !student.contains("return a + b"))
        #expect(!student.contains("hidden add"))
        // Rebuild the source from the student version's kept parts: they are identical.
        let keptPrefix = source.components(separatedBy: "fn add(a, b) {\n")[0]
        #expect(student.hasPrefix(keptPrefix + "fn add(a, b) {\n"))
        let visibleTests = source[source.range(of: "test \"add\"")!.lowerBound..<source.range(of: "test \"hidden add\"")!.lowerBound]
        #expect(student.contains(visibleTests))
    }

    @Test("unbalanced or nested markers are refused", arguments: [
        "# BEGIN SOLUTION\nlet x = 1\n",
        "let x = 1\n# END SOLUTION\n",
        "# BEGIN SOLUTION\n# BEGIN SOLUTION\n# END SOLUTION\n# END SOLUTION\n",
    ])
    func unbalanced(_ text: String) {
        #expect(throws: StudentVersion.Failure.self) {
            try StudentVersion.make(from: SourceFile(path: "bad.mem", text: text))
        }
    }

    @Test("a top-level region names its line")
    func topLevel() throws {
        let text = "let a = 1\n# BEGIN SOLUTION\nlet alpha = 0.5\n# END SOLUTION\nprint(a)\n"
        let student = try StudentVersion.make(from: SourceFile(path: "x.mem", text: text)).text
        #expect(student == "let a = 1\n# YOUR CODE HERE\nerror(\"not implemented: line 2\")\nprint(a)\n")
    }
}

@Suite("Tests files and reports")
struct ReportTests {
    @Test("test options and partial-credit points are read from the file")
    func discovery() throws {
        let text = """
        test "a" (points: 2, hidden: true, timeout: 3) { expect true }
        test "b" { expect 1 == 1, points: 0.5
            expect 2 == 2, points: 1.5 }
        test "a" { }
        """
        let found = try TestDiscovery.tests(in: SourceFile(path: "t.mem", text: text))
        #expect(found.map(\.points) == [2, 2, 1])
        #expect(found[0].hidden && found[0].timeout == 3 && !found[1].hidden)
        #expect(found[1].weighted)
        let (unique, warnings) = TestDiscovery.uniqueNames(found)
        #expect(unique.map(\.name) == ["a", "b", "a (2)"])
        #expect(warnings.count == 1)
    }

    @Test("a tests file that does not parse, or with computed options, is refused", arguments: [
        "test \"a\" { expect 1 == }\n",
        "let p = 2\ntest \"a\" (points: p) { }\n",
        "fn f() { test \"inner\" { } }\n",
        "test \"a\" (pionts: 2) { }\n",
    ])
    func badTestsFile(_ text: String) {
        #expect(throws: TestsFileError.self) {
            try Grader.grade(submissionPath: "s.mem", submissionText: "", tests: [(path: "t.mem", text: text)], options: fastOptions())
        }
    }

    @Test("Gradescope, JSON and JUnit reports are well-formed")
    func formats() throws {
        let report = try gradeCorpus("fake_results.mem")
        let gs = try #require(JSONSerialization.jsonObject(with: Data(Report.render(report, as: .gradescope).utf8)) as? [String: Any])
        #expect(gs["score"] as? Double == 4)
        #expect(gs["max_score"] as? Double == 10)
        #expect(gs["execution_time"] != nil)
        let tests = try #require(gs["tests"] as? [[String: Any]])
        #expect(tests.count == 5)
        #expect(tests.map { $0["status"] as? String } == ["failed", "passed", "passed", "failed", "failed"])
        #expect(tests.last?["visibility"] as? String == "after_published")
        #expect(tests.first?["visibility"] as? String == "visible")
        #expect(tests.allSatisfy { $0["name"] is String && $0["score"] is Double && $0["max_score"] is Double && $0["output"] is String })
        let json = try #require(JSONSerialization.jsonObject(with: Data(Report.render(report, as: .json).utf8)) as? [String: Any])
        #expect(json["score"] as? Double == 4)
        let xml = Report.render(report, as: .junit)
        let parser = XMLParser(data: Data(xml.utf8))
        #expect(parser.parse(), "\(xml)")
        #expect(xml.contains("<testsuites") && xml.contains("<testsuite ") && xml.contains("<testcase name=\"add\"") && xml.contains("<failure"))
        let text = Report.render(report, as: .text)
        #expect(text.contains("Score: 4/10"))
        // The submission's fake result lines appear only inside the indented output.
        for line in text.split(separator: "\n") where line.contains("Score: 10/10") { #expect(line.hasPrefix("      │")) }
    }

    @Test("the command line: exit 0 whatever the score, 64 for an unknown format")
    func commandLine() throws {
        func run(_ args: [String]) throws -> Int32 {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: mementoExecutable())
            p.arguments = args
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            try p.run()
            p.waitUntilExit()
            return p.terminationStatus
        }
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("memento-grading-\(getpid()).json")
        defer { try? FileManager.default.removeItem(at: out) }
        let sub = corpus.appendingPathComponent("infinite_recursion.mem").path, tests = corpus.appendingPathComponent("exercise.mem").path
        #expect(try run(["grade", sub, "--tests", tests, "--format", "gradescope", "-o", out.path]) == 0)
        let gs = try #require(JSONSerialization.jsonObject(with: Data(contentsOf: out)) as? [String: Any])
        #expect(gs["score"] as? Double == 4)
        #expect(try run(["grade", sub, "--tests", tests, "--format", "pdf"]) == 64)
        let unbalanced = FileManager.default.temporaryDirectory.appendingPathComponent("memento-unbalanced-\(getpid()).mem")
        try "# BEGIN SOLUTION\nlet x = 1\n".write(to: unbalanced, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: unbalanced) }
        #expect(try run(["assign", unbalanced.path, "-o", "-"]) == 65)
    }
}

@Suite("Lessons")
struct LessonGradingTests {
    static let lessonsDirectory = repository.appendingPathComponent("lessons")

    /// Lessons that contain tests.
    static var lessons: [String] {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: lessonsDirectory.path)) ?? []
        return files.filter { $0.hasSuffix(".mem") }.sorted().filter { read(lessonsDirectory.appendingPathComponent($0)).contains("test \"") }
    }

    /// Lessons to grade in full. Lessons train agents when they load, which takes minutes in
    /// a debug build: with the release tool that tools/test builds (MEMENTO_BIN) every lesson
    /// is graded, otherwise only the tour; MEMENTO_GRADE_LESSONS=all (or a comma-separated
    /// list of file names) chooses.
    static var graded: [String] {
        let environment = ProcessInfo.processInfo.environment
        let setting = environment["MEMENTO_GRADE_LESSONS"] ?? (environment["MEMENTO_BIN"] != nil ? "all" : "00-tour.mem")
        if setting == "all" { return lessons }
        let wanted = setting.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        return lessons.filter { wanted.contains($0) }
    }

    @Test("every lesson's student version: stubs in place, hidden tests gone, the rest unchanged", arguments: lessons)
    func studentVersion(_ name: String) throws {
        let text = read(LessonGradingTests.lessonsDirectory.appendingPathComponent(name))
        let file = SourceFile(path: name, text: text)
        let (student, summary) = try StudentVersion.make(from: file)
        let tests = try TestDiscovery.tests(in: file)
        #expect(summary.tests == tests.count)
        let markers = student.split(separator: "\n").filter {
            let t = $0.trimmingCharacters(in: .whitespaces)
            return t == "# BEGIN SOLUTION" || t == "# END SOLUTION"
        }
        #expect(markers.isEmpty)
        #expect(student.components(separatedBy: "error(\"not implemented: ").count - 1 == summary.solutionRegions)
        for t in tests { #expect(student.contains("test \"\(t.declaredName)\"") != t.hidden) }
        // The student version parses and keeps the visible tests.
        let kept = try TestDiscovery.tests(in: SourceFile(path: "student-" + name, text: student))
        #expect(kept.map(\.name) == tests.filter { !$0.hidden }.map(\.name))
        // Lines outside solution regions and hidden tests are kept in order.
        let studentLines = Set(student.split(separator: "\n", omittingEmptySubsequences: false))
        for line in text.split(separator: "\n") where line.hasPrefix("# %%") {
            #expect(studentLines.contains(line))
        }
    }

    @Test("assign then grade: full marks for the instructor, 0 for the student version, no crash", arguments: graded)
    func lesson(_ name: String) throws {
        let text = read(LessonGradingTests.lessonsDirectory.appendingPathComponent(name))
        var options = GradingOptions(workerExecutable: mementoExecutable())
        options.loadTimeout = 1200
        options.testTimeout = 600
        let instructor = try Grader.grade(submissionPath: "lessons/\(name)", submissionText: text, tests: [], options: options)
        #expect(instructor.maxScore > 0)
        #expect(instructor.score == instructor.maxScore, "\(instructor.results.map { "\($0.test.name): \($0.status) \($0.output.prefix(400))" })")
        let (student, summary) = try StudentVersion.make(from: SourceFile(path: name, text: text))
        if summary.solutionRegions == 0 && summary.hiddenTests == 0 {
            #expect(student == text)  // nothing to strip: byte-for-byte the same, same grade
            return
        }
        let graded = try Grader.grade(submissionPath: "student/\(name)", submissionText: student,
                                      tests: [(path: "lessons/\(name)", text: text)], options: options)
        #expect(graded.maxScore == instructor.maxScore)
        // Lessons grade only their exercises (their measured claims are plain expects that
        // stop the lesson when they fail), so the stubs score nothing.
        if summary.solutionRegions > 0 {
            #expect(graded.score == 0, "\(graded.results.map { "\($0.test.name): \($0.status) \($0.score)" })")
        }
        #expect(graded.results.allSatisfy { [.passed, .failed, .error].contains($0.status) },
                "\(graded.results.map { "\($0.test.name): \($0.status) \($0.output.prefix(300))" })")
    }
}
