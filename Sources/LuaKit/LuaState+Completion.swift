import CLua

extension LuaState {
    /// Completions for the expression prefix `text` (e.g. `discern.ten`, `x:su`), walking tables,
    /// the `__index` tables of metatables, userdata method tables (`__methods`) and the names a
    /// lazy module can load (`__submodules`). Returns full replacement strings, sorted.
    public func completions(for text: String) -> [String] {
        // The completable tail: identifiers joined by '.' or ':'.
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.:")
        let tail = String(text.reversed().prefix(while: { allowed.contains($0) }).reversed())
        let head = String(text.dropLast(tail.count))
        var parts: [String] = []
        var seps: [Character] = []
        var cur = ""
        for ch in tail {
            if ch == "." || ch == ":" {
                parts.append(cur)
                seps.append(ch)
                cur = ""
            } else {
                cur.append(ch)
            }
        }
        let partial = cur
        let top = lua_gettop(L)
        defer { lua_settop(L, top) }
        dlua_pushglobaltable(L)
        for p in parts {
            guard !p.isEmpty, pushField(of: -1, p) else { return [] }
        }
        var names = Set<String>()
        collectKeys(at: -1, into: &names, depth: 0)
        let methodOnly = seps.last == ":"
        let prefix = parts.isEmpty ? "" : zip(parts, seps).map { "\($0)\($1)" }.joined()
        var out: [String] = []
        for n in names where n.hasPrefix(partial) && !n.hasPrefix("__") {
            if methodOnly {
                // Only functions make sense after ':'.
                lua_pushvalue(L, -1)
                let isFn = pushField(of: -1, n) && lua_type(L, -1) == LUA_TFUNCTION
                lua_settop(L, lua_gettop(L) - (isFn ? 2 : 1))
                if !isFn { continue }
            }
            out.append(head + prefix + n)
        }
        return out.sorted()
    }

    /// Replaces the value at `idx` (must be the top) with value[key], using __index; false if nil.
    func pushField(of idx: Int32, _ key: String) -> Bool {
        let i = lua_absindex(L, idx)
        let t = lua_type(L, i)
        guard t == LUA_TTABLE || t == LUA_TUSERDATA || t == LUA_TSTRING else { return false }
        lua_pushstring(L, key)
        // lua_gettable may run __index metamethods written in Lua; do it protected.
        lua_pushcclosure(L, { L in
            guard let L else { return 0 }
            lua_gettable(L, 1)
            return 1
        }, 0)
        lua_pushvalue(L, i)
        lua_pushstring(L, key)
        let ok = dlua_pcall(L, 2, 1, 0) == LUA_OK
        lua_rotate(L, -2, 1)
        dlua_pop(L, 1)  // the key
        if !ok || lua_type(L, -1) == LUA_TNIL {
            dlua_pop(L, 1)
            return false
        }
        lua_rotate(L, i, 1)
        lua_settop(L, i)
        return true
    }

    func collectKeys(at idx: Int32, into names: inout Set<String>, depth: Int) {
        guard depth < 4 else { return }
        let i = lua_absindex(L, idx)
        if lua_type(L, i) == LUA_TTABLE {
            lua_pushnil(L)
            while lua_next(L, i) != 0 {
                if let s = LuaRead.string(L, -2) { names.insert(s) }
                dlua_pop(L, 1)
            }
        }
        if lua_getmetatable(L, i) != 0 {
            lua_pushstring(L, "__index")
            if lua_rawget(L, -2) == LUA_TTABLE {
                collectKeys(at: -1, into: &names, depth: depth + 1)
            }
            dlua_pop(L, 1)
            // An __index function is not called; a class's method table (`__methods`, see
            // LuaClass) and a lazy module's loadable names (`__submodules`, a list) stand in for it.
            lua_pushstring(L, "__methods")
            if lua_rawget(L, -2) == LUA_TTABLE {
                collectKeys(at: -1, into: &names, depth: depth + 1)
            }
            dlua_pop(L, 1)
            lua_pushstring(L, "__submodules")
            if lua_rawget(L, -2) == LUA_TTABLE {
                let n = min(lua_rawlen(L, -1), 1000)
                var k: lua_Integer = 1
                while k <= lua_Integer(n) {
                    lua_rawgeti(L, -1, k)
                    if let s = LuaRead.string(L, -1) { names.insert(s) }
                    dlua_pop(L, 1)
                    k += 1
                }
            }
            dlua_pop(L, 2)
        }
    }
}
