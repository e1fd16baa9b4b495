import CLua
import CLuaBridge

/// A Lua 5.4 state confined to the thread that created it.
///
/// Swift never raises Lua errors itself: bindings throw, and the C trampoline in `CLuaBridge`
/// raises the error after the Swift frame returns. Swift calls into Lua only through
/// `lua_pcall` with a traceback handler.
public final class LuaState {
    /// The raw state.
    public let L: OpaquePointer
    let owned: Bool

    /// Creates a new state with the standard libraries, the interrupt/budget hook and the bridge.
    /// - Throws: `LuaError` when Lua cannot allocate a state.
    public init() throws {
        LuaState.configureBridge()
        guard let L = dlua_newstate() else { throw LuaError(code: "memory", "cannot create a Lua state") }
        self.L = L
        owned = true
        luaL_openlibs(L)
        dlua_install_hook(L)
        LuaState.installErrorMetatable(L)
    }

    /// Wraps a state someone else owns (the stock `lua5.4` interpreter loading `discern.so`).
    public init(borrowing L: OpaquePointer) {
        LuaState.configureBridge()
        self.L = L
        owned = false
        LuaState.installErrorMetatable(L)
    }

    deinit {
        if owned { dlua_close(L) }
    }

    nonisolated(unsafe) static var configured = false
    static func configureBridge() {
        if configured { return }
        configured = true
        dlua_configure(luaKitDispatch, luaKitRelease)
    }

    // MARK: budget and interrupts

    /// Limits the instructions a call may run (nil: no limit); checked every 1,000 instructions.
    /// Exceeding it raises an error with code `budget`. Only for states this object owns.
    public func setInstructionBudget(_ limit: Int?) {
        if owned { dlua_set_budget(L, Int64(limit ?? 0)) }
    }

    /// Asks the running chunk to stop at its next hook check (raises code `interrupted`).
    public static func requestInterrupt() { dlua_request_interrupt() }

    /// Runs `body` with SIGINT turned into an interrupt request, restoring the default after.
    public static func catchingInterrupts<T>(_ body: () throws -> T) rethrows -> T {
        dlua_clear_interrupt()
        dlua_catch_sigint(1)
        defer { dlua_catch_sigint(0); dlua_clear_interrupt() }
        return try body()
    }

    // MARK: running code

    /// Compiles `code` and pushes the chunk function.
    /// - Throws: `LuaError` with code `syntax` and Lua's message.
    public func load(_ code: String, chunkName: String) throws {
        let status = code.withCString { luaL_loadbufferx(L, $0, code.utf8.count, chunkName, "t") }
        if status != LUA_OK {
            let msg = LuaRead.string(L, -1) ?? "syntax error"
            dlua_pop(L, 1)
            throw LuaError(code: "syntax", msg)
        }
    }

    /// Calls the function below `nargs` arguments on the stack under a traceback handler.
    /// - Returns: the number of results left on the stack.
    /// - Throws: `LuaError` built from the error value (its code, message and traceback).
    @discardableResult
    public func pcall(nargs: Int32, nresults: Int32 = -1) throws -> Int32 {
        let base = lua_gettop(L) - nargs  // index of the function
        lua_pushcclosure(L, dlua_msgh, 0)
        lua_rotate(L, base, 1)
        let status = dlua_pcall(L, nargs, nresults, base)
        lua_rotate(L, base, -1)
        dlua_pop(L, 1)  // the handler
        if status != LUA_OK {
            let err = errorFromStack(-1)
            dlua_pop(L, 1)
            throw err
        }
        return lua_gettop(L) - base + 1
    }

    /// Runs a chunk of code and returns its results converted to strings for display.
    @discardableResult
    public func execute(_ code: String, chunkName: String = "=(chunk)") throws -> Int32 {
        try load(code, chunkName: chunkName)
        return try pcall(nargs: 0)
    }

    /// Loads and runs a file with `arg`-style arguments passed as `...`.
    public func runFile(_ path: String, args: [String] = []) throws {
        let status = luaL_loadfilex(L, path, "t")
        if status != LUA_OK {
            let msg = LuaRead.string(L, -1) ?? "cannot load \(path)"
            dlua_pop(L, 1)
            throw LuaError(code: status == LUA_ERRFILE ? "file" : "syntax", msg)
        }
        for a in args { lua_pushstring(L, a) }
        let n = try pcall(nargs: Int32(args.count), nresults: 0)
        _ = n
    }

    /// Builds a `LuaError` from the value at `idx` (a table from the message handler or any value).
    public func errorFromStack(_ idx: Int32) -> LuaError {
        let i = lua_absindex(L, idx)
        if lua_type(L, i) == LUA_TTABLE {
            let code = stringField(i, "code") ?? "lua"
            var message = stringField(i, "message") ?? "error"
            if code == "lua" {
                lua_pushstring(L, "value")
                // A table raised by Lua code: render it through tostring.
                if lua_rawget(L, i) == LUA_TTABLE { message = toDisplayString(-1) }
                dlua_pop(L, 1)
            }
            return LuaError(code: code, message, traceback: stringField(i, "traceback"))
        }
        return LuaError(code: "lua", toDisplayString(i))
    }

    /// A string field read raw (an error value's metamethods are not run).
    func stringField(_ idx: Int32, _ name: String) -> String? {
        lua_pushstring(L, name)
        defer { dlua_pop(L, 1) }
        return lua_rawget(L, idx) == LUA_TSTRING ? LuaRead.string(L, -1) : nil
    }

    /// `tostring(value)` for the value at `idx` (honours `__tostring` and `__name`).
    public func toDisplayString(_ idx: Int32) -> String {
        // luaL_tolstring may call a __tostring metamethod that errors; run it protected.
        let i = lua_absindex(L, idx)
        lua_getglobal(L, "tostring")
        if lua_type(L, -1) != LUA_TFUNCTION {
            dlua_pop(L, 1)
            return "<\(String(cString: lua_typename(L, lua_type(L, i))))>"
        }
        lua_pushvalue(L, i)
        if dlua_pcall(L, 1, 1, 0) != LUA_OK {
            let m = LuaRead.string(L, -1) ?? "?"
            dlua_pop(L, 1)
            return "<error in __tostring: \(m)>"
        }
        let s = LuaRead.string(L, -1) ?? ""
        dlua_pop(L, 1)
        return s
    }

    /// Installs the metatable `discern.Error` (with `__tostring` rendering the message).
    static func installErrorMetatable(_ L: OpaquePointer) {
        if luaL_newmetatable(L, "discern.Error") != 0 {
            _ = luaL_loadstring(L, """
                local e = ...
                return tostring(rawget(e, 'message') or rawget(e, 'code') or 'error')
                """)
            lua_setfield(L, -2, "__tostring")
            lua_pushstring(L, "discern.Error")
            lua_setfield(L, -2, "__name")
        }
        dlua_pop(L, 1)
    }

    /// Pushes a `discern.Error` table for `error`.
    public func pushError(_ error: LuaError) {
        lua_createtable(L, 0, 3)
        lua_pushstring(L, error.code)
        lua_setfield(L, -2, "code")
        LuaRead.push(L, error.message)
        lua_setfield(L, -2, "message")
        if let tb = error.traceback {
            LuaRead.push(L, tb)
            lua_setfield(L, -2, "traceback")
        }
        luaL_setmetatable(L, "discern.Error")
    }
}

/// Installs (true) or restores (false) the SIGINT handler that requests interrupts.
public func dlua_catch_sigint_public(_ on: Bool) { dlua_catch_sigint(on ? 1 : 0) }
/// Whether an interrupt was requested and not yet consumed.
public func dlua_interrupt_pending_public() -> Bool { dlua_interrupt_pending() != 0 }
/// Consumes a pending interrupt request.
public func dlua_clear_interrupt_public() { dlua_clear_interrupt() }

extension LuaState {
    /// Runs `body` after clearing stale interrupt requests, leaving the SIGINT handler as it is.
    public static func catchingInterruptsKeepingHandler<T>(_ body: () throws -> T) rethrows -> T {
        dlua_clear_interrupt()
        defer { dlua_clear_interrupt() }
        return try body()
    }
}
