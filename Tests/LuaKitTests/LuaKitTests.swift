import CLua
import LuaKit
import Testing

final class Box { var n = 0 }

@Suite("LuaKit bridge")
struct LuaKitTests {
    @Test func errorsCrossAsValuesAndStackStaysBalanced() throws {
        let st = try LuaState()
        lua_pushglobaltable_helper(st)
        st.setFunction(in: -1, "fail", qualifiedName: "test.fail") { _ in throw LuaError(code: "shape", "bad shape") }
        st.setFunction(in: -1, "add", qualifiedName: "test.add") { call in
            call.push(try call.number(1) + call.number(2))
            return 1
        }
        lua_settop(st.L, 0)
        try st.execute("""
            local ok, e = pcall(fail)
            assert(not ok and e.code == 'shape' and e.message == 'test.fail: bad shape', tostring(e))
            assert(tostring(e) == 'test.fail: bad shape')
            local ok2, e2 = pcall(add, 1, 'x')
            assert(e2.message == 'test.add: bad argument #2 (number expected, got string)', e2.message)
            assert(add(2, 3) == 5)
            """)
        #expect(lua_gettop(st.L) == 0)
        #expect(throws: LuaError.self) { try st.execute("error('x')") }
        #expect(lua_gettop(st.L) == 0)
    }

    @Test func userdataRecipe() throws {
        let st = try LuaState()
        let cls = LuaClass<Box>("test.Box") { "test.Box(\($0.n))" }
        cls.method("inc") { call, b in b.n += 1; return 0 }
        cls.register(in: st)
        let b = Box()
        cls.push(st.L, b)
        lua_setglobal(st.L, "b")
        cls.push(st.L, b)
        lua_setglobal(st.L, "b2")
        try st.execute("""
            b:inc(); assert(tostring(b) == 'test.Box(1)')
            assert(rawequal(b, b2) and b:type() == 'test.Box')
            b:release()
            assert(tostring(b) == 'test.Box (released)')
            local ok, e = pcall(function() b:inc() end)
            assert(not ok and e.code == 'released', tostring(e))
            """)
        #expect(b.n == 1)
    }

    @Test func completionWalksTablesAndMetatables() throws {
        let st = try LuaState()
        try st.execute("""
            lib = {alpha = 1, alps = function() end, beta = {gamma = 2}}
            obj = setmetatable({}, {__index = {method_one = function() end, field = 3}})
            """)
        #expect(st.completions(for: "lib.al") == ["lib.alpha", "lib.alps"])
        #expect(st.completions(for: "x = lib.beta.g") == ["x = lib.beta.gamma"])
        #expect(st.completions(for: "obj:me") == ["obj:method_one"])
        #expect(st.completions(for: "obj:fi") == [])
        #expect(st.completions(for: "nosuch.x") == [])
        #expect(lua_gettop(st.L) == 0)
    }

    @Test func instructionBudgetStopsLoops() throws {
        let st = try LuaState()
        st.setInstructionBudget(50_000)
        do {
            try st.execute("while true do end")
            Issue.record("expected the budget to stop the loop")
        } catch let e as LuaError {
            #expect(e.code == "budget")
        }
        st.setInstructionBudget(nil)
        try st.execute("local s = 0 for i = 1, 100000 do s = s + i end")
    }
}

func lua_pushglobaltable_helper(_ st: LuaState) {
    lua_rawgeti(st.L, dlua_registryindex(), lua_Integer(LUA_RIDX_GLOBALS))
}
