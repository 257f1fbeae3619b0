// The kernelspec: the folder `jupyter kernelspec list` finds, which tells Jupyter how to start
// the kernel (`argv`), what to call it and which language it speaks, with an icon.
//
//     KERNELS/memento/kernel.json     {"argv": ["/path/to/memento", "kernel", "-f", "{connection_file}"], …}
//     KERNELS/memento/logo-svg.svg    the icon JupyterLab shows in its launcher
//
// KERNELS is where Jupyter looks: `--user` → $JUPYTER_DATA_DIR, else $XDG_DATA_HOME/jupyter,
// else ~/.local/share/jupyter, each + /kernels; `--prefix DIR` → DIR/share/jupyter/kernels (a
// virtualenv's prefix, found when Jupyter runs from it); neither → the system-wide
// /usr/local/share/jupyter/kernels, as `jupyter kernelspec install` does.

import Foundation
import Notebook

enum KernelSpec {
    /// The kernel's name (the notebooks `memento export` writes declare it).
    static let name = "memento"

    /// Where the kernels folder is for a user, prefix or system-wide install.
    static func kernelsDirectory(user: Bool, prefix: String?) -> URL {
        let env = ProcessInfo.processInfo.environment
        if let prefix {
            return URL(fileURLWithPath: prefix).appendingPathComponent("share/jupyter/kernels")
        }
        if user {
            if let data = env["JUPYTER_DATA_DIR"], !data.isEmpty {
                return URL(fileURLWithPath: data).appendingPathComponent("kernels")
            }
            let base = env["XDG_DATA_HOME"].flatMap { $0.isEmpty ? nil : URL(fileURLWithPath: $0) }
                ?? URL(fileURLWithPath: NSHomeDirectory()).appendingPathComponent(".local/share")
            return base.appendingPathComponent("jupyter/kernels")
        }
        return URL(fileURLWithPath: "/usr/local/share/jupyter/kernels")
    }

    /// `kernel.json` for the executable at `executable`.
    static func json(executable: String, displayName: String) -> [String: Any] {
        [
            "argv": [executable, "kernel", "-f", "{connection_file}"],
            "display_name": displayName,
            "language": "memento",
            "interrupt_mode": "signal",
            "metadata": ["file_extension": NotebookExport.languageInfo.first { $0.key == "file_extension" }!.value],
        ]
    }

    /// This executable's absolute path (what Jupyter will start).
    static func currentExecutable() -> String {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let n = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        if n > 0 { return String(decoding: buffer[..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self) }
        return URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL.path
    }

    /// Writes the kernelspec folder; returns its path.
    static func install(into kernels: URL, name: String, displayName: String, executable: String) throws -> URL {
        let folder = kernels.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let data = try JSONSerialization.data(withJSONObject: json(executable: executable, displayName: displayName),
                                              options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        try (data + Data("\n".utf8)).write(to: folder.appendingPathComponent("kernel.json"))
        try Data(icon.utf8).write(to: folder.appendingPathComponent("logo-svg.svg"))
        for size in [32, 64] {
            try Data(KernelIcon.png(size: size)).write(to: folder.appendingPathComponent("logo-\(size)x\(size).png"))
        }
        return folder
    }

    /// The icon: an "M" over a memory trace, in the colours of the SVG plots.
    static let icon = """
        <svg xmlns="http://www.w3.org/2000/svg" width="64" height="64" viewBox="0 0 64 64">
          <rect width="64" height="64" rx="12" fill="#1f4e8c"/>
          <path d="M14 46V18h6l12 16 12-16h6v28h-7V30L32 44 21 30v16z" fill="#ffffff"/>
          <path d="M8 54h48" stroke="#f2a93b" stroke-width="4" stroke-linecap="round"/>
        </svg>

        """
}
