import CLua
import LuaKit
import Testing

/// The sealed boundary (STYLE rule 2): tables Lua code hands to Swift may carry metamethods that
/// raise, loop until Ctrl-C, or lie about their length; strings may hold NUL bytes. None of it may
/// longjmp through a Swift frame or trap.
@Suite("LuaKit boundary")
struct LuaBoundaryTests {
    /// A state with `ints(list)`, `strs(list)`, `opt(t)` (reads option `k` as an integer) and
    /// `echo(s)` (string round trip) as globals.
    func state() throws -> LuaState {
        let st = try LuaState()
        lua_pushglobaltable_helper(st)
        st.setFunction(in: -1, "ints", qualifiedName: "test.ints") { call in
            call.push(list: try call.integerList(1))
            return 1
        }
        st.setFunction(in: -1, "strs", qualifiedName: "test.strs") { call in
            call.push(strings: try call.stringList(1))
            return 1
        }
        st.setFunction(in: -1, "opt", qualifiedName: "test.opt") { call in
            let o = try call.options(1, allowed: ["k"])
            if let k = try o?.integer("k") { call.push(k) } else { call.pushNil() }
            return 1
        }
        st.setFunction(in: -1, "echo", qualifiedName: "test.echo") { call in
            call.push(try call.string(1))
            return 1
        }
        lua_settop(st.L, 0)
        return st
    }

    @Test func metamethodTablesAreHonouredUnderProtection() throws {
        let st = try state()
        try st.execute("""
            local proxy = setmetatable({}, {__len = function() return 3 end, __index = function(_, k) return k * 10 end})
            local r = ints(proxy)
            assert(#r == 3 and r[1] == 10 and r[3] == 30, 'proxy list')
            local defaults = setmetatable({}, {__index = {k = 7}})
            assert(opt(defaults) == 7, 'option through __index')
            """)
        #expect(lua_gettop(st.L) == 0)
    }

    @Test func raisingMetamethodsBecomeErrors() throws {
        let st = try state()
        try st.execute("""
            local bad_index = setmetatable({}, {__len = function() return 2 end, __index = function() error('index boom') end})
            local ok, e = pcall(ints, bad_index)
            assert(not ok and e.code == 'lua' and e.message:find('test.ints: bad argument #1: reading %[1%]') and e.message:find('index boom'), tostring(e))
            local bad_len = setmetatable({}, {__len = function() error('len boom') end})
            ok, e = pcall(ints, bad_len)
            assert(not ok and e.message:find('len boom') and e.message:find('length'), tostring(e))
            local odd_len = setmetatable({}, {__len = function() return 'x' end})
            ok, e = pcall(ints, odd_len)
            assert(not ok and e.message:find('not an integer'), tostring(e))
            local bad_opt = setmetatable({}, {__index = function() error('opt boom') end})
            ok, e = pcall(opt, bad_opt)
            assert(not ok and e.message:find("option 'k'") and e.message:find('opt boom'), tostring(e))
            """)
        #expect(lua_gettop(st.L) == 0)
    }

    @Test func lengthsOutOfRangeAreErrorsNotTrapsOrLoops() throws {
        let st = try state()
        try st.execute("""
            for _, n in ipairs({-1, 2^40 // 1, 2^62 // 1, math.mininteger}) do
              local t = setmetatable({}, {__len = function() return n end})
              local ok, e = pcall(ints, t)
              assert(not ok and e.code == 'arg' and e.message:find('out of range'), tostring(e))
            end
            for _, v in ipairs({1e300, math.huge, -math.huge, 0/0, 2^60}) do
              local ok, e = pcall(ints, {v})
              assert(not ok and e.message:find('list of integers expected'), tostring(v) .. ': ' .. tostring(e))
              ok, e = pcall(opt, {k = v})
              assert(not ok and e.message:find("option 'k' must be an integer"), tostring(e))
            end
            """)
    }

    // Ctrl-C inside a metamethod: the interrupt flag is process-wide, so that test runs the CLI in
    // its own process (CLITests.interruptInsideAMetamethodRead).

    @Test func stringsKeepEmbeddedNULs() throws {
        let st = try state()
        try st.execute("""
            local s = 'a\\0b\\0'
            assert(echo(s) == s and #echo(s) == 4, 'argument string')
            local r = strs({s, 'x\\0'})
            assert(r[1] == s and r[2] == 'x\\0', 'list of strings')
            local ok, e = pcall(opt, {['k\\0x'] = 1})
            assert(not ok and e.message:find("unknown option 'k\\0x'", 1, true), tostring(e))
            """)
    }
}
