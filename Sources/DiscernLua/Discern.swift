import CLua
import LuaKit
import Store
import Tensor

#if canImport(Glibc)
import Glibc
#endif

/// The `discern` Lua module: `require "discern"` in the embedded host or in a stock `lua5.4`.
public enum DiscernLua {
    /// Discern's version string.
    public static let version = "0.1.0"

    /// Registers `discern` in `package.preload` and the Stdlib searcher, so `require "discern"` works.
    public static func install(in state: LuaState) {
        let L = state.L
        installSearcher(state)
        lua_getglobal(L, "package")
        lua_getfield(L, -1, "preload")
        lua_pushcclosure(L, luaopen_discern, 0)
        lua_setfield(L, -2, "discern")
        dlua_pop(L, 2)
    }

    /// The submodules `discern.<name>` loads on first use: Swift ones, then the Stdlib's.
    public static let submodules = ["tensor", "store", "model", "tokenizer", "embed", "stats", "bandit", "json", "fs",
                                    "circuit", "sampling", "cluster", "text", "strategy", "organisms", "random", "spec", "pp",
                                    "prompts", "measure", "behavior", "diff", "pipelines", "hypotheses", "generators", "registry", "cli"]

    /// Doc strings of Stdlib values that are functions (a Lua function has no other place for one).
    static let stdlibDocs = [
        "diff": """
            discern.diff{base =, model =, prompts =, method = "exhaustive"|"mechanistic", alpha = 0.05, budget = {generated_tokens =},
            seed = 1, …} -> discern.Run
            Compares an intervened model with its base model: runs the pipeline's steps (see
            discern.pipelines.<method>.order), tests each hypothesis on fresh samples under minimum-effect nulls
            through one online FDR stream (SAFFRON by default), and returns the run: run:findings(), run:tests(),
            run:step(name), run:ledger(), run:fdr(), run:summary(), run:save_json(path). Samples are cached in the
            store, so rerunning the same call after a kill regenerates nothing and gives the same findings.
            """,
        "pp": """
            discern.pp(value, {depth = 4, max_items = 20}) -> string
            Renders a value readably: tables with sorted keys (list part first), nested tables indented when one line
            would pass 80 columns, a table inside itself as <cycle>, tables below depth as {… N items}, at most
            max_items entries per table then "… (N more)"; userdata and tables with __tostring through tostring.
            The REPL prints tables with it.
            """,
    ]

    /// What `discern.info()` returns.
    struct Info {
        let backend: String, build: String, threads: Int, blasThreads: Int?, cudaDevices: Int, store: String, stdlib: String
        init() throws {
            (backend, build, threads) = (Torch.backendPath ?? "", try Torch.buildInfo(), try Torch.numThreads())
            (blasThreads, cudaDevices) = (try Torch.blasThreads(), try Torch.cudaDeviceCount())
            (store, stdlib) = (Store.defaultPath(), ProcessEnv.get("DISCERN_STDLIB") ?? "embedded")
        }
    }
    nonisolated(unsafe) static let info = LuaRecordSpec<Info>("discern.Info", [
        .custom("version", type: "string", "Discern's version") { _, L in LuaRead.push(L, version) },
        .custom("lua", type: "string", "the Lua version (_VERSION)") { _, L in _ = lua_getglobal(L, "_VERSION") },
        .string("torch_backend", \.backend, "the torch backend library's path"), .string("torch_build", \.build, "its build information"),
        .integer("threads", \.threads, "ATen intra-op threads"), .integer("blas_threads", \.blasThreads, "OpenBLAS threads, when known"),
        .integer("cuda_devices", \.cudaDevices), .string("store", \.store, "the default store's path"),
        .string("stdlib", \.stdlib, "$DISCERN_STDLIB, or embedded"),
    ])

    /// Pushes the `discern` table (submodules load on first use).
    static func open(_ state: LuaState) -> Int32 {
        let L = state.L
        installSearcher(state)
        let m = LuaModuleBuilder(state, "discern", doc: "discern: the Discern Lua module. Submodules: \(submodules.joined(separator: ", ")).")
        let mod = m.index
        m.value("version") { lua_pushstring(L, version) }
        m.function("info", "() -> discern.Info", "Version, lua, torch backend (path, build, threads, cuda devices), store path.") { call in
            try call.push(try Info(), info)
        }
        m.function("set_num_threads", "(n: integer)", "Sets the ATen and OpenBLAS thread counts.") { call in
            try Torch.setNumThreads(try call.integer(1))
            return 0
        }
        m.function("num_threads", "() -> integer", "The ATen intra-op thread count.") { call in call.returning(try Torch.numThreads()) }
        m.function("manual_seed", "(seed: integer)", "Seeds the global generator (used when no seed option is given).") { call in
            let s = try call.integer(1)
            guard s >= 0 else { throw call.argError(1, "non-negative integer") }
            try Torch.manualSeed(UInt64(s))
            return 0
        }
        m.function("live_tensors", "() -> integer", "The number of backend tensor handles alive (for leak checks).") { call in
            call.returning(try Torch.liveTensors())
        }
        m.function("help", "(value: any) -> string?", """
            The doc string of a discern function or type (for a function written in Lua, the --- comment above its
            definition), or nil.
            """) { call in
            call.returning(DiscernLua.help(LuaState(borrowing: call.L), at: 1))
        }
        m.function("error", "(code: string, message: string) -> discern.Error", "A discern.Error value (raise it with error()).") { call in
            LuaState(borrowing: call.L).pushError(LuaError(code: try call.string(1), try call.string(2)))
            return 1
        }
        m.function("clock", "() -> number", "Monotonic wall time in seconds (for timing).") { call in
            var ts = timespec()
            clock_gettime(CLOCK_MONOTONIC, &ts)
            return call.returning(Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9)
        }

        // Lazy submodules: Swift ones by name, anything else from the Stdlib as discern.<name>.
        lua_createtable(L, 0, 1)
        state.pushFunction("discern") { call in
            let L = call.L
            let key = try call.string(2)
            let st = LuaState(borrowing: L)
            switch key {
            case "tensor": TensorLua.open(st)
            case "store": StoreLua.open(st)
            case "model": ModelLua.open(st)
            case "tokenizer": TokenizerLua.open(st)
            case "embed": EmbedLua.open(st)
            case "stats": StatsLua.open(st)
            case "bandit": BanditLua.open(st)
            case "json": JSONLua.open(st)
            case "fs": FsLua.open(st)
            case "circuit": CircuitLua.open(st)
            case "sampling": SamplingLua.open(st)
            case "cluster": BehaviorLua.openCluster(st)
            case "text": BehaviorLua.openText(st)
            default:
                guard embeddedStdlib["discern." + key] != nil || stdlibPath("discern." + key) != nil else {
                    call.pushNil()
                    return 1
                }
                lua_getglobal(L, "require")
                lua_pushstring(L, "discern." + key)
                try st.pcall(nargs: 1, nresults: 1)
                if let doc = stdlibDocs[key] { st.setDoc(forValueAt: -1, doc) }
            }
            lua_pushvalue(L, -1)
            lua_setfield(L, 1, key)  // cache (rawset is not needed: __index only runs for absent keys)
            return 1
        }
        lua_setfield(L, -2, "__index")
        // The names __index can load, for REPL completion (which does not call __index functions).
        lua_createtable(L, Int32(submodules.count), 0)
        for (i, name) in submodules.enumerated() {
            lua_pushstring(L, name)
            lua_rawseti(L, -2, lua_Integer(i + 1))
        }
        lua_setfield(L, -2, "__submodules")
        lua_setmetatable(L, mod)
        return 1
    }

    // MARK: Stdlib

    /// The file for `module` under `$DISCERN_STDLIB`, when that variable is set and the file exists.
    static func stdlibPath(_ module: String) -> String? {
        guard let dir = ProcessEnv.get("DISCERN_STDLIB"), !dir.isEmpty else { return nil }
        let rel = module.split(separator: ".").joined(separator: "/")
        for p in ["\(dir)/\(rel).lua", "\(dir)/\(rel)/init.lua"] where access(p, R_OK) == 0 { return p }
        return nil
    }

    /// Adds a `package.searchers` entry that finds `discern.*` modules in the Stdlib.
    static func installSearcher(_ state: LuaState) {
        let L = state.L
        lua_getfield(L, dlua_registryindex(), "discern.searcher")
        let present = lua_type(L, -1) != LUA_TNIL
        dlua_pop(L, 1)
        if present { return }
        lua_pushboolean(L, 1)
        lua_setfield(L, dlua_registryindex(), "discern.searcher")
        lua_getglobal(L, "package")
        lua_getfield(L, -1, "searchers")
        let n = lua_Integer(lua_rawlen(L, -1))
        // Shift entries 2…n up by one and insert ours at 2 (after package.preload).
        var k = n
        while k >= 2 {
            lua_rawgeti(L, -1, k)
            lua_rawseti(L, -2, k + 1)
            k -= 1
        }
        state.pushFunction("discern.searcher") { call in
            let L = call.L
            let name = try call.string(1)
            guard name.hasPrefix("discern.") else {
                call.push("\n\tno Stdlib module '\(name)'")
                return 1
            }
            let st = LuaState(borrowing: L)
            if let path = stdlibPath(name) {
                let status = luaL_loadfilex(L, path, "t")
                if status != LUA_OK {
                    throw LuaError(code: "syntax", LuaRead.string(L, -1) ?? "cannot load \(path)")
                }
                call.push(path)
                return 2
            }
            guard let src = embeddedStdlib[name] else {
                call.push("\n\tno Stdlib module '\(name)' (embedded)")
                return 1
            }
            try st.load(src, chunkName: "@Stdlib/" + name.split(separator: ".").joined(separator: "/") + ".lua")
            call.push("embedded:" + name)
            return 2
        }
        lua_rawseti(L, -2, 2)
        dlua_pop(L, 2)
    }
}

/// Reads environment variables without Foundation.
enum ProcessEnv {
    static func get(_ name: String) -> String? { getenv(name).map { String(cString: $0) } }
}

/// The entry point of the Lua C module: `require "discern"` from a stock interpreter.
@_cdecl("luaopen_discern")
public func luaopen_discern(_ L: OpaquePointer?) -> Int32 {
    guard let L else { return 0 }
    return DiscernLua.open(LuaState(borrowing: L))
}
