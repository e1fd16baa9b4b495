import Foundation
import GRDB

extension Store {
    /// The SQL condition that is true for cache entries `gc` may evict: every kind that does not
    /// start with `run` (see ``gc(olderThan:maxSize:dryRun:)``).
    static let evictable = "substr(kind, 1, 3) <> 'run'"

    /// The SQL size of one cache row: its value bytes plus the UTF-8 bytes of its metadata.
    static let rowSize = "(length(bytes) + coalesce(length(CAST(meta AS BLOB)), 0))"

    /// Returns what the store holds: entries, bytes and write times per kind, totals, the
    /// database's size and free pages, and the number of runs.
    /// - Throws: ``StoreError`` when the read fails or a row is malformed (`store_corrupt`).
    /// - Returns: The statistics.
    /// - Complexity: one pass over the cache table (values are not read, only their lengths).
    public func stats() throws -> StoreStats {
        let path = self.path
        return try read { db in
            let rows = try Row.fetchAll(db, sql: """
                SELECT kind, COUNT(*) AS n, SUM(\(Self.rowSize)) AS bytes, MIN(created_at) AS oldest,
                       MAX(created_at) AS newest, MIN(accessed_at) AS lru
                FROM cache GROUP BY kind ORDER BY kind
                """)
            let kinds = try rows.map { row -> StoreStats.Kind in
                guard let kind = row["kind"] as String?, let n = row["n"] as Int?, let bytes = row["bytes"] as Int64?,
                      let oldest = row["oldest"] as Double?, let newest = row["newest"] as Double?,
                      let lru = row["lru"] as Double?
                else { throw StoreError(code: "store_corrupt", message: "store at \(path): malformed cache rows") }
                return StoreStats.Kind(
                    kind: kind, entries: n, bytes: bytes, oldest: Date(timeIntervalSince1970: oldest),
                    newest: Date(timeIntervalSince1970: newest), leastRecentlyAccessed: Date(timeIntervalSince1970: lru))
            }
            let (fileBytes, pageSize) = try Self.fileSize(db)
            let free = try Int64.fetchOne(db, sql: "PRAGMA freelist_count") ?? 0
            let runs = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM runs") ?? 0
            return StoreStats(path: path, kinds: kinds, fileBytes: fileBytes, pageSize: pageSize, freePages: free, runs: runs)
        }
    }

    /// Evicts cache entries by age and by size, then compacts the file.
    ///
    /// First every evictable entry last accessed before `now − olderThan` goes; then, while the
    /// cache (every entry's value and metadata bytes, protected ones included) is over `maxSize`,
    /// the least recently accessed evictable entry goes (ties: the earliest written). Access times
    /// are exact to within ``accessTimeResolution``.
    ///
    /// **What is never evicted.** The `runs` table, and every cache entry whose kind starts with
    /// `run` (`run`, `run.findings`, `run.step`, …): pipelines store each run's record and findings
    /// under such kinds, and those are results, not caches. Use another kind for anything that may be
    /// recomputed. When protected entries alone exceed `maxSize`, every evictable entry goes and the
    /// cache stays over the limit.
    ///
    /// The evictions happen in one transaction (all or none); then, unless `dryRun`, `VACUUM` and a
    /// WAL checkpoint return the freed pages to the file system.
    /// - Parameters:
    ///   - olderThan: Evict entries not accessed for this many seconds (nil: no age limit).
    ///   - maxSize: The cache size to get down to, in bytes (nil: no size limit).
    ///   - dryRun: Report what would be evicted and change nothing.
    /// - Throws: ``StoreError`` with code `bad_value` for a negative or non-finite limit, or when called
    ///   inside ``transaction(_:)`` without `dryRun` (`VACUUM` cannot run in a transaction); another code
    ///   when SQLite fails, in which case nothing was evicted.
    /// - Returns: What was (or would be) evicted, per kind, and the file size before and after.
    /// - Complexity: O(n log n) in the number of evictable entries when `maxSize` is given.
    @discardableResult
    public func gc(olderThan: TimeInterval? = nil, maxSize: Int64? = nil, dryRun: Bool = false) throws -> GCReport {
        if let olderThan, !(olderThan.isFinite && olderThan >= 0) {
            throw StoreError.badValue("gc: olderThan must be a finite number of seconds ≥ 0, got \(olderThan)")
        }
        if let maxSize, maxSize < 0 {
            throw StoreError.badValue("gc: maxSize must be ≥ 0 bytes, got \(maxSize)")
        }
        if !dryRun, joinedDatabase() != nil {
            throw StoreError.badValue("gc: cannot run inside a store transaction (VACUUM needs none); run it outside, or pass dryRun")
        }
        let now = Date().timeIntervalSince1970
        let (evicted, remaining, before) = try write { db -> ([String: (Int, Int64)], Int64, Int64) in
            let (before, _) = try Self.fileSize(db)
            var victims: [Int64] = []
            var perKind: [String: (Int, Int64)] = [:]
            func evict(_ row: Row) {
                let kind: String = row["kind"] ?? ""
                let size: Int64 = row["size"] ?? 0
                victims.append(row["rowid"] ?? 0)
                perKind[kind, default: (0, 0)].0 += 1
                perKind[kind, default: (0, 0)].1 += size
            }
            var total = try Int64.fetchOne(db, sql: "SELECT COALESCE(SUM(\(Self.rowSize)), 0) FROM cache") ?? 0
            let byAge = "SELECT rowid, kind, \(Self.rowSize) AS size, accessed_at FROM cache WHERE \(Self.evictable)"
            var cutoff = -Double.infinity
            if let olderThan {
                cutoff = now - olderThan
                let rows = try Row.fetchCursor(db, sql: byAge + " AND accessed_at < ?", arguments: [cutoff])
                while let row = try rows.next() {
                    evict(row)
                    total -= row["size"] ?? 0
                }
            }
            if let maxSize, total > maxSize {
                let rows = try Row.fetchCursor(
                    db, sql: byAge + " AND accessed_at >= ? ORDER BY accessed_at, created_at, rowid", arguments: [cutoff])
                while total > maxSize, let row = try rows.next() {
                    evict(row)
                    total -= row["size"] ?? 0
                }
            }
            if !dryRun {
                let statement = try db.cachedStatement(sql: "DELETE FROM cache WHERE rowid = ?")
                for id in victims { try statement.execute(arguments: [id]) }
            }
            return (perKind, total, before)
        }
        var after = before
        if !dryRun {
            do {
                try dbQueue.writeWithoutTransaction { db in
                    try db.execute(sql: "VACUUM")
                    try db.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)")
                }
                after = try read { db in try Self.fileSize(db).0 }
            } catch {
                let e = mapError(error)
                let n = evicted.values.reduce(0) { $0 + $1.0 }, bytes = evicted.values.reduce(0) { $0 + $1.1 }
                throw StoreError(code: e.code, message: "gc evicted \(n) entries (\(StoreUnits.formatBytes(bytes))), "
                    + "but compacting the file failed: \(e.message)")
            }
        }
        let kinds = evicted.keys.sorted().map { GCReport.Kind(kind: $0, entries: evicted[$0]!.0, bytes: evicted[$0]!.1) }
        return GCReport(dryRun: dryRun, kinds: kinds, remainingBytes: remaining, fileBytesBefore: before, fileBytesAfter: after)
    }

    /// `page_count × page_size` and `page_size`.
    static func fileSize(_ db: Database) throws -> (Int64, Int64) {
        let pages = try Int64.fetchOne(db, sql: "PRAGMA page_count") ?? 0
        let size = try Int64.fetchOne(db, sql: "PRAGMA page_size") ?? 0
        return (pages * size, size)
    }
}
