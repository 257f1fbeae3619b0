// The Jupyter kernel: `memento kernel -f CONNECTION_FILE`, started by Jupyter (JupyterLab,
// Notebook, VS Code, nbclient) from the kernelspec `memento kernel install` writes.
//
// Five ZeroMQ sockets, bound to the ports of the connection file (protocol 5.3):
//   * shell (ROUTER): requests from front ends, answered one at a time on the main thread —
//     `execute_request` runs code there (on a large stack, like the REPL);
//   * control (ROUTER): `interrupt_request`, `shutdown_request` and `kernel_info_request`,
//     answered by a thread of their own so they are heard while code runs;
//   * iopub (PUB): status, printed text, results, figures, errors (`IOPub`);
//   * stdin (ROUTER): bound as the protocol asks; the language has no input() to use it;
//   * heartbeat (ROUTER): echoes every ping, from its own thread (`zmq_proxy`).
//
// Interrupts are those of the REPL: SIGINT (Jupyter's default `interrupt_mode: signal`) goes
// through the REPL's `SignalRelay`, and `interrupt_request` sets the same flag; running code
// stops at its next safe point (`train` between steps) and every variable, the partly
// trained model included, is kept.
//
// Every message is authenticated (HMAC-SHA256 with the connection file's key). One with a bad
// signature is logged and dropped; a malformed one, or one of an unknown type, gets an error
// reply; nothing a client sends stops the kernel.

import Foundation
import Language
import Notebook
import Runtime
import Synchronization
import CZMQ

/// Thread ownership: the interpreter, the session and the history belong to the shell thread
/// (the main thread, and the large-stack thread it waits on while code runs). The control
/// thread only reads the connection data, sends on its own socket, publishes through `IOPub`
/// (locked) and sets the interrupt flag (atomic).
final class JupyterKernel: @unchecked Sendable {
    let connection: ConnectionInfo
    let signer: MessageSigner
    /// This kernel's session id, in every message header.
    let sessionID = UUID().uuidString.lowercased()
    private let context: ZMQContext
    private let shell: ZMQSocket
    private let control: ZMQSocket
    private let stdinSocket: ZMQSocket
    private let heartbeat: ZMQSocket
    let iopub: IOPub
    /// Set by a shutdown request: both loops end.
    private let stopping = Atomic<Bool>(false)
    /// The interrupt flag of the code running now (nil between requests).
    private let running = Mutex<InterruptFlag?>(nil)
    private var relay: SignalRelay?

    // Shell-thread state.
    var interpreter = Interpreter()
    var session: Session
    var executionCount = 0
    var history = KernelHistory()
    /// The request whose code runs now (outputs and progress displays answer it).
    var currentRequest: KernelMessage?
    /// The display id of the progress bar being drawn, if any.
    var progressDisplay: String?

    static let version = Memento.configuration.version

    init(connection: ConnectionInfo) throws(ZMQError) {
        self.connection = connection
        signer = MessageSigner(key: connection.key)
        context = try ZMQContext()
        shell = try ZMQSocket(context, type: ZMQ_ROUTER)
        control = try ZMQSocket(context, type: ZMQ_ROUTER)
        stdinSocket = try ZMQSocket(context, type: ZMQ_ROUTER)
        heartbeat = try ZMQSocket(context, type: ZMQ_ROUTER)
        let pub = try ZMQSocket(context, type: ZMQ_PUB)
        try shell.bind(connection.endpoint(.shell))
        try control.bind(connection.endpoint(.control))
        try stdinSocket.bind(connection.endpoint(.stdin))
        try heartbeat.bind(connection.endpoint(.hb))
        try pub.bind(connection.endpoint(.iopub))
        iopub = IOPub(socket: pub, signer: signer, session: sessionID)
        session = JupyterKernel.makeSession()
        configureSession()
    }

    /// A session like the REPL's: reads under the working folder (Jupyter starts the kernel
    /// in the notebook's folder) and `lessons/`, writes under `./out`; 80 columns, no colour.
    private static func makeSession() -> Session {
        let session = Session(scriptDirectory: URL(fileURLWithPath: FileManager.default.currentDirectoryPath))
        session.columns = 80
        session.color = false
        return session
    }

    /// Installs the runtime and routes progress bars to updating displays.
    private func configureSession() {
        Runtime.install(in: interpreter, session: session)
        session.progress.interactive = true
        session.progress.write = { [unowned self] text in showProgress(text) }
    }

    /// Drops every variable: `:reset`.
    func resetSession() {
        interpreter = Interpreter()
        session = JupyterKernel.makeSession()
        configureSession()
    }

    // MARK: - Running

    /// Serves until a shutdown request; returns then.
    func serve() {
        relay = SignalRelay()
        if relay == nil { KernelLog.write("could not set up SIGINT handling; interrupt_request still works") }
        let beat = Thread { [heartbeat] in heartbeat.echoForever() }
        beat.name = "memento-heartbeat"
        beat.start()
        let controlThread = Thread { [self] in controlLoop() }
        controlThread.name = "memento-control"
        controlThread.start()
        iopub.publish("status", ["execution_state": "starting"], parent: nil)
        while !stopping.load(ordering: .acquiring) {
            let frames: [[UInt8]]
            do {
                guard let f = try shell.receive(timeout: 100) else { continue }
                frames = f
            } catch {
                KernelLog.write("\(error)")
                continue
            }
            handle(frames, socket: shell, channel: "shell")
        }
        iopub.flush()
    }

    private func controlLoop() {
        while !stopping.load(ordering: .acquiring) {
            iopub.flushIfDue()
            do {
                guard let frames = try control.receive(timeout: Int32(IOPub.streamInterval * 1000)) else { continue }
                handle(frames, socket: control, channel: "control")
            } catch {
                KernelLog.write("\(error)")
            }
        }
    }

    /// Parses, authenticates and answers one message.
    func handle(_ frames: [[UInt8]], socket: ZMQSocket, channel: String) {
        let message: KernelMessage
        do {
            message = try KernelMessage.parse(frames, signer: signer)
        } catch {
            switch error {
            case .badSignature:
                KernelLog.write("dropped a message with a bad signature on the \(channel) channel")
            case .malformed(let why, let headerFrame, let identities):
                KernelLog.write("malformed message on the \(channel) channel: \(why)")
                // Answer it when its header says what it was; otherwise nobody can be answered.
                guard let headerFrame, let header = (try? JSONSerialization.jsonObject(with: Data(headerFrame))) as? [String: Any],
                      let type = header["msg_type"] as? String else { return }
                var parent = KernelMessage(type: type, session: sessionID, parent: nil, content: [:])
                parent.header = header
                parent.identities = identities
                reply(parent, on: socket, replyType(type), errorContent("MalformedMessage", why))
            }
            return
        }
        iopub.publish("status", ["execution_state": "busy"], parent: message)
        defer { iopub.publish("status", ["execution_state": "idle"], parent: message) }
        if channel == "control" {
            handleControl(message, socket: socket)
        } else {
            handleShell(message, socket: socket)
        }
    }

    private func handleControl(_ message: KernelMessage, socket: ZMQSocket) {
        switch message.type {
        case "kernel_info_request": reply(message, on: socket, "kernel_info_reply", kernelInfo())
        case "interrupt_request":
            interruptRunningCode()
            reply(message, on: socket, "interrupt_reply", ["status": "ok"])
        case "shutdown_request": shutdown(message, socket: socket)
        default: unknown(message, socket: socket)
        }
    }

    private func handleShell(_ message: KernelMessage, socket: ZMQSocket) {
        switch message.type {
        case "kernel_info_request": reply(message, on: socket, "kernel_info_reply", kernelInfo())
        case "execute_request": execute(message, socket: socket)
        case "complete_request": reply(message, on: socket, "complete_reply", complete(message.content))
        case "inspect_request": reply(message, on: socket, "inspect_reply", inspect(message.content))
        case "is_complete_request": reply(message, on: socket, "is_complete_reply", isComplete(message.content))
        case "history_request": reply(message, on: socket, "history_reply", history.reply(to: message.content))
        case "comm_info_request": reply(message, on: socket, "comm_info_reply", ["status": "ok", "comms": [String: Any]()])
        case "comm_open", "comm_msg", "comm_close":
            // No comm targets exist; the protocol has no reply for these.
            break
        case "shutdown_request": shutdown(message, socket: socket)
        default: unknown(message, socket: socket)
        }
    }

    /// Sends a reply to `request` on `socket`.
    func reply(_ request: KernelMessage, on socket: ZMQSocket, _ type: String, _ content: [String: Any]) {
        let message = KernelMessage(type: type, session: sessionID, parent: request, content: content)
        do { try socket.send(message.frames(signer: signer)) } catch { KernelLog.write("\(error)") }
    }

    private func replyType(_ type: String) -> String {
        (type.hasSuffix("_request") ? String(type.dropLast("_request".count)) : type) + "_reply"
    }

    private func errorContent(_ name: String, _ value: String) -> [String: Any] {
        ["status": "error", "ename": name, "evalue": value, "traceback": [value]]
    }

    private func unknown(_ message: KernelMessage, socket: ZMQSocket) {
        let why = "unknown message type '\(message.type)'"
        KernelLog.write(why)
        reply(message, on: socket, replyType(message.type), errorContent("UnknownMessageType", why))
    }

    private func kernelInfo() -> [String: Any] {
        var language: [String: Any] = [:]
        for (k, v) in NotebookExport.languageInfo { language[k] = v }
        language["codemirror_mode"] = "python"
        return [
            "status": "ok",
            "protocol_version": KernelMessage.protocolVersion,
            "implementation": "memento",
            "implementation_version": JupyterKernel.version,
            "language_info": language,
            "banner": "Memento \(JupyterKernel.version): :help lists the commands and built-ins.",
            "help_links": [[String: Any]](),
            "debugger": false,
        ]
    }

    private func shutdown(_ message: KernelMessage, socket: ZMQSocket) {
        let restart = message.content["restart"] as? Bool ?? false
        interruptRunningCode()
        reply(message, on: socket, "shutdown_reply", ["status": "ok", "restart": restart])
        iopub.publish("shutdown_reply", ["status": "ok", "restart": restart], parent: message)
        stopping.store(true, ordering: .releasing)
    }

    // MARK: - Interrupts

    /// Asks the running code, if any, to stop at its next safe point.
    func interruptRunningCode() {
        running.withLock { $0?.request() }
    }

    /// Runs `body` with interrupts (SIGINT and interrupt_request) aimed at `flag`.
    func interruptible<T>(_ flag: InterruptFlag, _ body: () -> T) -> T {
        relay?.beginRun(flag)
        running.withLock { $0 = flag }
        defer {
            running.withLock { $0 = nil }
            relay?.endRun(flag)
        }
        return body()
    }
}
