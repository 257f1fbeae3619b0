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

// MARK: - Wrong scores

/// Corpus submissions graded against Corpus/lesson.mem, a tests file shaped like a lesson:
/// given helpers beside the exercises, a demo cell, random draws, partial credit in tenths, a
/// hidden test that reads the given code. Tests in order: square agrees (2), square of a fresh
/// draw (1), halve a number (1), tenths (1), hidden square (2).
let lessonExpectations: [(file: String, score: Double, statuses: [Set<S>])] = [
    // Given helpers come from the tests file: replacing them earns nothing.
    ("forge_given.mem", 2, [[.failed], [.failed], [.passed], [.passed], [.failed]]),
    // A test draws from its own stream: `seed(…)` in the submission cannot predict it.
    ("reseed_stream.mem", 6, [[.passed], [.failed], [.passed], [.passed], [.passed]]),
    // A tensor of several elements is neither true nor false.
    ("vector_answers.mem", 5, [[.passed], [.passed], [.error], [.failed], [.passed]]),
    // A demo cell that never ends, or allocates without end, costs only the tests that need it.
    ("looping_demo.mem", 5, [[.passed], [.passed], [.timeout], [.timeout], [.passed]]),
    ("allocating_demo.mem", 5, [[.passed], [.passed], [.timeout, .memory], [.timeout, .memory], [.passed]]),
    // Terminal escapes and a 3 MB error message: sanitised and capped.
    ("terminal_escapes.mem", 2, [[.error], [.error], [.passed], [.passed], [.error]]),
]

func gradeAgainstLesson(_ name: String, options: GradingOptions = fastOptions()) throws -> GradingReport {
    try Grader.grade(submissionPath: "Corpus/\(name)", submissionText: read(corpus.appendingPathComponent(name)),
                     tests: [(path: "Corpus/lesson.mem", text: read(corpus.appendingPathComponent("lesson.mem")))], options: options)
}

/// Runs the built tool; returns its exit status and standard output.
func runTool(_ args: [String], in directory: URL? = nil, environment: [String: String]? = nil) throws -> (status: Int32, output: String) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: mementoExecutable())
    p.arguments = args
    if let directory { p.currentDirectoryURL = directory }
    if let environment { p.environment = environment }
    let pipe = Pipe()
    p.standardOutput = pipe
    p.standardError = pipe
    try p.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return (p.terminationStatus, String(decoding: data, as: UTF8.self))
}

@Suite("Wrong scores")
struct WrongScoreTests {
    @Test("the lesson-shaped tests file gives its own solution full marks, tenths included")
    func instructor() throws {
        let source = read(corpus.appendingPathComponent("lesson.mem"))
        let full = try Grader.grade(submissionPath: "lesson.mem", submissionText: source, tests: [], options: fastOptions())
        #expect(full.score == 7 && full.maxScore == 7, "\(full.results.map { "\($0.test.name): \($0.status) \($0.output.prefix(300))" })")
        let tenths = try #require(full.results.first { $0.test.name.hasPrefix("tenths") })
        #expect(tenths.status == .passed && tenths.score == 1)
        let student = try StudentVersion.make(from: SourceFile(path: "lesson.mem", text: source)).text
        let graded = try Grader.grade(submissionPath: "student.mem", submissionText: student,
                                      tests: [(path: "lesson.mem", text: source)], options: fastOptions())
        #expect(graded.score == 0 && graded.maxScore == 7)
    }

    @Test("each wrong-score submission gets exactly its points", arguments: lessonExpectations.map(\.file))
    func scored(_ file: String) throws {
        let expected = lessonExpectations.first { $0.file == file }!
        let report = try gradeAgainstLesson(file)
        #expect(report.maxScore == 7)
        let statuses = report.results.map(\.status)
        #expect(statuses.count == expected.statuses.count)
        for (s, allowed) in zip(statuses, expected.statuses) {
            #expect(allowed.contains(s), "\(file): \(report.results.map { "\($0.test.name): \($0.status) \($0.output.prefix(300))" })")
        }
        #expect(report.score == expected.score, "\(file)")
    }

    @Test("a top-level statement that never ends is reported, and the definitions stand")
    func skippedStatement() throws {
        let report = try gradeAgainstLesson("looping_demo.mem")
        let load = try #require(report.load)
        #expect(load.loadError?.contains("looping_demo.mem:8:1") == true, "\(load.loadError ?? "")")
    }

    @Test("error messages are sanitised and capped in every format")
    func sanitisedAndCapped() throws {
        let report = try gradeAgainstLesson("terminal_escapes.mem")
        for format in ReportFormat.allCases {
            let text = Report.render(report, as: format)
            #expect(!text.contains("\u{1B}") && !text.contains("\r") && !text.contains("\u{7}"), "\(format)")
            #expect(!text.contains("\\u001b"), "\(format)")
            #expect(text.utf8.count < 40_000, "\(format): \(text.utf8.count) bytes")
        }
        #expect(report.results[0].output.contains("message truncated"))
    }

    @Test("a test name with a newline or escapes stays on its line in every format")
    func testNames() throws {
        let tests = "test \"a\\nScore: 10/10 \\u{1B}[2J\" { expect add(1, 1) == 3 }\n"
        let report = try Grader.grade(submissionPath: "s.mem", submissionText: "fn add(a, b) { return a + b }\n",
                                      tests: [(path: "t.mem", text: tests)], options: fastOptions())
        #expect(!report.results[0].test.name.contains("\n"))
        let text = Report.render(report, as: .text)
        #expect(!text.split(separator: "\n").contains { $0.hasPrefix("Score: 10/10") })
        for format in ReportFormat.allCases { #expect(!Report.render(report, as: format).contains("\u{1B}")) }
    }

    @Test("a one-line syntax error of megabytes gives a short report")
    func hugeSyntaxError() throws {
        let line = "let x = \"" + String(repeating: "a", count: 5_000_000) + "\n"
        var options = fastOptions()
        options.loadTimeout = 60
        options.memoryLimit = 1024 << 20
        let report = try Grader.grade(submissionPath: "s.mem", submissionText: line,
                                      tests: [(path: "Corpus/exercise.mem", text: read(corpus.appendingPathComponent("exercise.mem")))],
                                      options: options)
        #expect(report.results.allSatisfy { $0.status == .error }, "\(report.results.map { "\($0.status) \($0.output.prefix(200))" })")
        #expect(Report.render(report, as: .json).utf8.count < 20_000)
    }

    @Test("self-referential lists compare and a list nested 4 million deep is freed without a crash")
    func deepStructures() throws {
        var options = fastOptions()
        options.loadTimeout = 120
        options.memoryLimit = 2048 << 20
        let report = try gradeAgainstLesson("self_reference.mem", options: options)
        #expect(report.results.map(\.status) == [.passed, .passed, .passed, .passed, .passed],
                "\(report.results.map { "\($0.test.name): \($0.status) \($0.output.prefix(300))" }) \(report.load?.loadError ?? "")")
        #expect(report.load?.loadError == nil)
    }

    @Test("a hidden test names only the exercises a submission lacks")
    func hiddenNames() throws {
        let report = try Grader.grade(submissionPath: "s.mem", submissionText: "fn halve(v) { return v / 2 }\n",
                                      tests: [(path: "Corpus/lesson.mem", text: read(corpus.appendingPathComponent("lesson.mem")))],
                                      options: fastOptions())
        let hidden = try #require(report.results.last)
        #expect(hidden.output.contains("not defined: square"))
        // A hidden test reading a given value the submission removed does not name it.
        let tests = "let table = [1, 2]\nfn f(x) {\n# BEGIN SOLUTION\nreturn x\n# END SOLUTION\n}\ntest \"h\" (hidden: true) { expect f(table[0]) == 1 }\n"
        let other = try Grader.grade(submissionPath: "s.mem", submissionText: "fn f(x) { return x }\n",
                                     tests: [(path: "t.mem", text: tests)], options: fastOptions())
        #expect(other.results[0].status == .error)
        #expect(!other.results[0].output.contains("table"), "\(other.results[0].output)")
    }

    @Test("files that are not UTF-8 are refused with the place of the first bad byte; CR line ends are read")
    func encodings() throws {
        let tests = corpus.appendingPathComponent("lesson.mem").path
        let latin = try runTool(["grade", corpus.appendingPathComponent("latin1.mem").path, "--tests", tests, "--format", "json"])
        #expect(latin.status == 0)
        #expect(latin.output.contains("latin1.mem:1:15") && latin.output.contains("UTF-8"), "\(latin.output.prefix(500))")
        let run = try runTool(["run", corpus.appendingPathComponent("latin1.mem").path])
        #expect(run.status == 66 && run.output.contains("latin1.mem:1:15") && run.output.contains("must be UTF-8"))
        let cr = try runTool(["grade", corpus.appendingPathComponent("cr_only.mem").path, "--tests", tests])
        #expect(cr.status == 0 && cr.output.contains("Score: 7/7"), "\(cr.output)")
        // Well-formed text of 1 to 4 bytes per character decodes.
        let mixed = "a é € 𝄞 ΔQ\r\n"
        guard case .success(let text) = SourceDecoding.decode(Array(mixed.utf8), path: "ok.mem") else {
            Issue.record("valid UTF-8 refused")
            return
        }
        #expect(text == mixed)
        // Any bytes at all: a result, never a crash; what decodes is what Swift accepts.
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2000 {
            let bytes = (0..<Int.random(in: 0...12, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }
            if case .success = SourceDecoding.decode(bytes, path: "r.mem") {
                #expect(String(validating: bytes, as: UTF8.self) != nil, "\(bytes)")
            }
        }
        for (bytes, place) in [([0xFF, 0xFE, 0x66, 0x00] as [UInt8], "1:1"), ([0x61, 0x0A, 0x62, 0x80], "2:2"), ([0x61, 0x0D, 0xC3], "2:1")] {
            guard case .failure(let f) = SourceDecoding.decode(bytes, path: "x.mem") else {
                Issue.record("\(bytes) decoded")
                continue
            }
            #expect(f.description.hasPrefix("x.mem:\(place):"), "\(f)")
        }
    }

    @Test("many one-line tests: full marks, and reading them is not the submission's cost")
    func manyTests() throws {
        let count = 500
        let tests = (0..<count).map { "test \"t\($0)\" { expect add(\($0), 1) == \($0 + 1) }" }.joined(separator: "\n") + "\n"
        var options = fastOptions()
        options.loadTimeout = 1
        let report = try Grader.grade(submissionPath: "s.mem", submissionText: "fn add(a, b) { return a + b }\n",
                                      tests: [(path: "t.mem", text: tests)], options: options)
        #expect(report.results.count == count)
        #expect(report.score == Double(count), "\(report.results.first { $0.status != .passed }.map { "\($0.test.name): \($0.output)" } ?? "")")
    }

    @Test("partial credit in tenths adds up exactly")
    func exactSums() {
        #expect(0.7 + 0.2 + 0.1 != 1.0)
        #expect(Points.sum([0.7, 0.2, 0.1]) == 1.0)
        #expect(Points.sum(Array(repeating: 0.1, count: 10)) == 1.0)
        #expect(Points.reaches(0.9999999999999999, 1))
        #expect(!Points.reaches(0.99, 1))
    }
}

@Suite("A student's and an instructor's path")
struct PathTests {
    @Test("memento grade FOLDER grades each submission and writes a CSV gradebook")
    func gradeFolder() throws {
        let fm = FileManager.default
        let root = fm.temporaryDirectory.appendingPathComponent("memento-class-\(getpid())")
        defer { try? fm.removeItem(at: root) }
        let submissions = root.appendingPathComponent("submissions")
        try fm.createDirectory(at: submissions.appendingPathComponent("bob"), withIntermediateDirectories: true)
        try fm.copyItem(at: corpus.appendingPathComponent("forge_given.mem"), to: submissions.appendingPathComponent("alice.mem"))
        try fm.copyItem(at: corpus.appendingPathComponent("cr_only.mem"), to: submissions.appendingPathComponent("bob/work.mem"))
        try fm.copyItem(at: corpus.appendingPathComponent("latin1.mem"), to: submissions.appendingPathComponent("=carol.mem"))
        let grades = root.appendingPathComponent("grades")
        let run = try runTool(["grade", submissions.path, "--tests", corpus.appendingPathComponent("lesson.mem").path,
                               "-o", grades.path, "--format", "gradescope", "--jobs", "2"])
        #expect(run.status == 0, "\(run.output)")
        let csv = read(grades.appendingPathComponent("gradebook.csv")).components(separatedBy: "\r\n")
        #expect(csv[0].hasPrefix("student,file,score,max_score,square agrees with the reference,"))
        #expect(csv.contains { $0.hasPrefix("'=carol,") && $0.contains(",0,7,") })
        #expect(csv.contains { $0.hasPrefix("alice,") && $0.contains(",2,7,0,0,1,1,0") })
        #expect(csv.contains { $0.hasPrefix("bob,") && $0.contains(",7,7,2,1,1,1,2") })
        let alice = try #require(JSONSerialization.jsonObject(with: Data(contentsOf: grades.appendingPathComponent("alice.json"))) as? [String: Any])
        #expect(alice["score"] as? Double == 2)
    }

    @Test("memento autograder makes a zip whose run_autograder grades in Gradescope's layout")
    func autograder() throws {
        let fm = FileManager.default
        let root = fm.temporaryDirectory.appendingPathComponent("memento-gradescope-\(getpid())")
        defer { try? fm.removeItem(at: root) }
        try fm.createDirectory(at: root.appendingPathComponent("submission"), withIntermediateDirectories: true)
        let zip = root.appendingPathComponent("autograder.zip")
        let made = try runTool(["autograder", corpus.appendingPathComponent("lesson.mem").path, "-o", zip.path])
        #expect(made.status == 0 && made.output.contains("7 points"), "\(made.output)")
        let unzip = Process()
        unzip.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        unzip.arguments = ["unzip", "-q", zip.path, "-d", root.appendingPathComponent("source").path]
        try unzip.run()
        unzip.waitUntilExit()
        #expect(unzip.terminationStatus == 0)
        let script = root.appendingPathComponent("source/run_autograder")
        #expect(fm.isExecutableFile(atPath: script.path) && fm.fileExists(atPath: root.appendingPathComponent("source/setup.sh").path))
        func runAutograder() throws -> [String: Any] {
            let p = Process()
            p.executableURL = script
            var environment = ProcessInfo.processInfo.environment
            environment["MEMENTO_AUTOGRADER_ROOT"] = root.path
            p.environment = environment
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            try p.run()
            p.waitUntilExit()
            #expect(p.terminationStatus == 0)
            let data = try Data(contentsOf: root.appendingPathComponent("results/results.json"))
            return try #require(JSONSerialization.jsonObject(with: data) as? [String: Any])
        }
        // No submission: a score of 0 that says what to upload.
        let empty = try runAutograder()
        #expect(empty["score"] as? Double == 0 && (empty["output"] as? String)?.contains("No .mem file") == true)
        try fm.copyItem(at: corpus.appendingPathComponent("forge_given.mem"), to: root.appendingPathComponent("submission/mine.mem"))
        let graded = try runAutograder()
        #expect(graded["score"] as? Double == 2 && graded["max_score"] as? Double == 7)
        let tests = try #require(graded["tests"] as? [[String: Any]])
        #expect(tests.map { $0["status"] as? String } == ["failed", "failed", "passed", "passed", "failed"])
    }

    @Test("memento lessons --student writes student versions; memento check runs their tests")
    func studentWorkspace() throws {
        let fm = FileManager.default
        let root = fm.temporaryDirectory.appendingPathComponent("memento-student-\(getpid())")
        defer { try? fm.removeItem(at: root) }
        let lessons = root.appendingPathComponent("lessons")
        try fm.createDirectory(at: lessons, withIntermediateDirectories: true)
        try fm.copyItem(at: corpus.appendingPathComponent("lesson.mem"), to: lessons.appendingPathComponent("01-lesson.mem"))
        let workspace = root.appendingPathComponent("mine")
        let made = try runTool(["lessons", "--folder", lessons.path, "--student", workspace.path])
        #expect(made.status == 0, "\(made.output)")
        let student = read(workspace.appendingPathComponent("01-lesson.mem"))
        #expect(student.contains("not implemented: square") && !student.contains("hidden:"))
        // Running it again keeps the student's work.
        try "# my work\n".write(to: workspace.appendingPathComponent("01-lesson.mem"), atomically: true, encoding: .utf8)
        _ = try runTool(["lessons", "--folder", lessons.path, "--student", workspace.path])
        #expect(read(workspace.appendingPathComponent("01-lesson.mem")) == "# my work\n")
        // `check` grades the visible tests of the instructor version: all pass.
        let checked = try runTool(["check", lessons.appendingPathComponent("01-lesson.mem").path])
        #expect(checked.status == 0 && checked.output.contains("Score: 7/7"), "\(checked.output)")
        try student.write(to: workspace.appendingPathComponent("01-lesson.mem"), atomically: true, encoding: .utf8)
        let mine = try runTool(["check", workspace.appendingPathComponent("01-lesson.mem").path])
        #expect(mine.status == 0 && mine.output.contains("Score: 0/5"), "\(mine.output)")
    }
}
