// Signing Jupyter messages: HMAC-SHA256 with the connection file's key over the four JSON
// frames (header, parent header, metadata, content), written as lowercase hex. An empty key
// means authentication is off (the signature frame is empty), as Jupyter defines it.

import Crypto
import Foundation

struct MessageSigner {
    private let key: SymmetricKey?

    init(key: String) {
        self.key = key.isEmpty ? nil : SymmetricKey(data: Data(key.utf8))
    }

    /// The signature of `frames`, in hex (empty when signing is off).
    func signature(_ frames: [[UInt8]]) -> String {
        guard let key else { return "" }
        var mac = HMAC<SHA256>(key: key)
        for f in frames { mac.update(data: f) }
        return mac.finalize().map { String(format: "%02x", $0) }.joined()
    }

    /// Whether `signature` (hex) is that of `frames`, compared in constant time.
    func isValid(_ signature: [UInt8], for frames: [[UInt8]]) -> Bool {
        guard let key else { return true }
        guard signature.count == 64, let bytes = MessageSigner.hexBytes(signature) else { return false }
        var data = Data()
        for f in frames { data.append(contentsOf: f) }
        return HMAC<SHA256>.isValidAuthenticationCode(bytes, authenticating: data, using: key)
    }

    private static func hexBytes(_ hex: [UInt8]) -> [UInt8]? {
        func nibble(_ c: UInt8) -> UInt8? {
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
            default: return nil
            }
        }
        var out: [UInt8] = []
        out.reserveCapacity(hex.count / 2)
        var i = 0
        while i + 1 < hex.count {
            guard let hi = nibble(hex[i]), let lo = nibble(hex[i + 1]) else { return nil }
            out.append(hi << 4 | lo)
            i += 2
        }
        return out
    }
}
