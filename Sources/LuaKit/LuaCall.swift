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
            if let s = LuaRead.string(L, -1) { return s }
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
        _ = try number(i)
        guard let v = LuaCall.exactInteger(L, i) else { throw argError(i, "integer") }
        return v
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

    /// `#t` of argument `i` (raw for plain tables, `__len` under protection), in `0...LuaRead.maxLength`.
    public func length(_ i: Int32) throws -> Int {
        try LuaRead.length(L, i, "\(name): bad argument #\(i - selfOffset)")
    }

    /// Pushes element `k` of argument `i` (protected) and returns its type.
    @discardableResult
    public func get(_ i: Int32, _ k: Int) throws -> Int32 {
        try LuaRead.index(L, i, k, "\(name): bad argument #\(i - selfOffset)")
    }

    /// Pushes field `key` of argument `i` (protected) and returns its type.
    @discardableResult
    public func get(_ i: Int32, _ key: String) throws -> Int32 {
        try LuaRead.field(L, i, key, "\(name): bad argument #\(i - selfOffset)")
    }

    /// Reads the sequence at `i` element by element: `body(k)` sees element `k` (1-based) on top,
    /// which is popped after it returns. Metamethods run protected; the length is bounded.
    public func forEach(_ i: Int32, _ body: (Int) throws -> Void) throws {
        let idx = lua_absindex(L, i)
        let n = try length(idx)
        if n == 0 { return }
        try LuaRead.checkStack(L, 4, name)
        for k in 1...n {
            try get(idx, k)
            defer { dlua_pop(L, 1) }
            try body(k)
        }
    }

    func elementError(_ i: Int32, _ what: String, _ k: Int, _ type: Int32) -> LuaError {
        LuaError(code: "arg", "\(name): bad argument #\(i - selfOffset) (\(what) expected, element \(k) is \(String(cString: lua_typename(L, type))))")
    }

    /// Argument `i` as a list of integers (a Lua sequence; each element integral and below 2^53 in magnitude).
    public func integerList(_ i: Int32) throws -> [Int] {
        try checkTable(i)
        var out: [Int] = []
        try forEach(i) { k in
            guard let v = LuaCall.exactInteger(L, -1) else { throw elementError(i, "list of integers", k, lua_type(L, -1)) }
            out.append(v)
        }
        return out
    }

    /// Argument `i` as a list of numbers (a Lua sequence; NaN is kept, strings are not coerced).
    public func numberList(_ i: Int32) throws -> [Double] {
        guard lua_type(L, i) == LUA_TTABLE else { throw argError(i, "list of numbers") }
        var out: [Double] = []
        try forEach(i) { k in
            guard lua_type(L, -1) == LUA_TNUMBER else { throw elementError(i, "list of numbers", k, lua_type(L, -1)) }
            out.append(lua_tonumberx(L, -1, nil))
        }
        return out
    }

    /// Argument `i` as a list of strings (read with their length).
    public func stringList(_ i: Int32) throws -> [String] {
        guard lua_type(L, i) == LUA_TTABLE else { throw argError(i, "list of strings") }
        var out: [String] = []
        try forEach(i) { k in
            guard let s = LuaRead.string(L, -1) else { throw elementError(i, "list of strings", k, lua_type(L, -1)) }
            out.append(s)
        }
        return out
    }

    /// The integer at `idx` when it is a number with an integral value of magnitude below 2^53.
    public static func exactInteger(_ L: OpaquePointer, _ idx: Int32) -> Int? {
        guard lua_type(L, idx) == LUA_TNUMBER else { return nil }
        if dlua_isinteger(L, idx) != 0 {
            let v = lua_tointegerx(L, idx, nil)
            return Swift.abs(v) < (1 << 53) ? Int(v) : nil
        }
        let v = lua_tonumberx(L, idx, nil)
        guard v.isFinite, v == v.rounded(), Swift.abs(v) < 9.007199254740992e15 else { return nil }
        return Int(v)
    }

    /// The options table at argument `i` (nil when absent); unknown keys are errors naming them.
    public func options(_ i: Int32, allowed: [String]) throws -> LuaOptions? {
        if isNil(i) { return nil }
        guard lua_type(L, i) == LUA_TTABLE else { throw argError(i, "options table") }
        let idx = lua_absindex(L, i)
        try LuaRead.checkStack(L, 4, name)
        lua_pushnil(L)
        while lua_next(L, idx) != 0 {
            defer { dlua_pop(L, 1) }
            guard let k = LuaRead.string(L, -2) else {
                dlua_pop(L, 1)
                throw LuaError(code: "arg", "\(name): options must have string keys")
            }
            if !allowed.contains(k) {
                dlua_pop(L, 1)
                throw LuaError(code: "arg", "\(name): unknown option '\(k)'\(LuaCall.suggestion(k, allowed)) (expected one of: \(allowed.sorted().joined(separator: ", ")))")
            }
        }
        return LuaOptions(call: self, index: idx)
    }

    /// " (did you mean 'x'?)" for the closest candidate within a small edit distance, or "".
    public static func suggestion(_ word: String, _ candidates: [String]) -> String {
        let best = closest(word, candidates, limit: 1)
        return best.isEmpty ? "" : " (did you mean '\(best[0])'?)"
    }

    /// Up to `limit` candidates closest to `word` by edit distance (ties in input order), within
    /// a third of the word's length (at least 2 edits); prefixes and suffixes of `word` count too.
    public static func closest(_ word: String, _ candidates: [String], limit: Int = 3) -> [String] {
        let w = Array(word)
        let bound = Swift.max(2, w.count / 3)
        var scored: [(Int, Int, String)] = []
        for (n, c) in candidates.enumerated() {
            let d = editDistance(w, Array(c))
            if d <= bound { scored.append((d, n, c)) }
        }
        return scored.sorted { ($0.0, $0.1) < ($1.0, $1.1) }.prefix(limit).map { $0.2 }
    }

    static func editDistance(_ a: [Character], _ b: [Character]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var prev = Array(0...b.count)
        var cur = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            cur[0] = i
            for j in 1...b.count {
                cur[j] = Swift.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            swap(&prev, &cur)
        }
        return prev[b.count]
    }

    // MARK: pushing results

    /// Pushes a number (an integer when the value is integral and in range).
    public func push(_ v: Double) { lua_pushnumber(L, v) }
    /// Pushes an integer.
    public func push(_ v: Int) { lua_pushinteger(L, lua_Integer(v)) }
    /// Pushes a string.
    public func push(_ s: String) { LuaRead.push(L, s) }
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
    public func push(list: [Int]) { LuaPush.integers(L, list) }
    /// Pushes a list of numbers as a 1-based Lua sequence.
    public func push(numbers: [Double]) { LuaPush.numbers(L, numbers) }
    /// Pushes a list of booleans as a 1-based Lua sequence.
    public func push(booleans: [Bool]) { LuaPush.booleans(L, booleans) }
    /// Pushes a list of strings as a 1-based Lua sequence.
    public func push(strings: [String]) { LuaPush.strings(L, strings) }

    /// The same call with argument numbers counted from after `self`.
    public func asMethod() -> LuaCall {
        var c = self
        c.selfOffset = 1
        return c
    }
}

/// A validated options table (`{dtype = "float64", seed = 3}`) with typed accessors. Fields are
/// read under protection (a metatable's `__index` is honoured, its errors are thrown).
public struct LuaOptions {
    let call: LuaCall
    let index: Int32

    func field<T>(_ key: String, _ expected: String, _ read: (OpaquePointer) -> T?) throws -> T? {
        let L = call.L
        let t = try LuaRead.field(L, index, key, "\(call.name): option '\(key)'")
        defer { dlua_pop(L, 1) }
        if t == LUA_TNIL { return nil }
        guard let v = read(L) else {
            throw LuaError(code: "arg", "\(call.name): option '\(key)' must be \(expected), got \(String(cString: lua_typename(L, t)))")
        }
        return v
    }

    /// The index of the options table on the stack.
    public var tableIndex: Int32 { index }
    /// The state the options table lives in (for custom fields that read raw values).
    public var tableL: OpaquePointer { call.L }

    /// Whether the key is present (not nil).
    public func has(_ key: String) throws -> Bool {
        defer { dlua_pop(call.L, 1) }
        return try LuaRead.field(call.L, index, key, "\(call.name): option '\(key)'") != LUA_TNIL
    }

    /// A string option (read with its length).
    public func string(_ key: String) throws -> String? {
        try field(key, "a string") { L in LuaRead.string(L, -1) }
    }
    /// A number option.
    public func number(_ key: String) throws -> Double? {
        try field(key, "a number") { L in lua_type(L, -1) == LUA_TNUMBER ? lua_tonumberx(L, -1, nil) : nil }
    }
    /// An integer option (integral, magnitude below 2^53).
    public func integer(_ key: String) throws -> Int? {
        try field(key, "an integer") { L in LuaCall.exactInteger(L, -1) }
    }
    /// A boolean option.
    public func bool(_ key: String) throws -> Bool? {
        try field(key, "a boolean") { L in lua_type(L, -1) == LUA_TBOOLEAN ? lua_toboolean(L, -1) != 0 : nil }
    }
    /// Pushes the value of `key` (possibly nil; read under protection) and returns its Lua type.
    public func push(_ key: String) throws -> Int32 {
        try LuaRead.field(call.L, index, key, "\(call.name): option '\(key)'")
    }
}
