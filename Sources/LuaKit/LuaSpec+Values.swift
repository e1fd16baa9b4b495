import CLua

// Small generic glue over the declaration layer: option fields and result fields holding userdata,
// string maps and string-or-list values, results pushed in one expression, and methods declared
// with an option spec.

extension LuaOptions {
    /// The call the options were passed to (for messages of custom fields).
    public var owner: LuaCall { call }

    /// Runs `body` on the value of `key` when it is present (not nil): `body` sees its absolute
    /// stack index and Lua type; the stack is restored afterwards.
    /// - Returns: `body`'s result, or nil when the key is absent.
    public func withValue<T>(_ key: String, _ body: (Int32, Int32) throws -> T) throws -> T? {
        let L = call.L
        let top = lua_gettop(L)
        defer { lua_settop(L, top) }
        let t = try push(key)
        if t == LUA_TNIL { return nil }
        return try body(lua_gettop(L), t)
    }

    /// `<function>: option '<key>' must be <what>, got <type of the value at idx>`.
    public func typeError(_ key: String, _ what: String, at idx: Int32) -> LuaError {
        LuaError(code: "arg", "\(call.name): option '\(key)' must be \(what), got \(call.typeName(idx))")
    }
}

extension LuaField {
    /// A field read by `read` only when present; `read` sees the value at a stack index (restored after).
    public static func value(_ key: String, type: String, _ doc: String, default: String? = nil,
                             _ read: @escaping (inout Root, LuaOptions, Int32) throws -> Void) -> LuaField {
        custom(key, type: type, doc, default: `default`) { root, o in
            try o.withValue(key) { idx, _ in try read(&root, o, idx) }
        }
    }

    /// A userdata of class `cls` (a released one is an error).
    public static func object<T>(_ key: String, _ path: WritableKeyPath<Root, T?>, _ cls: LuaClass<T>, _ doc: String,
                                 default: String? = nil) -> LuaField {
        value(key, type: cls.name, doc, default: `default`) { root, o, idx in
            guard let v = cls.test(o.tableL, idx) else {
                throw cls.isReleased(o.tableL, idx)
                    ? LuaError(code: "released", "\(o.owner.name): option '\(key)' (\(cls.name) was released)")
                    : o.typeError(key, "a \(cls.name)", at: idx)
            }
            root[keyPath: path] = v
        }
    }

    /// A string, or a list of strings.
    public static func stringOrList(_ key: String, _ path: WritableKeyPath<Root, [String]>, _ doc: String,
                                    default: String? = nil) -> LuaField {
        value(key, type: "string|string[]", doc, default: `default`) { root, o, idx in
            if let s = LuaRead.string(o.tableL, idx) {
                root[keyPath: path] = [s]
            } else if lua_type(o.tableL, idx) == LUA_TTABLE {
                root[keyPath: path] = try o.owner.stringList(idx)
            } else {
                throw o.typeError(key, "a string or a list of strings", at: idx)
            }
        }
    }

    /// A table from strings to strings (other entries are ignored).
    public static func stringMap(_ key: String, _ path: WritableKeyPath<Root, [String: String]>, _ doc: String,
                                 default: String? = nil) -> LuaField {
        value(key, type: "table<string, string>", doc, default: `default`) { root, o, idx in
            let L = o.tableL
            guard lua_type(L, idx) == LUA_TTABLE else { throw o.typeError(key, "a table of strings", at: idx) }
            try LuaRead.checkStack(L, 4, o.owner.name)
            var out: [String: String] = [:]
            lua_pushnil(L)
            while lua_next(L, idx) != 0 {
                if let k = LuaRead.string(L, -2), let v = LuaRead.string(L, -1) { out[k] = v }
                lua_settop(L, -2)
            }
            root[keyPath: path] = out
        }
    }
}

extension LuaOut {
    /// A userdata of class `cls`.
    public static func object<T>(_ key: String, _ path: KeyPath<Root, T>, _ cls: LuaClass<T>, _ doc: String = "") -> LuaOut {
        custom(key, type: cls.name, doc) { r, L in cls.push(L, r[keyPath: path]) }
    }
    /// A list of userdata of class `cls`.
    public static func objects<T>(_ key: String, _ path: KeyPath<Root, [T]>, _ cls: LuaClass<T>, _ doc: String = "") -> LuaOut {
        custom(key, type: cls.name + "[]", doc) { r, L in
            let list = r[keyPath: path]
            lua_createtable(L, Int32(clamping: list.count), 0)
            for (k, v) in list.enumerated() {
                cls.push(L, v)
                lua_rawseti(L, -2, lua_Integer(k + 1))
            }
        }
    }
    /// A list of integers, or nil.
    public static func integers(_ key: String, _ path: KeyPath<Root, [Int]?>, _ doc: String = "") -> LuaOut {
        optionalValue(key, "integer[]", doc, path) { v, L in LuaPush.integers(L, v) }
    }
    /// A boolean or nil.
    public static func boolean(_ key: String, _ path: KeyPath<Root, Bool?>, _ doc: String = "") -> LuaOut {
        optionalValue(key, "boolean", doc, path) { v, L in lua_pushboolean(L, v ? 1 : 0) }
    }
    /// A table from strings to strings.
    public static func stringMap(_ key: String, _ path: KeyPath<Root, [String: String]>, _ doc: String = "") -> LuaOut {
        custom(key, type: "table<string, string>", doc) { r, L in
            let map = r[keyPath: path]
            lua_createtable(L, 0, Int32(clamping: map.count))
            for (k, v) in map {
                LuaRead.push(L, v)
                LuaRead.setField(L, -2, k)
            }
        }
    }
}

extension LuaCall {
    /// Pushes a list of records; returns 1.
    @discardableResult
    public func push<R>(_ values: [R], _ spec: LuaRecordSpec<R>) throws -> Int32 {
        try spec.pushList(values, L)
        return 1
    }

    /// Pushes `object` as a userdata of `cls` (nil pushes nil); returns 1.
    @discardableResult
    public func push<T>(_ object: T?, _ cls: LuaClass<T>) -> Int32 {
        if let object { cls.push(L, object) } else { lua_pushnil(L) }
        return 1
    }

    /// Argument `i` as a list of strings, a lone string counting as a list of one.
    public func stringOrList(_ i: Int32) throws -> [String] {
        lua_type(L, i) == LUA_TSTRING ? [try string(i)] : try stringList(i)
    }
}

extension LuaClass {
    /// Adds a method declared with its signature, doc and the options `spec` declares.
    public func method<R>(_ name: String, _ signature: String, _ doc: String, options spec: LuaOptionSpec<R>,
                          _ body: @escaping (LuaCall, T) throws -> Int32) {
        method(name, signature, doc, options: spec.name, body)
    }
}

extension LuaOptionSpec {
    /// Reads the options at argument `i` into a copy of `root` (by default the prototype, whose
    /// values are the defaults) and returns it.
    public func read(_ call: LuaCall, at i: Int32, into root: Root? = nil) throws -> Root {
        guard var r = root ?? prototype else { preconditionFailure("\(name): no value to read the options into") }
        try decode(call, at: i, into: &r)
        return r
    }
}
