import CLua
import CLuaBridge
import LuaKit

/// The Lua side of a long Swift loop: the `on_progress` option (a function called with a progress
/// table; returning false stops the loop) and Ctrl-C. One per call; releases its reference when freed.
final class LuaProgressControl {
    private let call: LuaCall
    private var ref: Int32?
    /// Whether the callback asked to stop.
    private(set) var stopRequested = false
    /// Whether Ctrl-C was seen.
    private(set) var interrupted = false

    /// Reads the callback under `key` (`on_progress` by default) from `options` (absent: no callback).
    /// - Throws: `LuaError` (`arg`) when the option is not a function.
    init(_ call: LuaCall, _ options: LuaOptions?, key: String = "on_progress") throws {
        self.call = call
        if let o = options, try o.has(key) {
            guard try o.push(key) == LUA_TFUNCTION else {
                dlua_pop(call.L, 1)
                throw LuaError(code: "arg", "\(call.name): option '\(key)' must be a function(progress) -> false to stop")
            }
            ref = luaL_ref(call.L, dlua_registryindex())
        }
    }

    deinit { if let ref { luaL_unref(call.L, dlua_registryindex(), ref) } }

    /// Calls the callback (if any) with the table `push` leaves on the stack.
    /// - Throws: the callback's error.
    func report(_ push: () -> Void) throws {
        guard let ref else { return }
        let L = call.L
        let top = lua_gettop(L)
        defer { lua_settop(L, top) }
        lua_rawgeti(L, dlua_registryindex(), lua_Integer(ref))
        push()
        try LuaState(borrowing: L).pcall(nargs: 1, nresults: 1)
        if lua_type(L, -1) == LUA_TBOOLEAN, lua_toboolean(L, -1) == 0 { stopRequested = true }
    }

    /// Whether the loop should stop now (Ctrl-C or the callback's false).
    var shouldStop: Bool {
        if dlua_interrupt_pending_public() { interrupted = true }
        return interrupted || stopRequested
    }

    /// After the loop: when it was interrupted, clears the interrupt and throws `interrupted` with
    /// `what` (e.g. "after step 12; checkpoint in …").
    func throwIfInterrupted(_ what: String) throws {
        guard interrupted else { return }
        dlua_clear_interrupt_public()
        throw LuaError(code: "interrupted", "\(call.name): interrupted \(what)")
    }
}
