import Foundation
import Testing
@testable import Store

@Suite("Store cache")
struct StoreCacheTests {
    @Test("put, get, has, remove and count round-trip")
    func roundTrip() throws {
        try withStore { store, _ throws in
            #expect(try store.count() == 0)
            #expect(try store.get("k1") == nil)
            #expect(try store.has("k1") == false)

            let before = Date(timeIntervalSinceNow: -1)
            try store.put("k1", kind: "tensor", bytes: [1, 2, 3], meta: #"{"shape":[3]}"#)
            try store.put("k2", kind: "text", bytes: Array("hi".utf8))
            #expect(try store.count() == 2)
            #expect(try store.has("k1"))

            let entry = try #require(try store.get("k1"))
            #expect(entry.key == "k1")
            #expect(entry.kind == "tensor")
            #expect(entry.bytes == [1, 2, 3])
            #expect(entry.meta == #"{"shape":[3]}"#)
            #expect(entry.createdAt > before)
            #expect(try store.get("k2")?.meta == nil)

            try store.put("k1", kind: "tensor2", bytes: [9])
            #expect(try store.count() == 2)
            #expect(try store.get("k1")?.bytes == [9])
            #expect(try store.get("k1")?.kind == "tensor2")
            #expect(try store.get("k1")?.meta == nil)

            #expect(try store.remove("k1"))
            #expect(try store.remove("k1") == false)
            #expect(try store.has("k1") == false)
            #expect(try store.count() == 1)
        }
    }

    @Test("an empty blob round-trips as empty, not missing")
    func emptyBlob() throws {
        try withStore { store, _ throws in
            try store.put("empty", kind: "blob", bytes: [])
            let entry = try #require(try store.get("empty"))
            #expect(entry.bytes.isEmpty)
            #expect(try store.has("empty"))
        }
    }

    @Test("a 5 MB blob round-trips byte for byte")
    func largeBlob() throws {
        try withStore { store, _ throws in
            let bytes = (0..<5_000_000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ ($0 >> 11)) }
            try store.put("big", kind: "blob", bytes: bytes)
            let entry = try #require(try store.get("big"))
            #expect(entry.bytes.count == 5_000_000)
            #expect(entry.bytes == bytes)
        }
    }

    @Test("keys are listed newest first and honour the limit")
    func keysOrder() throws {
        try withStore { store, _ throws in
            for key in ["a", "b", "c", "d"] { try store.put(key, kind: "k", bytes: [0]) }
            #expect(try store.keys() == ["d", "c", "b", "a"])
            try store.put("b", kind: "k", bytes: [1])
            #expect(try store.keys() == ["b", "d", "c", "a"])
            #expect(try store.keys(limit: 2) == ["b", "d"])
            #expect(try store.keys(limit: 0) == [])
            let error = #expect(throws: StoreError.self) { try store.keys(limit: -1) }
            #expect(error?.code == "bad_value")
        }
    }

    @Test("a second Store on the same file reads what the first wrote")
    func reopen() throws {
        try withTemporaryDirectory { dir throws in
            let path = dir.appendingPathComponent("nested/deeper/store.sqlite").path
            do {
                let first = try Store(path: path)
                try first.put("shared", kind: "k", bytes: [4, 5, 6], meta: "m")
                let second = try Store(path: path)
                #expect(try second.get("shared")?.bytes == [4, 5, 6])
            }
            let third = try Store(path: path)
            let entry = try #require(try third.get("shared"))
            #expect(entry.bytes == [4, 5, 6])
            #expect(entry.meta == "m")
            #expect(third.path == path)
        }
    }

    @Test("the store uses WAL mode and passes the integrity check")
    func walAndIntegrity() throws {
        try withStore { store, dir throws in
            #expect(try store.journalMode() == "wal")
            #expect(try store.integrityCheck() == "ok")
            #expect(store.schemaVersion == "v2")
            #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("store.sqlite").path))
        }
    }
}
