import Display
import Foundation

/// The report formats of `memento grade`.
public enum ReportFormat: String, CaseIterable, Sendable {
    /// A readable report, coloured on a terminal.
    case text
    /// Memento's own JSON: every field of the run.
    case json
    /// Gradescope's `results.json` (the autograder specification).
    case gradescope
    /// JUnit XML for CI systems.
    case junit
}

public enum Report {
    /// Renders a report.
    public static func render(_ report: GradingReport, as format: ReportFormat, color: Bool = false) -> String {
        switch format {
        case .text: return text(report, color: color)
        case .json: return json(report)
        case .gradescope: return gradescope(report)
        case .junit: return junit(report)
        }
    }

    /// Makes printed text safe to show: control characters other than newline and tab
    /// (escape sequences that could recolour a terminal, move the cursor or fake a result
    /// line, NUL bytes that break XML) become visible symbols (U+2400…).
    public static func sanitize(_ s: String) -> String {
        var out = String.UnicodeScalarView()
        for u in s.unicodeScalars {
            switch u.value {
            case 0x0A, 0x09: out.append(u)
            case 0..<0x20: out.append(Unicode.Scalar(0x2400 + u.value)!)
            case 0x7F: out.append(Unicode.Scalar(0x2421)!)
            case 0x80..<0xA0, 0xFFFE, 0xFFFF: out.append(Unicode.Scalar(0xFFFD)!)
            default: out.append(u)
            }
        }
        return String(out)
    }

    /// A name for one line of a report: sanitised, and newlines and tabs shown as symbols too,
    /// so a test named "a\nScore: 10/10" cannot add a line.
    public static func oneLine(_ s: String) -> String {
        String(String.UnicodeScalarView(sanitize(s).unicodeScalars.map {
            $0 == "\n" ? Unicode.Scalar(0x2424)! : $0 == "\t" ? " " : $0
        }))
    }

    /// Text cut to at most `limit` bytes (at a character boundary), saying how much was left out.
    public static func clip(_ s: String, _ limit: Int) -> String {
        let n = s.utf8.count
        guard n > limit else { return s }
        var kept = String(decoding: Array(s.utf8.prefix(limit)), as: UTF8.self)
        while kept.utf8.count > limit || kept.hasSuffix("\u{FFFD}") { kept.removeLast() }
        return kept + "\n… message truncated at \(bytes(UInt64(limit))) (\(bytes(UInt64(n - kept.utf8.count))) more not shown)"
    }

    // MARK: - Text

    static func text(_ r: GradingReport, color: Bool) -> String {
        func paint(_ s: String, _ code: String) -> String { color ? "\u{1B}[\(code)m\(s)\u{1B}[0m" : s }
        var lines: [String] = []
        lines.append(paint("Grading \(oneLine(r.submissionPath))", "1") + (r.testsPaths == [r.submissionPath] ? " (its own tests)" : " with tests from \(oneLine(r.testsPaths.joined(separator: ", ")))"))
        for w in r.warnings { lines.append(paint("warning: ", "33") + oneLine(w)) }
        if let load = r.load {
            if let e = load.compileError {
                lines.append(paint("The submission does not compile:", "31"))
                lines += e.split(separator: "\n", omittingEmptySubsequences: false).map { "  │ " + $0 }
            }
            if let e = load.loadError {
                lines.append(paint("Top-level statements of the submission failed while loading and were skipped (its definitions still count):", "33"))
                lines += e.split(separator: "\n", omittingEmptySubsequences: false).map { "  │ " + $0 }
            }
            if !load.redefined.isEmpty {
                lines.append(paint("note: ", "33") + "the submission redefines built-in \(load.redefined.joined(separator: ", ")); the tests use the originals")
            }
        }
        let width = min(max(r.results.map { $0.test.name.count }.max() ?? 10, 10), 60)
        for t in r.results {
            let (mark, code): (String, String)
            switch t.status {
            case .passed: (mark, code) = ("✓", "32")
            case .failed: (mark, code) = (t.score > 0 ? "◐" : "✗", "31")
            case .error: (mark, code) = ("✗", "31")
            case .timeout: (mark, code) = ("⏱", "33")
            case .memory, .crashed: (mark, code) = ("!", "33")
            case .notRun: (mark, code) = ("-", "2")
            }
            let name = t.test.name.count > width ? String(t.test.name.prefix(width - 1)) + "…" : t.test.name.padding(toLength: width, withPad: " ", startingAt: 0)
            var line = "  \(paint(mark, code)) \(sanitize(name))  \(format(t.score))/\(format(t.test.points))"
            if t.status != .passed { line += "  " + paint(t.status.rawValue.replacingOccurrences(of: "_", with: " "), code) }
            if t.test.hidden { line += paint("  (hidden)", "2") }
            lines.append(line)
            if t.status != .passed, !t.output.isEmpty {
                lines += t.output.split(separator: "\n", omittingEmptySubsequences: false).map { "      │ " + $0 }
            }
        }
        let percent = r.maxScore > 0 ? " (\(Int((100 * r.score / r.maxScore).rounded()))%)" : ""
        lines.append(paint("Score: \(format(r.score))/\(format(r.maxScore))\(percent)", "1") + String(format: " in %.1f s", r.seconds))
        return lines.joined(separator: "\n") + "\n"
    }

    // MARK: - JSON

    static func json(_ r: GradingReport) -> String {
        var tests: [[String: Any]] = []
        for t in r.results {
            tests.append(["name": t.test.name, "status": t.status.rawValue, "score": t.score, "max_score": t.test.points,
                          "hidden": t.test.hidden, "seconds": rounded(t.seconds), "file": t.test.path, "line": t.test.line,
                          "output": t.output])
        }
        var object: [String: Any] = ["submission": r.submissionPath, "tests_files": r.testsPaths, "score": r.score,
                                     "max_score": r.maxScore, "seconds": rounded(r.seconds), "warnings": r.warnings, "tests": tests]
        if let load = r.load {
            var l: [String: Any] = ["redefined_builtins": load.redefined, "output": load.output, "seconds": rounded(load.seconds)]
            if let e = load.compileError { l["compile_error"] = e }
            if let e = load.loadError { l["load_error"] = e }
            object["load"] = l
        }
        return encode(object)
    }

    // MARK: - Gradescope

    /// Gradescope's results.json: `score`, `max_score`, `execution_time`, `output`, and per
    /// test `name`, `number`, `score`, `max_score`, `status` ("passed"/"failed"), `output`,
    /// `visibility` ("visible", or "after_published" for hidden tests).
    static func gradescope(_ r: GradingReport) -> String {
        var tests: [[String: Any]] = []
        for (i, t) in r.results.enumerated() {
            var output = t.output
            if t.status != .passed && t.status != .failed { output = "[\(t.status.rawValue)] " + output }
            tests.append(["name": t.test.name, "number": String(i + 1), "score": t.score, "max_score": t.test.points,
                          "status": t.status == .passed ? "passed" : "failed", "output": output,
                          "visibility": t.test.hidden ? "after_published" : "visible"])
        }
        var summary: [String] = []
        if let load = r.load {
            if let e = load.compileError { summary.append("The submission does not compile:\n\(e)") }
            if let e = load.loadError { summary.append("Top-level statements of the submission failed while loading and were skipped:\n\(e)") }
            if !load.redefined.isEmpty { summary.append("The submission redefines built-in \(load.redefined.joined(separator: ", ")); the tests use the originals.") }
        }
        summary += r.warnings
        let object: [String: Any] = ["score": r.score, "max_score": r.maxScore, "execution_time": rounded(r.seconds),
                                     "output": summary.joined(separator: "\n\n"), "visibility": "visible",
                                     "stdout_visibility": "hidden", "tests": tests]
        return encode(object)
    }

    // MARK: - JUnit

    static func junit(_ r: GradingReport) -> String {
        let failures = r.results.filter { $0.status == .failed }.count
        let errors = r.results.filter { [.error, .timeout, .memory, .crashed].contains($0.status) }.count
        let skipped = r.results.filter { $0.status == .notRun }.count
        let time = String(format: "%.3f", r.seconds)
        var x = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        x += "<testsuites name=\"memento grade\" tests=\"\(r.results.count)\" failures=\"\(failures)\" errors=\"\(errors)\" skipped=\"\(skipped)\" time=\"\(time)\">\n"
        x += "  <testsuite name=\"\(xml(r.submissionPath))\" tests=\"\(r.results.count)\" failures=\"\(failures)\" errors=\"\(errors)\" skipped=\"\(skipped)\" time=\"\(time)\">\n"
        x += "    <properties>\n"
        x += "      <property name=\"score\" value=\"\(format(r.score))\"/>\n"
        x += "      <property name=\"max_score\" value=\"\(format(r.maxScore))\"/>\n"
        x += "    </properties>\n"
        for t in r.results {
            let classname = URL(fileURLWithPath: t.test.path).deletingPathExtension().lastPathComponent
            x += "    <testcase name=\"\(xml(t.test.name))\" classname=\"\(xml(classname))\" file=\"\(xml(t.test.path))\" line=\"\(t.test.line)\" time=\"\(String(format: "%.3f", t.seconds))\">\n"
            let first = xml(String(t.output.split(separator: "\n").first ?? ""))
            let points = "score \(format(t.score))/\(format(t.test.points))"
            switch t.status {
            case .passed: break
            case .failed:
                x += "      <failure message=\"\(first)\" type=\"failed\">\(xml(points + "\n" + t.output))</failure>\n"
            case .error, .timeout, .memory, .crashed:
                x += "      <error message=\"\(first)\" type=\"\(t.status.rawValue)\">\(xml(points + "\n" + t.output))</error>\n"
            case .notRun:
                x += "      <skipped message=\"\(first)\"/>\n"
            }
            x += "    </testcase>\n"
        }
        x += "  </testsuite>\n</testsuites>\n"
        return x
    }

    /// Escapes text for XML (Display's escaping, shared with the SVG plots): characters
    /// XML 1.0 cannot hold become spaces.
    static func xml(_ s: String) -> String { xmlEscaped(s) }

    private static func rounded(_ x: Double) -> Double { (x * 1000).rounded() / 1000 }

    private static func encode(_ object: [String: Any]) -> String {
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys]),
              let s = String(data: data, encoding: .utf8) else { return "{}" }
        return s + "\n"
    }
}
