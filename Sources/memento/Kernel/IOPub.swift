// The IOPub channel: everything the kernel broadcasts (status, the code being run, printed
// text, results, figures, errors).
//
// Printed text is batched: a `print` in a tight loop would otherwise be one message per call,
// thousands a second, more than a front end can draw. Text is sent when 50 ms have passed
// since the last stream message, before any other message (so the order is kept), at the end
// of a cell, and by `flushIfDue` which the control thread calls while it waits.

import Foundation

final class IOPub: @unchecked Sendable {
    private let socket: ZMQSocket
    private let signer: MessageSigner
    private let session: String
    /// Guards everything below and the socket (used from the shell and control threads).
    private let lock = NSLock()
    private var pending: (name: String, text: String, parent: KernelMessage)?
    private var lastStream = 0.0
    static let streamInterval = 0.05

    init(socket: ZMQSocket, signer: MessageSigner, session: String) {
        self.socket = socket
        self.signer = signer
        self.session = session
    }

    /// Broadcasts a message (after any text waiting to be sent).
    func publish(_ type: String, _ content: [String: Any], parent: KernelMessage?) {
        lock.lock()
        defer { lock.unlock() }
        flushLocked()
        sendLocked(type, content, parent: parent)
    }

    /// Printed text (`name` is stdout or stderr), sent now or batched with what follows.
    func stream(_ name: String, _ text: String, parent: KernelMessage) {
        guard !text.isEmpty else { return }
        lock.lock()
        defer { lock.unlock() }
        if let p = pending, p.name == name {
            pending!.text += text
        } else {
            flushLocked()
            pending = (name, text, parent)
        }
        if now() - lastStream >= IOPub.streamInterval { flushLocked() }
    }

    /// Sends the batched text if it has waited long enough.
    func flushIfDue() {
        lock.lock()
        defer { lock.unlock() }
        if pending != nil, now() - lastStream >= IOPub.streamInterval { flushLocked() }
    }

    /// Sends the batched text now.
    func flush() {
        lock.lock()
        defer { lock.unlock() }
        flushLocked()
    }

    private func flushLocked() {
        guard let p = pending else { return }
        pending = nil
        lastStream = now()
        sendLocked("stream", ["name": p.name, "text": p.text], parent: p.parent)
    }

    private func sendLocked(_ type: String, _ content: [String: Any], parent: KernelMessage?) {
        var message = KernelMessage(type: type, session: session, parent: parent, content: content)
        // IOPub is a PUB socket: the first frame is the topic, not a routing identity.
        message.identities = [Array("kernel.\(session).\(type)".utf8)]
        do { try socket.send(message.frames(signer: signer)) } catch { KernelLog.write("iopub: \(error)") }
    }

    private func now() -> Double { ProcessInfo.processInfo.systemUptime }
}

/// The kernel's own log: standard error, which Jupyter shows in its server's console.
enum KernelLog {
    static func write(_ text: String) {
        FileHandle.standardError.write(Data("memento kernel: \(text)\n".utf8))
    }
}
