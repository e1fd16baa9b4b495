import Foundation
import GRDB
import Testing
@testable import Store

/// Sets the access time of `key` to `secondsAgo` before now.
private func age(_ store: Store, _ key: String, _ secondsAgo: Double) throws {
    try store.dbQueue.write { db in
        try db.execute(sql: "UPDATE cache SET accessed_at = ? WHERE key = ?",
                       arguments: [Date().timeIntervalSince1970 - secondsAgo, key])
    }
}

/// Plants the entries a pipeline writes for a run (kinds starting with `run`), long unused.
private func plantRunEntries(_ store: Store) throws -> Int64 {
    let id = try store.beginRun(script: "pipeline.lua", args: ["--x"])
    try store.endRun(id, status: "ok")
    for (key, kind) in [("r1", "run"), ("r2", "run.findings"), ("r3", "run.step")] {
        try store.put(key, kind: kind, bytes: [UInt8](repeating: 7, count: 4000), meta: "{}")
        try age(store, key, 400 * 86_400)
    }
    return id
}

@Suite("Store stats and gc")
struct StoreMaintenanceTests {
    @Test("a v1 store migrates to v2 with access times equal to creation times")
    func migratesV1() throws {
        try withTemporaryDirectory { dir throws in
            let path = dir.appendingPathComponent("old.sqlite").path
            // The v1 schema exactly as the first release created it.
            do {
                let q = try DatabaseQueue(path: path)
                var m = DatabaseMigrator()
                m.registerMigration("v1") { db in
                    try db.execute(sql: """
                        CREATE TABLE cache (key TEXT PRIMARY KEY, kind TEXT NOT NULL, bytes BLOB NOT NULL, meta TEXT,
                                            created_at REAL NOT NULL);
                        CREATE TABLE runs (id INTEGER PRIMARY KEY AUTOINCREMENT, script TEXT NOT NULL, args TEXT NOT NULL,
                                           started_at REAL NOT NULL, ended_at REAL, status TEXT NOT NULL);
                        INSERT INTO cache VALUES ('old', 'blob', x'010203', 'm', 1000000.5);
                        INSERT INTO runs (script, args, started_at, status) VALUES ('a.lua', '[]', 1000000, 'ok');
                        """)
                }
                try m.migrate(q)
                try q.close()
            }
            let store = try Store(path: path)
            #expect(store.schemaVersion == "v2")
            let e = try #require(try store.get("old"))
            #expect(e.bytes == [1, 2, 3] && e.meta == "m")
            #expect(e.createdAt.timeIntervalSince1970 == 1000000.5)
            // The first read sees the migrated access time (created_at) and refreshes it.
            #expect(e.accessedAt.timeIntervalSince1970 == 1000000.5)
            #expect(Date().timeIntervalSince(try #require(try store.get("old")).accessedAt) < 60)
            #expect(try store.runs().map(\.script) == ["a.lua"])
            #expect(try store.integrityCheck() == "ok")
        }
    }

    @Test("reads refresh the access time at most once per resolution")
    func accessTime() throws {
        try withStore { store, _ throws in
            try store.put("hot", kind: "blob", bytes: [1])
            try store.put("cold", kind: "blob", bytes: [2])
            try age(store, "hot", 30)
            try age(store, "cold", 3600)
            _ = try store.entries(["hot", "cold", "absent", "cold"])
            let now = Date()
            let hot = try store.dbQueue.read { try Double.fetchOne($0, sql: "SELECT accessed_at FROM cache WHERE key = 'hot'") }
            let cold = try store.dbQueue.read { try Double.fetchOne($0, sql: "SELECT accessed_at FROM cache WHERE key = 'cold'") }
            // Within the resolution: left alone (no write); beyond it: refreshed.
            #expect(try #require(hot) < now.timeIntervalSince1970 - 29)
            #expect(try #require(cold) > now.timeIntervalSince1970 - 5)
        }
    }

    @Test("put of several entries is one transaction and entries() reads them back")
    func batch() throws {
        try withStore { store, _ throws in
            try store.put((0..<1200).map { (key: "k\($0)", kind: "embedding", bytes: [UInt8(truncatingIfNeeded: $0)], meta: nil) })
            let got = try store.entries((0..<1300).map { "k\($0)" })
            #expect(got.count == 1200)
            #expect(got["k1000"]?.bytes == [UInt8(truncatingIfNeeded: 1000)])
            #expect(got["k1250"] == nil)
        }
    }

    @Test("stats count entries and bytes per kind, the file and the runs")
    func stats() throws {
        try withStore { store, _ throws in
            let empty = try store.stats()
            #expect(empty.kinds.isEmpty && empty.entries == 0 && empty.bytes == 0 && empty.runs == 0)
            #expect(empty.fileBytes > 0 && empty.fileBytes % empty.pageSize == 0)
            try store.put("a", kind: "tensor", bytes: [UInt8](repeating: 1, count: 100), meta: "é")  // meta: 2 UTF-8 bytes
            try store.put("b", kind: "tensor", bytes: [UInt8](repeating: 1, count: 50))
            try store.put("c", kind: "blob", bytes: [])
            _ = try store.beginRun(script: "s.lua", args: [])
            let s = try store.stats()
            #expect(s.kinds.map(\.kind) == ["blob", "tensor"])
            #expect(s.kinds[1].entries == 2 && s.kinds[1].bytes == 152)
            #expect(s.kinds[0].entries == 1 && s.kinds[0].bytes == 0)
            #expect(s.entries == 3 && s.bytes == 152 && s.runs == 1 && s.path == store.path)
            #expect(s.kinds[1].oldest <= s.kinds[1].newest)
        }
    }

    @Test("gc by age evicts what was not accessed since the cutoff, never run entries")
    func byAge() throws {
        try withStore { store, _ throws in
            let runID = try plantRunEntries(store)
            try store.put("old1", kind: "embedding", bytes: [UInt8](repeating: 1, count: 10))
            try store.put("old2", kind: "tensor", bytes: [UInt8](repeating: 1, count: 20), meta: "xyz")
            try store.put("new", kind: "embedding", bytes: [1])
            try age(store, "old1", 8 * 86_400)
            try age(store, "old2", 10 * 86_400)
            try age(store, "new", 6 * 86_400)
            let dry = try store.gc(olderThan: 7 * 86_400, dryRun: true)
            #expect(dry.dryRun && dry.entries == 2 && dry.bytes == 33)
            #expect(dry.kinds == [.init(kind: "embedding", entries: 1, bytes: 10), .init(kind: "tensor", entries: 1, bytes: 23)])
            #expect(dry.fileBytesAfter == dry.fileBytesBefore)
            #expect(try store.count() == 6)  // a dry run changes nothing
            let r = try store.gc(olderThan: 7 * 86_400)
            #expect(!r.dryRun && r.kinds == dry.kinds && r.remainingBytes == dry.remainingBytes)
            #expect(try Set(store.keys()) == ["r1", "r2", "r3", "new"])
            // Even "everything" keeps the run entries and the runs table.
            try store.gc(olderThan: 0, maxSize: 0)
            #expect(try Set(store.keys()) == ["r1", "r2", "r3"])
            #expect(try store.runs().map(\.id) == [runID])
            #expect(try store.get("r2")?.bytes.count == 4000)
        }
    }

    @Test("gc by size evicts the least recently accessed first until the cache fits")
    func bySize() throws {
        try withStore { store, _ throws in
            _ = try plantRunEntries(store)  // 3 × 4002 protected bytes
            for i in 0..<5 {
                try store.put("e\(i)", kind: "embedding", bytes: [UInt8](repeating: 0, count: 1000))
                try age(store, "e\(i)", Double(100 - 10 * i) * 3600)  // e0 least recent
            }
            // e1 is read now: it becomes the most recent.
            _ = try store.get("e1")
            let protected: Int64 = 3 * 4002
            let r = try store.gc(maxSize: protected + 2500)
            #expect(r.entries == 3 && r.bytes == 3000 && r.remainingBytes == protected + 2000)
            #expect(try Set(store.keys()) == ["r1", "r2", "r3", "e4", "e1"])
            // A limit below the protected entries evicts every evictable entry and stops there.
            let all = try store.gc(maxSize: 10)
            #expect(all.entries == 2 && all.remainingBytes == protected)
            #expect(try store.count() == 3)
        }
    }

    @Test("gc compacts the file and reports its size before and after")
    func vacuum() throws {
        try withStore { store, _ throws in
            try store.put((0..<200).map { (key: "k\($0)", kind: "blob", bytes: [UInt8](repeating: 5, count: 8000), meta: nil) })
            let before = try store.stats().fileBytes
            let r = try store.gc(olderThan: 0)
            #expect(r.entries == 200 && r.fileBytesBefore == before)
            #expect(r.fileBytesAfter < before / 10, "\(r.fileBytesAfter) vs \(before)")
            #expect(try store.stats().fileBytes == r.fileBytesAfter)
            #expect(try store.stats().freePages == 0)
            let onDisk = try FileManager.default.attributesOfItem(atPath: store.path)[.size] as? Int64
            #expect(onDisk == r.fileBytesAfter)
            #expect(try store.integrityCheck() == "ok")
        }
    }

    @Test("gc rejects bad limits and a call inside a transaction")
    func badInput() throws {
        try withStore { store, _ throws in
            try store.put("a", kind: "blob", bytes: [1])
            #expect(throws: StoreError.self) { try store.gc(olderThan: -1) }
            #expect(throws: StoreError.self) { try store.gc(olderThan: .nan) }
            #expect(throws: StoreError.self) { try store.gc(maxSize: -5) }
            let e = #expect(throws: StoreError.self) { try store.transaction { try store.gc(olderThan: 0) } }
            #expect(e?.message.contains("transaction") == true)
            #expect(try store.transaction { try store.gc(olderThan: 0, dryRun: true) }.entries == 1)
            #expect(try store.count() == 1)
            // No limits: nothing evicted, the file is still compacted.
            #expect(try store.gc().entries == 0)
        }
    }

    @Test("durations and sizes parse in their human forms and name the accepted forms otherwise")
    func units() throws {
        #expect(try StoreUnits.duration("30m") == 1800)
        #expect(try StoreUnits.duration("12h") == 43200)
        #expect(try StoreUnits.duration("7d") == 604_800)
        #expect(try StoreUnits.duration("2w") == 1_209_600)
        #expect(try StoreUnits.duration("1.5d") == 129_600)
        #expect(try StoreUnits.duration("90s") == 90)
        for bad in ["7", "d", "7x", "-1d", "7D", "1..5h", "", "inf d"] {
            let e = #expect(throws: StoreError.self) { try StoreUnits.duration(bad) }
            #expect(e?.message.contains("30m, 12h, 7d, 2w") == true, "\(bad)")
        }
        #expect(try StoreUnits.size("500K") == 512_000)
        #expect(try StoreUnits.size("200M") == 200 * 1_048_576)
        #expect(try StoreUnits.size("10G") == 10 * 1_073_741_824)
        #expect(try StoreUnits.size("10gib") == 10 * 1_073_741_824)
        #expect(try StoreUnits.size("1.5K") == 1536)
        #expect(try StoreUnits.size("123") == 123)
        #expect(try StoreUnits.size("0") == 0)
        for bad in ["10X", "G", "-1M", "1e3", "99999999T", ""] {
            let e = #expect(throws: StoreError.self) { try StoreUnits.size(bad) }
            #expect(e?.message.contains("500K, 200M, 10G") == true, "\(bad)")
        }
        #expect(StoreUnits.formatBytes(512) == "512 B")
        #expect(StoreUnits.formatBytes(1536) == "1.5 KiB")
        #expect(StoreUnits.formatBytes(10 * 1_073_741_824) == "10.0 GiB")
    }
}
