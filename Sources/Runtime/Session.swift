import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Display
import Language
import TensorCore

/// What a running script may touch, and its random stream.
///
/// Sandbox (issue 5): scripts read files only under their own folder and `lessons/`, and
/// write only under the output folder (default `./out`). Paths are resolved and checked
/// after `..` and symbolic links are followed.
public final class Session {
    /// Folders scripts may read from.
    public var readableRoots: [URL]
    /// The folder scripts may write to (created on first write).
    public var outputDirectory: URL
    /// The random stream of `seed(n)`, layer initialisation and sampling: the selected one
    /// of `streams`.
    public var rng: RNG {
        get { streams[streamSelector?() ?? 0] }
        set { streams[streamSelector?() ?? 0] = newValue }
    }
    /// Independent random streams. There is one, unless a front end adds more: the grader
    /// gives a test's own code a stream of its own, which the submission's `seed(…)` cannot
    /// reach.
    public var streams: [RNG]
    /// Which stream the code running now draws from (nil: the first).
    public var streamSelector: (() -> Int)?
    /// The declared bindings installed (algorithms, environments, layers, optimizers).
    public internal(set) var bindings: [BindingInfo] = []
    /// Receives each figure a script shows (`plot`, `heatmap`, …). Front ends set it: the
    /// stepper and the exporters keep figures with their cell. When nil, the figure's text
    /// form is printed to the interpreter's output.
    public var onFigure: ((any Figure) -> Void)?
    /// Columns available for text figures (the terminal's width, or 80 when not a terminal).
    public var columns: Int = 80
    /// Whether text figures printed to the output use ANSI colours. Default: standard output
    /// is a terminal and NO_COLOR (https://no-color.org) is unset or empty, and TERM is not
    /// "dumb". Front ends that capture output (notebooks, tests) set it to false.
    public var color: Bool = Session.colorByDefault()
    /// How `train` reports progress (see `ProgressSettings`).
    public var progress = ProgressSettings()
    /// Grading mode (`memento grade`): every file read (including `import`) and every file
    /// write is refused, whatever the roots, so a submission cannot read the tests or other
    /// files, nor leave files behind. The grader's worker process adds OS limits on top.
    public var grading = false

    public init(scriptDirectory: URL, outputDirectory: URL? = nil, lessonsDirectory: URL? = nil, seed: UInt64 = 0) {
        let cwd = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
        readableRoots = [scriptDirectory.standardizedFileURL] + [lessonsDirectory ?? cwd.appendingPathComponent("lessons")].map(\.standardizedFileURL)
        self.outputDirectory = (outputDirectory ?? cwd.appendingPathComponent("out")).standardizedFileURL
        streams = [RNG(seed: seed)]
    }

    /// A fresh generator split from the session's stream (one per layer, environment, …).
    public func nextRNG() -> RNG { rng.split() }

    /// The absolute path with `..` and every symbolic link resolved, also for a path that
    /// does not exist yet: its longest existing prefix is resolved with realpath(3) and the
    /// rest appended.
    static func resolved(_ url: URL) -> String {
        var existing = url.standardizedFileURL
        var rest: [String] = []
        while !FileManager.default.fileExists(atPath: existing.path) && existing.path != "/" {
            rest.insert(existing.lastPathComponent, at: 0)
            existing = existing.deletingLastPathComponent()
        }
        var base = existing.path
        if let real = realpath(existing.path, nil) {
            base = String(cString: real)
            free(real)
        }
        return rest.reduce(URL(fileURLWithPath: base)) { $0.appendingPathComponent($1) }.standardizedFileURL.path
    }

    private static func isInside(_ path: String, _ root: URL) -> Bool {
        let r = resolved(root)
        return path == r || path.hasPrefix(r.hasSuffix("/") ? r : r + "/")
    }

    /// `path` (relative to the script's folder) if reading it is allowed.
    public func readablePath(_ path: String) throws -> String {
        if grading {
            throw HostError("reading \(path) was refused: files cannot be read while grading",
                            help: ["a graded submission gets everything it needs from the grader"])
        }
        let base = readableRoots.first!
        let url = path.hasPrefix("/") ? URL(fileURLWithPath: path) : base.appendingPathComponent(path)
        let full = Session.resolved(url)
        guard readableRoots.contains(where: { Session.isInside(full, $0) }) else {
            throw HostError("reading \(path) was refused: scripts may read only under \(readableRoots.map(\.path).joined(separator: " and "))")
        }
        return full
    }

    /// `path` (relative to the output folder) if writing it is allowed; creates folders.
    public func writablePath(_ path: String) throws -> String {
        if grading {
            throw HostError("writing \(path) was refused: files cannot be written while grading")
        }
        let url = path.hasPrefix("/") ? URL(fileURLWithPath: path) : outputDirectory.appendingPathComponent(path)
        let target = url.standardizedFileURL
        // Compare the fully resolved path (symbolic links followed), so that a link inside
        // the output folder cannot point a write outside it.
        guard Session.isInside(Session.resolved(target), outputDirectory) else {
            throw HostError("writing \(path) was refused: scripts may write only under \(outputDirectory.path)",
                            help: ["give a path relative to the output folder, e.g. \"model.safetensors\""])
        }
        try FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
        return target.path
    }
}
