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

    /// Stores an entry under `key`, replacing any entry already there.
    /// - Parameters:
    ///   - key: The entry key.
    ///   - kind: The artifact kind.
    ///   - bytes: The artifact bytes (may be empty).
    ///   - meta: Optional metadata.
    /// - Throws: ``StoreError`` when the write fails.
    public func put(_ key: String, kind: String, bytes: [UInt8], meta: String? = nil) throws {
        let now = Date().timeIntervalSince1970
        try write { db in
            try db.execute(
                sql: "INSERT OR REPLACE INTO cache (key, kind, bytes, meta, created_at) VALUES (?, ?, ?, ?, ?)",
                arguments: [key, kind, Data(bytes), meta, now])
        }
    }

    /// Returns the entry stored under `key`, or nil when there is none.
    /// - Parameter key: The entry key.
    /// - Throws: ``StoreError`` when the read fails or the row is malformed (`store_corrupt`).
    /// - Returns: The entry, or nil.
    public func get(_ key: String) throws -> CacheEntry? {
        let path = self.path
        return try read { db in
            guard let row = try Row.fetchOne(
                db,
                sql: "SELECT key, kind, bytes, meta, created_at FROM cache WHERE key = ?",
                arguments: [key])
            else { return nil }
            guard let storedKey = row["key"] as String?,
                  let kind = row["kind"] as String?,
                  let data = row["bytes"] as Data?,
                  let createdAt = row["created_at"] as Double?
            else {
                throw StoreError(code: "store_corrupt", message: "store at \(path): malformed cache row for key \(key)")
            }
            return CacheEntry(
                key: storedKey,
                kind: kind,
                bytes: [UInt8](data),
                meta: row["meta"] as String?,
                createdAt: Date(timeIntervalSince1970: createdAt))
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
