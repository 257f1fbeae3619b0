import ArgumentParser
import Foundation
import Grading
import Language
import Notebook

/// `memento lessons`: the lessons with their titles and one-line summaries.
struct Lessons: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List the lessons: file, title and summary.",
        discussion: """
        The lessons are the .mem files in ./lessons, or, if the current folder has none, in the
        lessons/ folder of the repository the memento executable was built in (the first
        ancestor of the executable's folder that has one). --folder names another folder.

        With --student DIR, writes the student version of every lesson into DIR (solutions
        replaced by stubs, hidden tests removed; see docs/GRADING.md) and says how to step
        through and check them. Existing files in DIR are not overwritten.

        Examples:
          memento lessons
          memento lessons --student my-lessons
        """)

    @Option(help: "The folder to list instead of lessons/.")
    var folder: String?

    @Option(help: "Write the student versions of the lessons into this folder (a workspace to work in).")
    var student: String?

    func run() throws {
        let url: URL
        if let folder {
            url = URL(fileURLWithPath: folder)
        } else if let found = LessonCatalog.locate() {
            url = found
        } else {
            FileHandle.standardError.write(Data("""
                error: no lessons folder: there is no lessons/ in \(FileManager.default.currentDirectoryPath) \
                nor next to the memento executable
                  = help: run memento from the Memento repository, or give --folder PATH

                """.utf8))
            throw ExitCode(66)
        }
        let catalog: LessonCatalog
        do {
            catalog = try LessonCatalog(folder: url)
        } catch let error as NotebookError {
            FileHandle.standardError.write(Data("error: \(error.message)\n".utf8))
            throw ExitCode(error.exitCode)
        }
        guard !catalog.entries.isEmpty else {
            FileHandle.standardError.write(Data("error: no lessons (.mem files) in \(url.path)\n".utf8))
            throw ExitCode(66)
        }
        if let student {
            try writeStudentVersions(catalog, into: URL(fileURLWithPath: student))
            return
        }
        let color = Terminal.colorEnabled(fd: 1)
        print(catalog.render(width: Terminal.width(fd: 1), color: color))
        let relative = url.path == URL(fileURLWithPath: "lessons").standardizedFileURL.path ? "lessons" : url.path
        print("\nStep through one with: memento step \(relative)/\(catalog.entries[0].file)")
    }

    /// Writes each lesson's student version into `workspace`, keeping files already there
    /// (a student's work is never overwritten).
    private func writeStudentVersions(_ catalog: LessonCatalog, into workspace: URL) throws {
        do {
            try FileManager.default.createDirectory(at: workspace, withIntermediateDirectories: true)
        } catch {
            FileHandle.standardError.write(Data("error: cannot create \(workspace.path): \((error as NSError).localizedDescription)\n".utf8))
            throw ExitCode(73)
        }
        var written: [String] = []
        var kept: [String] = []
        for entry in catalog.entries {
            let source = catalog.folder.appendingPathComponent(entry.file)
            let target = workspace.appendingPathComponent(entry.file)
            if FileManager.default.fileExists(atPath: target.path) {
                kept.append(entry.file)
                continue
            }
            let text = readScript(source.path)
            let student: String
            do {
                student = try StudentVersion.make(from: SourceFile(path: entry.file, text: text)).text
            } catch let failure as StudentVersion.Failure {
                for d in failure.diagnostics { FileHandle.standardError.write(Data((d.render(color: useColor()) + "\n").utf8)) }
                throw ExitCode(65)
            }
            do {
                try Data(student.utf8).write(to: target, options: .atomic)
            } catch {
                FileHandle.standardError.write(Data("error: cannot write \(target.path): \((error as NSError).localizedDescription)\n".utf8))
                throw ExitCode(73)
            }
            written.append(entry.file)
        }
        print("Wrote \(written.count) lesson\(written.count == 1 ? "" : "s") for students into \(workspace.path)"
              + (kept.isEmpty ? "" : " (kept \(kept.count) already there: \(kept.joined(separator: ", ")))"))
        if let first = catalog.entries.first {
            let path = workspace.appendingPathComponent(first.file).path
            print("Step through one:       memento step \(path)")
            print("Check your exercises:   memento check \(path)")
        }
    }
}
