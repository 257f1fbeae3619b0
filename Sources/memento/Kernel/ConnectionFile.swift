// The connection file Jupyter writes before it starts a kernel (`memento kernel -f FILE`):
// where to listen (transport, ip, one port per channel) and how to sign messages.
//
//     {"transport": "tcp", "ip": "127.0.0.1", "shell_port": 53794, "iopub_port": 53795,
//      "stdin_port": 53796, "control_port": 53797, "hb_port": 53798,
//      "key": "a0436f6c-…", "signature_scheme": "hmac-sha256", "kernel_name": "memento"}
//
// Every field but `key`, `signature_scheme` and `kernel_name` is required; a missing or
// malformed one is an error that names the file and the field.

import Foundation

/// Why a connection file was refused.
struct ConnectionFileError: Error, CustomStringConvertible {
    let description: String
}

/// A parsed connection file.
struct ConnectionInfo {
    enum Channel: String, CaseIterable {
        case shell, iopub, stdin, control, hb
    }

    var transport: String
    var ip: String
    var ports: [Channel: Int]
    /// The HMAC key (empty: messages are not signed).
    var key: String
    var signatureScheme: String

    /// The endpoint of a channel: `tcp://127.0.0.1:53794`, or for `ipc` the path `ip-port`.
    func endpoint(_ channel: Channel) -> String {
        let port = ports[channel]!
        return transport == "ipc" ? "ipc://\(ip)-\(port)" : "tcp://\(ip):\(port)"
    }

    /// Reads and checks the file at `path`.
    static func load(_ path: String) throws(ConnectionFileError) -> ConnectionInfo {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw ConnectionFileError(description: "cannot read the connection file \(path): \((error as NSError).localizedDescription)")
        }
        return try parse(data, path: path)
    }

    /// Checks the JSON of a connection file; `path` names it in errors.
    static func parse(_ data: Data, path: String) throws(ConnectionFileError) -> ConnectionInfo {
        func fail(_ message: String) -> ConnectionFileError {
            ConnectionFileError(description: "connection file \(path): \(message)")
        }
        let object: [String: Any]
        do {
            guard let o = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
                throw fail("expected a JSON object with the kernel's ports")
            }
            object = o
        } catch let error as ConnectionFileError {
            throw error
        } catch {
            throw fail("not valid JSON (\((error as NSError).localizedDescription))")
        }
        func string(_ field: String, default value: String? = nil) throws(ConnectionFileError) -> String {
            guard let raw = object[field] else {
                if let value { return value }
                throw fail("the field '\(field)' is missing")
            }
            guard let s = raw as? String else { throw fail("the field '\(field)' must be a string, found \(raw)") }
            return s
        }
        let transport = try string("transport")
        guard transport == "tcp" || transport == "ipc" else {
            throw fail("the field 'transport' must be \"tcp\" or \"ipc\", found \"\(transport)\"")
        }
        let ip = try string("ip")
        guard !ip.isEmpty else { throw fail("the field 'ip' is empty") }
        var ports: [Channel: Int] = [:]
        for channel in Channel.allCases {
            let field = channel.rawValue + "_port"
            guard let raw = object[field] else { throw fail("the field '\(field)' is missing") }
            // JSONSerialization gives NSNumber for numbers and booleans alike; a boolean's
            // Objective-C type is "c".
            guard let n = raw as? NSNumber, String(cString: n.objCType) != "c", let port = raw as? Int,
                  (1...65535).contains(port) else {
                throw fail("the field '\(field)' must be a port number from 1 to 65535, found \(raw)")
            }
            ports[channel] = port
        }
        let key = try string("key", default: "")
        let scheme = try string("signature_scheme", default: "hmac-sha256")
        guard scheme == "hmac-sha256" else {
            throw fail("the field 'signature_scheme' must be \"hmac-sha256\" (the only one this kernel signs with), found \"\(scheme)\"")
        }
        return ConnectionInfo(transport: transport, ip: ip, ports: ports, key: key, signatureScheme: scheme)
    }
}
