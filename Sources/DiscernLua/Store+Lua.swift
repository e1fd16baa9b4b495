import CLua
import JSON
import Foundation
import LuaKit
import Store
import Tensor

/// Lua bindings of `discern.store` and the `discern.Store` userdata.
enum StoreLua {
    nonisolated(unsafe) static let cls = LuaClass<Store>("discern.Store") { s in "discern.Store(\(s.path))" }
    nonisolated(unsafe) static var defaultStore: Store?
    nonisolated(unsafe) static var methodsDefined = false

    static func shared() throws -> Store {
        if let s = defaultStore { return s }
        let s = try Store(path: Store.defaultPath())
        defaultStore = s
        return s
    }

    /// Builds the `discern.store` table on top of the stack.
    static func open(_ state: LuaState) {
        let L = state.L
        defineMethods()
        cls.register(in: state)
        lua_createtable(L, 0, 8)
        let mod = lua_gettop(L)
        state.setFunction(in: mod, "open", qualifiedName: "discern.store.open", doc: """
            discern.store.open(path) -> discern.Store; path defaults to $DISCERN_HOME/store.sqlite or ./.discern/store.sqlite.
            """) { call in
            let path = try call.optString(1) ?? Store.defaultPath()
            cls.push(call.L, try Store(path: path))
            return 1
        }
        state.setFunction(in: mod, "key", qualifiedName: "discern.store.key", doc: """
            discern.store.key(description) -> hex SHA-256 of the canonical JSON of a plain value (table, string, number, boolean).
            """) { call in
            call.push(try Store.key(for: try canonical(call, 1)))
            return 1
        }
        state.setFunction(in: mod, "path", qualifiedName: "discern.store.path",
                          doc: "discern.store.path() -> path of the default store.") { call in
            call.push(Store.defaultPath())
            return 1
        }
        // get/set/has/remove on the default store.
        for name in ["get", "set", "has", "remove", "transaction"] {
            state.setFunction(in: mod, name, qualifiedName: "discern.store.\(name)",
                              doc: "discern.store.\(name)(…): as store:\(name)(…) on the default store.") { call in
                let s = try shared()
                return try dispatch(name, call, s, first: 1)
            }
        }
        state.setFunction(in: mod, "default", qualifiedName: "discern.store.default",
                          doc: "discern.store.default() -> the default discern.Store (opened on first use).") { call in
            cls.push(call.L, try shared())
            return 1
        }
    }

    static func defineMethods() {
        if methodsDefined { return }
        methodsDefined = true
        cls.method("get", doc: """
            store:get(key) -> value, kind; or nil, "miss" when absent. Values come back as stored: string, table (JSON) or discern.Tensor.
            """) { call, s in try dispatch("get", call, s, first: 2) }
        cls.method("set", doc: """
            store:set(key, value) -> key; value is a string (blob), a plain table/number/boolean (JSON) or a discern.Tensor.
            """) { call, s in try dispatch("set", call, s, first: 2) }
        cls.method("has", doc: "store:has(key) -> whether key is cached.") { call, s in try dispatch("has", call, s, first: 2) }
        cls.method("remove", doc: "store:remove(key) -> whether an entry was removed.") { call, s in try dispatch("remove", call, s, first: 2) }
        cls.method("transaction", doc: "store:transaction(fn) -> results of fn(); every write inside commits together or not at all.") { call, s in
            try dispatch("transaction", call, s, first: 2)
        }
        cls.method("count", doc: "store:count() -> number of cache entries.") { call, s in call.push(try s.count()); return 1 }
        cls.method("path", doc: "store:path() -> the SQLite file.") { call, s in call.push(s.path); return 1 }
        cls.method("integrity_check", doc: "store:integrity_check() -> \"ok\" or SQLite's findings.") { call, s in
            call.push(try s.integrityCheck())
            return 1
        }
        cls.method("runs", doc: "store:runs(limit=50) -> list of {id, script, args, started_at, ended_at, status}, newest first.") { call, s in
            let runs = try s.runs(limit: try call.optInteger(2) ?? 50)
            let L = call.L
            lua_createtable(L, Int32(runs.count), 0)
            for (k, r) in runs.enumerated() {
                lua_createtable(L, 0, 6)
                lua_pushinteger(L, lua_Integer(r.id)); lua_setfield(L, -2, "id")
                lua_pushstring(L, r.script); lua_setfield(L, -2, "script")
                call.push(strings: r.args); lua_setfield(L, -2, "args")
                lua_pushnumber(L, r.startedAt.timeIntervalSince1970); lua_setfield(L, -2, "started_at")
                if let e = r.endedAt { lua_pushnumber(L, e.timeIntervalSince1970); lua_setfield(L, -2, "ended_at") }
                lua_pushstring(L, r.status); lua_setfield(L, -2, "status")
                lua_rawseti(L, -2, lua_Integer(k + 1))
            }
            return 1
        }
    }

    /// Shared implementation of the store operations; arguments start at `first`.
    static func dispatch(_ op: String, _ call: LuaCall, _ s: Store, first: Int32) throws -> Int32 {
        let L = call.L
        switch op {
        case "get":
            let key = try call.string(first)
            guard let e = try s.get(key) else {
                call.pushNil()
                call.push("miss")
                return 2
            }
            switch e.kind {
            case "blob": call.push(bytes: e.bytes)
            case "json":
                try JSONLua.push(L, try parseJSON(e.bytes))
            case "tensor":
                guard let meta = e.meta, let m = try JSONSerialization.jsonObject(with: Data(meta.utf8)) as? [String: Any],
                      let dt = m["dtype"] as? String, let shape = m["shape"] as? [Int] else {
                    throw LuaError(code: "store_corrupt", "entry \(key) is a tensor without a valid dtype/shape description")
                }
                TensorLua.cls.push(L, try Tensor(rawBytes: e.bytes, dtype: try DType.parse(dt), shape: shape))
            default:
                throw LuaError(code: "store_corrupt", "entry \(key) has unknown kind '\(e.kind)'")
            }
            call.push(e.kind)
            return 2
        case "set":
            let key = try call.string(first)
            let v = first + 1
            if let t = TensorLua.cls.test(L, v) {
                let meta = "{\"dtype\":\"\(t.dtype.rawValue)\",\"shape\":\(t.shape)}"
                try s.put(key, kind: "tensor", bytes: try t.rawBytes(), meta: meta)
            } else if call.type(v) == LUA_TSTRING {
                try s.put(key, kind: "blob", bytes: try call.bytes(v))
            } else if call.type(v) == LUA_TTABLE || call.type(v) == LUA_TNUMBER || call.type(v) == LUA_TBOOLEAN {
                let json = try canonical(call, v).canonicalJSON()
                try s.put(key, kind: "json", bytes: Array(json.utf8))
            } else {
                throw call.argError(v, "string, table, number, boolean or discern.Tensor")
            }
            call.push(key)
            return 1
        case "has":
            call.push(try s.has(try call.string(first)))
            return 1
        case "remove":
            call.push(try s.remove(try call.string(first)))
            return 1
        case "transaction":
            try call.checkFunction(first)
            let st = LuaState(borrowing: L)
            lua_settop(L, first)
            return try s.transaction { try st.pcall(nargs: 0) }
        default:
            throw LuaError(code: "arg", "unknown store operation \(op)")
        }
    }

    /// Converts the plain Lua value at `idx` to a canonical value (sequences → arrays, else objects).
    static func canonical(_ call: LuaCall, _ idx: Int32, depth: Int = 0) throws -> CanonicalValue {
        let L = call.L
        let i = lua_absindex(L, idx)
        guard depth < JSONLua.maxDepth else {
            throw LuaError(code: "arg", "value nests deeper than \(JSONLua.maxDepth) levels (a cycle?)")
        }
        try LuaRead.checkStack(L, 8, "\(call.name): value")
        switch lua_type(L, i) {
        case LUA_TNIL: return .null
        case LUA_TBOOLEAN: return .bool(lua_toboolean(L, i) != 0)
        case LUA_TNUMBER:
            if dlua_isinteger(L, i) != 0 { return .int(Int64(lua_tointegerx(L, i, nil))) }
            return .double(lua_tonumberx(L, i, nil))
        case LUA_TSTRING: return .string(try call.string(i))
        case LUA_TTABLE:
            // Plain data: read raw, as lua_next does.
            let n = Int(lua_rawlen(L, i))
            var count = 0
            var object: [String: CanonicalValue] = [:]
            lua_pushnil(L)
            while lua_next(L, i) != 0 {
                count += 1
                if let k = LuaRead.string(L, -2) {
                    object[k] = try canonical(call, -1, depth: depth + 1)
                } else if lua_type(L, -2) != LUA_TNUMBER {
                    let t = String(cString: lua_typename(L, lua_type(L, -2)))
                    dlua_pop(L, 2)
                    throw LuaError(code: "arg", "table keys must be strings or list indices, got \(t)")
                }
                dlua_pop(L, 1)
            }
            if object.isEmpty && count == n {
                var arr: [CanonicalValue] = []
                for k in 0..<n {
                    lua_rawgeti(L, i, lua_Integer(k + 1))
                    defer { dlua_pop(L, 1) }
                    arr.append(try canonical(call, -1, depth: depth + 1))
                }
                return .array(arr)
            }
            guard object.count == count else {
                throw LuaError(code: "arg", "table mixes list entries and string keys; use one or the other")
            }
            return .object(object)
        default:
            throw LuaError(code: "arg", "cannot describe a \(call.typeName(i)) as data (plain tables, strings, numbers, booleans only)")
        }
    }
}

/// Parses JSON bytes; `context` starts the error message (e.g. the function name).
func parseJSON(_ bytes: [UInt8], context: String = "stored JSON is malformed") throws -> JSON.JSONValue {
    do {
        return try JSON.JSONValue.parse(bytes)
    } catch {
        throw LuaError(code: "format", "\(context): \(error.message)")
    }
}
