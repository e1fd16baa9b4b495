import CLua
import CLuaBridge

/// Safe reads of values Lua code handed to Swift, and length-aware string transfer.
///
/// Swift must never let a Lua error longjmp through its frames (STYLE rule 2). `lua_geti`,
/// `lua_getfield` and `luaL_len` run `__index`/`__len` metamethods, which may raise (or be
/// interrupted by Ctrl-C). These helpers read a table without a metatable raw, and anything else
/// under `lua_pcall` (so metamethod-backed tables and userdata are honoured); a metamethod's error
/// comes back as a thrown `LuaError` that keeps its code (`interrupted` stays `interrupted`).
/// Strings are read and pushed with their length, so embedded NUL bytes survive.
public enum LuaRead {
    /// The largest length a list argument may have (a `__len` beyond it is an error, not a loop).
    public static let maxLength = Int(Int32.max)

    /// Pushes `t[k]` for the value at `idx` and returns the pushed value's type.
    /// - Throws: the metamethod's error, with `what` prefixed to its message.
    @discardableResult
    public static func index(_ L: OpaquePointer, _ idx: Int32, _ k: Int, _ what: @autoclosure () -> String) throws -> Int32 {
        let status = dlua_pgeti(L, idx, lua_Integer(k))
        if status != LUA_OK { throw popError(L, "\(what()): reading [\(k)]") }
        return lua_type(L, -1)
    }

    /// Pushes `t[key]` for the value at `idx` and returns the pushed value's type.
    /// - Throws: the metamethod's error, with `what` prefixed to its message.
    @discardableResult
    public static func field(_ L: OpaquePointer, _ idx: Int32, _ key: String, _ what: @autoclosure () -> String) throws -> Int32 {
        let bytes = Array(key.utf8)
        let status = bytes.withUnsafeBufferPointer { b in
            b.withMemoryRebound(to: CChar.self) { dlua_pgetfield(L, idx, $0.baseAddress, $0.count) }
        }
        if status != LUA_OK { throw popError(L, "\(what()): reading '\(key)'") }
        return lua_type(L, -1)
    }

    /// `#t` for the value at `idx` (`__len` honoured under protection), in `0...maxLength`.
    /// - Throws: the metamethod's error, or an `arg` error when the length is out of range.
    public static func length(_ L: OpaquePointer, _ idx: Int32, _ what: @autoclosure () -> String) throws -> Int {
        var n: lua_Integer = 0
        let status = dlua_plen(L, idx, &n)
        if status != LUA_OK { throw popError(L, "\(what()): reading its length") }
        guard n >= 0, n <= lua_Integer(maxLength) else {
            throw LuaError(code: "arg", "\(what()): length \(n) is out of range (0…\(maxLength))")
        }
        return Int(n)
    }

    /// The string at `idx` read with its length (embedded NULs kept), or nil when it is not a string.
    /// Numbers are not converted (converting in place would confuse `lua_next`).
    public static func string(_ L: OpaquePointer, _ idx: Int32) -> String? {
        guard lua_type(L, idx) == LUA_TSTRING else { return nil }
        var len = 0
        guard let p = lua_tolstring(L, idx, &len) else { return nil }
        return String(decoding: UnsafeRawBufferPointer(start: p, count: len), as: UTF8.self)
    }

    /// Pushes `s` with its length (embedded NULs kept).
    public static func push(_ L: OpaquePointer, _ s: String) {
        var s = s
        s.withUTF8 { b in
            b.withMemoryRebound(to: CChar.self) { _ = lua_pushlstring(L, $0.baseAddress, $0.count) }
        }
    }

    /// Sets `t[key] = v` for the table at `tableIdx` (which Swift created) and the value on top,
    /// with the key pushed by length; pops the value.
    public static func setField(_ L: OpaquePointer, _ tableIdx: Int32, _ key: String) {
        let t = lua_absindex(L, tableIdx)
        push(L, key)
        lua_rotate(L, -2, 1)
        lua_rawset(L, t)
    }

    /// Makes room for `n` more stack slots.
    /// - Throws: an error with code `memory` naming `what` when Lua cannot grow the stack (too deep a structure).
    public static func checkStack(_ L: OpaquePointer, _ n: Int32, _ what: @autoclosure () -> String) throws {
        if lua_checkstack(L, n) == 0 {
            throw LuaError(code: "memory", "\(what()): too deeply nested (the Lua stack cannot grow further)")
        }
    }

    /// Builds a `LuaError` from the error value on top (keeping a `discern.Error`'s code) and pops it.
    static func popError(_ L: OpaquePointer, _ context: String) -> LuaError {
        let st = LuaState(borrowing: L)
        var e = st.errorFromStack(-1)
        dlua_pop(L, 1)
        e.message = "\(context): \(e.message)"
        e.traceback = nil
        return e
    }
}
