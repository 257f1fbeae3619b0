/// The element buffer behind a `Tensor`: one heap allocation holding the element count
/// and the Float32 elements inline (a `ManagedBuffer`).
///
/// Tensors share storages freely (a reshape, a copy of the struct, a tensor saved for the
/// backward pass); a tensor that writes to its storage first makes it unique
/// (copy-on-write, as `Array` does), so no tensor ever sees another's writes.
public final class TensorStorage: ManagedBuffer<Int, Float> {
    @inlinable
    static func make(count: Int) -> TensorStorage {
        let buffer = TensorStorage.create(minimumCapacity: Swift.max(count, 1)) { _ in count }
        return unsafeDowncast(buffer, to: TensorStorage.self)
    }

    @inlinable
    static func zeros(count: Int) -> TensorStorage {
        let s = make(count: count)
        s.pointer.initialize(repeating: 0, count: count)
        return s
    }

    @inlinable
    static func filled(count: Int, value: Float) -> TensorStorage {
        let s = make(count: count)
        s.pointer.initialize(repeating: value, count: count)
        return s
    }

    @inlinable
    static func copy(of source: UnsafePointer<Float>, count: Int) -> TensorStorage {
        let s = make(count: count)
        s.pointer.initialize(from: source, count: count)
        return s
    }

    @inlinable
    var count: Int { header }

    /// The first element. Valid while the storage is alive.
    @inlinable
    var pointer: UnsafeMutablePointer<Float> {
        withUnsafeMutablePointerToElements { $0 }
    }

    @inlinable
    func clone() -> TensorStorage {
        TensorStorage.copy(of: pointer, count: count)
    }
}
