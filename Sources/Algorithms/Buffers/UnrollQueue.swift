import Foundation

/// A bounded first-in first-out queue between threads: IMPALA's actors put unrolls in,
/// the learner takes batches out. `put` waits while the queue is full and `take` while it
/// holds too few; `close` wakes every waiter (put then drops its item, take returns nil),
/// so that a failing or stopping side never leaves the other blocked.
final class UnrollQueue<Element>: @unchecked Sendable {
    private let condition = NSCondition()
    private var items: [Element] = []
    private let capacity: Int
    private(set) var isClosed = false

    init(capacity: Int) {
        precondition(capacity >= 1, "an unroll queue needs room for at least one unroll")
        self.capacity = capacity
    }

    /// Appends `item`, waiting while the queue is full; false when the queue was closed.
    @discardableResult
    func put(_ item: Element) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while items.count >= capacity && !isClosed { condition.wait() }
        guard !isClosed else { return false }
        items.append(item)
        condition.broadcast()
        return true
    }

    /// Removes the `count` oldest items, waiting until there are that many; nil when the
    /// queue was closed first.
    func take(_ count: Int) -> [Element]? {
        condition.lock()
        defer { condition.unlock() }
        while items.count < count && !isClosed { condition.wait() }
        guard !isClosed else { return nil }
        let out = Array(items.prefix(count))
        items.removeFirst(count)
        condition.broadcast()
        return out
    }

    /// Wakes every waiter; later `put`s are dropped and `take`s return nil.
    func close() {
        condition.lock()
        isClosed = true
        condition.broadcast()
        condition.unlock()
    }
}
