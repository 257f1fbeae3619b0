// `memento kernel -f FILE` (what Jupyter runs) and `memento kernel install`.

import ArgumentParser
import Foundation

struct KernelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kernel",
        abstract: "The Jupyter kernel: run by Jupyter, or installed for it with `memento kernel install`.",
        discussion: """
        Examples:
          memento kernel install --user             # then pick "Memento" in JupyterLab or VS Code
          jupyter nbconvert --to notebook --execute out/00-tour.ipynb
        """,
        subcommands: [KernelStart.self, KernelInstall.self],
        defaultSubcommand: KernelStart.self)
}

struct KernelStart: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "start",
        abstract: "Serve Jupyter on the ports of a connection file (Jupyter starts this).")

    @Option(name: [.customShort("f"), .customLong("connection-file")], help: "The connection file Jupyter wrote.")
    var connectionFile: String

    func run() throws {
        let info: ConnectionInfo
        do {
            info = try ConnectionInfo.load(connectionFile)
        } catch {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            throw ExitCode(66)
        }
        // Jupyter may start us with SIGINT blocked or ignored; its interrupts need it.
        var signals = sigset_t()
        sigemptyset(&signals)
        sigaddset(&signals, SIGINT)
        pthread_sigmask(SIG_UNBLOCK, &signals, nil)
        let kernel: JupyterKernel
        do {
            kernel = try JupyterKernel(connection: info)
        } catch {
            FileHandle.standardError.write(Data("error: \(error) (from the connection file \(connectionFile))\n".utf8))
            throw ExitCode(69)
        }
        kernel.serve()
    }
}

struct KernelInstall: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "install",
        abstract: "Write the kernelspec where `jupyter kernelspec list` finds it.",
        discussion: """
        Without --user or --prefix the kernelspec goes to /usr/local/share/jupyter/kernels
        (system-wide, as `jupyter kernelspec install`); --user puts it in your Jupyter data
        folder ($JUPYTER_DATA_DIR, else ~/.local/share/jupyter); --prefix DIR in
        DIR/share/jupyter/kernels (e.g. a virtualenv's prefix).
        """)

    @Flag(help: "Install for the current user.")
    var user = false

    @Option(help: "Install under this prefix (DIR/share/jupyter/kernels).")
    var prefix: String?

    @Option(help: "The kernel's name (the folder's name; notebooks name their kernel).")
    var name: String = KernelSpec.name

    @Option(help: "The name front ends show.")
    var displayName: String = "Memento"

    func validate() throws {
        if user && prefix != nil { throw ValidationError("give --user or --prefix, not both") }
        if name.isEmpty || name.contains("/") { throw ValidationError("--name must be a plain folder name, found '\(name)'") }
    }

    func run() throws {
        let kernels = KernelSpec.kernelsDirectory(user: user, prefix: prefix)
        do {
            let folder = try KernelSpec.install(into: kernels, name: name, displayName: displayName,
                                                executable: KernelSpec.currentExecutable())
            print("Installed the \(displayName) kernel in \(folder.path)")
        } catch {
            var message = "error: cannot write the kernelspec under \(kernels.path): \((error as NSError).localizedDescription)"
            if !user && prefix == nil { message += " (use --user to install for yourself)" }
            FileHandle.standardError.write(Data((message + "\n").utf8))
            throw ExitCode(73)
        }
    }
}
