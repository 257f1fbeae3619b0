import ArgumentParser
import Foundation
import Grading
import Language

/// `memento grade FOLDER --tests FILE…`: a whole class. Each submission (a `.mem` file in the
/// folder, or the first `.mem` file of each sub-folder, named after the folder) is graded as
/// `memento grade` grades one, several at once; each student's report goes to the output
/// folder, and `gradebook.csv` holds one row per student with the score of every test.
extension Grade {
    /// One student's submission.
    struct Submission {
        var student: String
        var path: String
    }

    static func submissions(in folder: URL) -> [Submission] {
        let fm = FileManager.default
        let names = ((try? fm.contentsOfDirectory(atPath: folder.path)) ?? []).sorted()
        var out: [Submission] = []
        for name in names where !name.hasPrefix(".") {
            let url = folder.appendingPathComponent(name)
            var isDirectory: ObjCBool = false
            guard fm.fileExists(atPath: url.path, isDirectory: &isDirectory) else { continue }
            if isDirectory.boolValue {
                let inner = ((try? fm.contentsOfDirectory(atPath: url.path)) ?? []).filter { $0.hasSuffix(".mem") }.sorted()
                if let first = inner.first { out.append(Submission(student: name, path: url.appendingPathComponent(first).path)) }
            } else if name.hasSuffix(".mem") {
                out.append(Submission(student: String(name.dropLast(4)), path: url.path))
            }
        }
        return out
    }

    func gradeClass(folder: String) throws {
        guard !tests.isEmpty else {
            throw ValidationError("grading a folder needs the tests: memento grade FOLDER --tests LESSON.mem")
        }
        let testFiles = tests.map { (path: $0, text: readScript($0)) }
        // Refuse a broken tests file once, before grading anyone.
        do {
            for f in testFiles { _ = try TestDiscovery.tests(in: SourceFile(path: f.path, text: f.text)) }
        } catch let e as TestsFileError {
            for d in e.diagnostics { FileHandle.standardError.write(Data((d.render(color: useColor()) + "\n").utf8)) }
            FileHandle.standardError.write(Data("error: the tests cannot be used, so nothing was graded\n".utf8))
            throw ExitCode(65)
        }
        let students = Grade.submissions(in: URL(fileURLWithPath: folder))
        guard !students.isEmpty else {
            FileHandle.standardError.write(Data("error: no submissions (.mem files, or folders holding one) in \(folder)\n".utf8))
            throw ExitCode(66)
        }
        let outputFolder = URL(fileURLWithPath: output ?? "grades")
        do {
            try FileManager.default.createDirectory(at: outputFolder, withIntermediateDirectories: true)
        } catch {
            FileHandle.standardError.write(Data("error: cannot create \(outputFolder.path): \((error as NSError).localizedDescription)\n".utf8))
            throw ExitCode(73)
        }
        let options = gradingOptions()
        let start = Date()
        let reports = Reports(count: students.count)
        let next = Counter()
        // Each grading run is one supervising thread and one worker process at a time.
        let threads = max(1, min(jobs, students.count))
        DispatchQueue.concurrentPerform(iterations: threads) { _ in
            while let i = next.take(below: students.count) {
                let s = students[i]
                let report: GradingReport?
                switch readSourceQuietly(s.path) {
                case .success(let text):
                    report = try? Grader.grade(submissionPath: s.path, submissionText: text, tests: testFiles, options: options)
                case .failure(let reason):
                    report = try? Grader.refuse(submissionPath: s.path, reason: "the submission cannot be read: \(reason)", tests: testFiles)
                }
                reports.set(i, report)
                if let report {
                    FileHandle.standardError.write(Data("\(s.student): \(formatPoints(report.score))/\(formatPoints(report.maxScore))\n".utf8))
                }
            }
        }
        let all = reports.all
        let ext = format == .junit ? "xml" : format == .text ? "txt" : "json"
        for (s, report) in zip(students, all) {
            guard let report else { continue }
            let url = outputFolder.appendingPathComponent("\(s.student).\(ext)")
            try? Data(Report.render(report, as: format).utf8).write(to: url, options: .atomic)
        }
        let csv = Grade.gradebook(students: students, reports: all)
        let csvURL = outputFolder.appendingPathComponent("gradebook.csv")
        do {
            try Data(csv.utf8).write(to: csvURL, options: .atomic)
        } catch {
            FileHandle.standardError.write(Data("error: cannot write \(csvURL.path): \((error as NSError).localizedDescription)\n".utf8))
            throw ExitCode(73)
        }
        print("Graded \(students.count) submission\(students.count == 1 ? "" : "s") in \(String(format: "%.1f", Date().timeIntervalSince(start))) s "
              + "(\(threads) at a time): reports and gradebook.csv in \(outputFolder.path)")
    }

    /// One row per student: the student, the file, the total, the maximum, then each test's
    /// score (columns named after the tests, in the tests files' order).
    static func gradebook(students: [Submission], reports: [GradingReport?]) -> String {
        let names = reports.compactMap { $0 }.first?.results.map(\.test.name) ?? []
        var rows = [(["student", "file", "score", "max_score"] + names).map(csvField).joined(separator: ",")]
        for (s, report) in zip(students, reports) {
            var fields = [s.student, s.path]
            if let report {
                fields += [formatPoints(report.score), formatPoints(report.maxScore)] + report.results.map { formatPoints($0.score) }
            } else {
                fields += ["", ""] + names.map { _ in "" }
            }
            rows.append(fields.map(csvField).joined(separator: ","))
        }
        return rows.joined(separator: "\r\n") + "\r\n"
    }

    /// RFC 4180: quoted when it holds a comma, quote or line break; a leading =, +, - or @ is
    /// prefixed with ' so a spreadsheet does not read a student's file name as a formula.
    static func csvField(_ s: String) -> String {
        var v = s
        if let c = v.first, "=+-@".contains(c), Double(v) == nil { v = "'" + v }
        if v.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) {
            return "\"" + v.replacingOccurrences(of: "\"", with: "\"\"") + "\""
        }
        return v
    }
}

private func formatPoints(_ x: Double) -> String {
    x == x.rounded() && abs(x) < 1e15 ? String(Int(x)) : String(format: "%g", x)
}

/// Reads a submission; a file that cannot be read or is not UTF-8 is a reason, not an exit.
private func readSourceQuietly(_ path: String) -> Result<String, SourceDecoding.Failure> {
    guard let data = FileManager.default.contents(atPath: path) else {
        return .failure(SourceDecoding.Failure(path: path, line: 1, column: 1, reason: "the file cannot be read"))
    }
    return SourceDecoding.decode([UInt8](data), path: path)
}

/// The reports of a class, filled from several threads.
private final class Reports: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [GradingReport?]
    init(count: Int) { items = Array(repeating: nil, count: count) }
    func set(_ i: Int, _ r: GradingReport?) {
        lock.lock()
        items[i] = r
        lock.unlock()
    }
    var all: [GradingReport?] {
        lock.lock()
        defer { lock.unlock() }
        return items
    }
}

/// The next submission to grade.
private final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0
    func take(below n: Int) -> Int? {
        lock.lock()
        defer { lock.unlock() }
        guard value < n else { return nil }
        value += 1
        return value - 1
    }
}
