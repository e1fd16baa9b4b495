import CLua

/// One option key, declared once: its name, LuaCATS type, default and doc, and how its value is
/// read into the options value `Root`. Argument checks, `discern.help`, REPL `?name` and the
/// LuaCATS stubs all come from this declaration.
///
/// A field is built with one of the static constructors (`integer`, `number`, `boolean`,
/// `string`, `choice`, `integers`, `numbers`, `strings`, `seed`, `custom`), each taking a key path
/// into `Root` (usually the domain module's own config struct), so no value is copied twice.
public struct LuaField<Root> {
    /// The option key (`snake_case`).
    public let key: String
    /// The LuaCATS type (`integer`, `number[]`, `"topk"|"batchtopk"`, …).
    public let type: String
    /// One line on what the option does.
    public let doc: String
    /// Whether the option must be given.
    public let required: Bool
    let defaultText: (Root?) -> String?
    let assign: (inout Root, LuaOptions) throws -> Void

    /// A field read by a custom closure (for values no constructor covers: functions, tensors, unions).
    /// - Parameters:
    ///   - type: the LuaCATS type shown in docs and stubs.
    ///   - default: the default as users read it (nil: none).
    ///   - read: reads `options[key]` (present or not) into the root.
    public static func custom(_ key: String, type: String, _ doc: String, default: String? = nil, required: Bool = false,
                              read: @escaping (inout Root, LuaOptions) throws -> Void) -> LuaField {
        LuaField(key: key, type: type, doc: doc, required: required, defaultText: { _ in `default` }, assign: read)
    }

    static func make<V>(_ key: String, _ type: String, _ doc: String, _ path: WritableKeyPath<Root, V>, default dflt: String?,
                        required: Bool, read: @escaping (LuaOptions, String) throws -> V?) -> LuaField {
        LuaField(key: key, type: type, doc: doc, required: required,
                 defaultText: { root in dflt ?? root.map { LuaField.render($0[keyPath: path]) } },
                 assign: { root, o in if let v = try read(o, key) { root[keyPath: path] = v } })
    }

    static func makeOptional<V>(_ key: String, _ type: String, _ doc: String, _ path: WritableKeyPath<Root, V?>,
                                default dflt: String?, required: Bool, read: @escaping (LuaOptions, String) throws -> V?) -> LuaField {
        LuaField(key: key, type: type, doc: doc, required: required,
                 defaultText: { root in dflt ?? root.flatMap { $0[keyPath: path] }.map { LuaField.render($0) } },
                 assign: { root, o in if let v = try read(o, key) { root[keyPath: path] = v } })
    }

    static func render(_ v: Any) -> String {
        switch v {
        case let s as String: return "\"\(s)\""
        case let d as Double: return d == d.rounded() && Swift.abs(d) < 1e15 ? String(Int(d)) : "\(d)"
        case let r as any RawRepresentable: return render(r.rawValue)
        case let a as [Any]: return "{" + a.map(render).joined(separator: ", ") + "}"
        default: return "\(v)"
        }
    }
}

extension LuaField {
    /// An integer option (integral, |v| < 2^53), optionally limited to `range`.
    public static func integer(_ key: String, _ path: WritableKeyPath<Root, Int>, _ doc: String,
                               in range: ClosedRange<Int>? = nil, default: String? = nil, required: Bool = false) -> LuaField {
        make(key, "integer", doc, path, default: `default`, required: required) { o, k in try o.integer(k, in: range) }
    }
    /// An optional integer option (nil when absent).
    public static func integer(_ key: String, _ path: WritableKeyPath<Root, Int?>, _ doc: String,
                               in range: ClosedRange<Int>? = nil, default: String? = nil, required: Bool = false) -> LuaField {
        makeOptional(key, "integer", doc, path, default: `default`, required: required) { o, k in try o.integer(k, in: range) }
    }
    /// A finite number option, optionally limited to `range`.
    public static func number(_ key: String, _ path: WritableKeyPath<Root, Double>, _ doc: String,
                              in range: ClosedRange<Double>? = nil, default: String? = nil, required: Bool = false) -> LuaField {
        make(key, "number", doc, path, default: `default`, required: required) { o, k in try o.number(k, in: range) }
    }
    /// An optional finite number option.
    public static func number(_ key: String, _ path: WritableKeyPath<Root, Double?>, _ doc: String,
                              in range: ClosedRange<Double>? = nil, default: String? = nil, required: Bool = false) -> LuaField {
        makeOptional(key, "number", doc, path, default: `default`, required: required) { o, k in try o.number(k, in: range) }
    }
    /// A boolean option.
    public static func boolean(_ key: String, _ path: WritableKeyPath<Root, Bool>, _ doc: String,
                               default: String? = nil) -> LuaField {
        make(key, "boolean", doc, path, default: `default`, required: false) { o, k in try o.bool(k) }
    }
    /// An optional boolean option.
    public static func boolean(_ key: String, _ path: WritableKeyPath<Root, Bool?>, _ doc: String,
                               default: String? = nil) -> LuaField {
        makeOptional(key, "boolean", doc, path, default: `default`, required: false) { o, k in try o.bool(k) }
    }
    /// A string option (read with its length).
    public static func string(_ key: String, _ path: WritableKeyPath<Root, String>, _ doc: String,
                              default: String? = nil, required: Bool = false) -> LuaField {
        make(key, "string", doc, path, default: `default`, required: required) { o, k in try o.string(k) }
    }
    /// An optional string option.
    public static func string(_ key: String, _ path: WritableKeyPath<Root, String?>, _ doc: String,
                              default: String? = nil, required: Bool = false) -> LuaField {
        makeOptional(key, "string", doc, path, default: `default`, required: required) { o, k in try o.string(k) }
    }
    /// One of an enum's raw values; anything else is an error listing them.
    public static func choice<E: RawRepresentable & CaseIterable>(_ key: String, _ path: WritableKeyPath<Root, E>, _ doc: String,
                                                                  default: String? = nil) -> LuaField where E.RawValue == String {
        make(key, choiceType(E.self), doc, path, default: `default`, required: false) { o, k in try o.choice(k, E.self) }
    }
    /// An optional enum value.
    public static func choice<E: RawRepresentable & CaseIterable>(_ key: String, _ path: WritableKeyPath<Root, E?>, _ doc: String,
                                                                  default: String? = nil) -> LuaField where E.RawValue == String {
        makeOptional(key, choiceType(E.self), doc, path, default: `default`, required: false) { o, k in try o.choice(k, E.self) }
    }
    /// A list of integers.
    public static func integers(_ key: String, _ path: WritableKeyPath<Root, [Int]?>, _ doc: String,
                                in range: ClosedRange<Int>? = nil, default: String? = nil) -> LuaField {
        makeOptional(key, "integer[]", doc, path, default: `default`, required: false) { o, k in try o.integers(k, in: range) }
    }
    /// A list of numbers.
    public static func numbers(_ key: String, _ path: WritableKeyPath<Root, [Double]?>, _ doc: String,
                               default: String? = nil) -> LuaField {
        makeOptional(key, "number[]", doc, path, default: `default`, required: false) { o, k in try o.numbers(k) }
    }
    /// A list of strings.
    public static func strings(_ key: String, _ path: WritableKeyPath<Root, [String]?>, _ doc: String,
                               default: String? = nil) -> LuaField {
        makeOptional(key, "string[]", doc, path, default: `default`, required: false) { o, k in try o.strings(k) }
    }
    /// A number, or `false` to switch the setting off (nil in Swift); `true` is an error.
    public static func numberOrOff(_ key: String, _ path: WritableKeyPath<Root, Double?>, _ doc: String,
                                   in range: ClosedRange<Double>? = nil, default: String? = nil) -> LuaField {
        LuaField(key: key, type: "number|false", doc: doc + " (false: off)", required: false,
                 defaultText: { root in `default` ?? root.flatMap { $0[keyPath: path] }.map { LuaField.render($0) } ?? "false" },
                 assign: { root, o in
                     let t = try o.push(key)
                     let flag = t == LUA_TBOOLEAN ? lua_toboolean(o.tableL, -1) != 0 : nil
                     dlua_pop(o.tableL, 1)
                     switch flag {
                     case true?: throw LuaError(code: "arg", "\(o.call.name): option '\(key)' must be a number or false, got true")
                     case false?: root[keyPath: path] = nil
                     case nil: if let v = try o.number(key, in: range) { root[keyPath: path] = v }
                     }
                 })
    }

    /// A random seed: a non-negative integer.
    public static func seed(_ key: String, _ path: WritableKeyPath<Root, UInt64>, _ doc: String,
                            default: String? = nil) -> LuaField {
        make(key, "integer", doc, path, default: `default`, required: false) { o, k in try o.integer(k, in: 0...Int.max).map { UInt64($0) } }
    }
    /// An optional random seed.
    public static func seed(_ key: String, _ path: WritableKeyPath<Root, UInt64?>, _ doc: String,
                            default: String? = nil) -> LuaField {
        makeOptional(key, "integer", doc, path, default: `default`, required: false) { o, k in
            try o.integer(k, in: 0...Int.max).map { UInt64($0) }
        }
    }

    static func choiceType<E: RawRepresentable & CaseIterable>(_: E.Type) -> String where E.RawValue == String {
        E.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: "|")
    }
}

/// The options a function accepts, declared once as a list of fields over `Root`.
public struct LuaOptionSpec<Root> {
    /// The LuaCATS class name of the options table (`discern.circuit.TrainTranscodersOptions`).
    public let name: String
    /// The fields, in the order docs list them.
    public let fields: [LuaField<Root>]
    /// A value whose fields show the defaults in docs (nil: only explicit `default:` texts).
    public let prototype: Root?

    /// Declares an options table.
    public init(_ name: String, prototype: Root? = nil, _ fields: [LuaField<Root>]) {
        self.name = name
        self.prototype = prototype
        self.fields = fields
        LuaAPI.register(LuaAPIClass(name: name, doc: "", fields: describe()))
    }

    /// The accepted keys.
    public var keys: [String] { fields.map(\.key) }

    /// The fields as plain descriptions (for help text and stubs).
    public func describe() -> [LuaAPIField] {
        fields.map { f in
            LuaAPIField(key: f.key, type: f.type, doc: f.doc, optional: !f.required,
                        defaultText: f.required ? nil : f.defaultText(prototype))
        }
    }

    /// Reads the options table at argument `i` of `call` into `root`.
    /// - Returns: the validated raw options (nil when absent), for reads outside the spec.
    /// - Throws: on an unknown key (naming the closest and listing all), a wrong type (naming the
    ///   key and the expected type), a value out of range, or a missing required key.
    @discardableResult
    public func decode(_ call: LuaCall, at i: Int32, into root: inout Root) throws -> LuaOptions? {
        let o = try call.options(i, allowed: keys)
        for f in fields {
            if let o {
                try f.assign(&root, o)
                if f.required, try !o.has(f.key) { throw missing(call, f) }
            } else if f.required {
                throw missing(call, f)
            }
        }
        return o
    }

    func missing(_ call: LuaCall, _ f: LuaField<Root>) -> LuaError {
        LuaError(code: "arg", "\(call.name): option '\(f.key)' (\(f.doc)) is required")
    }
}

extension LuaOptions {
    func rangeError<T>(_ key: String, _ v: T, _ range: ClosedRange<T>, max: T) -> LuaError {
        let what = range.upperBound == max ? "at least \(range.lowerBound)" : "in \(range.lowerBound)…\(range.upperBound)"
        return LuaError(code: "arg", "\(call.name): option '\(key)' must be \(what), got \(v)")
    }

    /// An integer option limited to `range`.
    public func integer(_ key: String, in range: ClosedRange<Int>?) throws -> Int? {
        guard let v = try integer(key) else { return nil }
        if let range, !range.contains(v) { throw rangeError(key, v, range, max: Int.max) }
        return v
    }

    /// A finite number option limited to `range`.
    public func number(_ key: String, in range: ClosedRange<Double>?) throws -> Double? {
        guard let v = try number(key) else { return nil }
        guard v.isFinite else { throw LuaError(code: "arg", "\(call.name): option '\(key)' must be a finite number, got \(v)") }
        if let range, !range.contains(v) { throw rangeError(key, v, range, max: .infinity) }
        return v
    }

    /// One of an enum's raw values.
    public func choice<E: RawRepresentable & CaseIterable>(_ key: String, _: E.Type) throws -> E? where E.RawValue == String {
        guard let s = try string(key) else { return nil }
        guard let v = E(rawValue: s) else {
            let all = E.allCases.map { "\"\($0.rawValue)\"" }
            throw LuaError(code: "arg", "\(call.name): option '\(key)' must be one of \(all.joined(separator: ", ")), got \"\(s)\"")
        }
        return v
    }

    func list<T>(_ key: String, _ what: String, _ read: (LuaCall, Int32) throws -> T) throws -> T? {
        let L = call.L
        let t = try push(key)
        defer { dlua_pop(L, 1) }
        if t == LUA_TNIL { return nil }
        guard t == LUA_TTABLE else {
            throw LuaError(code: "arg", "\(call.name): option '\(key)' must be \(what), got \(String(cString: lua_typename(L, t)))")
        }
        do {
            return try read(call, lua_gettop(L))
        } catch let e as LuaError where e.code == "arg" {
            throw LuaError(code: "arg", "\(call.name): option '\(key)' must be \(what)" + (e.message.firstRange(of: "element").map { " (" + e.message[$0.lowerBound...].dropLast() + ")" } ?? ""))
        }
    }

    /// A list-of-integers option.
    public func integers(_ key: String, in range: ClosedRange<Int>? = nil) throws -> [Int]? {
        guard let v = try list(key, "a list of integers", { c, i in try c.integerList(i) }) else { return nil }
        if let range, let bad = v.first(where: { !range.contains($0) }) { throw rangeError(key + "[…]", bad, range, max: Int.max) }
        return v
    }
    /// A list-of-numbers option.
    public func numbers(_ key: String) throws -> [Double]? { try list(key, "a list of numbers") { c, i in try c.numberList(i) } }
    /// A list-of-strings option.
    public func strings(_ key: String) throws -> [String]? { try list(key, "a list of strings") { c, i in try c.stringList(i) } }
}
