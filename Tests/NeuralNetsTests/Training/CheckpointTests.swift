import Foundation
import Testing
import TensorCore
@testable import NeuralNets

@Suite("safetensors checkpoints")
struct CheckpointTests {
    /// A file's bytes from a header text (padded to 8 bytes unless `pad` is false) and data.
    func file(_ header: String, data: [UInt8] = [], length: UInt64? = nil, pad: Bool = true) -> [UInt8] {
        var h = Array(header.utf8)
        while pad && h.count % 8 != 0 { h.append(0x20) }
        var n = (length ?? UInt64(h.count)).littleEndian
        return withUnsafeBytes(of: &n) { Array($0) } + h + data
    }

    func floats(_ values: [Float]) -> [UInt8] {
        values.flatMap { v -> [UInt8] in
            var b = v.bitPattern.littleEndian
            return withUnsafeBytes(of: &b) { Array($0) }
        }
    }

    /// The error decoding `bytes` throws.
    func error(_ bytes: [UInt8]) -> CheckpointError? {
        do {
            _ = try SafeTensors.decode(bytes, file: "test.safetensors")
            return nil
        } catch let e as CheckpointError {
            return e
        } catch {
            return nil
        }
    }

    // MARK: - Round trips

    @Test func moduleRoundTripIsBitExact() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("net.safetensors").path
        let net = try TinyNet(seed: 1)
        // Values that a decimal detour would lose: −0, subnormals, infinities, a NaN payload.
        try net.bias.assign(Tensor([-0.0, Float.leastNonzeroMagnitude, Float(bitPattern: 0x7FC0_1234)]))
        try net.saveCheckpoint(to: path, metadata: ["step": "1200", "config": "{\"hidden\": 32}"])
        let other = try TinyNet(seed: 2)
        #expect(bits(other.weight.value) != bits(net.weight.value))
        let metadata = try other.loadCheckpoint(from: path)
        for ((name, a), (_, b)) in zip(net.namedParameters(), other.namedParameters()) {
            #expect(bits(a.value) == bits(b.value), "\(name)")
        }
        #expect(metadata == ["step": "1200", "config": "{\"hidden\": 32}"])
        // The loaded values stay trainable leaves with the parameters' identity.
        try (other.weight.value.sum()).backward()
        #expect(other.weight.grad != nil)
    }

    @Test func dictionaryRoundTripWithScalarsEmptyTensorsAndOddNames() throws {
        let tensors: [String: Tensor] = [
            "scalar": Tensor(2.5),
            "empty": try Tensor.zeros([0, 3]),
            "naïve \"quoted\"\\name\n": Tensor([1, 2, 3]),
            "a.b.c": try Tensor.arange(0, 24).reshape([2, 3, 4]),
        ]
        let bytes = try SafeTensors.encode(tensors, metadata: ["note": "ünïcode\t✓"])
        let back = try SafeTensors.decode(bytes)
        #expect(back.metadata == ["note": "ünïcode\t✓"])
        #expect(Set(back.tensors.keys) == Set(tensors.keys))
        for (name, t) in tensors {
            #expect(back.tensors[name]!.shape == t.shape)
            #expect(bits(back.tensors[name]!) == bits(t))
        }
    }

    @Test func writerLayoutFollowsTheSpecification() throws {
        let bytes = try SafeTensors.encode(["b": Tensor([1, 2]), "a": Tensor([3])], metadata: ["k": "v"])
        let n = bytes[0..<8].enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        #expect(n % 8 == 0)                            // the data starts 8-byte aligned
        let header = String(decoding: bytes[8..<(8 + n)], as: UTF8.self)
        #expect(header.hasPrefix("{\"__metadata__\":{\"k\":\"v\"},\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},\"b\":"))
        #expect(header.hasSuffix("}") || header.hasSuffix(" "))
        #expect(bytes.count == 8 + n + 12)
        #expect(Array(bytes[(8 + n)...]) == floats([3, 1, 2]))  // sorted by name
        let parsed = try SafeTensors.parseHeader(bytes)
        #expect(parsed.entries.map(\.name) == ["a", "b"])
        #expect(parsed.entries[1].offsets == 4..<12)
    }

    @Test func writesAtomicallyAndReplaces() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("x.safetensors").path
        try SafeTensors.write(["t": Tensor([1])], to: path)
        try SafeTensors.write(["t": Tensor([2, 3])], to: path)
        #expect(try SafeTensors.read(from: path).tensors["t"]!.scalars == [2, 3])
        // No temporary file is left behind.
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["x.safetensors"])
        // A failed write leaves the old file as it was.
        let bad = #expect(throws: CheckpointError.self) {
            try SafeTensors.write(["__metadata__": Tensor([1])], to: path)
        }
        #expect(bad?.description.contains("__metadata__") == true)
        #expect(try SafeTensors.read(from: path).tensors["t"]!.scalars == [2, 3])
        let missingFolder = folder.appendingPathComponent("no/such/folder/y.safetensors").path
        let e = #expect(throws: CheckpointError.self) { try SafeTensors.write(["t": Tensor([1])], to: missingFolder) }
        #expect(e?.file == missingFolder)
        guard case .cannotWrite = e else { Issue.record("expected cannotWrite, got \(String(describing: e))"); return }
    }

    // MARK: - Loading into a model

    @Test func loadingChecksNamesAndShapes() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("m.safetensors").path
        let net = try TinyNet(seed: 1)
        let before = bits(net.weight.value)
        var tensors = try TinyNet(seed: 5).parameterTensors()

        tensors["head.weight"] = nil
        try SafeTensors.write(tensors, to: path)
        let missing = #expect(throws: CheckpointError.self) { try net.loadCheckpoint(from: path) }
        #expect(missing == .missingTensors(file: path, tensors: ["head.weight"]))
        #expect(missing?.description.contains("head.weight") == true)
        #expect(missing?.description.contains(path) == true)
        #expect(bits(net.weight.value) == before)   // unchanged on failure

        tensors = try TinyNet(seed: 5).parameterTensors()
        tensors["extra.bias"] = Tensor([1])
        try SafeTensors.write(tensors, to: path)
        let unexpected = #expect(throws: CheckpointError.self) { try net.loadCheckpoint(from: path) }
        #expect(unexpected == .unexpectedTensors(file: path, tensors: ["extra.bias"]))
        #expect(bits(net.weight.value) == before)
        try net.loadCheckpoint(from: path, allowUnexpected: true)
        #expect(bits(net.weight.value) == bits(tensors["weight"]!))

        tensors = try TinyNet(seed: 5).parameterTensors()
        tensors["bias"] = Tensor([1, 2])
        try SafeTensors.write(tensors, to: path)
        let shape = #expect(throws: CheckpointError.self) { try net.loadCheckpoint(from: path) }
        #expect(shape == .shapeMismatch(file: path, tensor: "bias", expected: [3], found: [2]))
        #expect(shape?.description == "checkpoint \(path): tensor \"bias\" has shape [2] in the file but the model expects [3]")
    }

    @Test func unreadableFiles() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let net = try TinyNet()
        let nowhere = folder.appendingPathComponent("nothing.safetensors").path
        let e = #expect(throws: CheckpointError.self) { try net.loadCheckpoint(from: nowhere) }
        guard case .cannotRead(let f, _) = e else { Issue.record("expected cannotRead, got \(String(describing: e))"); return }
        #expect(f == nowhere)
        let dir = #expect(throws: CheckpointError.self) { try SafeTensors.read(from: folder.path) }
        guard case .cannotRead = dir else { Issue.record("expected cannotRead, got \(String(describing: dir))"); return }
    }

    // MARK: - Corrupt files: each gives its own error

    @Test func truncatedFiles() throws {
        let good = try SafeTensors.encode(["w": Tensor([1, 2, 3])])
        guard case .truncated(let f, _) = error(Array(good[0..<5])) else { Issue.record("length cut"); return }
        #expect(f == "test.safetensors")
        guard case .truncated = error(Array(good[0..<20])) else { Issue.record("header cut"); return }
        let cut = error(Array(good.dropLast(2)))
        guard case .truncated(_, let detail) = cut else { Issue.record("data cut: \(String(describing: cut))"); return }
        #expect(detail.contains("\"w\""))
        guard case .truncated = error([]) else { Issue.record("empty file"); return }
    }

    @Test(arguments: [
        ("not JSON", "{\"w\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [0, 4]"),
        ("not an object", "[1, 2]"),
        ("does not start with {", " {}"),
        ("duplicate key", "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}"),
        ("metadata value not a string", "{\"__metadata__\":{\"step\":3},\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}"),
        ("unknown dtype", "{\"w\":{\"dtype\":\"F31\",\"shape\":[1],\"data_offsets\":[0,4]}}"),
        ("size and offsets disagree", "{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,4]}}"),
        ("negative size", "{\"w\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}"),
        ("fractional offset", "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4.0]}}"),
        ("missing field", "{\"w\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}}"),
        ("reversed offsets", "{\"w\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[4,0]}}"),
        ("nesting bomb", "{\"__metadata__\":" + String(repeating: "[", count: 10_000) + "}"),
        ("huge shape", "{\"w\":{\"dtype\":\"F32\",\"shape\":[9223372036854775807,4],\"data_offsets\":[0,4]}}"),
    ])
    func invalidHeaders(_ label: String, _ header: String) throws {
        let e = error(file(header, data: floats([1])))
        guard case .invalidHeader(let f, let detail) = e else {
            Issue.record("\(label): expected invalidHeader, got \(String(describing: e))")
            return
        }
        #expect(f == "test.safetensors")
        #expect(!detail.isEmpty)
    }

    @Test func invalidHeaderBytes() throws {
        guard case .invalidHeader = error(file("{}", length: 200_000_000)) else { Issue.record("huge length"); return }
        var bytes = file("{\"__metadata__\":{\"a\":\"b\"}}")
        bytes[20] = 0xFF                                     // not UTF-8
        guard case .invalidHeader(_, let detail) = error(bytes) else { Issue.record("UTF-8"); return }
        #expect(detail.contains("UTF-8"))
        // Padding with NUL instead of spaces is refused, as by the reference reader.
        var nul = Array("{}".utf8) + [0, 0, 0, 0, 0, 0]
        var n = UInt64(nul.count).littleEndian
        nul = withUnsafeBytes(of: &n) { Array($0) } + nul
        guard case .invalidHeader = error(nul) else { Issue.record("NUL padding"); return }
        // An empty header with no tensors is valid (and holds nothing).
        #expect(try SafeTensors.decode(file("{}")).tensors.isEmpty)
    }

    @Test func corruptLayouts() throws {
        let overlap = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}"
        guard case .corrupt(_, let d1) = error(file(overlap, data: floats([1, 2]))) else { Issue.record("overlap"); return }
        #expect(d1.contains("overlaps"))
        let gap = "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}"
        guard case .corrupt(_, let d2) = error(file(gap, data: floats([1, 2]))) else { Issue.record("gap"); return }
        #expect(d2.contains("belong to no tensor"))
        let trailing = "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}"
        guard case .corrupt = error(file(trailing, data: floats([1, 2]))) else { Issue.record("trailing"); return }
    }

    @Test func nonF32TensorsNameTheirDtype() throws {
        let header = "{\"steps\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[0,8]}}"
        let e = error(file(header, data: [1, 0, 0, 0, 0, 0, 0, 0]))
        #expect(e == .unsupportedDtype(file: "test.safetensors", tensor: "steps", dtype: "I64"))
        #expect(e?.description.contains("I64") == true && e?.description.contains("\"steps\"") == true)
        // The header itself is fine: it can be inspected.
        #expect(try SafeTensors.parseHeader(file(header, data: [1, 0, 0, 0, 0, 0, 0, 0])).entries[0].dtype == "I64")
    }

    @Test func randomCorruptionNeverTraps() throws {
        // Flip bytes and cut files at random: every outcome is a value or a CheckpointError.
        let good = try SafeTensors.encode(["w": Tensor([1, 2, 3]), "b": Tensor(0.5)], metadata: ["k": "v"])
        var rng = RNG(seed: 99)
        for _ in 0..<500 {
            var bytes = good
            for _ in 0..<(1 + rng.int(below: 3)) {
                bytes[rng.int(below: bytes.count)] = UInt8(truncatingIfNeeded: rng.next())
            }
            if rng.bernoulli(0.3) { bytes = Array(bytes.prefix(rng.int(below: bytes.count))) }
            do {
                _ = try SafeTensors.decode(bytes)
            } catch is CheckpointError {
            }
        }
    }

    // MARK: - Optimizer state

    @Test func optimizerStateRoundTripThroughAFile() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("opt.safetensors").path
        let net = try TinyNet(seed: 3), copy = try TinyNet(seed: 3)
        let a = try Adam(net, learningRate: 0.01), b = try Adam(copy, learningRate: 0.01)
        func train(_ model: TinyNet, _ opt: Adam, steps: Int) throws {
            for _ in 0..<steps {
                opt.zeroGrad()
                let y = try model.head.weight.value.matmul(model.weight.value).sum() + model.bias.value.square().sum()
                try y.backward()
                try opt.step()
            }
        }
        try train(net, a, steps: 3)
        try a.saveState(to: path)
        try net.saveCheckpoint(to: path + ".model")
        try copy.loadCheckpoint(from: path + ".model")
        let metadata = try b.loadState(from: path)
        #expect(metadata["optimizer"] == "Adam" && metadata["lr"] == "0.01")
        #expect(b.stepCount == 3)
        try train(net, a, steps: 2)
        try train(copy, b, steps: 2)
        #expect(bits(net.weight.value) == bits(copy.weight.value))
        #expect(bits(net.head.weight.value) == bits(copy.head.weight.value))

        let sgd = try SGD(copy, learningRate: 0.1)
        let wrong = #expect(throws: CheckpointError.self) { try sgd.loadState(from: path) }
        #expect(wrong?.description.contains("Adam, not SGD") == true)
    }

    @Test func trainingCheckpointHoldsModelAndOptimizer() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("run.safetensors").path
        let net = try TinyNet(seed: 4)
        let opt = try RMSprop(net, learningRate: 0.01, momentum: 0.9)
        for (_, p) in net.namedParameters() { try setGrad(p, [Float](repeating: 0.5, count: p.count)) }
        try opt.step()
        try TrainingCheckpoint.save(model: net, optimizer: opt, to: path, metadata: ["episode": "12"])
        let names = try SafeTensors.readHeader(from: path).entries.map(\.name)
        #expect(names.contains("model.head.weight") && names.contains("optimizer.head.weight.square_avg"))

        let net2 = try TinyNet(seed: 9)
        let opt2 = try RMSprop(net2, learningRate: 0.01, momentum: 0.9)
        let metadata = try TrainingCheckpoint.load(model: net2, optimizer: opt2, from: path)
        #expect(metadata["episode"] == "12")
        #expect(bits(net2.bias.value) == bits(net.bias.value))
        #expect(bits(opt2.state()["bias.momentum_buffer"]!) == bits(opt.state()["bias.momentum_buffer"]!))

        // A mismatching optimizer leaves the model as it was.
        let net3 = try TinyNet(seed: 9)
        let before = bits(net3.bias.value)
        let opt3 = try RMSprop(net3, learningRate: 0.01)   // no momentum: no momentum_buffer expected
        #expect(throws: CheckpointError.self) { try TrainingCheckpoint.load(model: net3, optimizer: opt3, from: path) }
        #expect(bits(net3.bias.value) == before)
    }
}
