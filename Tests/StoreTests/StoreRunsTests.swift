import Foundation
import Testing
@testable import Store

@Suite("Store runs")
struct StoreRunsTests {
    @Test("runs are recorded, ended and listed newest first")
    func beginEndList() throws {
        try withStore { store, _ throws in
            let before = Date(timeIntervalSinceNow: -1)
            let first = try store.beginRun(script: "train.lua", args: ["--lr", "0.1", "quote\"é"])
            let second = try store.beginRun(script: "eval.lua", args: [])
            #expect(second > first)
            try store.endRun(first, status: "ok")

            let runs = try store.runs()
            #expect(runs.map(\.id) == [second, first])
            #expect(runs[0].script == "eval.lua")
            #expect(runs[0].args == [])
            #expect(runs[0].status == "running")
            #expect(runs[0].endedAt == nil)
            #expect(runs[1].script == "train.lua")
            #expect(runs[1].args == ["--lr", "0.1", "quote\"é"])
            #expect(runs[1].status == "ok")
            #expect(runs[1].startedAt > before)
            let ended = try #require(runs[1].endedAt)
            #expect(ended >= runs[1].startedAt)

            try store.endRun(second, status: "stopped by user")
            #expect(try store.runs(limit: 1).map(\.status) == ["stopped by user"])
            #expect(try store.runs(limit: 0).isEmpty)
        }
    }

    @Test("ending an unknown run or listing with a negative limit is a bad_value error")
    func badArguments() throws {
        try withStore { store, _ throws in
            let missing = #expect(throws: StoreError.self) { try store.endRun(999, status: "ok") }
            #expect(missing?.code == "bad_value")
            let negative = #expect(throws: StoreError.self) { try store.runs(limit: -1) }
            #expect(negative?.code == "bad_value")
        }
    }
}
