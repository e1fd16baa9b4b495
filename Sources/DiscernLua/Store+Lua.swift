import CLua
import JSON
import Foundation
import LuaKit
import Store
import Tensor

/// Lua bindings of `discern.store` and the `discern.Store` userdata.
enum StoreLua {
    nonisolated(unsafe) static let cls = LuaClass<Store>("discern.Store") { s in "discern.Store(\(s.path))" }
    nonisolated(unsafe) static var defaultStore: Store?
    nonisolated(unsafe) static var methodsDefined = false

    static func shared() throws -> Store {
        if let s = defaultStore { return s }
        let s = try Store(path: Store.defaultPath())
        defaultStore = s
        return s
    }

    nonisolated(unsafe) static let run = LuaRecordSpec<RunRecord>("discern.store.Run", [
        .custom("id", type: "integer") { r, L in lua_pushinteger(L, lua_Integer(r.id)) }, .string("script", \.script),
        .strings("args", \.args), .number("started_at", \.startedAt.timeIntervalSince1970, "seconds since 1970"),
        .number("ended_at", \.endedAt?.timeIntervalSince1970, "nil while running"),
        .string("status", \.status, "\"running\", \"ok\", \"error\", \"interrupted\" or free text"),
    ])

    nonisolated(unsafe) static let kindStats = LuaRecordSpec<StoreStats.Kind>("discern.store.KindStats", [
        .string("kind", \.kind), .integer("entries", \.entries),
        .custom("bytes", type: "integer", "value bytes plus metadata bytes") { r, L in lua_pushinteger(L, lua_Integer(r.bytes)) },
        .number("oldest", \.oldest.timeIntervalSince1970, "earliest write, seconds since 1970"),
        .number("newest", \.newest.timeIntervalSince1970, "latest write, seconds since 1970"),
        .number("least_recently_accessed", \.leastRecentlyAccessed.timeIntervalSince1970,
                "earliest last access (within a minute), seconds since 1970: the first to go under max_size"),
    ])
    nonisolated(unsafe) static let stats = LuaRecordSpec<StoreStats>("discern.store.Stats", [
        .string("path", \.path, "the SQLite file"),
        .records("kinds", \.kinds, kindStats, "one per kind, sorted by kind"),
        .integer("entries", \.entries, "cache entries"),
        .custom("bytes", type: "integer", "the cache's size: value plus metadata bytes") { r, L in lua_pushinteger(L, lua_Integer(r.bytes)) },
        .custom("file_bytes", type: "integer", "page_count × page_size (WAL not included)") { r, L in lua_pushinteger(L, lua_Integer(r.fileBytes)) },
        .custom("page_size", type: "integer") { r, L in lua_pushinteger(L, lua_Integer(r.pageSize)) },
        .custom("free_pages", type: "integer", "pages gc's vacuum returns to the file system") { r, L in lua_pushinteger(L, lua_Integer(r.freePages)) },
        .integer("runs", \.runs, "recorded runs"),
    ])
    nonisolated(unsafe) static let gcKind = LuaRecordSpec<GCReport.Kind>("discern.store.GCKind", [
        .string("kind", \.kind), .integer("entries", \.entries, "entries evicted"),
        .custom("bytes", type: "integer", "their value plus metadata bytes") { r, L in lua_pushinteger(L, lua_Integer(r.bytes)) },
    ])
    nonisolated(unsafe) static let gcResult = LuaRecordSpec<GCReport>("discern.store.GCResult", [
        .boolean("dry_run", \.dryRun, "true: nothing was deleted, this is what would be"),
        .records("kinds", \.kinds, gcKind, "evictions per kind, sorted by kind"),
        .integer("entries", \.entries, "entries evicted"),
        .custom("bytes", type: "integer", "their size") { r, L in lua_pushinteger(L, lua_Integer(r.bytes)) },
        .custom("remaining_bytes", type: "integer", "the cache's size afterwards") { r, L in lua_pushinteger(L, lua_Integer(r.remainingBytes)) },
        .custom("file_bytes_before", type: "integer") { r, L in lua_pushinteger(L, lua_Integer(r.fileBytesBefore)) },
        .custom("file_bytes_after", type: "integer", "after the vacuum (a dry run: unchanged)") { r, L in
            lua_pushinteger(L, lua_Integer(r.fileBytesAfter))
        },
    ])

    struct GCArgs {
        var olderThan: Double?
        var maxSize: Int64?
        var dryRun = false
        var path: String?
    }
    nonisolated(unsafe) static let gcOptions = LuaOptionSpec<GCArgs>("discern.store.GCOptions", prototype: GCArgs(), [
        .value("older_than", type: "number|string", """
            evict entries not accessed for this long: seconds, or "90s", "30m", "12h", "7d", "2w"
            """, default: "no age limit") { root, o, idx in
            if lua_type(o.tableL, idx) == LUA_TSTRING {
                do { root.olderThan = try StoreUnits.duration(LuaRead.string(o.tableL, idx) ?? "") } catch let e as StoreError {
                    throw LuaError(code: "arg", "\(o.owner.name): option 'older_than': \(e.message)")
                }
            } else if lua_type(o.tableL, idx) == LUA_TNUMBER {
                root.olderThan = try o.number("older_than", in: 0...Double.greatestFiniteMagnitude)
            } else {
                throw o.typeError("older_than", "seconds or a duration string like \"7d\"", at: idx)
            }
        },
        .value("max_size", type: "integer|string", """
            then evict the least recently accessed entries until the cache fits: bytes, or "500K", "200M", "10G" (powers of 1024)
            """, default: "no size limit") { root, o, idx in
            if lua_type(o.tableL, idx) == LUA_TSTRING {
                do { root.maxSize = try StoreUnits.size(LuaRead.string(o.tableL, idx) ?? "") } catch let e as StoreError {
                    throw LuaError(code: "arg", "\(o.owner.name): option 'max_size': \(e.message)")
                }
            } else if lua_type(o.tableL, idx) == LUA_TNUMBER {
                root.maxSize = try o.integer("max_size", in: 0...Int.max).map(Int64.init)
            } else {
                throw o.typeError("max_size", "bytes or a size string like \"10G\"", at: idx)
            }
        },
        .boolean("dry_run", \.dryRun, "report what would be evicted, change nothing"),
        .string("path", \.path, "the store file (it must exist)", default: "the default store"),
    ])

    /// The store at `path` (which must exist; the default store when nil or its path).
    static func existing(_ call: LuaCall, _ path: String?) throws -> Store {
        guard let path, path != Store.defaultPath() else { return try shared() }
        guard FileManager.default.fileExists(atPath: path) else {
            throw LuaError(code: "store_open", "\(call.name): no store at \(path)")
        }
        return try Store(path: path)
    }

    /// The operations `discern.store.x(…)` runs on the default store and `store:x(…)` on its own.
    static let operations: [(name: String, signature: String, doc: String)] = [
        ("get", "(key: string) -> any, string", """
            value, kind; or nil, "miss" when absent. Values come back as stored: string, table (JSON) or discern.Tensor (kinds tensor and embedding).
            """),
        ("set", "(key: string, value: string|table|number|boolean|discern.Tensor) -> string", """
            key; value is a string (blob), a plain table/number/boolean (JSON) or a discern.Tensor.
            """),
        ("has", "(key: string) -> boolean", "Whether key is cached."),
        ("remove", "(key: string) -> boolean", "Whether an entry was removed."),
        ("transaction", "(fn: function) -> any", "The results of fn(); every write inside commits together or not at all."),
    ]

    /// Builds the `discern.store` table on top of the stack.
    static func open(_ state: LuaState) {
        defineMethods()
        // Declared records register on first use; touch them so the stubs and help know them now.
        _ = (run, kindStats, stats, gcKind, gcResult)
        cls.register(in: state)
        let m = LuaModuleBuilder(state, "discern.store", doc: "discern.store: a SQLite cache of blobs, JSON values and tensors, and the run records; see discern.Store methods.")
        m.function("open", "(path?: string) -> discern.Store", """
            path defaults to $DISCERN_HOME/store.sqlite or ./.discern/store.sqlite.
            """) { call in call.push(try Store(path: try call.optString(1) ?? Store.defaultPath()), cls) }
        m.function("key", "(description: table|string|number|boolean) -> string", """
            Hex SHA-256 of the canonical JSON of a plain value (table, string, number, boolean).
            """) { call in call.returning(try Store.key(for: try canonical(call, 1))) }
        m.function("path", "() -> string", "Path of the default store.") { call in call.returning(Store.defaultPath()) }
        for op in operations {
            m.function(op.name, op.signature, "As store:\(op.name)(…) on the default store: " + op.doc) { call in
                try dispatch(op.name, call, try shared(), first: 1)
            }
        }
        m.function("stats", "(path?: string) -> discern.store.Stats", """
            What the store holds: entries, bytes and write times per kind, totals, the file's size and free pages, the runs.
            path (an existing store) defaults to the default store.
            """) { call in try call.push(try existing(call, try call.optString(1)).stats(), stats) }
        m.function("gc", "(opts?: discern.store.GCOptions) -> discern.store.GCResult", """
            Evicts cache entries not accessed for older_than, then the least recently accessed ones while the cache is over
            max_size, in one transaction, then compacts the file (VACUUM) unless dry_run. Never evicts the run records nor
            entries whose kind starts with "run" (run, run.findings, run.step, …): pipelines keep their results there.
            """, options: gcOptions) { call in
            var a = GCArgs()
            try gcOptions.decode(call, at: 1, into: &a)
            let s = try existing(call, a.path)
            return try call.push(try s.gc(olderThan: a.olderThan, maxSize: a.maxSize, dryRun: a.dryRun), gcResult)
        }
        m.function("default", "() -> discern.Store", "The default discern.Store (opened on first use).") { call in
            call.push(try shared(), cls)
        }
    }

    static func defineMethods() {
        if methodsDefined { return }
        methodsDefined = true
        for op in operations {
            cls.method(op.name, op.signature, op.doc) { call, s in try dispatch(op.name, call, s, first: 2) }
        }
        cls.method("count", "() -> integer", "Number of cache entries.") { call, s in call.returning(try s.count()) }
        cls.method("path", "() -> string", "The SQLite file.") { call, s in call.returning(s.path) }
        cls.method("integrity_check", "() -> string", "\"ok\" or SQLite's findings.") { call, s in call.returning(try s.integrityCheck()) }
        cls.method("runs", "(limit?: integer) -> discern.store.Run[]", "The recorded runs, newest first (limit 50 by default).") { call, s in
            try run.pushList(try s.runs(limit: try call.optInteger(2) ?? 50), call.L)
            return 1
        }
    }

    /// Shared implementation of the store operations; arguments start at `first`.
    static func dispatch(_ op: String, _ call: LuaCall, _ s: Store, first: Int32) throws -> Int32 {
        let L = call.L
        switch op {
        case "get":
            let key = try call.string(first)
            guard let e = try s.get(key) else {
                call.pushNil()
                call.push("miss")
                return 2
            }
            switch e.kind {
            case "blob": call.push(bytes: e.bytes)
            case "json":
                try JSONLua.push(L, try parseJSON(e.bytes))
            case "embedding":
                // A vector cached by discern.Embedder:encode: float32 little-endian values.
                guard e.bytes.count % 4 == 0 else {
                    throw LuaError(code: "store_corrupt", "entry \(key) is an embedding of \(e.bytes.count) bytes, not a multiple of 4")
                }
                TensorLua.cls.push(L, try Tensor(rawBytes: e.bytes, dtype: .float32, shape: [e.bytes.count / 4]))
            case "tensor":
                guard let meta = e.meta, let m = try JSONSerialization.jsonObject(with: Data(meta.utf8)) as? [String: Any],
                      let dt = m["dtype"] as? String, let shape = m["shape"] as? [Int] else {
                    throw LuaError(code: "store_corrupt", "entry \(key) is a tensor without a valid dtype/shape description")
                }
                TensorLua.cls.push(L, try Tensor(rawBytes: e.bytes, dtype: try DType.parse(dt), shape: shape))
            default:
                throw LuaError(code: "store_corrupt", "entry \(key) has unknown kind '\(e.kind)'")
            }
            call.push(e.kind)
            return 2
        case "set":
            let key = try call.string(first)
            let v = first + 1
            if let t = TensorLua.cls.test(L, v) {
                let meta = "{\"dtype\":\"\(t.dtype.rawValue)\",\"shape\":\(t.shape)}"
                try s.put(key, kind: "tensor", bytes: try t.rawBytes(), meta: meta)
            } else if call.type(v) == LUA_TSTRING {
                try s.put(key, kind: "blob", bytes: try call.bytes(v))
            } else if call.type(v) == LUA_TTABLE || call.type(v) == LUA_TNUMBER || call.type(v) == LUA_TBOOLEAN {
                let json = try canonical(call, v).canonicalJSON()
                try s.put(key, kind: "json", bytes: Array(json.utf8))
            } else {
                throw call.argError(v, "string, table, number, boolean or discern.Tensor")
            }
            call.push(key)
            return 1
        case "has":
            call.push(try s.has(try call.string(first)))
            return 1
        case "remove":
            call.push(try s.remove(try call.string(first)))
            return 1
        case "transaction":
            try call.checkFunction(first)
            let st = LuaState(borrowing: L)
            lua_settop(L, first)
            return try s.transaction { try st.pcall(nargs: 0) }
        default:
            throw LuaError(code: "arg", "unknown store operation \(op)")
        }
    }

    /// Converts the plain Lua value at `idx` to a canonical value (sequences → arrays, else objects).
    static func canonical(_ call: LuaCall, _ idx: Int32, depth: Int = 0) throws -> CanonicalValue {
        let L = call.L
        let i = lua_absindex(L, idx)
        guard depth < JSONLua.maxDepth else {
            throw LuaError(code: "arg", "value nests deeper than \(JSONLua.maxDepth) levels (a cycle?)")
        }
        try LuaRead.checkStack(L, 8, "\(call.name): value")
        switch lua_type(L, i) {
        case LUA_TNIL: return .null
        case LUA_TBOOLEAN: return .bool(lua_toboolean(L, i) != 0)
        case LUA_TNUMBER:
            if dlua_isinteger(L, i) != 0 { return .int(Int64(lua_tointegerx(L, i, nil))) }
            return .double(lua_tonumberx(L, i, nil))
        case LUA_TSTRING: return .string(try call.string(i))
        case LUA_TTABLE:
            // Plain data: read raw, as lua_next does.
            let n = Int(lua_rawlen(L, i))
            var count = 0
            var object: [String: CanonicalValue] = [:]
            lua_pushnil(L)
            while lua_next(L, i) != 0 {
                count += 1
                if let k = LuaRead.string(L, -2) {
                    object[k] = try canonical(call, -1, depth: depth + 1)
                } else if lua_type(L, -2) != LUA_TNUMBER {
                    let t = String(cString: lua_typename(L, lua_type(L, -2)))
                    dlua_pop(L, 2)
                    throw LuaError(code: "arg", "table keys must be strings or list indices, got \(t)")
                }
                dlua_pop(L, 1)
            }
            if object.isEmpty && count == n {
                var arr: [CanonicalValue] = []
                for k in 0..<n {
                    lua_rawgeti(L, i, lua_Integer(k + 1))
                    defer { dlua_pop(L, 1) }
                    arr.append(try canonical(call, -1, depth: depth + 1))
                }
                return .array(arr)
            }
            guard object.count == count else {
                throw LuaError(code: "arg", "table mixes list entries and string keys; use one or the other")
            }
            return .object(object)
        default:
            throw LuaError(code: "arg", "cannot describe a \(call.typeName(i)) as data (plain tables, strings, numbers, booleans only)")
        }
    }
}

/// Parses JSON bytes; `context` starts the error message (e.g. the function name).
func parseJSON(_ bytes: [UInt8], context: String = "stored JSON is malformed") throws -> JSON.JSONValue {
    do {
        return try JSON.JSONValue.parse(bytes)
    } catch {
        throw LuaError(code: "format", "\(context): \(error.message)")
    }
}
