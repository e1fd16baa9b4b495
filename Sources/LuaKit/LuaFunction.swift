import CLua
import CLuaBridge

/// The body of a Swift function callable from Lua: reads arguments from the call, pushes its
/// results and returns how many it pushed. Throwing raises a `discern.Error` in Lua.
public typealias LuaBody = (LuaCall) throws -> Int32

final class LuaFunctionBox {
    let name: String
    let body: LuaBody
    init(name: String, body: @escaping LuaBody) {
        self.name = name
        self.body = body
    }
}

/// Called by the C trampoline; never raises (errors are left on the stack, result -1).
let luaKitDispatch: dlua_Dispatch = { L, box in
    guard let L, let box else { return 0 }
    let fn = Unmanaged<LuaFunctionBox>.fromOpaque(box).takeUnretainedValue()
    let call = LuaCall(L: L, name: fn.name)
    do {
        return try fn.body(call)
    } catch let e as LuaError {
        var err = e
        if err.traceback == nil {
            if !err.message.hasPrefix(fn.name + ":") { err.message = "\(fn.name): \(err.message)" }
            err.traceback = traceback(L)
        }
        LuaState(borrowing: L).pushError(err)
    } catch let e as LuaCodedError {
        LuaState(borrowing: L).pushError(LuaError(code: e.luaCode, "\(fn.name): \(e.luaMessage)", traceback: traceback(L)))
    } catch {
        LuaState(borrowing: L).pushError(LuaError(code: "error", "\(fn.name): \(error)", traceback: traceback(L)))
    }
    return -1
}

let luaKitRelease: dlua_Release = { box in
    guard let box else { return }
    Unmanaged<LuaFunctionBox>.fromOpaque(box).release()
}

func traceback(_ L: OpaquePointer) -> String {
    luaL_traceback(L, L, nil, 1)
    defer { dlua_pop(L, 1) }
    return LuaRead.string(L, -1) ?? ""
}

extension LuaState {
    /// Pushes a Swift function as a Lua function; `name` prefixes its error messages and `doc`
    /// is what `?name` shows in the REPL.
    public func pushFunction(_ name: String, doc: String? = nil, _ body: @escaping LuaBody) {
        let box = Unmanaged.passRetained(LuaFunctionBox(name: name, body: body)).toOpaque()
        dlua_pushclosure(L, box)
        if let doc {
            setDoc(forValueAt: -1, doc)
            LuaAPI.registerFromDoc(name, doc)
        }
    }

    /// Sets `table[key] = function` for the table at `tableIndex`.
    public func setFunction(in tableIndex: Int32, _ key: String, qualifiedName: String, doc: String? = nil,
                            _ body: @escaping LuaBody) {
        let t = lua_absindex(L, tableIndex)
        pushFunction(qualifiedName, doc: doc, body)
        lua_setfield(L, t, key)
    }

    // MARK: docs

    /// Records a doc string for the value at `idx` (kept in a weak-keyed registry table).
    public func setDoc(forValueAt idx: Int32, _ doc: String) {
        let i = lua_absindex(L, idx)
        pushWeakRegistryTable("dlua.docs", mode: "k")
        lua_pushvalue(L, i)
        lua_pushstring(L, doc)
        lua_rawset(L, -3)
        dlua_pop(L, 1)
    }

    /// The doc string recorded for the value at `idx`, if any.
    public func doc(forValueAt idx: Int32) -> String? {
        let i = lua_absindex(L, idx)
        pushWeakRegistryTable("dlua.docs", mode: "k")
        lua_pushvalue(L, i)
        lua_rawget(L, -2)
        defer { dlua_pop(L, 2) }
        return LuaRead.string(L, -1)
    }

    /// Pushes registry[name], creating it as a weak table with `__mode = mode` when missing.
    func pushWeakRegistryTable(_ name: String, mode: String) {
        if lua_getfield(L, dlua_registryindex(), name) == LUA_TTABLE { return }
        dlua_pop(L, 1)
        dlua_newtable(L)
        dlua_newtable(L)
        lua_pushstring(L, mode)
        lua_setfield(L, -2, "__mode")
        lua_setmetatable(L, -2)
        lua_pushvalue(L, -1)
        lua_setfield(L, dlua_registryindex(), name)
    }
}
