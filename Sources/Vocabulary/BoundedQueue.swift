import Foundation

/// A bounded first-in, first-out queue between one producer and several consumers.
final class BoundedQueue<Element: Sendable>: @unchecked Sendable {
    private let condition = NSCondition()
    private var items: [Element] = []
    private var head = 0
    private let capacity: Int
    private var closed = false
    private var storedFailure: Error?

    init(capacity: Int) { self.capacity = max(1, capacity) }

    /// Adds an item, waiting while full; false once closed.
    func put(_ item: Element) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while items.count - head >= capacity && !closed { condition.wait() }
        if closed { return false }
        items.append(item)
        condition.broadcast()
        return true
    }

    /// The next item; nil once closed and drained.
    func take() -> Element? {
        condition.lock()
        defer { condition.unlock() }
        while items.count == head && !closed { condition.wait() }
        if items.count == head { return nil }
        let item = items[head]
        head += 1
        if head == items.count {
            items.removeAll(keepingCapacity: true)
            head = 0
        }
        condition.broadcast()
        return item
    }

    /// The first consumer error.
    var failure: Error? {
        condition.lock()
        defer { condition.unlock() }
        return storedFailure
    }

    /// Records a consumer error and closes the queue.
    func fail(_ error: Error) {
        condition.lock()
        if storedFailure == nil { storedFailure = error }
        condition.unlock()
        close()
    }

    /// Stops the queue: `put` returns false, `take` drains what is left.
    func close() {
        condition.lock()
        closed = true
        condition.broadcast()
        condition.unlock()
    }
}
