import TensorCore

// Saving and loading a model's parameters as a safetensors file, under the names of the
// parameter tree (`lstm.weight_ih`, `blocks.0.attn.qkv.weight`), which is also how PyTorch
// names a `state_dict`.

extension Module {
    /// The parameters' current values by name (copies cut off from the tape).
    public func parameterTensors() -> [String: Tensor] {
        var out: [String: Tensor] = [:]
        for (name, p) in namedParameters() { out[name] = p.value.detached() }
        return out
    }

    /// Sets every parameter from `tensors`, after checking that every parameter has a
    /// tensor of its shape and (unless `allowUnexpected`) that no tensor is left over.
    /// Nothing changes unless every check passes. `file` names the source in errors.
    public func loadParameterTensors(_ tensors: [String: Tensor], allowUnexpected: Bool = false, file: String = "<memory>") throws {
        let named = namedParameters()
        let missing = named.map(\.name).filter { tensors[$0] == nil }
        if !missing.isEmpty { throw CheckpointError.missingTensors(file: file, tensors: missing) }
        if !allowUnexpected {
            let known = Set(named.map(\.name))
            let unexpected = tensors.keys.filter { !known.contains($0) }.sorted()
            if !unexpected.isEmpty { throw CheckpointError.unexpectedTensors(file: file, tensors: unexpected) }
        }
        for (name, p) in named where tensors[name]!.shape != p.shape {
            throw CheckpointError.shapeMismatch(file: file, tensor: name, expected: p.shape, found: tensors[name]!.shape)
        }
        for (name, p) in named { try p.assign(tensors[name]!) }
    }

    /// Writes the parameters to a safetensors file at `path` (atomically), with optional
    /// string metadata (a config, a step count).
    public func saveCheckpoint(to path: String, metadata: [String: String] = [:]) throws {
        try SafeTensors.write(parameterTensors(), metadata: metadata, to: path)
    }

    /// Loads the parameters from the safetensors file at `path` and returns its metadata.
    /// Throws a `CheckpointError` naming the file and the tensor for a missing tensor, an
    /// unexpected one (unless `allowUnexpected`), a shape mismatch, a non-F32 tensor, or a
    /// truncated or corrupt file; the model is unchanged when it throws.
    @discardableResult
    public func loadCheckpoint(from path: String, allowUnexpected: Bool = false) throws -> [String: String] {
        let contents = try SafeTensors.read(from: path)
        try loadParameterTensors(contents.tensors, allowUnexpected: allowUnexpected, file: path)
        return contents.metadata
    }
}
