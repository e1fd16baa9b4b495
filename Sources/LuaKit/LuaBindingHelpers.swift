import CLua

// Small generic helpers that fold the glue bindings repeat around the declaration layer
// (`LuaModuleBuilder`, `LuaOptionSpec`, `LuaRecordSpec`, `LuaClass`).

extension LuaField {
    /// A number option that lets infinities and NaN through (for values the domain validates,
    /// such as `df = math.huge`).
    public static func real(_ key: String, _ path: WritableKeyPath<Root, Double>, _ doc: String,
                            default: String? = nil, required: Bool = false) -> LuaField {
        make(key, "number", doc, path, default: `default`, required: required) { o, k in try o.number(k) }
    }
    /// An optional number option that lets infinities and NaN through.
    public static func real(_ key: String, _ path: WritableKeyPath<Root, Double?>, _ doc: String,
                            default: String? = nil) -> LuaField {
        makeOptional(key, "number", doc, path, default: `default`, required: false) { o, k in try o.number(k) }
    }

    /// A string option converted by `parse` (which raises its own error for a bad name: a dtype, a device).
    public static func parsed<V>(_ key: String, _ path: WritableKeyPath<Root, V>, type: String, _ doc: String,
                                 default: String? = nil, parse: @escaping (String) throws -> V) -> LuaField {
        make(key, type, doc, path, default: `default`, required: false) { o, k in try o.string(k).map(parse) }
    }
    /// An optional string option converted by `parse`.
    public static func parsed<V>(_ key: String, _ path: WritableKeyPath<Root, V?>, type: String, _ doc: String,
                                 default: String? = nil, parse: @escaping (String) throws -> V) -> LuaField {
        makeOptional(key, type, doc, path, default: `default`, required: false) { o, k in try o.string(k).map(parse) }
    }

    /// An option holding any Lua value (a tensor, a list of tensors, a function), read by `read`
    /// from its stack index; `read` returning nil means the wrong type (`option 'k' must be <type>, got …`).
    public static func value<V>(_ key: String, _ path: WritableKeyPath<Root, V?>, type: String, _ doc: String,
                                default: String? = nil, required: Bool = false,
                                read: @escaping (LuaCall, Int32) throws -> V?) -> LuaField {
        makeOptional(key, type, doc, path, default: `default`, required: required) { o, k in
            try o.withValue(k) { i, _ in
                guard let v = try read(o.call, i) else { throw o.typeError(k, type, at: i) }
                return v
            }
        }
    }
}

extension LuaModuleBuilder {
    /// Makes the module table callable (`discern.tensor(data, opts)`): `body` sees the call's
    /// arguments without the module table. Declared under the module's own name, so help and the
    /// stubs (`---@overload`) show its signature.
    public func callable(_ signature: String, _ doc: String, options: String? = nil, _ body: @escaping LuaBody) {
        let L = state.L
        let f = LuaAPI.declare(name, signature, doc, options: options)
        lua_createtable(L, 0, 1)
        state.pushFunction(name) { call in
            lua_rotate(call.L, 1, -1)
            dlua_pop(call.L, 1)  // the module table (self)
            return try body(call)
        }
        state.setDoc(forValueAt: -1, f.help)
        lua_setfield(L, -2, "__call")
        lua_setmetatable(L, index)
    }

}

/// A Swift value that pushes as one Lua value (numbers, strings, booleans, lists of them, nil for nil).
public protocol LuaPushable {
    /// Pushes the value onto `L`.
    func push(to L: OpaquePointer)
}

extension Int: LuaPushable {
    public func push(to L: OpaquePointer) { lua_pushinteger(L, lua_Integer(self)) }
}
extension Double: LuaPushable {
    public func push(to L: OpaquePointer) { lua_pushnumber(L, self) }
}
extension Bool: LuaPushable {
    public func push(to L: OpaquePointer) { lua_pushboolean(L, self ? 1 : 0) }
}
extension String: LuaPushable {
    public func push(to L: OpaquePointer) { LuaRead.push(L, self) }
}
extension Optional: LuaPushable where Wrapped: LuaPushable {
    public func push(to L: OpaquePointer) {
        if let v = self { v.push(to: L) } else { lua_pushnil(L) }
    }
}
extension Array: LuaPushable where Element: LuaPushable {
    public func push(to L: OpaquePointer) {
        lua_createtable(L, Int32(clamping: count), 0)
        for (k, x) in enumerated() {
            x.push(to: L)
            lua_rawseti(L, -2, lua_Integer(k + 1))
        }
    }
}

extension LuaCall {
    /// Pushes `value` and returns 1 (the number of results), for one-line bodies.
    public func returning<V: LuaPushable>(_ value: V) -> Int32 {
        value.push(to: L)
        return 1
    }
}

extension LuaClass {
    /// Pushes `objects` as a 1-based list (nil entries become `false`, keeping the list a sequence).
    public func pushList(_ L: OpaquePointer, _ objects: [T?]) {
        lua_createtable(L, Int32(clamping: objects.count), 0)
        for (k, o) in objects.enumerated() {
            if let o { push(L, o) } else { lua_pushboolean(L, 0) }
            lua_rawseti(L, -2, lua_Integer(k + 1))
        }
    }
}
