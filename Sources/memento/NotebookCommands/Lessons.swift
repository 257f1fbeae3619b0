import ArgumentParser
import Foundation
import Notebook

/// `memento lessons`: the lessons with their titles and one-line summaries.
struct Lessons: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List the lessons: file, title and summary.",
        discussion: """
        The lessons are the .mem files in ./lessons, or, if the current folder has none, in the
        lessons/ folder of the repository the memento executable was built in (the first
        ancestor of the executable's folder that has one). --folder names another folder.

        Example: memento lessons
        """)

    @Option(help: "The folder to list instead of lessons/.")
    var folder: String?

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
        let color = Terminal.colorEnabled(fd: 1)
        print(catalog.render(width: Terminal.width(fd: 1), color: color))
        let relative = url.path == URL(fileURLWithPath: "lessons").standardizedFileURL.path ? "lessons" : url.path
        print("\nStep through one with: memento step \(relative)/\(catalog.entries[0].file)")
    }
}
