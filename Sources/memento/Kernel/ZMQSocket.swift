// A thin, throwing wrapper over the libzmq calls the kernel uses: sockets bound to the ports
// of the connection file, multipart messages in and out, and polling with a timeout.
//
// A ZeroMQ socket is not thread-safe: each socket here is used by one thread only, except the
// IOPub socket, which `IOPub` guards with a mutex (a mutex also gives the full memory barrier
// libzmq asks for when a socket moves between threads).

import CZMQ
import Foundation

/// A libzmq failure, with the call that failed and libzmq's reason.
struct ZMQError: Error, CustomStringConvertible {
    let description: String
    init(_ what: String) { description = "\(what): \(String(cString: memento_zmq_error()))" }
}

/// The process's ZeroMQ context (thread-safe; one for all sockets).
final class ZMQContext: @unchecked Sendable {
    let handle: UnsafeMutableRawPointer

    init() throws(ZMQError) {
        guard let h = zmq_ctx_new() else { throw ZMQError("zmq_ctx_new") }
        handle = h
    }
}

/// One ZeroMQ socket.
final class ZMQSocket: @unchecked Sendable {
    let handle: UnsafeMutableRawPointer
    /// The endpoint it is bound to, for messages.
    private(set) var endpoint = ""

    init(_ context: ZMQContext, type: Int32) throws(ZMQError) {
        guard let h = zmq_socket(context.handle, type) else { throw ZMQError("zmq_socket") }
        handle = h
        // Unsent messages are dropped at close instead of holding the process open.
        var linger: Int32 = 0
        zmq_setsockopt(handle, ZMQ_LINGER, &linger, MemoryLayout<Int32>.size)
    }

    /// Binds to `endpoint` (`tcp://127.0.0.1:5555`, `ipc://path-1`).
    func bind(_ endpoint: String) throws(ZMQError) {
        guard zmq_bind(handle, endpoint) == 0 else { throw ZMQError("cannot listen on \(endpoint)") }
        self.endpoint = endpoint
    }

    /// Receives one multipart message, waiting at most `timeout` milliseconds (-1: forever).
    /// Nil when nothing arrived in time.
    func receive(timeout: Int32 = -1) throws(ZMQError) -> [[UInt8]]? {
        if timeout >= 0 {
            var item = zmq_pollitem_t(socket: handle, fd: 0, events: Int16(ZMQ_POLLIN), revents: 0)
            let n = zmq_poll(&item, 1, Int(timeout))
            if n < 0 {
                if zmq_errno() == EINTR { return nil }
                throw ZMQError("zmq_poll")
            }
            if n == 0 { return nil }
        }
        var frames: [[UInt8]] = []
        while true {
            var message = zmq_msg_t()
            zmq_msg_init(&message)
            defer { zmq_msg_close(&message) }
            var received: Int32
            repeat { received = zmq_msg_recv(&message, handle, 0) } while received < 0 && zmq_errno() == EINTR
            guard received >= 0 else { throw ZMQError("receiving on \(endpoint)") }
            let size = zmq_msg_size(&message)
            if size == 0 {
                frames.append([])
            } else {
                let data = zmq_msg_data(&message)!.assumingMemoryBound(to: UInt8.self)
                frames.append(Array(UnsafeBufferPointer(start: data, count: size)))
            }
            if zmq_msg_more(&message) == 0 { break }
        }
        return frames
    }

    /// Sends a multipart message.
    func send(_ frames: [[UInt8]]) throws(ZMQError) {
        for (i, frame) in frames.enumerated() {
            let flags = i + 1 < frames.count ? ZMQ_SNDMORE : 0
            var sent: Int32
            repeat {
                sent = frame.withUnsafeBytes { zmq_send(handle, $0.baseAddress, $0.count, flags) }
            } while sent < 0 && zmq_errno() == EINTR
            guard sent >= 0 else { throw ZMQError("sending on \(endpoint)") }
        }
    }

    /// Echoes every message back to its sender until the context ends: the heartbeat.
    func echoForever() {
        _ = zmq_proxy(handle, handle, nil)
    }

    deinit { zmq_close(handle) }
}
