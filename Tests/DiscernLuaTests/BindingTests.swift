import CLua
import DiscernLua
import Foundation
import LuaKit
import Testing
import TestSupport

/// Every Swift binding of the `discern` module, called the wrong way: it must raise a `discern.Error`
/// whose message starts with its own name (no internal Swift names), never crash, and leave the
/// caller's Lua stack as it was. The messages are snapshotted (what users read).
@Suite("DiscernLua bindings", .serialized)
struct BindingTests {
    /// Functions that do real work when called without arguments (loading MiniLM from the machine's
    /// Python, reading the clock or the machine's state), so their result is not a fixed snapshot.
    static let skipped: Set<String> = ["discern.embed.load", "discern.clock", "discern.info", "discern.num_threads",
                                       "discern.live_tensors", "discern.fs.home"]

    static let snapshot = Support.repoRoot.appendingPathComponent("Tests/DiscernLuaTests/no-arguments.snapshot")

    @Test func everyBindingRejectsMissingArgumentsByNameWithABalancedStack() throws {
        let home = try Support.tempDir("bindings-home")
        setenv("DISCERN_HOME", home.path, 1)
        let st = try LuaState()
        DiscernLua.install(in: st)
        let L = st.L
        let names = DiscernLua.submodules.map { "'\($0)'" }.joined(separator: ", ")
        try st.execute("discern = require 'discern'; for _, n in ipairs({\(names)}) do local _ = discern[n] end")
        var lines: [String] = []
        for f in LuaAPI.functions where !f.isMethod && !Self.skipped.contains(f.name) {
            lua_settop(L, 0)
            // Resolve the function by its path from the global `discern`.
            let path = f.name.split(separator: ".").map(String.init)
            lua_getglobal(L, path[0])
            var found = true
            for key in path.dropFirst() {
                guard lua_type(L, -1) == LUA_TTABLE else { found = false; break }
                lua_getfield(L, -1, key)
                lua_rotate(L, -2, 1)
                lua_settop(L, -2)
            }
            guard found, lua_type(L, -1) == LUA_TFUNCTION || lua_type(L, -1) == LUA_TTABLE else {
                lines.append("\(f.name)\tnot reachable")
                continue
            }
            lua_pushinteger(L, 7)  // a sentinel below the call
            lua_rotate(L, -2, 1)
            do {
                _ = try st.pcall(nargs: 0, nresults: 0)
                lines.append("\(f.name)\tok")
            } catch let e as LuaError {
                let first = e.message.split(separator: "\n").first.map(String.init) ?? ""
                lines.append("\(f.name)\t\(e.code)\t\(first)")
                #expect(e.message.hasPrefix(f.name) || e.message.hasPrefix(f.name.replacing(".", with: ":")),
                        "\(f.name): message does not name the function: \(e.message)")
                #expect(!e.message.contains("Swift") && !e.message.contains("Error("), "\(f.name): \(e.message)")
            }
            #expect(lua_gettop(L) == 1 && lua_tointegerx(L, 1, nil) == 7, "\(f.name) left the stack unbalanced")
        }
        let text = lines.joined(separator: "\n") + "\n"
        if ProcessInfo.processInfo.environment["DISCERN_UPDATE_SNAPSHOTS"] == "1" {
            try Data(text.utf8).write(to: Self.snapshot)
        }
        let expected = (try? String(contentsOf: Self.snapshot, encoding: .utf8)) ?? ""
        #expect(text == expected, "snapshot differs; rerun with DISCERN_UPDATE_SNAPSHOTS=1 and review the diff")
        #expect(lines.count > 80)
    }
}
