import CLua

/// The one userdata recipe every Swift type exposed to Lua shares.
///
/// A userdata holds one retained reference to a Swift object. Its metatable has `__name`
/// (the dotted type name), `__gc` and `__close` (drop the reference), `__eq` (same object),
/// `__tostring` (a one-line summary), and methods `:type()` and `:release()`; use after
/// release is an error naming the type. A weak registry maps each object to its userdata, so
/// pushing the same object twice yields the same Lua value.
public final class LuaClass<T: AnyObject> {
    /// The dotted type name, e.g. `discern.Tensor`.
    public let name: String
    let describe: (T) -> String
    var methods: [(name: String, doc: String?, body: (LuaCall, T) throws -> Int32)] = []
    var metamethods: [(name: String, body: LuaBody)] = []
    var properties: [String: (LuaCall, T) throws -> Int32] = [:]
    /// Called before a userdata drops its reference (for resources that want eager cleanup).
    public var onRelease: ((T) -> Void)?
    /// Opens the module that adds this class's methods and registers it, for a value that reaches
    /// Lua before its module was opened (a tensor read from the store); nil: register as declared so far.
    public var opener: ((LuaState) -> Void)?

    /// Creates a class description; `describe` renders `__tostring`.
    public init(_ name: String, describe: @escaping (T) -> String) {
        self.name = name
        self.describe = describe
    }

    /// Adds a method callable as `obj:name(…)`; argument numbers in errors skip `self`.
    public func method(_ name: String, doc: String? = nil, _ body: @escaping (LuaCall, T) throws -> Int32) {
        methods.append((name, doc, body))
    }

    /// Adds a method declared with its signature (`(dim?: integer) -> integer[]`, `self` not
    /// listed) and doc; help and stubs come from the declaration.
    public func method(_ name: String, _ signature: String, _ doc: String, options: String? = nil,
                       _ body: @escaping (LuaCall, T) throws -> Int32) {
        let f = LuaAPI.declare("\(self.name):\(name)", signature, doc, options: options)
        methods.append((name, f.help, body))
    }

    /// Adds a read-only field `obj.name` computed by `body` (which pushes one value).
    public func property(_ name: String, _ body: @escaping (LuaCall, T) throws -> Int32) {
        properties[name] = body
    }

    /// Adds a metamethod (`__add`, `__len`, …) implemented in Swift.
    public func metamethod(_ name: String, _ body: @escaping LuaBody) {
        metamethods.append((name, body))
    }

    /// Creates the metatable in `state` (idempotent per state).
    public func register(in state: LuaState) {
        let L = state.L
        guard luaL_newmetatable(L, name) != 0 else {
            dlua_pop(L, 1)
            return
        }
        let mt = lua_gettop(L)
        lua_pushstring(L, name)
        lua_setfield(L, mt, "__name")
        let typeName = name
        let releaseBody: LuaBody = { call in
            self.releaseSlot(call.L, 1)
            return 0
        }
        state.setFunction(in: mt, "__gc", qualifiedName: "\(name).__gc", releaseBody)
        state.setFunction(in: mt, "__close", qualifiedName: "\(name).__close", releaseBody)
        state.setFunction(in: mt, "__eq", qualifiedName: "\(name).__eq") { call in
            let a = self.peek(call.L, 1), b = self.peek(call.L, 2)
            call.push(a != nil && a == b)
            return 1
        }
        state.setFunction(in: mt, "__tostring", qualifiedName: "\(name).__tostring") { call in
            if let raw = self.peek(call.L, 1) {
                call.push(self.describe(Unmanaged<T>.fromOpaque(raw).takeUnretainedValue()))
            } else {
                call.push("\(typeName) (released)")
            }
            return 1
        }
        for (n, body) in metamethods { state.setFunction(in: mt, n, qualifiedName: "\(name).\(n)", body) }

        lua_createtable(L, 0, Int32(methods.count + 2))
        let methodsTable = lua_gettop(L)
        let typeDecl = LuaAPI.declare("\(name):type", "() -> string", "The type name (\(name)).", options: nil)
        let releaseDecl = LuaAPI.declare("\(name):release", "()", "Frees the underlying object now; later use is an error.",
                                         options: nil)
        state.setFunction(in: methodsTable, "type", qualifiedName: "\(name):type", doc: typeDecl.help) { call in
            call.push(typeName)
            return 1
        }
        state.setFunction(in: methodsTable, "release", qualifiedName: "\(name):release", doc: releaseDecl.help, releaseBody)
        for m in methods {
            let body = m.body
            let qualified = "\(name):\(m.name)"
            state.setFunction(in: methodsTable, m.name, qualifiedName: qualified, doc: m.doc) { call in
                let c = call.asMethod()
                return try body(c, try self.checkSelf(c))
            }
        }
        if properties.isEmpty {
            lua_setfield(L, mt, "__index")
        } else {
            // __index(obj, key): a method, else a property, else nil.
            lua_pushvalue(L, -1)
            lua_setfield(L, mt, "__methods")
            dlua_pop(L, 1)
            state.setFunction(in: mt, "__index", qualifiedName: "\(name).__index") { call in
                let L = call.L
                lua_getmetatable(L, 1)
                lua_getfield(L, -1, "__methods")
                lua_pushvalue(L, 2)
                if lua_rawget(L, -2) != LUA_TNIL { return 1 }
                dlua_pop(L, 3)
                if let key = LuaRead.string(L, 2),
                   let body = self.properties[key] {
                    return try body(call, try self.checkSelf(call))
                }
                lua_pushnil(L)
                return 1
            }
        }
        dlua_pop(L, 1)
    }

    // MARK: values

    /// Pushes `object` (the existing userdata when it is already in Lua).
    public func push(_ L: OpaquePointer, _ object: T) {
        let key = Unmanaged.passUnretained(object).toOpaque()
        LuaState(borrowing: L).pushWeakRegistryTable("dlua.identity", mode: "v")
        if lua_rawgetp(L, -1, key) == LUA_TUSERDATA, peek(L, -1) == key {
            lua_rotate(L, -2, 1)
            dlua_pop(L, 1)
            return
        }
        dlua_pop(L, 1)
        // A value can reach Lua before its module was opened (a tensor read from the store).
        if lua_getfield(L, dlua_registryindex(), name) == LUA_TNIL {
            dlua_pop(L, 1)
            let top = lua_gettop(L)
            if let opener { opener(LuaState(borrowing: L)) } else { register(in: LuaState(borrowing: L)) }
            lua_settop(L, top)
        } else {
            dlua_pop(L, 1)
        }
        let slot = lua_newuserdatauv(L, MemoryLayout<UnsafeMutableRawPointer?>.size, 0)!
        slot.storeBytes(of: Unmanaged.passRetained(object).toOpaque(), as: UnsafeMutableRawPointer?.self)
        luaL_setmetatable(L, name)
        lua_pushvalue(L, -1)
        lua_rawsetp(L, -3, key)
        lua_rotate(L, -2, 1)
        dlua_pop(L, 1)
    }

    /// The object at `idx` if it is a live userdata of this class.
    public func test(_ L: OpaquePointer, _ idx: Int32) -> T? {
        peek(L, idx).map { Unmanaged<T>.fromOpaque($0).takeUnretainedValue() }
    }

    /// Whether the value at `idx` is a userdata of this class that was released.
    public func isReleased(_ L: OpaquePointer, _ idx: Int32) -> Bool {
        guard let raw = luaL_testudata(L, idx, name) else { return false }
        return raw.load(as: UnsafeMutableRawPointer?.self) == nil
    }

    /// The object at argument `i`, or an error naming the expected type (or the release).
    public func check(_ call: LuaCall, _ i: Int32) throws -> T {
        if let raw = luaL_testudata(call.L, i, name) {
            guard let p = raw.load(as: UnsafeMutableRawPointer?.self) else {
                throw LuaError(code: "released", "\(call.name): bad argument #\(i - call.selfOffset) (\(name) was released)")
            }
            return Unmanaged<T>.fromOpaque(p).takeUnretainedValue()
        }
        throw call.argError(i, name)
    }

    func checkSelf(_ call: LuaCall) throws -> T {
        if let raw = luaL_testudata(call.L, 1, name) {
            guard let p = raw.load(as: UnsafeMutableRawPointer?.self) else {
                throw LuaError(code: "released", "\(call.name): use of a released \(name)")
            }
            return Unmanaged<T>.fromOpaque(p).takeUnretainedValue()
        }
        throw LuaError(code: "arg", "\(call.name): bad self (\(name) expected, got \(call.typeName(1))); call it with ':'")
    }

    func peek(_ L: OpaquePointer, _ idx: Int32) -> UnsafeMutableRawPointer? {
        guard let raw = luaL_testudata(L, idx, name) else { return nil }
        return raw.load(as: UnsafeMutableRawPointer?.self)
    }

    func releaseSlot(_ L: OpaquePointer, _ idx: Int32) {
        guard let raw = luaL_testudata(L, idx, name), let p = raw.load(as: UnsafeMutableRawPointer?.self) else { return }
        raw.storeBytes(of: nil, as: UnsafeMutableRawPointer?.self)
        let obj = Unmanaged<T>.fromOpaque(p)
        onRelease?(obj.takeUnretainedValue())
        // Drop the identity entry (it may already be gone during collection).
        LuaState(borrowing: L).pushWeakRegistryTable("dlua.identity", mode: "v")
        if lua_rawgetp(L, -1, p) == LUA_TUSERDATA, lua_touserdata(L, -1) == raw {
            lua_pushnil(L)
            lua_rawsetp(L, -3, p)
        }
        dlua_pop(L, 2)
        obj.release()
    }
}
