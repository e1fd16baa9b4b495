import Foundation
import GRDB

extension Store {
    /// Returns the cache key of a description: the lowercase hex SHA-256 of its canonical JSON.
    /// - Parameter description: The value that describes the cached computation.
    /// - Throws: ``StoreError`` with code `bad_value` when the description holds NaN or infinity.
    /// - Returns: 64 lowercase hexadecimal characters.
    public static func key(for description: CanonicalValue) throws -> String {
        ContentHash.hex(try description.canonicalJSON())
    }

    /// How stale an entry's access time may get before a read refreshes it (60 seconds).
    ///
    /// A read writes the access time only when the stored one is older than this, so repeated reads
    /// of hot entries stay reads; least-recently-used eviction (``gc(olderThan:maxSize:dryRun:)``) is
    /// therefore exact to within a minute.
    public static let accessTimeResolution: TimeInterval = 60

    /// Stores an entry under `key`, replacing any entry already there.
    /// - Parameters:
    ///   - key: The entry key.
    ///   - kind: The artifact kind.
    ///   - bytes: The artifact bytes (may be empty).
    ///   - meta: Optional metadata.
    /// - Throws: ``StoreError`` when the write fails.
    public func put(_ key: String, kind: String, bytes: [UInt8], meta: String? = nil) throws {
        try put([(key: key, kind: kind, bytes: bytes, meta: meta)])
    }

    /// Stores several entries in one transaction (all or none), replacing entries already there.
    /// - Parameter entries: The entries: key, kind, bytes and optional metadata each.
    /// - Throws: ``StoreError`` when the write fails; then none of them is stored.
    public func put(_ entries: [(key: String, kind: String, bytes: [UInt8], meta: String?)]) throws {
        if entries.isEmpty { return }
        let now = Date().timeIntervalSince1970
        try write { db in
            let statement = try db.cachedStatement(
                sql: "INSERT OR REPLACE INTO cache (key, kind, bytes, meta, created_at, accessed_at) VALUES (?, ?, ?, ?, ?, ?)")
            for e in entries {
                try statement.execute(arguments: [e.key, e.kind, Data(e.bytes), e.meta, now, now])
            }
        }
    }

    /// Returns the entry stored under `key`, or nil when there is none, and records the access.
    ///
    /// The access time is written only when the stored one is more than ``accessTimeResolution``
    /// old; that write is skipped when the store is read-only or locked by another writer.
    /// - Parameter key: The entry key.
    /// - Throws: ``StoreError`` when the read fails or the row is malformed (`store_corrupt`).
    /// - Returns: The entry, or nil.
    public func get(_ key: String) throws -> CacheEntry? {
        try entries([key])[key]
    }

    /// Returns the entries stored under `keys` (absent keys are missing from the result), read in one
    /// transaction, and records the accesses as ``get(_:)`` does, in one write.
    /// - Parameter keys: The entry keys (duplicates allowed).
    /// - Throws: ``StoreError`` when the read fails or a row is malformed (`store_corrupt`).
    /// - Returns: The entries by key.
    /// - Complexity: O(n) indexed lookups, in chunks of 500 keys.
    public func entries(_ keys: [String]) throws -> [String: CacheEntry] {
        if keys.isEmpty { return [:] }
        let path = self.path
        let unique = Array(Set(keys))
        let found: [String: CacheEntry] = try read { db in
            var out: [String: CacheEntry] = [:]
            for start in stride(from: 0, to: unique.count, by: 500) {
                let chunk = Array(unique[start..<Swift.min(start + 500, unique.count)])
                let marks = Array(repeating: "?", count: chunk.count).joined(separator: ",")
                let rows = try Row.fetchAll(
                    db,
                    sql: "SELECT key, kind, bytes, meta, created_at, accessed_at FROM cache WHERE key IN (\(marks))",
                    arguments: StatementArguments(chunk))
                for row in rows {
                    guard let storedKey = row["key"] as String?,
                          let kind = row["kind"] as String?,
                          let data = row["bytes"] as Data?,
                          let createdAt = row["created_at"] as Double?,
                          let accessedAt = row["accessed_at"] as Double?
                    else {
                        throw StoreError(code: "store_corrupt", message: "store at \(path): malformed cache row among keys \(chunk.prefix(3).joined(separator: ", "))…")
                    }
                    out[storedKey] = CacheEntry(
                        key: storedKey, kind: kind, bytes: [UInt8](data), meta: row["meta"] as String?,
                        createdAt: Date(timeIntervalSince1970: createdAt), accessedAt: Date(timeIntervalSince1970: accessedAt))
                }
            }
            return out
        }
        let now = Date()
        let stale = found.values.filter { now.timeIntervalSince($0.accessedAt) > Self.accessTimeResolution }.map(\.key)
        try touch(stale, at: now.timeIntervalSince1970)
        return found
    }

    /// Sets the access time of `keys` to `time`; skipped (not an error) when the store is read-only
    /// or another writer holds the lock past the busy timeout, since the read itself succeeded.
    func touch(_ keys: [String], at time: Double) throws {
        if keys.isEmpty { return }
        let body = { (db: Database) throws -> Void in
            for start in stride(from: 0, to: keys.count, by: 500) {
                let chunk = Array(keys[start..<Swift.min(start + 500, keys.count)])
                let marks = Array(repeating: "?", count: chunk.count).joined(separator: ",")
                try db.execute(
                    sql: "UPDATE cache SET accessed_at = ? WHERE key IN (\(marks)) AND accessed_at < ?",
                    arguments: StatementArguments([time as (any DatabaseValueConvertible)] + chunk + [time]))
            }
        }
        do {
            if let db = joinedDatabase() { try body(db) } else { try dbQueue.write(body) }
        } catch let error as DatabaseError
            where [.SQLITE_BUSY, .SQLITE_LOCKED, .SQLITE_READONLY].contains(error.resultCode) {
            return
        } catch {
            throw mapError(error)
        }
    }

    /// Returns whether an entry is stored under `key`.
    /// - Parameter key: The entry key.
    /// - Throws: ``StoreError`` when the read fails.
    /// - Returns: True when the entry exists.
    public func has(_ key: String) throws -> Bool {
        try read { db in
            try Int.fetchOne(db, sql: "SELECT 1 FROM cache WHERE key = ? LIMIT 1", arguments: [key]) != nil
        }
    }

    /// Deletes the entry stored under `key`.
    /// - Parameter key: The entry key.
    /// - Throws: ``StoreError`` when the write fails.
    /// - Returns: True when an entry was deleted.
    @discardableResult
    public func remove(_ key: String) throws -> Bool {
        try write { db in
            try db.execute(sql: "DELETE FROM cache WHERE key = ?", arguments: [key])
            return db.changesCount > 0
        }
    }

    /// Returns the number of cache entries.
    /// - Throws: ``StoreError`` when the read fails.
    /// - Returns: The entry count.
    public func count() throws -> Int {
        try read { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM cache") ?? 0
        }
    }

    /// Returns cache keys, most recently written first.
    /// - Parameter limit: The maximum number of keys, or nil for all of them.
    /// - Throws: ``StoreError`` with code `bad_value` for a negative limit, or when the read fails.
    /// - Returns: The keys, newest first.
    public func keys(limit: Int? = nil) throws -> [String] {
        if let limit, limit < 0 {
            throw StoreError.badValue("keys(limit:) needs a non-negative limit, got \(limit)")
        }
        return try read { db in
            try String.fetchAll(
                db,
                sql: "SELECT key FROM cache ORDER BY created_at DESC, rowid DESC LIMIT ?",
                arguments: [limit ?? -1])
        }
    }
}
