/// A binary min-heap: `pop()` returns the smallest element by `<`. The merge loops of both
/// tokenizers use it as their work queue, defining `<` as "merges first".
struct BinaryHeap<Element: Comparable> {
    private var storage: [Element] = []

    init() {}

    var isEmpty: Bool { storage.isEmpty }

    mutating func removeAll() { storage.removeAll(keepingCapacity: true) }

    mutating func push(_ element: Element) {
        storage.append(element)
        var child = storage.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            if !(storage[child] < storage[parent]) { break }
            storage.swapAt(child, parent)
            child = parent
        }
    }

    mutating func pop() -> Element? {
        guard !storage.isEmpty else { return nil }
        if storage.count == 1 { return storage.removeLast() }
        let top = storage[0]
        storage[0] = storage.removeLast()
        var parent = 0
        let count = storage.count
        while true {
            let left = 2 * parent + 1
            if left >= count { break }
            let right = left + 1
            let smaller = right < count && storage[right] < storage[left] ? right : left
            if !(storage[smaller] < storage[parent]) { break }
            storage.swapAt(smaller, parent)
            parent = smaller
        }
        return top
    }
}
