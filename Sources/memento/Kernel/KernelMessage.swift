// A Jupyter message (protocol 5.3) and its wire form:
//
//     [routing identities…, "<IDS|MSG>", signature, header, parent_header, metadata, content,
//      buffers…]
//
// The JSON frames are kept as dictionaries (JSONSerialization): messages are small, their
// shapes open-ended, and the kernel reads only a few fields of each.

import Foundation

/// Why a received message was refused.
enum WireError: Error, CustomStringConvertible {
    /// The HMAC did not match: the message is dropped, never answered.
    case badSignature
    /// The frames do not form a message; `header` is the header frame when there is one (to
    /// reply to, if it parses).
    case malformed(String, header: [UInt8]?, identities: [[UInt8]])

    var description: String {
        switch self {
        case .badSignature: return "bad signature"
        case .malformed(let why, _, _): return why
        }
    }
}

struct KernelMessage {
    static let delimiter = Array("<IDS|MSG>".utf8)
    static let protocolVersion = "5.3"

    var identities: [[UInt8]] = []
    var header: [String: Any]
    var parentHeader: [String: Any] = [:]
    var metadata: [String: Any] = [:]
    var content: [String: Any] = [:]
    var buffers: [[UInt8]] = []

    var type: String { header["msg_type"] as? String ?? "" }
    var id: String { header["msg_id"] as? String ?? "" }

    /// A new message of `type` from the kernel's `session`, in reply to `parent` if given.
    init(type: String, session: String, parent: KernelMessage?, content: [String: Any], metadata: [String: Any] = [:]) {
        header = [
            "msg_id": UUID().uuidString.lowercased(),
            "session": session,
            "username": "memento",
            "date": KernelMessage.timestamp(),
            "msg_type": type,
            "version": KernelMessage.protocolVersion,
        ]
        parentHeader = parent?.header ?? [:]
        identities = parent?.identities ?? []
        self.content = content
        self.metadata = metadata
    }

    private init(identities: [[UInt8]], header: [String: Any], parentHeader: [String: Any],
                 metadata: [String: Any], content: [String: Any], buffers: [[UInt8]]) {
        self.identities = identities
        self.header = header
        self.parentHeader = parentHeader
        self.metadata = metadata
        self.content = content
        self.buffers = buffers
    }

    /// ISO 8601 with microseconds and a UTC offset, as Jupyter writes dates.
    static func timestamp() -> String {
        var tv = timeval()
        gettimeofday(&tv, nil)
        var t = time_t(tv.tv_sec)
        var parts = tm()
        gmtime_r(&t, &parts)
        return String(format: "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1,
                      Int(parts.tm_mday), Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec), Int(tv.tv_usec))
    }

    // MARK: - Wire form

    /// The frames to send, signed with `signer`.
    func frames(signer: MessageSigner) -> [[UInt8]] {
        let body = [header, parentHeader, metadata, content].map(KernelMessage.encode)
        return identities + [KernelMessage.delimiter, Array(signer.signature(body).utf8)] + body + buffers
    }

    static func encode(_ object: [String: Any]) -> [UInt8] {
        // Only values built by the kernel or parsed from JSON reach here, so this cannot fail;
        // should it, an empty object keeps the message well-formed.
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.withoutEscapingSlashes])) ?? Data("{}".utf8)
        return Array(data)
    }

    /// Parses and authenticates received frames.
    static func parse(_ frames: [[UInt8]], signer: MessageSigner) throws(WireError) -> KernelMessage {
        guard let split = frames.firstIndex(of: delimiter) else {
            throw .malformed("no <IDS|MSG> delimiter", header: nil, identities: [])
        }
        let identities = Array(frames[..<split])
        let rest = Array(frames[(split + 1)...])
        guard rest.count >= 5 else {
            throw .malformed("\(rest.count) frames after the delimiter, expected at least 5 (signature, header, parent_header, metadata, content)",
                             header: nil, identities: identities)
        }
        guard signer.isValid(rest[0], for: Array(rest[1...4])) else { throw .badSignature }
        let names = ["header", "parent_header", "metadata", "content"]
        var objects: [[String: Any]] = []
        for (k, frame) in rest[1...4].enumerated() {
            guard let object = (try? JSONSerialization.jsonObject(with: Data(frame))) as? [String: Any] else {
                throw .malformed("the \(names[k]) frame is not a JSON object", header: rest[1], identities: identities)
            }
            objects.append(object)
        }
        let header = objects[0]
        guard header["msg_type"] is String, header["msg_id"] is String else {
            throw .malformed("the header has no msg_type or msg_id string", header: rest[1], identities: identities)
        }
        return KernelMessage(identities: identities, header: header, parentHeader: objects[1], metadata: objects[2],
                             content: objects[3], buffers: Array(rest.dropFirst(5)))
    }
}
