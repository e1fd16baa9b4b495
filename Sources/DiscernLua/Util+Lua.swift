import CLua
import Foundation
import JSON
import LuaKit
import Store

/// `discern.json`: JSON text ⇄ plain Lua values.
enum JSONLua {
    static func open(_ state: LuaState) {
        let m = LuaModuleBuilder(state, "discern.json", doc: "discern.json: encode and decode JSON (plain tables).")
        m.function("encode", "(value: any) -> string", """
            JSON text, pretty-printed with two-space indentation. Tables with keys 1..n are arrays (an empty table is
            []), other tables objects with string keys in sorted order; integers stay integers; strings keep NUL bytes
            (as \\u0000). Tables are read raw (no metamethods), at most 512 deep. NaN, infinities, functions and
            userdata are errors naming where they are.
            """) { call in
            guard call.count >= 1 else { throw call.argError(1, "value") }
            var seen = Set<UnsafeRawPointer>()
            let v = try toJSON(call, 1, path: "value", seen: &seen)
            call.push(String(decoding: JSONWriter.render(v), as: UTF8.self))
            return 1
        }
        m.function("decode", "(text: string) -> any", """
            The value: objects and arrays become tables, null becomes nil. A syntax error raises naming its position.
            """) { call in
            try push(call.L, try parseJSON(try call.bytes(1), context: call.name))
            return 1
        }
    }

    /// The deepest nesting `json.encode`, `json.decode` and the store accept (as the JSON parser).
    static let maxDepth = 512

    static func toJSON(_ call: LuaCall, _ i: Int32, path: String, seen: inout Set<UnsafeRawPointer>, depth: Int = 0) throws -> JSONValue {
        let L = call.L
        let idx = lua_absindex(L, i)
        switch lua_type(L, idx) {
        case LUA_TNIL: return .null
        case LUA_TBOOLEAN: return .bool(lua_toboolean(L, idx) != 0)
        case LUA_TNUMBER:
            if lua_isinteger(L, idx) != 0 { return .int(Int(lua_tointegerx(L, idx, nil))) }
            let d = lua_tonumberx(L, idx, nil)
            guard d.isFinite else { throw LuaError(code: "arg", "\(call.name): \(path) is \(d), which JSON cannot hold") }
            return .double(d)
        case LUA_TSTRING: return .string(LuaRead.string(L, idx) ?? "")
        case LUA_TTABLE:
            guard depth < maxDepth else {
                throw LuaError(code: "arg", "\(call.name): \(path) is nested more than \(maxDepth) deep")
            }
            try LuaRead.checkStack(L, 8, "\(call.name): \(path)")
            guard let ptr = lua_topointer(L, idx) else { return .null }
            guard seen.insert(ptr).inserted else { throw LuaError(code: "arg", "\(call.name): \(path) contains itself") }
            defer { seen.remove(ptr) }
            // Plain data: read raw (lua_next is raw too), so metamethods neither run nor disagree with the keys.
            let n = Int(lua_rawlen(L, idx))
            var count = 0
            var stringKeys: [String] = []
            lua_pushnil(L)
            while lua_next(L, idx) != 0 {
                count += 1
                if let k = LuaRead.string(L, -2) { stringKeys.append(k) }
                dlua_pop(L, 1)
            }
            if count == n {
                var out: [JSONValue] = []
                out.reserveCapacity(n)
                for k in 1...Swift.max(n, 1) where n > 0 {
                    lua_rawgeti(L, idx, lua_Integer(k))
                    defer { dlua_pop(L, 1) }
                    out.append(try toJSON(call, -1, path: "\(path)[\(k)]", seen: &seen, depth: depth + 1))
                }
                return .array(out)
            }
            guard stringKeys.count == count else {
                throw LuaError(code: "arg", "\(call.name): \(path) mixes list entries with other keys, or has non-string keys")
            }
            var o = JSONObject()
            for k in stringKeys.sorted() {
                LuaRead.push(L, k)
                lua_rawget(L, idx)
                defer { dlua_pop(L, 1) }
                o[k] = try toJSON(call, -1, path: "\(path).\(k)", seen: &seen, depth: depth + 1)
            }
            return .object(o)
        default:
            throw LuaError(code: "arg", "\(call.name): \(path) is a \(String(cString: lua_typename(L, lua_type(L, idx)))), which JSON cannot hold")
        }
    }

    /// Pushes a JSON value as plain Lua values (strings and keys with their length).
    /// - Throws: when the value is nested too deeply for the Lua stack.
    static func push(_ L: OpaquePointer, _ v: JSONValue, depth: Int = 0) throws {
        switch v {
        case .null: lua_pushnil(L)
        case .bool(let b): lua_pushboolean(L, b ? 1 : 0)
        case .int(let n): lua_pushinteger(L, lua_Integer(n))
        case .double(let d): lua_pushnumber(L, d)
        case .string(let s): LuaRead.push(L, s)
        case .array(let a):
            try checkDepth(L, depth)
            lua_createtable(L, Int32(clamping: a.count), 0)
            for (k, x) in a.enumerated() {
                try push(L, x, depth: depth + 1)
                lua_rawseti(L, -2, lua_Integer(k + 1))
            }
        case .object(let o):
            try checkDepth(L, depth)
            lua_createtable(L, 0, Int32(clamping: o.pairs.count))
            for (k, x) in o.pairs {
                try push(L, x, depth: depth + 1)
                LuaRead.setField(L, -2, k)
            }
        }
    }

    static func checkDepth(_ L: OpaquePointer, _ depth: Int) throws {
        guard depth < maxDepth else { throw LuaError(code: "arg", "JSON value nested more than \(maxDepth) deep") }
        try LuaRead.checkStack(L, 4, "JSON value")
    }
}

/// `discern.fs`: the few file operations Lua pipelines need (atomic writes, hashes, directories).
enum FsLua {
    static func open(_ state: LuaState) {
        let m = LuaModuleBuilder(state, "discern.fs", doc: "discern.fs: exists, mkdir, read, write (atomic), remove, list, sha256, home.")
        let fm = FileManager.default
        m.function("exists", "(path: string) -> \"file\"|\"directory\"|nil", "Whether the path exists, and what it is.") { call in
            var isDir: ObjCBool = false
            if fm.fileExists(atPath: try call.string(1), isDirectory: &isDir) { call.push(isDir.boolValue ? "directory" : "file") } else { call.pushNil() }
            return 1
        }
        m.function("mkdir", "(path: string)", "Creates a directory and its parents (no error if it exists).") { call in
            let p = try call.string(1)
            do { try fm.createDirectory(atPath: p, withIntermediateDirectories: true) } catch {
                throw LuaError(code: "io", "\(call.name): cannot create \(p): \(error.localizedDescription)")
            }
            return 0
        }
        m.function("read", "(path: string) -> string?, string?", "The file's bytes as a string, or nil, message when it cannot be read.") { call in
            let p = try call.string(1)
            guard let d = fm.contents(atPath: p) else {
                call.pushNil()
                call.push("cannot read \(p)")
                return 2
            }
            call.push(bytes: [UInt8](d))
            return 1
        }
        m.function("write", "(path: string, text: string)", """
            Writes atomically (a temporary file in the same directory, then a rename), so a reader never sees half a file
            and a kill never leaves one.
            """) { call in
            let p = try call.string(1)
            let bytes = try call.bytes(2)
            do { try Data(bytes).write(to: URL(fileURLWithPath: p), options: .atomic) } catch {
                throw LuaError(code: "io", "\(call.name): cannot write \(p): \(error.localizedDescription)")
            }
            return 0
        }
        m.function("remove", "(path: string)", "Removes a file or a directory tree (no error if absent).") { call in
            let p = try call.string(1)
            guard fm.fileExists(atPath: p) else { return 0 }
            do { try fm.removeItem(atPath: p) } catch {
                throw LuaError(code: "io", "\(call.name): cannot remove \(p): \(error.localizedDescription)")
            }
            return 0
        }
        m.function("list", "(dir: string) -> string[]?, string?", "Sorted names in a directory (nil, message when it cannot be read).") { call in
            let p = try call.string(1)
            guard let names = try? fm.contentsOfDirectory(atPath: p) else {
                call.pushNil()
                call.push("cannot list \(p)")
                return 2
            }
            call.push(strings: names.sorted())
            return 1
        }
        m.function("sha256", "(path: string) -> string", """
            The hex SHA-256 of a file, or of every file under a directory (names and contents, in sorted order), for
            content hashes of models.
            """) { call in
            call.push(try hash(try call.string(1), call))
            return 1
        }
        m.function("home", "() -> string", "$DISCERN_HOME, or ./.discern when it is unset.") { call in
            let h = ProcessEnv.get("DISCERN_HOME").flatMap { $0.isEmpty ? nil : $0 } ?? (fm.currentDirectoryPath + "/.discern")
            call.push(h)
            return 1
        }
    }

    static func hash(_ path: String, _ call: LuaCall) throws -> String {
        let fm = FileManager.default
        var isDir: ObjCBool = false
        guard fm.fileExists(atPath: path, isDirectory: &isDir) else { throw LuaError(code: "io", "\(call.name): \(path) does not exist") }
        if !isDir.boolValue {
            guard let d = fm.contents(atPath: path) else { throw LuaError(code: "io", "\(call.name): cannot read \(path)") }
            return ContentHash.hex([UInt8](d))
        }
        guard let names = fm.subpaths(atPath: path) else { throw LuaError(code: "io", "\(call.name): cannot list \(path)") }
        var all: [UInt8] = []
        for name in names.sorted() {
            var sub: ObjCBool = false
            let full = path + "/" + name
            guard fm.fileExists(atPath: full, isDirectory: &sub), !sub.boolValue else { continue }
            all += Array(name.utf8) + [0] + Array(try hash(full, call).utf8) + [0]
        }
        return ContentHash.hex(all)
    }
}
