import CLua

/// One field of a result table, declared once: its key, LuaCATS type, doc, and how it is pushed
/// from the Swift value `Root`. Results are plain Lua tables (STYLE: plain tables for data).
public struct LuaOut<Root> {
    /// The key.
    public let key: String
    /// The LuaCATS type.
    public let type: String
    /// What it means.
    public let doc: String
    /// Whether it may be nil.
    public let optional: Bool
    let push: (Root, OpaquePointer) throws -> Void

    /// A field pushed by a closure (which pushes exactly one value, nil allowed when `optional`).
    public static func custom(_ key: String, type: String, _ doc: String = "", optional: Bool = false,
                              push: @escaping (Root, OpaquePointer) throws -> Void) -> LuaOut {
        LuaOut(key: key, type: type, doc: doc, optional: optional, push: push)
    }

    static func value<V>(_ key: String, _ type: String, _ doc: String, _ path: KeyPath<Root, V>,
                         _ push: @escaping (V, OpaquePointer) -> Void) -> LuaOut {
        LuaOut(key: key, type: type, doc: doc, optional: false) { r, L in push(r[keyPath: path], L) }
    }

    static func optionalValue<V>(_ key: String, _ type: String, _ doc: String, _ path: KeyPath<Root, V?>,
                                 _ push: @escaping (V, OpaquePointer) -> Void) -> LuaOut {
        LuaOut(key: key, type: type, doc: doc, optional: true) { r, L in
            if let v = r[keyPath: path] { push(v, L) } else { lua_pushnil(L) }
        }
    }

    /// A number.
    public static func number(_ key: String, _ path: KeyPath<Root, Double>, _ doc: String = "") -> LuaOut {
        value(key, "number", doc, path) { v, L in lua_pushnumber(L, v) }
    }
    /// A number or nil.
    public static func number(_ key: String, _ path: KeyPath<Root, Double?>, _ doc: String = "") -> LuaOut {
        optionalValue(key, "number", doc, path) { v, L in lua_pushnumber(L, v) }
    }
    /// An integer.
    public static func integer(_ key: String, _ path: KeyPath<Root, Int>, _ doc: String = "") -> LuaOut {
        value(key, "integer", doc, path) { v, L in lua_pushinteger(L, lua_Integer(v)) }
    }
    /// An integer or nil.
    public static func integer(_ key: String, _ path: KeyPath<Root, Int?>, _ doc: String = "") -> LuaOut {
        optionalValue(key, "integer", doc, path) { v, L in lua_pushinteger(L, lua_Integer(v)) }
    }
    /// A boolean.
    public static func boolean(_ key: String, _ path: KeyPath<Root, Bool>, _ doc: String = "") -> LuaOut {
        value(key, "boolean", doc, path) { v, L in lua_pushboolean(L, v ? 1 : 0) }
    }
    /// A string.
    public static func string(_ key: String, _ path: KeyPath<Root, String>, _ doc: String = "") -> LuaOut {
        value(key, "string", doc, path) { v, L in LuaRead.push(L, v) }
    }
    /// A string or nil.
    public static func string(_ key: String, _ path: KeyPath<Root, String?>, _ doc: String = "") -> LuaOut {
        optionalValue(key, "string", doc, path) { v, L in LuaRead.push(L, v) }
    }
    /// An enum's raw value.
    public static func choice<E: RawRepresentable>(_ key: String, _ path: KeyPath<Root, E>, _ doc: String = "") -> LuaOut
    where E.RawValue == String {
        value(key, "string", doc, path) { v, L in LuaRead.push(L, v.rawValue) }
    }
    /// A list of numbers.
    public static func numbers(_ key: String, _ path: KeyPath<Root, [Double]>, _ doc: String = "") -> LuaOut {
        value(key, "number[]", doc, path) { v, L in LuaPush.numbers(L, v) }
    }
    /// A list of integers.
    public static func integers(_ key: String, _ path: KeyPath<Root, [Int]>, _ doc: String = "") -> LuaOut {
        value(key, "integer[]", doc, path) { v, L in LuaPush.integers(L, v) }
    }
    /// A list of strings.
    public static func strings(_ key: String, _ path: KeyPath<Root, [String]>, _ doc: String = "") -> LuaOut {
        value(key, "string[]", doc, path) { v, L in LuaPush.strings(L, v) }
    }
    /// A list of booleans.
    public static func booleans(_ key: String, _ path: KeyPath<Root, [Bool]>, _ doc: String = "") -> LuaOut {
        value(key, "boolean[]", doc, path) { v, L in LuaPush.booleans(L, v) }
    }
    /// A list of rows of numbers.
    public static func matrix(_ key: String, _ path: KeyPath<Root, [[Double]]>, _ doc: String = "") -> LuaOut {
        value(key, "number[][]", doc, path) { rows, L in
            lua_createtable(L, Int32(clamping: rows.count), 0)
            for (k, row) in rows.enumerated() {
                LuaPush.numbers(L, row)
                lua_rawseti(L, -2, lua_Integer(k + 1))
            }
        }
    }
    /// A nested record.
    public static func record<V>(_ key: String, _ path: KeyPath<Root, V>, _ spec: LuaRecordSpec<V>, _ doc: String = "") -> LuaOut {
        LuaOut(key: key, type: spec.name, doc: doc, optional: false) { r, L in try spec.push(r[keyPath: path], L) }
    }
    /// A nested record or nil.
    public static func record<V>(_ key: String, _ path: KeyPath<Root, V?>, _ spec: LuaRecordSpec<V>, _ doc: String = "") -> LuaOut {
        LuaOut(key: key, type: spec.name, doc: doc, optional: true) { r, L in
            if let v = r[keyPath: path] { try spec.push(v, L) } else { lua_pushnil(L) }
        }
    }
    /// A list of nested records.
    public static func records<V>(_ key: String, _ path: KeyPath<Root, [V]>, _ spec: LuaRecordSpec<V>, _ doc: String = "") -> LuaOut {
        LuaOut(key: key, type: spec.name + "[]", doc: doc, optional: false) { r, L in try spec.pushList(r[keyPath: path], L) }
    }
}

/// A result table type, declared once as fields over `Root`; pushing it builds the Lua table, and
/// its declaration becomes a LuaCATS class (`---@class`, `---@field`).
public struct LuaRecordSpec<Root> {
    /// The LuaCATS class name (`discern.stats.FisherResult`).
    public let name: String
    /// The fields, in order.
    public let fields: [LuaOut<Root>]

    /// Declares a record type.
    public init(_ name: String, doc: String = "", _ fields: [LuaOut<Root>]) {
        self.name = name
        self.fields = fields
        LuaAPI.register(LuaAPIClass(name: name, doc: doc, fields: fields.map {
            LuaAPIField(key: $0.key, type: $0.type, doc: $0.doc, optional: $0.optional)
        }))
    }

    /// Pushes `value` as a new table.
    public func push(_ value: Root, _ L: OpaquePointer) throws {
        try LuaRead.checkStack(L, 4, name)
        lua_createtable(L, 0, Int32(fields.count))
        for f in fields {
            try f.push(value, L)
            lua_setfield(L, -2, f.key)
        }
    }

    /// Pushes a list of values as a 1-based list of tables.
    public func pushList(_ values: [Root], _ L: OpaquePointer) throws {
        lua_createtable(L, Int32(clamping: values.count), 0)
        for (k, v) in values.enumerated() {
            try push(v, L)
            lua_rawseti(L, -2, lua_Integer(k + 1))
        }
    }
}

extension LuaCall {
    /// Pushes `value` as the table `spec` declares; returns 1 (the number of results).
    @discardableResult
    public func push<R>(_ value: R, _ spec: LuaRecordSpec<R>) throws -> Int32 {
        try spec.push(value, L)
        return 1
    }
}

/// Pushes plain lists.
public enum LuaPush {
    /// A list of numbers.
    public static func numbers(_ L: OpaquePointer, _ v: [Double]) {
        lua_createtable(L, Int32(clamping: v.count), 0)
        for (k, x) in v.enumerated() {
            lua_pushnumber(L, x)
            lua_rawseti(L, -2, lua_Integer(k + 1))
        }
    }
    /// A list of integers.
    public static func integers(_ L: OpaquePointer, _ v: [Int]) {
        lua_createtable(L, Int32(clamping: v.count), 0)
        for (k, x) in v.enumerated() {
            lua_pushinteger(L, lua_Integer(x))
            lua_rawseti(L, -2, lua_Integer(k + 1))
        }
    }
    /// A list of strings (with their length).
    public static func strings(_ L: OpaquePointer, _ v: [String]) {
        lua_createtable(L, Int32(clamping: v.count), 0)
        for (k, x) in v.enumerated() {
            LuaRead.push(L, x)
            lua_rawseti(L, -2, lua_Integer(k + 1))
        }
    }
    /// A list of booleans.
    public static func booleans(_ L: OpaquePointer, _ v: [Bool]) {
        lua_createtable(L, Int32(clamping: v.count), 0)
        for (k, x) in v.enumerated() {
            lua_pushboolean(L, x ? 1 : 0)
            lua_rawseti(L, -2, lua_Integer(k + 1))
        }
    }
}
