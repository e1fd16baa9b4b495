import CLua

/// The arguments of one call from Lua into Swift, with checked accessors whose errors name the
/// function and argument (`discern.tensor.zeros: bad argument #1 (table expected, got string)`).
public struct LuaCall {
    /// The raw state.
    public let L: OpaquePointer
    /// The qualified name used in error messages.
    public let name: String
    /// Argument positions reported to the user are shifted by this (1 for methods: self is not counted).
    public var selfOffset: Int32 = 0

    /// The number of arguments.
    public var count: Int32 { lua_gettop(L) }

    /// The Lua type of argument `i` (LUA_TNONE past the end).
    public func type(_ i: Int32) -> Int32 { lua_type(L, i) }

    /// Whether argument `i` is absent or nil.
    public func isNil(_ i: Int32) -> Bool { dlua_isnoneornil(L, i) != 0 }

    /// The type name of argument `i` as users see it (`__name` for userdata, `no value` when absent).
    public func typeName(_ i: Int32) -> String {
        let t = lua_type(L, i)
        if t == LUA_TNONE { return "no value" }
        if t == LUA_TUSERDATA || t == LUA_TTABLE, luaL_getmetafield(L, i, "__name") != LUA_TNIL {
            defer { dlua_pop(L, 1) }
            if let s = dlua_tostring(L, -1) { return String(cString: s) }
        }
        return String(cString: lua_typename(L, t))
    }

    /// An argument error in the standard format.
    public func argError(_ i: Int32, _ expected: String) -> LuaError {
        LuaError(code: "arg", "\(name): bad argument #\(i - selfOffset) (\(expected) expected, got \(typeName(i)))")
    }

    /// An error with a code and a message (prefixed with the function name when raised).
    public func error(_ code: String, _ message: String) -> LuaError { LuaError(code: code, message) }

    /// Argument `i` as a number.
    public func number(_ i: Int32) throws -> Double {
        var ok: Int32 = 0
        let v = lua_tonumberx(L, i, &ok)
        guard ok != 0, lua_type(L, i) == LUA_TNUMBER else { throw argError(i, "number") }
        return v
    }

    /// Argument `i` as an integer (a float with an integral value is accepted).
    public func integer(_ i: Int32) throws -> Int {
        let v = try number(i)
        guard v == v.rounded(), Swift.abs(v) < 9.0e15 else { throw argError(i, "integer") }
        if dlua_isinteger(L, i) != 0 { return Int(lua_tointegerx(L, i, nil)) }
        return Int(v)
    }

    /// Argument `i` as a string (numbers are not converted).
    public func string(_ i: Int32) throws -> String {
        guard lua_type(L, i) == LUA_TSTRING else { throw argError(i, "string") }
        var len = 0
        let p = lua_tolstring(L, i, &len)!
        return String(decoding: UnsafeRawBufferPointer(start: p, count: len), as: UTF8.self)
    }

    /// Argument `i` as raw bytes (a Lua string).
    public func bytes(_ i: Int32) throws -> [UInt8] {
        guard lua_type(L, i) == LUA_TSTRING else { throw argError(i, "string") }
        var len = 0
        let p = lua_tolstring(L, i, &len)!
        return Array(UnsafeRawBufferPointer(start: p, count: len))
    }

    /// Argument `i` as a boolean (Lua truthiness).
    public func bool(_ i: Int32) -> Bool { lua_toboolean(L, i) != 0 }

    /// Argument `i` as a number, or nil when absent/nil.
    public func optNumber(_ i: Int32) throws -> Double? { isNil(i) ? nil : try number(i) }
    /// Argument `i` as an integer, or nil when absent/nil.
    public func optInteger(_ i: Int32) throws -> Int? { isNil(i) ? nil : try integer(i) }
    /// Argument `i` as a string, or nil when absent/nil.
    public func optString(_ i: Int32) throws -> String? { isNil(i) ? nil : try string(i) }

    /// Checks that argument `i` is a table.
    public func checkTable(_ i: Int32) throws {
        guard lua_type(L, i) == LUA_TTABLE else { throw argError(i, "table") }
    }

    /// Checks that argument `i` is a function.
    public func checkFunction(_ i: Int32) throws {
        guard lua_type(L, i) == LUA_TFUNCTION else { throw argError(i, "function") }
    }

    /// Argument `i` as a list of integers (a Lua sequence).
    public func integerList(_ i: Int32) throws -> [Int] {
        try checkTable(i)
        let n = luaL_len(L, i)
        var out: [Int] = []
        out.reserveCapacity(Int(n))
        for k in 1...Swift.max(n, 1) where n > 0 {
            lua_geti(L, i, k)
            defer { dlua_pop(L, 1) }
            var ok: Int32 = 0
            let v = lua_tonumberx(L, -1, &ok)
            guard ok != 0, lua_type(L, -1) == LUA_TNUMBER, v == v.rounded() else {
                throw LuaError(code: "arg", "\(name): bad argument #\(i - selfOffset) (list of integers expected, element \(k) is \(String(cString: lua_typename(L, lua_type(L, -1)))))")
            }
            out.append(Int(v))
        }
        return out
    }

    /// Argument `i` as a list of numbers (a Lua sequence; NaN is kept, strings are not coerced).
    public func numberList(_ i: Int32) throws -> [Double] {
        guard lua_type(L, i) == LUA_TTABLE else { throw argError(i, "list of numbers") }
        let n = luaL_len(L, i)
        var out: [Double] = []
        out.reserveCapacity(Int(Swift.max(n, 0)))
        for k in 1...Swift.max(n, 1) where n > 0 {
            let t = lua_geti(L, i, k)
            defer { dlua_pop(L, 1) }
            guard t == LUA_TNUMBER else {
                throw LuaError(code: "arg", "\(name): bad argument #\(i - selfOffset) (list of numbers expected, element \(k) is \(String(cString: lua_typename(L, t))))")
            }
            out.append(lua_tonumberx(L, -1, nil))
        }
        return out
    }

    /// The options table at argument `i` (nil when absent); unknown keys are errors naming them.
    public func options(_ i: Int32, allowed: [String]) throws -> LuaOptions? {
        if isNil(i) { return nil }
        guard lua_type(L, i) == LUA_TTABLE else { throw argError(i, "options table") }
        let idx = lua_absindex(L, i)
        lua_pushnil(L)
        while lua_next(L, idx) != 0 {
            defer { dlua_pop(L, 1) }
            guard lua_type(L, -2) == LUA_TSTRING, let k = dlua_tostring(L, -2).map({ String(cString: $0) }) else {
                dlua_pop(L, 1)
                throw LuaError(code: "arg", "\(name): options must have string keys")
            }
            if !allowed.contains(k) {
                dlua_pop(L, 1)
                let list = allowed.sorted().joined(separator: ", ")
                throw LuaError(code: "arg", "\(name): unknown option '\(k)' (expected one of: \(list))")
            }
        }
        return LuaOptions(call: self, index: idx)
    }

    // MARK: pushing results

    /// Pushes a number (an integer when the value is integral and in range).
    public func push(_ v: Double) { lua_pushnumber(L, v) }
    /// Pushes an integer.
    public func push(_ v: Int) { lua_pushinteger(L, lua_Integer(v)) }
    /// Pushes a string.
    public func push(_ s: String) { lua_pushstring(L, s) }
    /// Pushes a boolean.
    public func push(_ b: Bool) { lua_pushboolean(L, b ? 1 : 0) }
    /// Pushes nil.
    public func pushNil() { lua_pushnil(L) }
    /// Pushes raw bytes as a Lua string.
    public func push(bytes: [UInt8]) {
        bytes.withUnsafeBufferPointer { b in
            b.baseAddress.map { p in p.withMemoryRebound(to: CChar.self, capacity: b.count) { lua_pushlstring(L, $0, b.count) } }
                ?? lua_pushlstring(L, "", 0)
        }
    }
    /// Pushes a list of integers as a 1-based Lua sequence.
    public func push(list: [Int]) {
        lua_createtable(L, Int32(list.count), 0)
        for (k, v) in list.enumerated() {
            lua_pushinteger(L, lua_Integer(v))
            lua_rawseti(L, -2, lua_Integer(k + 1))
        }
    }
    /// Pushes a list of numbers as a 1-based Lua sequence.
    public func push(numbers: [Double]) {
        lua_createtable(L, Int32(numbers.count), 0)
        for (k, v) in numbers.enumerated() {
            lua_pushnumber(L, v)
            lua_rawseti(L, -2, lua_Integer(k + 1))
        }
    }
    /// Pushes a list of booleans as a 1-based Lua sequence.
    public func push(booleans: [Bool]) {
        lua_createtable(L, Int32(booleans.count), 0)
        for (k, v) in booleans.enumerated() {
            lua_pushboolean(L, v ? 1 : 0)
            lua_rawseti(L, -2, lua_Integer(k + 1))
        }
    }
    /// Pushes a list of strings as a 1-based Lua sequence.
    public func push(strings: [String]) {
        lua_createtable(L, Int32(strings.count), 0)
        for (k, v) in strings.enumerated() {
            lua_pushstring(L, v)
            lua_rawseti(L, -2, lua_Integer(k + 1))
        }
    }

    /// The same call with argument numbers counted from after `self`.
    public func asMethod() -> LuaCall {
        var c = self
        c.selfOffset = 1
        return c
    }
}

/// A validated options table (`{dtype = "float64", seed = 3}`) with typed accessors.
public struct LuaOptions {
    let call: LuaCall
    let index: Int32

    func field<T>(_ key: String, _ expected: String, _ read: (OpaquePointer) -> T?) throws -> T? {
        let L = call.L
        let t = lua_getfield(L, index, key)
        defer { dlua_pop(L, 1) }
        if t == LUA_TNIL { return nil }
        guard let v = read(L) else {
            throw LuaError(code: "arg", "\(call.name): option '\(key)' must be \(expected), got \(String(cString: lua_typename(L, t)))")
        }
        return v
    }

    /// Whether the key is present (not nil).
    public func has(_ key: String) -> Bool {
        defer { dlua_pop(call.L, 1) }
        return lua_getfield(call.L, index, key) != LUA_TNIL
    }

    /// A string option.
    public func string(_ key: String) throws -> String? {
        try field(key, "a string") { L in lua_type(L, -1) == LUA_TSTRING ? String(cString: dlua_tostring(L, -1)!) : nil }
    }
    /// A number option.
    public func number(_ key: String) throws -> Double? {
        try field(key, "a number") { L in lua_type(L, -1) == LUA_TNUMBER ? lua_tonumberx(L, -1, nil) : nil }
    }
    /// An integer option.
    public func integer(_ key: String) throws -> Int? {
        try field(key, "an integer") { L in
            guard lua_type(L, -1) == LUA_TNUMBER else { return nil }
            let v = lua_tonumberx(L, -1, nil)
            return v == v.rounded() && Swift.abs(v) < 9.0e15 ? Int(v) : nil
        }
    }
    /// A boolean option.
    public func bool(_ key: String) throws -> Bool? {
        try field(key, "a boolean") { L in lua_type(L, -1) == LUA_TBOOLEAN ? lua_toboolean(L, -1) != 0 : nil }
    }
    /// Pushes the raw value of `key` (possibly nil) and returns its Lua type.
    public func push(_ key: String) -> Int32 { lua_getfield(call.L, index, key) }
}
