import TensorCore

// Saving and loading an optimizer's state (step counts and moment buffers) as safetensors,
// so that training resumes exactly where it stopped. The metadata records the optimizer's
// name and hyperparameters; loading refuses the state of a different optimizer.

extension Optimizer {
    /// Writes the optimizer's state to a safetensors file at `path` (atomically). The
    /// metadata holds `optimizer` (the name) and the hyperparameters, plus `extra`.
    public func saveState(to path: String, metadata extra: [String: String] = [:]) throws {
        var metadata = extra
        for (key, value) in hyperparameters { metadata[key] = value }
        metadata["format"] = "memento-optimizer"
        metadata["optimizer"] = name
        try SafeTensors.write(state(), metadata: metadata, to: path)
    }

    /// Restores the state saved by `saveState(to:)` and returns the file's metadata. The
    /// learning rate is not changed (set it, or follow a schedule, after loading).
    @discardableResult
    public func loadState(from path: String) throws -> [String: String] {
        let contents = try SafeTensors.read(from: path)
        if let saved = contents.metadata["optimizer"], saved != name {
            throw CheckpointError.incompatibleState(file: path, detail: "it holds the state of \(saved), not \(name)")
        }
        do {
            try loadState(contents.tensors)
        } catch let error as OptimizerError {
            throw CheckpointError.incompatibleState(file: path, detail: error.message)
        }
        return contents.metadata
    }
}

/// A model and its optimizer in one safetensors file, for pausing and resuming training:
/// parameters under `model.<name>`, optimizer state under `optimizer.<key>`.
public enum TrainingCheckpoint {
    /// Writes `model`'s parameters and `optimizer`'s state to `path` (atomically).
    public static func save(model: Module, optimizer: any Optimizer, to path: String, metadata extra: [String: String] = [:]) throws {
        var tensors: [String: Tensor] = [:]
        for (name, t) in model.parameterTensors() { tensors["model." + name] = t }
        for (key, t) in optimizer.state() { tensors["optimizer." + key] = t }
        var metadata = extra
        metadata["format"] = "memento-training"
        metadata["optimizer"] = optimizer.name
        try SafeTensors.write(tensors, metadata: metadata, to: path)
    }

    /// Restores both from `path`; checks everything (names, shapes, optimizer kind) before
    /// changing either. Returns the file's metadata.
    @discardableResult
    public static func load(model: Module, optimizer: any Optimizer, from path: String) throws -> [String: String] {
        let contents = try SafeTensors.read(from: path)
        if let saved = contents.metadata["optimizer"], saved != optimizer.name {
            throw CheckpointError.incompatibleState(file: path, detail: "it holds the state of \(saved), not \(optimizer.name)")
        }
        var parameters: [String: Tensor] = [:], state: [String: Tensor] = [:], other: [String] = []
        for (key, t) in contents.tensors {
            if key.hasPrefix("model.") {
                parameters[String(key.dropFirst(6))] = t
            } else if key.hasPrefix("optimizer.") {
                state[String(key.dropFirst(10))] = t
            } else {
                other.append(key)
            }
        }
        if !other.isEmpty { throw CheckpointError.unexpectedTensors(file: path, tensors: other.sorted()) }
        // Dry run on the optimizer state: a throwaway copy would need the optimizer's type,
        // so check the model first (it changes nothing on failure), then the optimizer
        // (which also checks everything before changing anything), restoring the model's
        // old values if the optimizer refuses.
        let before = model.parameterTensors()
        do {
            try model.loadParameterTensors(parameters, file: path)
        } catch let error as CheckpointError {
            throw error.prefixingNames("model.")
        }
        do {
            try optimizer.loadState(state)
        } catch let error as OptimizerError {
            try model.loadParameterTensors(before, file: path)
            throw CheckpointError.incompatibleState(file: path, detail: error.message)
        }
        return contents.metadata
    }
}

extension CheckpointError {
    /// The same error with tensor names shown under `prefix` (as they appear in the file).
    func prefixingNames(_ prefix: String) -> CheckpointError {
        switch self {
        case .missingTensors(let f, let ts): return .missingTensors(file: f, tensors: ts.map { prefix + $0 })
        case .unexpectedTensors(let f, let ts): return .unexpectedTensors(file: f, tensors: ts.map { prefix + $0 })
        case .shapeMismatch(let f, let t, let e, let found): return .shapeMismatch(file: f, tensor: prefix + t, expected: e, found: found)
        default: return self
        }
    }
}
