import Synchronization

/// A node of the reverse-mode tape: how one tensor was computed, and how to send a
/// gradient back to the tensors it was computed from.
///
/// Each op creates its output's node with a `backward` closure written right beside the
/// op's forward code; the closure receives d(loss)/d(output) and *adds* the gradients of the
/// inputs into their nodes (micrograd's scheme). Leaves keep their accumulated gradient in
/// `grad` across backward passes; inner nodes hold theirs only while a pass runs.
public final class GradNode {
    /// Which op made this node (`.leaf` for a variable).
    public let op: Op
    /// The kernel's name for `.custom` ops ("lstm", "attention").
    public var label: String = ""
    @usableFromInline let shape: [Int]
    @usableFromInline var parents: [GradNode]
    @usableFromInline var backwardFn: ((Tensor) -> Void)?
    /// The accumulated gradient (persistent for leaves, transient for inner nodes).
    @usableFromInline var grad: Tensor?
    @usableFromInline var mark: UInt64 = 0
    @usableFromInline var released = false

    @usableFromInline
    init(op: Op, shape: [Int], parents: [GradNode], backward: ((Tensor) -> Void)?) {
        self.op = op
        self.shape = shape
        self.parents = parents
        self.backwardFn = backward
    }

    @inlinable public var isLeaf: Bool { op == .leaf }

    /// Adds `g` (of this node's shape) into the accumulated gradient.
    @inlinable
    func accumulate(_ g: Tensor) {
        if grad == nil {
            grad = g.detached()
        } else {
            grad!.addInPlaceUnchecked(g)
        }
    }
}

// MARK: - Gradient mode

/// Whether operations record on the tape. `noGrad { … }` turns recording off for the calls
/// inside, on the current task or thread only.
public enum GradMode {
    @TaskLocal public static var isEnabled = true
}

/// Runs `body` without recording operations on the tape (evaluation, target networks,
/// parameter updates).
@inlinable
public func noGrad<R>(_ body: () throws -> R) rethrows -> R {
    try GradMode.$isEnabled.withValue(false, operation: body)
}

let backwardEpoch = Atomic<UInt64>(0)

// MARK: - Recording

extension Tensor {
    /// Whether gradients flow to this tensor.
    @inlinable public var requiresGrad: Bool { node != nil }

    /// Whether this tensor is a leaf variable (made by `requiringGrad()`): `backward()`
    /// accumulates into its `grad`, and its elements change only outside the tape.
    @inlinable public var isLeafVariable: Bool { node?.isLeaf == true }

    /// This tensor as a fresh leaf variable: `backward()` will accumulate into its `grad`.
    public func requiringGrad() -> Tensor {
        Tensor(storage: storage, shape: shape, node: GradNode(op: .leaf, shape: shape, parents: [], backward: nil))
    }

    /// The same values, cut off from the tape.
    @inlinable
    public func detached() -> Tensor {
        Tensor(storage: storage, shape: shape, node: nil)
    }

    /// The gradient accumulated in this leaf by `backward()`, or nil.
    public var grad: Tensor? {
        guard let node, node.isLeaf else { return nil }
        return node.grad
    }

    /// Clears this leaf's accumulated gradient.
    public func zeroGrad() {
        if let node, node.isLeaf { node.grad = nil }
    }

    /// Multiplies this leaf's accumulated gradient by `factor` in place (gradient clipping).
    /// Copy-on-write keeps any tensor that shares the old gradient's storage unchanged.
    public func scaleGrad(by factor: Float) {
        guard let node, node.isLeaf, node.grad != nil else { return }
        let p = node.grad!.mutablePointer()
        for i in 0..<node.grad!.count { p[i] *= factor }
    }

    /// Creates the result of an op with one input: records a tape node when gradient mode
    /// is on and the input requires gradients.
    @inlinable
    static func record(
        _ op: Op, _ storage: TensorStorage, _ shape: [Int], _ a: Tensor,
        backward: @escaping (Tensor) -> Void
    ) -> Tensor {
        guard let na = a.node, GradMode.isEnabled else { return Tensor(storage: storage, shape: shape) }
        return Tensor(storage: storage, shape: shape, node: GradNode(op: op, shape: shape, parents: [na], backward: backward))
    }

    /// As `record`, for ops with two inputs.
    @inlinable
    static func record(
        _ op: Op, _ storage: TensorStorage, _ shape: [Int], _ a: Tensor, _ b: Tensor,
        backward: @escaping (Tensor) -> Void
    ) -> Tensor {
        if a.node == nil && b.node == nil { return Tensor(storage: storage, shape: shape) }
        guard GradMode.isEnabled else { return Tensor(storage: storage, shape: shape) }
        var parents: [GradNode] = []
        parents.reserveCapacity(2)
        if let na = a.node { parents.append(na) }
        if let nb = b.node { parents.append(nb) }
        return Tensor(storage: storage, shape: shape, node: GradNode(op: op, shape: shape, parents: parents, backward: backward))
    }

    /// As `record`, for ops with a list of inputs.
    @inlinable
    static func record(
        _ op: Op, _ storage: TensorStorage, _ shape: [Int], inputList: [Tensor],
        backward: @escaping (Tensor) -> Void
    ) -> Tensor {
        var parents: [GradNode] = []
        for input in inputList { if let n = input.node { parents.append(n) } }
        if parents.isEmpty || !GradMode.isEnabled {
            return Tensor(storage: storage, shape: shape)
        }
        return Tensor(storage: storage, shape: shape, node: GradNode(op: op, shape: shape, parents: parents, backward: backward))
    }

    // MARK: - Backward

    /// Back-propagates from this tensor: adds d(self)/d(leaf) into the `grad` of every leaf
    /// it depends on. `self` must be a scalar unless `gradient` (d(loss)/d(self), of self's
    /// shape) is given. The tape behind `self` is released afterwards unless `retainGraph`.
    public func backward(gradient: Tensor? = nil, retainGraph: Bool = false) throws {
        guard let root = node else {
            throw TensorError("backward", "this tensor does not require gradients (no input was made with requiringGrad(), or it was computed inside noGrad)")
        }
        let seed: Tensor
        if let gradient {
            guard gradient.shape == shape else {
                throw TensorError("backward", "gradient of shape \(shapeString(gradient.shape)) for a tensor of shape \(shapeString(shape))")
            }
            seed = gradient.detached()
        } else {
            guard count == 1 else {
                throw TensorError("backward", "needs a scalar (or an explicit gradient), got shape \(shapeString(shape)); reduce it first, e.g. with .sum() or .mean()")
            }
            seed = Tensor(storage: TensorStorage.filled(count: 1, value: 1), shape: shape)
        }
        if root.isLeaf {
            root.accumulate(seed)
            return
        }

        // Topological order by iterative depth-first search (recurrent unrolls make deep graphs).
        let epoch = backwardEpoch.add(1, ordering: .relaxed).newValue
        var order: [GradNode] = []
        var stack: [(GradNode, Int)] = [(root, 0)]
        root.mark = epoch
        while let (n, next) = stack.last {
            if next < n.parents.count {
                stack[stack.count - 1].1 = next + 1
                let p = n.parents[next]
                if p.mark != epoch {
                    p.mark = epoch
                    stack.append((p, 0))
                }
            } else {
                stack.removeLast()
                order.append(n)
            }
        }
        for n in order where !n.isLeaf && n.released {
            throw TensorError("backward", "part of this graph was already released by an earlier backward(); pass retainGraph: true to the first call to backward twice through it")
        }

        root.grad = seed
        // Gradient rules compute with plain tensors: nothing they do is recorded.
        GradMode.$isEnabled.withValue(false) {
        for n in order.reversed() where !n.isLeaf {
            guard let g = n.grad else { continue }
            n.backwardFn?(g)
            n.grad = nil
            if !retainGraph {
                n.backwardFn = nil
                n.parents = []
                n.released = true
            }
        }
        }
    }
}

// MARK: - Ops with several outputs

/// Holds the gradients that the secondary outputs of a multi-output op received, until
/// the op's own rule runs (after theirs, as they are its children on the tape).
final class OutputGradients {
    var grads: [Tensor?]
    init(count: Int) { grads = [Tensor?](repeating: nil, count: count) }
}

extension Tensor {
    /// Creates the outputs of an op with several results (a recurrent unroll returns its
    /// outputs and its final state). `backward` receives one gradient per output, nil for
    /// outputs that did not contribute to the loss, and adds into the inputs' nodes.
    ///
    /// Output 0 carries the op's node; each other output gets a small node whose rule
    /// hands its gradient to the op's node.
    public static func recordMulti(
        _ label: String, outputs: [(storage: TensorStorage, shape: [Int])], inputs: [Tensor],
        backward: @escaping ([Tensor?]) -> Void
    ) -> [Tensor] {
        var parents: [GradNode] = []
        for input in inputs { if let n = input.node { parents.append(n) } }
        if parents.isEmpty || !GradMode.isEnabled {
            return outputs.map { Tensor(storage: $0.storage, shape: $0.shape) }
        }
        let box = OutputGradients(count: outputs.count)
        let mainShape = outputs[0].shape
        let main = GradNode(op: .custom, shape: mainShape, parents: parents) { g in
            box.grads[0] = g
            backward(box.grads)
            box.grads = []
        }
        main.label = label
        var result = [Tensor(storage: outputs[0].storage, shape: mainShape, node: main)]
        for i in 1..<outputs.count {
            let aux = GradNode(op: .custom, shape: outputs[i].shape, parents: [main]) { [unowned main] g in
                box.grads[i] = g
                // The op's rule runs only if its node has a gradient: give it zeros when
                // output 0 itself was not used.
                if main.grad == nil { main.grad = Tensor.zerosUnchecked(mainShape) }
            }
            aux.label = label + "[\(i)]"
            result.append(Tensor(storage: outputs[i].storage, shape: outputs[i].shape, node: aux))
        }
        return result
    }

    /// Zeros of `shape` (used internally).
    static func zerosUnchecked(_ shape: [Int]) -> Tensor {
        Tensor(storage: TensorStorage.zeros(count: shape.reduce(1, *)), shape: shape)
    }


    /// The storage of a new, uninitialised tensor of `count` elements, for kernels
    /// written outside TensorCore (fused layers) that fill it completely.
    public static func makeStorage(count: Int) -> TensorStorage { TensorStorage.make(count: count) }

    /// A tensor on a storage filled by such a kernel.
    public init(filledStorage storage: TensorStorage, shape: [Int]) {
        self.init(storage: storage, shape: shape)
    }

    /// Adds `g` into this tensor's gradient, as an op's rule does for its inputs (for fused
    /// kernels written outside TensorCore). No effect when the tensor needs no gradient.
    public func accumulateGradient(_ g: Tensor) {
        node?.accumulate(g)
    }

    /// The first element of the storage, for kernels outside TensorCore. Valid while the
    /// tensor is alive; write only to a tensor you just created.
    public var unsafePointer: UnsafeMutablePointer<Float> { storage.pointer }
}

extension TensorStorage {
    /// The first element (for fused kernels outside TensorCore).
    public var elements: UnsafeMutablePointer<Float> { pointer }
}
