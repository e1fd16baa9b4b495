import Foundation
import Testing
import TestSupport

/// The LuaCATS stubs are generated from the bindings' declarations; the committed copy must match.
@Suite("discern types")
struct TypesTests {
    let discern = Support.buildDir.appendingPathComponent("discern")

    @Test func committedStubsAreCurrent() throws {
        let home = try Support.tempDir("types-home")
        let r = try Support.run(discern, ["types", "--check", "--out", "Stdlib/discern/meta"], env: ["DISCERN_HOME": home.path],
                                stdin: nil, cwd: Support.repoRoot)
        #expect(r.status == 0, "stale stubs — run `discern types`:\n\(r.stdout)\n\(r.stderr)")
    }

    @Test func stubsDeclareModulesFunctionsAndClasses() throws {
        let out = try Support.tempDir("types-out")
        let home = try Support.tempDir("types-home")
        let r = try Support.run(discern, ["types", "--out", out.path], env: ["DISCERN_HOME": home.path], stdin: nil,
                                cwd: Support.repoRoot)
        #expect(r.status == 0, "\(r.stderr)")
        let text = try String(contentsOf: out.appendingPathComponent("discern.lua"), encoding: .utf8)
        #expect(text.hasPrefix("---@meta discern"))
        // The stubs are valid Lua (lua-language-server reads them as source).
        let check = out.appendingPathComponent("parse.lua")
        try "assert(loadfile('\(out.path)/discern.lua'))".write(to: check, atomically: true, encoding: .utf8)
        let parse = try Support.run(discern, ["run", check.path], env: ["DISCERN_HOME": home.path], stdin: nil, cwd: Support.repoRoot)
        #expect(parse.status == 0, "the stubs do not parse as Lua: \(parse.stderr)")
        for needle in ["---@class discern.stats\ndiscern.stats = {}", "function discern.fs.exists(path) end",
                       "---@class discern.Tensor", "---@overload fun(data: number|boolean|table, opts?: discern.tensor.CreateOptions): discern.Tensor"] {
            #expect(text.contains(needle), "missing: \(needle)")
        }
    }
}
