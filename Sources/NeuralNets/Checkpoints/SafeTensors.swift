import TensorCore

/// Reading and writing the safetensors format (https://github.com/huggingface/safetensors),
/// the checkpoint format of the Hugging Face ecosystem, so that Python reads Memento's
/// checkpoints with `safetensors.numpy.load_file` and Memento reads Python's.
///
/// Layout of a file:
///
///     8 bytes   N, the header length, unsigned little-endian
///     N bytes   UTF-8 JSON: {"__metadata__": {"key": "value", …},
///                            "name": {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 24]}, …}
///               starting with '{', possibly padded at the end with spaces
///     the rest  the data section: each tensor's bytes, row-major, little-endian, at
///               [begin, end) relative to the start of the data section
///
/// The reader enforces the specification's rules, and the checks the reference
/// implementation makes: N at most 100 MB and within the file; the header valid UTF-8 JSON
/// starting with '{', without duplicate keys; `__metadata__` a map of strings to strings;
/// every entry a known dtype, a shape of non-negative integers and offsets whose length is
/// the shape's element count times the dtype's size; and the byte ranges, sorted, tiling
/// the data section exactly (no overlap, no gap, nothing after the last tensor).
///
/// The writer does what Python's writer does: tensors ordered by name, offsets contiguous
/// from 0, the header padded with spaces to a multiple of 8 bytes (so the F32 data is
/// 4-byte aligned), and the file replaced atomically.
public enum SafeTensors {
    /// The largest header accepted, as in the reference implementation.
    public static let maxHeaderLength = 100_000_000

    /// The metadata key reserved by the format.
    public static let metadataKey = "__metadata__"

    /// The byte size of one element of each dtype the format defines.
    static let dtypeSizes: [String: Int] = [
        "BOOL": 1, "U8": 1, "I8": 1, "F8_E5M2": 1, "F8_E4M3": 1,
        "I16": 2, "U16": 2, "F16": 2, "BF16": 2,
        "I32": 4, "U32": 4, "F32": 4,
        "I64": 8, "U64": 8, "F64": 8,
    ]

    /// One tensor's entry in a header.
    public struct Entry: Equatable, Sendable {
        public let name: String
        public let dtype: String
        public let shape: [Int]
        /// The byte range in the data section.
        public let offsets: Range<Int>
    }

    /// A parsed and checked header.
    public struct Header: Equatable, Sendable {
        /// The entries, ordered by their offsets.
        public let entries: [Entry]
        /// The `__metadata__` map (empty when absent).
        public let metadata: [String: String]
        /// Where the data section starts in the file (8 + N).
        public let dataStart: Int
    }

    /// The contents of a safetensors file.
    public struct Contents {
        public var tensors: [String: Tensor]
        public var metadata: [String: String]
        public init(tensors: [String: Tensor], metadata: [String: String] = [:]) {
            self.tensors = tensors
            self.metadata = metadata
        }
    }

    // MARK: - Files

    /// Writes `tensors` and `metadata` to `path`, atomically: the bytes go to a temporary
    /// file in the same folder, which then replaces `path`, so a crash leaves either the
    /// old file or the new one, never half of one.
    public static func write(_ tensors: [String: Tensor], metadata: [String: String] = [:], to path: String) throws {
        let bytes = try encode(tensors, metadata: metadata, file: path)
        try FileIO.writeAtomically(bytes, to: path)
    }

    /// Reads every tensor (all must be F32) and the metadata of the file at `path`.
    public static func read(from path: String) throws -> Contents {
        try decode(FileIO.read(path), file: path)
    }

    /// Reads and checks only the header of the file at `path` (dtypes, shapes, metadata).
    public static func readHeader(from path: String) throws -> Header {
        try parseHeader(FileIO.read(path), file: path)
    }

    /// The bytes of the file at `path` (errors name the file and the system's reason).
    public static func readBytes(from path: String) throws -> [UInt8] { try FileIO.read(path) }

    /// The size in bytes a file's header announces (8 + header + the end of the last
    /// tensor), or nil when not even the header can be read: for "truncated" messages that
    /// give both sizes.
    public static func announcedSize(_ bytes: [UInt8]) -> Int? {
        guard bytes.count >= 8 else { return nil }
        var n: UInt64 = 0
        for k in 0..<8 { n |= UInt64(bytes[k]) << (8 * UInt64(k)) }
        guard n <= UInt64(maxHeaderLength) else { return nil }
        let length = Int(n)
        guard 8 + length <= bytes.count else { return 8 + length }
        guard case .object(let members)? = try? JSONParser.parse(Array(bytes[8..<(8 + length)])) else { return nil }
        var end = 0
        for (name, value) in members where name != metadataKey {
            guard case .object(let fields) = value,
                  case .array(let offsets)? = fields.first(where: { $0.key == "data_offsets" })?.value,
                  offsets.count == 2, case .integer(let stop) = offsets[1] else { return nil }
            end = Swift.max(end, stop)
        }
        return 8 + length + end
    }

    // MARK: - Bytes

    /// The file's bytes for `tensors` and `metadata`; `file` names the destination in errors.
    public static func encode(_ tensors: [String: Tensor], metadata: [String: String] = [:], file: String = "<memory>") throws -> [UInt8] {
        if tensors[metadataKey] != nil {
            throw CheckpointError.invalidName(file: file, tensor: metadataKey, reason: "is reserved by the safetensors format for metadata")
        }
        let names = tensors.keys.sorted()
        var json = "{"
        var members: [String] = []
        if !metadata.isEmpty {
            let items = metadata.keys.sorted().map { jsonQuoted($0) + ":" + jsonQuoted(metadata[$0]!) }
            members.append(jsonQuoted(metadataKey) + ":{" + items.joined(separator: ",") + "}")
        }
        var offset = 0
        for name in names {
            let t = tensors[name]!
            let end = offset + 4 * t.count
            members.append(jsonQuoted(name) + ":{\"dtype\":\"F32\",\"shape\":[" + t.shape.map(String.init).joined(separator: ",")
                           + "],\"data_offsets\":[\(offset),\(end)]}")
            offset = end
        }
        json += members.joined(separator: ",") + "}"
        var header = Array(json.utf8)
        while header.count % 8 != 0 { header.append(0x20) }

        var out = [UInt8]()
        out.reserveCapacity(8 + header.count + offset)
        var n = UInt64(header.count).littleEndian
        withUnsafeBytes(of: &n) { out.append(contentsOf: $0) }
        out.append(contentsOf: header)
        for name in names {
            tensors[name]!.withUnsafeBufferPointer { values in
                #if _endian(little)
                out.append(contentsOf: UnsafeRawBufferPointer(values))
                #else
                for v in values {
                    var bits = v.bitPattern.littleEndian
                    withUnsafeBytes(of: &bits) { out.append(contentsOf: $0) }
                }
                #endif
            }
        }
        return out
    }

    /// The tensors and metadata of a file's bytes; `file` names the source in errors.
    public static func decode(_ bytes: [UInt8], file: String = "<memory>") throws -> Contents {
        let header = try parseHeader(bytes, file: file)
        var tensors: [String: Tensor] = [:]
        for entry in header.entries {
            guard entry.dtype == "F32" else {
                throw CheckpointError.unsupportedDtype(file: file, tensor: entry.name, dtype: entry.dtype)
            }
            let start = header.dataStart + entry.offsets.lowerBound
            let count = entry.offsets.count / 4
            var values = [Float](repeating: 0, count: count)
            bytes.withUnsafeBytes { raw in
                #if _endian(little)
                values.withUnsafeMutableBytes { $0.copyMemory(from: UnsafeRawBufferPointer(rebasing: raw[start..<(start + 4 * count)])) }
                #else
                for k in 0..<count {
                    let bits = raw.loadUnaligned(fromByteOffset: start + 4 * k, as: UInt32.self)
                    values[k] = Float(bitPattern: UInt32(littleEndian: bits))
                }
                #endif
            }
            do {
                tensors[entry.name] = try Tensor(values, shape: entry.shape)
            } catch {
                throw CheckpointError.invalidHeader(file: file, detail: "tensor \"\(entry.name)\": \(error)")
            }
        }
        return Contents(tensors: tensors, metadata: header.metadata)
    }

    /// Parses and checks the header of a file's bytes (the data section must be complete).
    public static func parseHeader(_ bytes: [UInt8], file: String = "<memory>") throws -> Header {
        func invalid(_ detail: String) -> CheckpointError { .invalidHeader(file: file, detail: detail) }

        guard bytes.count >= 8 else {
            throw CheckpointError.truncated(file: file, detail: "it has \(bytes.count) bytes, fewer than the 8 of the header length")
        }
        var n: UInt64 = 0
        for k in 0..<8 { n |= UInt64(bytes[k]) << (8 * UInt64(k)) }
        guard n <= UInt64(maxHeaderLength) else {
            throw invalid("the header length \(n) exceeds the limit of \(maxHeaderLength) bytes")
        }
        let length = Int(n)
        guard 8 + length <= bytes.count else {
            throw CheckpointError.truncated(file: file, detail: "the header announces \(length) bytes but only \(bytes.count - 8) follow the length")
        }
        let text = Array(bytes[8..<(8 + length)])
        guard String(validating: text, as: UTF8.self) != nil else { throw invalid("the header is not valid UTF-8") }
        guard text.first == UInt8(ascii: "{") else {
            throw invalid(length == 0 ? "the header is empty" : "the header must start with '{'")
        }
        let json: JSONValue
        do {
            json = try JSONParser.parse(text)
        } catch {
            throw invalid(error.description)
        }
        guard case .object(let members) = json else { throw invalid("the header is not a JSON object") }

        var metadata: [String: String] = [:]
        var entries: [Entry] = []
        for (name, value) in members {
            if name == metadataKey {
                guard case .object(let items) = value else {
                    throw invalid("\(metadataKey) must be an object of strings, got \(value.kind)")
                }
                for (key, v) in items {
                    guard case .string(let s) = v else {
                        throw invalid("\(metadataKey) value for \"\(key)\" must be a string, got \(v.kind)")
                    }
                    metadata[key] = s
                }
                continue
            }
            entries.append(try entry(name, value, invalid))
        }

        // The ranges, sorted, must tile the data section: [0, e₁), [e₁, e₂), … up to its end.
        entries.sort { ($0.offsets.lowerBound, $0.offsets.upperBound, $0.name) < ($1.offsets.lowerBound, $1.offsets.upperBound, $1.name) }
        var expected = 0
        for e in entries {
            if e.offsets.lowerBound > expected {
                throw CheckpointError.corrupt(file: file, detail: "bytes \(expected)..<\(e.offsets.lowerBound) of the data section belong to no tensor (before \"\(e.name)\")")
            }
            if e.offsets.lowerBound < expected {
                throw CheckpointError.corrupt(file: file, detail: "tensor \"\(e.name)\" at bytes \(e.offsets.lowerBound)..<\(e.offsets.upperBound) overlaps the tensor before it (which ends at \(expected))")
            }
            expected = e.offsets.upperBound
        }
        let dataStart = 8 + length
        let dataLength = bytes.count - dataStart
        if dataLength < expected {
            let last = entries.last { $0.offsets.upperBound > dataLength }?.name ?? ""
            throw CheckpointError.truncated(file: file, detail: "the data section has \(dataLength) bytes but tensor \"\(last)\" ends at byte \(expected)")
        }
        if dataLength > expected {
            throw CheckpointError.corrupt(file: file, detail: "\(dataLength - expected) bytes after the last tensor belong to no tensor (the data section has \(dataLength) bytes, the tensors \(expected))")
        }
        return Header(entries: entries, metadata: metadata, dataStart: dataStart)
    }

    /// One header entry, checked.
    private static func entry(_ name: String, _ value: JSONValue, _ invalid: (String) -> CheckpointError) throws -> Entry {
        guard case .object(let fields) = value else {
            throw invalid("entry \"\(name)\" must be an object, got \(value.kind)")
        }
        func field(_ key: String) throws -> JSONValue {
            guard let v = fields.first(where: { $0.key == key })?.value else {
                throw invalid("entry \"\(name)\" has no \"\(key)\"")
            }
            return v
        }
        func integers(_ key: String) throws -> [Int] {
            guard case .array(let items) = try field(key) else {
                throw invalid("entry \"\(name)\": \"\(key)\" must be an array of integers")
            }
            return try items.map { item in
                guard case .integer(let v) = item, v >= 0 else {
                    throw invalid("entry \"\(name)\": \"\(key)\" must hold non-negative integers, got \(item)")
                }
                return v
            }
        }
        guard case .string(let dtype) = try field("dtype") else {
            throw invalid("entry \"\(name)\": \"dtype\" must be a string")
        }
        guard let size = dtypeSizes[dtype] else {
            throw invalid("entry \"\(name)\" has an unknown dtype \"\(dtype)\"")
        }
        let shape = try integers("shape")
        let offsets = try integers("data_offsets")
        guard offsets.count == 2, offsets[0] <= offsets[1] else {
            throw invalid("entry \"\(name)\": \"data_offsets\" must be [begin, end] with begin <= end, got \(offsets)")
        }
        var bytes = size
        for d in shape {
            let (p, overflow) = bytes.multipliedReportingOverflow(by: d)
            guard !overflow else { throw invalid("entry \"\(name)\": shape \(shape) is too large") }
            bytes = p
        }
        guard bytes == offsets[1] - offsets[0] else {
            throw invalid("entry \"\(name)\": shape \(shape) of \(dtype) needs \(bytes) bytes but its offsets [\(offsets[0]), \(offsets[1])] hold \(offsets[1] - offsets[0])")
        }
        return Entry(name: name, dtype: dtype, shape: shape, offsets: offsets[0]..<offsets[1])
    }
}
