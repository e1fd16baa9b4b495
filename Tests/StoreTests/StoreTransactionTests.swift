import Testing
@testable import Store

@Suite("Store transactions")
struct StoreTransactionTests {
    @Test("a transaction commits every write and returns the body's value")
    func commit() throws {
        try withStore { store, _ throws in
            let result = try store.transaction { () throws -> Int in
                try store.put("a", kind: "k", bytes: [1])
                try store.put("b", kind: "k", bytes: [2])
                #expect(try store.has("a"))
                #expect(try store.count() == 2)
                return 42
            }
            #expect(result == 42)
            #expect(try store.count() == 2)
            let reopened = try Store(path: store.path)
            #expect(try reopened.count() == 2)
        }
    }

    @Test("an error thrown inside a transaction rolls everything back and is rethrown")
    func rollback() throws {
        try withStore { store, _ throws in
            try store.put("kept", kind: "k", bytes: [0])
            #expect(throws: Boom.self) {
                try store.transaction {
                    try store.put("lost", kind: "k", bytes: [1])
                    try store.remove("kept")
                    _ = try store.beginRun(script: "s.lua", args: [])
                    throw Boom()
                }
            }
            #expect(try store.has("lost") == false)
            #expect(try store.has("kept"))
            #expect(try store.runs().isEmpty)
            // The store keeps working normally after a rollback.
            try store.put("after", kind: "k", bytes: [2])
            #expect(try store.count() == 2)
        }
    }

    @Test("a nested transaction joins the outer one")
    func nestedCommit() throws {
        try withStore { store, _ throws in
            try store.transaction {
                try store.put("outer", kind: "k", bytes: [1])
                try store.transaction {
                    try store.put("inner", kind: "k", bytes: [2])
                    #expect(try store.has("outer"))
                }
                #expect(try store.has("inner"))
            }
            #expect(try store.keys() == ["inner", "outer"])
        }
    }

    @Test("a failure in the outer transaction undoes the nested writes too")
    func nestedRollback() throws {
        try withStore { store, _ throws in
            #expect(throws: Boom.self) {
                try store.transaction {
                    try store.transaction { try store.put("inner", kind: "k", bytes: [2]) }
                    try store.put("outer", kind: "k", bytes: [1])
                    throw Boom()
                }
            }
            #expect(throws: Boom.self) {
                try store.transaction {
                    try store.put("outer2", kind: "k", bytes: [1])
                    try store.transaction {
                        try store.put("inner2", kind: "k", bytes: [2])
                        throw Boom()
                    }
                }
            }
            #expect(try store.count() == 0)
        }
    }
}
