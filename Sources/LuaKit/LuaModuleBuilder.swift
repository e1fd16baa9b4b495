import CLua

/// Builds one Lua module table, declaring each function once: name, signature, doc and options.
/// Help text (`discern.help`, REPL `?name`) and the LuaCATS stubs come from that declaration.
///
///     let m = LuaModuleBuilder(state, "discern.fs", doc: "discern.fs: file operations.")
///     m.function("exists", "(path: string) -> string?", "\"file\", \"directory\" or nil.") { call in … }
///     // the module table is left on the stack
public struct LuaModuleBuilder {
    /// The state the table lives in.
    public let state: LuaState
    /// The qualified module name (`discern.fs`).
    public let name: String
    /// The absolute stack index of the module table.
    public let index: Int32

    /// Pushes a new module table and records its doc.
    public init(_ state: LuaState, _ name: String, doc: String, capacity: Int32 = 8) {
        self.state = state
        self.name = name
        lua_createtable(state.L, 0, capacity)
        index = lua_gettop(state.L)
        state.setDoc(forValueAt: index, doc)
        LuaAPI.registerModule(name, doc: doc)
    }

    /// Wraps an existing table at `index` (for modules built in several places).
    public init(_ state: LuaState, _ name: String, at index: Int32) {
        self.state = state
        self.name = name
        self.index = lua_absindex(state.L, index)
    }

    /// Adds `module.name`, a function with the given signature (`(a: T, b?: U) -> R`), doc and
    /// options class (the LuaCATS name of an options table declared by a `LuaOptionSpec`).
    public func function(_ key: String, _ signature: String, _ doc: String, options: String? = nil, _ body: @escaping LuaBody) {
        let f = LuaAPI.declare(name + "." + key, signature, doc, options: options)
        state.setFunction(in: index, key, qualifiedName: f.name, help: f.help, body)
    }

    /// Adds `module.name` taking the options declared by `spec`.
    public func function<R>(_ key: String, _ signature: String, _ doc: String, options spec: LuaOptionSpec<R>,
                            _ body: @escaping LuaBody) {
        function(key, signature, doc, options: spec.name, body)
    }

    /// Sets `module.key` to a plain value pushed by `push` (constants, nested tables).
    public func value(_ key: String, _ push: () -> Void) {
        push()
        lua_setfield(state.L, index, key)
    }
}

extension LuaAPI {
    /// Records a module table's doc (for the stubs).
    static func registerModule(_ name: String, doc: String) {
        registry.withLock { $0.modules[name] = doc }
    }

    /// The declared module names and their docs, sorted.
    public static var moduleDocs: [(name: String, doc: String)] {
        registry.withLock { $0.modules.map { ($0.key, $0.value) } }.sorted { $0.0 < $1.0 }
    }

    /// Signatures that failed to parse (a test keeps this empty).
    public static var malformed: [String] { registry.withLock { $0.malformed } }

    /// Parses and records a declaration; a malformed signature is recorded in `malformed` and kept empty.
    @discardableResult
    static func declare(_ name: String, _ signature: String, _ doc: String, options: String?) -> LuaAPIFunction {
        let sig: LuaSignature
        do {
            sig = try LuaSignature(parsing: signature)
        } catch {
            registry.withLock { $0.malformed.append("\(name): \(error)") }
            sig = LuaSignature(params: [], returns: [])
        }
        let f = LuaAPIFunction(name: name, signature: sig, doc: doc, options: options, declared: true)
        register(f)
        return f
    }
}

extension LuaSignature {
    init(params: [Param], returns: [String]) {
        self.params = params
        self.returns = returns
    }
}

extension LuaState {
    /// Sets `table[key]` to a Swift function whose help text is `help`.
    func setFunction(in tableIndex: Int32, _ key: String, qualifiedName: String, help: String, _ body: @escaping LuaBody) {
        let t = lua_absindex(L, tableIndex)
        pushFunction(qualifiedName, doc: help, body)
        lua_setfield(L, t, key)
    }
}
