// A bounded, thread-safe cache from words to their token ids.

import Foundation

/// Caches model output per pre-tokenized word. Stops inserting once full (as HF's cache does).
final class WordCache: @unchecked Sendable {
    private var storage: [[UInt32]: [Int32]] = [:]
    private let lock = NSLock()
    private let capacity: Int

    init(capacity: Int) { self.capacity = capacity }

    func get(_ word: [UInt32]) -> [Int32]? {
        lock.lock()
        defer { lock.unlock() }
        return storage[word]
    }

    func set(_ word: [UInt32], _ ids: [Int32]) {
        lock.lock()
        defer { lock.unlock() }
        if storage.count < capacity { storage[word] = ids }
    }
}
