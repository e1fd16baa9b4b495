import Foundation
import Testing
import TestSupport

/// A tensor read from the store in a process that never opened `discern.tensor` still has its methods.
@Suite("store tensors across processes")
struct StoreTensorCLITests {
    let discern = Support.buildDir.appendingPathComponent("discern")

    @Test func tensorFromTheStoreHasItsMetatableBeforeTheTensorModuleLoads() throws {
        let dir = try Support.tempDir("store-tensor")
        let db = dir.appendingPathComponent("s.sqlite").path
        let write = dir.appendingPathComponent("write.lua"), read = dir.appendingPathComponent("read.lua")
        try "local d = require 'discern'; d.store.open('\(db)'):set('t', d.tensor({{1, 2}, {3, 4}}))"
            .write(to: write, atomically: true, encoding: .utf8)
        try "local d = require 'discern'; local t = d.store.open('\(db)'):get('t'); print(tostring(t), t:sum():item())"
            .write(to: read, atomically: true, encoding: .utf8)
        let env = ["DISCERN_HOME": dir.path]
        let w = try Support.run(discern, ["run", write.path], env: env, stdin: nil, cwd: Support.repoRoot)
        #expect(w.status == 0, "\(w.stderr)")
        let r = try Support.run(discern, ["run", read.path], env: env, stdin: nil, cwd: Support.repoRoot)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("discern.Tensor(float32, [2, 2], cpu)") && r.stdout.contains("\t10"), "\(r.stdout)")
    }
}
