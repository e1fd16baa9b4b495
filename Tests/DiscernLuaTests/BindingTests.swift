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

    /// A state with `discern` installed and the default store in a temporary home.
    static func state() throws -> LuaState {
        let home = try Support.tempDir("bindings-home")
        setenv("DISCERN_HOME", home.path, 1)
        let st = try LuaState()
        DiscernLua.install(in: st)
        return st
    }

    /// Compares the result lines with a committed snapshot (rewritten under DISCERN_UPDATE_SNAPSHOTS=1).
    static func compare(_ lines: [String], _ snapshot: URL) throws {
        let text = lines.joined(separator: "\n") + "\n"
        if ProcessInfo.processInfo.environment["DISCERN_UPDATE_SNAPSHOTS"] == "1" {
            try Data(text.utf8).write(to: snapshot)
        }
        let expected = (try? String(contentsOf: snapshot, encoding: .utf8)) ?? ""
        #expect(text == expected, "snapshot \(snapshot.lastPathComponent) differs; rerun with DISCERN_UPDATE_SNAPSHOTS=1 and review the diff")
    }

    @Test func everyBindingRejectsMissingArgumentsByNameWithABalancedStack() throws {
        let st = try Self.state()
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
        try Self.compare(lines, Self.snapshot)
        #expect(lines.count > 80)
    }

    static let methodSnapshot = Support.repoRoot.appendingPathComponent("Tests/DiscernLuaTests/methods-no-arguments.snapshot")

    /// Methods that change or end their object when called bare (`release` ends it; the rest are
    /// covered by the specs with real arguments).
    static let skippedMethods: Set<String> = ["release", "type", "backward", "zero_grad", "zero_", "merge_lora", "remove_lora",
                                              "retain_grad", "requires_grad_", "select", "reset", "save"]

    @Test func everyMethodRejectsMissingArgumentsByNameWithABalancedStack() throws {
        let st = try Self.state()
        let L = st.L
        // One live object of each class, built as the specs build them.
        try st.execute("""
            discern = require 'discern'
            local texts = {}
            for i = 1, 40 do texts[i] = ("the cat %d sat on the mat and the dog %d ran"):format(i, i * 7) end
            local tok = discern.tokenizer.train(texts, {vocab_size = 120, special_tokens = {"<|endoftext|>"}})
            local model = discern.model.init({n_layers = 2, d_model = 64, n_heads = 4, n_ctx = 64,
              bos_token_id = tok:token_to_id("<|endoftext|>")}, {seed = 3, tokenizer = tok})
            local tc = discern.circuit.load_transcoders("Tests/Fixtures/transcoders/plt")
            local rm = discern.circuit.replacement_model(model, tc)
            objects = {
              ["discern.Tensor"] = discern.tensor({{1, 2}, {3, 4}}),
              ["discern.Store"] = discern.store.open(os.getenv("DISCERN_HOME") .. "/s.sqlite"),
              ["discern.Tokenizer"] = tok,
              ["discern.Model"] = model,
              ["discern.Bandit"] = discern.bandit.ucb1{arms = {"a", "b"}},
              ["discern.Distribution"] = discern.stats.normal(),
              ["discern.OnlineFDR"] = discern.stats.saffron{},
              ["discern.Transcoders"] = tc,
              ["discern.ReplacementModel"] = rm,
              ["discern.Graph"] = discern.circuit.attribute("the cat 3 sat", rm, {cache = false, progress = false}),
            }
            """)
        var lines: [String] = []
        var classesSeen = Set<String>()
        for f in LuaAPI.functions where f.isMethod {
            let parts = f.name.split(separator: ":").map(String.init)
            let (cls, method) = (parts[0], parts[1])
            if Self.skippedMethods.contains(method) { continue }
            lua_settop(L, 0)
            lua_getglobal(L, "objects")
            guard lua_getfield(L, -1, cls) != LUA_TNIL else { continue }
            classesSeen.insert(cls)
            lua_rotate(L, -2, -1)
            lua_settop(L, -2)  // the object alone
            lua_pushinteger(L, 7)  // a sentinel below the call
            lua_getfield(L, 1, method)
            lua_pushvalue(L, 1)
            do {
                _ = try st.pcall(nargs: 1, nresults: 0)
                lines.append("\(f.name)\tok")
            } catch let e as LuaError {
                let first = e.message.split(separator: "\n").first.map(String.init) ?? ""
                lines.append("\(f.name)\t\(e.code)\t\(first)")
                #expect(e.message.hasPrefix(f.name), "\(f.name): message does not name the method: \(e.message)")
            }
            #expect(lua_gettop(L) == 2 && lua_tointegerx(L, 2, nil) == 7, "\(f.name) left the stack unbalanced")
        }
        try Self.compare(lines, Self.methodSnapshot)
        #expect(classesSeen.count == 10, "\(classesSeen.sorted())")
    }
}
