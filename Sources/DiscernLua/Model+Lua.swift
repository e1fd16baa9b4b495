import CLua
import Foundation
import LuaKit
import Models
import Tensor
import Tokenizers

/// Lua bindings of `discern.model` and the `discern.Model` userdata.
enum ModelLua {
    nonisolated(unsafe) static let cls = LuaClass<Transformer>("discern.Model") { m in "discern.Model(\(m.summary))" }
    nonisolated(unsafe) static var methodsDefined = false

    static let loadOptions = ["dtype", "device"]
    static let genOptions = ["max_new_tokens", "temperature", "top_k", "top_p", "seed", "n", "stop", "stop_at_eos",
                             "batch_size", "prepend_bos", "greedy", "fwd_hooks", "progress"]

    /// Builds the `discern.model` table on top of the stack.
    static func open(_ state: LuaState) {
        let L = state.L
        defineMethods()
        cls.register(in: state)
        TensorLua.register(state)
        TokenizerLua.register(state)
        lua_createtable(L, 0, 4)
        let mod = lua_gettop(L)
        state.setFunction(in: mod, "load", qualifiedName: "discern.model.load", doc: """
            discern.model.load(dir, {dtype = "float32", device = "cpu"}) -> discern.Model
            Loads a Hugging Face model directory (config.json, model.safetensors or a sharded index, tokenizer.json).
            Supported model_type: gpt2, llama, qwen2, mistral (no sliding window), bert.
            """) { call in
            let dir = try call.string(1)
            let o = try call.options(2, allowed: loadOptions)
            let dtype = try DType.parse(try o?.string("dtype") ?? "float32")
            let device = try Device.parse(try o?.string("device") ?? "cpu")
            cls.push(call.L, try Transformer.load(dir, dtype: dtype, device: device))
            return 1
        }
        TrainLua.define(state, mod)
        state.setDoc(forValueAt: mod, """
            discern.model: load Hugging Face transformers (GPT-2, Llama, Qwen2, BERT), create fresh GPT-2s (init), compare
            weights (weight_diff); see discern.Model methods (train, loss, add_lora, generate, run_with_cache, …).
            """)
    }

    // MARK: inputs

    /// Token tensor (and mask) for a string, a list of strings, or a token tensor at argument i.
    static func tokens(_ call: LuaCall, _ m: Transformer, _ i: Int32, prependBOS: Bool? = nil,
                       side: PaddingSide = .right) throws -> (Tensor, Tensor?) {
        let L = call.L
        if let t = TensorLua.cls.test(L, i) {
            if t.ndim == 1 { return (try t.unsqueeze(0), nil) }
            return (t, nil)
        }
        if lua_type(L, i) == LUA_TSTRING {
            let r = try m.toTokens([try call.string(i)], prependBOS: prependBOS, paddingSide: side)
            return (r.tokens, nil)
        }
        if lua_type(L, i) == LUA_TTABLE {
            let texts = try stringList(call, i)
            let r = try m.toTokens(texts, prependBOS: prependBOS, paddingSide: side)
            let ragged = try r.mask.sum().item() < Double(r.mask.numel)
            return (r.tokens, ragged ? r.mask : nil)
        }
        throw call.argError(i, "string, list of strings or discern.Tensor")
    }

    static func stringList(_ call: LuaCall, _ i: Int32) throws -> [String] {
        try call.stringList(i)
    }

    /// A names filter from a string, a list of strings or a predicate function at stack index i.
    static func nameFilter(_ call: LuaCall, _ i: Int32, what: String, refs: LuaCallbacks, hookNames: [String]) throws
        -> (String) -> Bool {
        let L = call.L
        switch lua_type(L, i) {
        case LUA_TSTRING:
            let n = LuaRead.string(L, i) ?? ""
            try checkHookName(call, n, in: hookNames, what: what)
            return { $0 == n }
        case LUA_TTABLE:
            let list = try stringList(call, i)
            for (k, n) in list.enumerated() { try checkHookName(call, n, in: hookNames, what: "\(what)[\(k + 1)]") }
            let names = Set(list)
            return { names.contains($0) }
        case LUA_TFUNCTION:
            lua_pushvalue(L, i)
            let ref = luaL_ref(L, dlua_registryindex())
            refs.refs.append(ref)
            let st = LuaState(borrowing: L)
            return { [weak refs] name in
                lua_rawgeti(L, dlua_registryindex(), lua_Integer(ref))
                lua_pushstring(L, name)
                do {
                    try st.pcall(nargs: 1, nresults: 1)
                } catch {
                    // A filter cannot throw mid-forward; the error is raised when the pass ends.
                    if refs?.error == nil { refs?.error = error }
                    return false
                }
                defer { dlua_pop(L, 1) }
                return lua_toboolean(L, -1) != 0
            }
        default:
            throw LuaError(code: "arg", "\(call.name): \(what) must be a hook name, a list of names or a function(name) -> boolean")
        }
    }

    /// Adds `fwd_hooks = {{name_or_filter, fn}, …}` (at stack index i) to a hook context.
    /// Throws when `name` is not one of the model's hook points, naming the closest ones.
    static func checkHookName(_ call: LuaCall, _ name: String, in hookNames: [String], what: String) throws {
        if hookNames.contains(name) { return }
        let near = LuaCall.closest(name, hookNames, limit: 3)
        let hint = near.isEmpty ? "" : "; closest: " + near.joined(separator: ", ")
        throw LuaError(code: "arg", "\(call.name): \(what): the model has no hook point '\(name)'\(hint) (m:hook_names() lists all)")
    }

    static func addHooks(_ call: LuaCall, _ i: Int32, to ctx: HookContext, refs: LuaCallbacks, hookNames: [String]) throws {
        let L = call.L
        guard lua_type(L, i) == LUA_TTABLE else {
            throw LuaError(code: "arg", "\(call.name): fwd_hooks must be a list of {name, function} pairs")
        }
        let n = try LuaRead.length(L, i, "\(call.name): fwd_hooks")
        guard n > 0 else { return }
        try LuaRead.checkStack(L, 8, call.name)
        for k in 1...n {
            try LuaRead.index(L, i, k, "\(call.name): fwd_hooks")
            let pair = lua_gettop(L)
            defer { lua_settop(L, pair - 1) }
            guard lua_type(L, pair) == LUA_TTABLE else {
                throw LuaError(code: "arg", "\(call.name): fwd_hooks[\(k)] must be {name, function}")
            }
            try LuaRead.index(L, pair, 1, "\(call.name): fwd_hooks[\(k)]")
            try LuaRead.index(L, pair, 2, "\(call.name): fwd_hooks[\(k)]")
            guard lua_type(L, -1) == LUA_TFUNCTION else {
                throw LuaError(code: "arg", "\(call.name): fwd_hooks[\(k)][2] must be a function(tensor, name) -> tensor or nil")
            }
            let ref = luaL_ref(L, dlua_registryindex())  // pops the function
            refs.refs.append(ref)
            let fn = luaHook(L, ref)
            if let name = LuaRead.string(L, -1) {
                try checkHookName(call, name, in: hookNames, what: "fwd_hooks[\(k)][1]")
                ctx.add(name, fn)
            } else {
                let filter = try nameFilter(call, lua_gettop(L), what: "fwd_hooks[\(k)][1]", refs: refs, hookNames: hookNames)
                ctx.add(where: filter, fn)
            }
        }
    }

    /// A Swift hook function calling the Lua function in registry slot `ref`.
    static func luaHook(_ L: OpaquePointer, _ ref: Int32) -> HookContext.Function {
        let st = LuaState(borrowing: L)
        return { x, name in
            lua_rawgeti(L, dlua_registryindex(), lua_Integer(ref))
            TensorLua.cls.push(L, x)
            lua_pushstring(L, name)
            try st.pcall(nargs: 2, nresults: 1)
            defer { dlua_pop(L, 1) }
            if lua_type(L, -1) == LUA_TNIL { return nil }
            guard let t = TensorLua.cls.test(L, -1) else {
                throw LuaError(code: "value", "hook \(name) returned a \(String(cString: lua_typename(L, lua_type(L, -1)))); return a discern.Tensor or nil")
            }
            return t
        }
    }

    /// Lua functions referenced for the length of one call, and the first error a filter raised.
    final class LuaCallbacks {
        let L: OpaquePointer
        var refs: [Int32] = []
        var error: Error?

        init(_ L: OpaquePointer) { self.L = L }

        /// Throws the error a filter function raised, if any.
        func check() throws { if let error { throw error } }

        deinit { for r in refs { luaL_unref(L, dlua_registryindex(), r) } }
    }

    static func pushCache(_ call: LuaCall, _ cache: [String: Tensor]) {
        let L = call.L
        lua_createtable(L, 0, Int32(cache.count))
        for (k, v) in cache {
            TensorLua.cls.push(L, v)
            lua_setfield(L, -2, k)
        }
    }

    static func pushConfig(_ call: LuaCall, _ m: Transformer) {
        let L = call.L
        let c = m.config
        lua_createtable(L, 0, 16)
        let ints: [(String, Int)] = [("n_layers", c.nLayers), ("d_model", c.dModel), ("n_heads", c.nHeads),
                                     ("n_key_value_heads", c.nKVHeads), ("d_head", c.dHead), ("d_vocab", c.dVocab),
                                     ("n_ctx", c.nCtx), ("d_mlp", c.dMLP)]
        for (k, v) in ints {
            lua_pushinteger(L, lua_Integer(v))
            lua_setfield(L, -2, k)
        }
        for (k, v) in [("model_type", c.modelType), ("architecture", c.architecture.rawValue), ("act_fn", c.activation),
                       ("dtype", m.dtype.rawValue), ("device", m.device.description)] {
            lua_pushstring(L, v)
            lua_setfield(L, -2, k)
        }
        lua_pushnumber(L, c.normEps)
        lua_setfield(L, -2, "eps")
        lua_pushboolean(L, c.tiedEmbeddings ? 1 : 0)
        lua_setfield(L, -2, "tied_embeddings")
        if let b = c.bosTokenId {
            lua_pushinteger(L, lua_Integer(b))
            lua_setfield(L, -2, "bos_token_id")
        }
        call.push(list: c.eosTokenIds)
        lua_setfield(L, -2, "eos_token_ids")
    }

    // MARK: methods

    static func defineMethods() {
        if methodsDefined { return }
        methodsDefined = true
        TrainLua.defineMethods(cls)
        cls.property("cfg") { call, m in
            pushConfig(call, m)
            return 1
        }
        cls.property("tokenizer") { call, m in
            if let t = m.tokenizer { TokenizerLua.cls.push(call.L, t) } else { call.pushNil() }
            return 1
        }
        cls.method("hook_names", doc: "model:hook_names() -> list of hook point names (TransformerLens names) in execution order.") { call, m in
            call.push(strings: m.hookNames())
            return 1
        }
        cls.method("fingerprint", doc: """
            model:fingerprint() -> 16 hex digits: a content fingerprint of the config, every weight and adapter (equal
            fingerprints, same function). Transcoders Discern trains record it (model_fingerprint in config.yaml).
            """) { call, m in
            call.push(try m.fingerprintHex())
            return 1
        }
        cls.method("to_tokens", doc: """
            model:to_tokens(text_or_list, {prepend_bos = nil, padding_side = "right", return_mask = false}) -> int64 tensor [batch, seq]
            BOS follows the tokenizer unless prepend_bos is true/false; lists are padded (pad id: pad, else EOS);
            with return_mask = true a second result is the attention mask (1 = token, 0 = padding).
            """) { call, m in
            let o = try call.options(3, allowed: ["prepend_bos", "padding_side", "return_mask"])
            let side = try PaddingSide(rawValue: o?.string("padding_side") ?? "right")
                .orThrow(LuaError(code: "arg", "\(call.name): padding_side must be \"left\" or \"right\""))
            let texts = lua_type(call.L, 2) == LUA_TSTRING ? [try call.string(2)] : try stringList(call, 2)
            let r = try m.toTokens(texts, prependBOS: try o?.bool("prepend_bos"), paddingSide: side)
            TensorLua.cls.push(call.L, r.tokens)
            guard try o?.bool("return_mask") == true else { return 1 }
            TensorLua.cls.push(call.L, r.mask)
            return 2
        }
        cls.method("to_string", doc: """
            model:to_string(tokens) -> string (1-D tensor or list of ids) or list of strings (2-D tensor).
            """) { call, m in
            if let t = TensorLua.cls.test(call.L, 2) {
                let ids = try t.to(.cpu).to(.int64).toArray(Int64.self).map(Int.init)
                if t.ndim == 2 {
                    let w = t.shape[1]
                    call.push(strings: try (0..<t.shape[0]).map { try m.decode(Array(ids[$0 * w..<($0 + 1) * w])) })
                } else {
                    call.push(try m.decode(ids))
                }
                return 1
            }
            call.push(try m.decode(try call.integerList(2)))
            return 1
        }
        cls.method("to_str_tokens", doc: "model:to_str_tokens(text) -> list of token strings (decoded one token at a time).") { call, m in
            let ids = try m.encode(try call.string(2))
            call.push(strings: try ids.map { try m.decode([$0]) })
            return 1
        }
        cls.method("forward", doc: """
            model:forward(input, {attention_mask = nil}) -> logits [batch, seq, d_vocab] (BERT: hidden states [batch, seq, d_model])
            input: a string, a list of strings (right-padded, masked) or an int64 token tensor [batch, seq] or [seq].
            """) { call, m in
            let o = try call.options(3, allowed: ["attention_mask"])
            var (tok, mask) = try tokens(call, m, 2)
            if let o, try o.has("attention_mask") {
                _ = try o.push("attention_mask")
                defer { dlua_pop(call.L, 1) }
                mask = try TensorLua.cls.test(call.L, -1).orThrow(LuaError(code: "arg", "\(call.name): attention_mask must be a discern.Tensor"))
            }
            let out = try Torch.noGrad { try m.forward(tok, ForwardOptions(attentionMask: mask)) }
            TensorLua.cls.push(call.L, out)
            return 1
        }
        cls.method("run_with_cache", doc: """
            model:run_with_cache(input, {names_filter = nil, retain_grad = false, stop_at_layer = nil}) -> logits, cache
            cache is a table from hook name to activation (all hooks when names_filter is nil; a name, list or function(name)).
            retain_grad = true records a graph: call logits:backward(...) then cache[name]:grad() for the gradient at that hook.
            """) { call, m in
            let o = try call.options(3, allowed: ["names_filter", "retain_grad", "stop_at_layer"])
            let (tok, mask) = try tokens(call, m, 2)
            let ctx = HookContext()
            let refs = LuaCallbacks(call.L)
            ctx.cacheFilter = { _ in true }
            if let o, try o.has("names_filter") {
                _ = try o.push("names_filter")
                defer { dlua_pop(call.L, 1) }
                ctx.cacheFilter = try nameFilter(call, lua_gettop(call.L), what: "names_filter", refs: refs, hookNames: m.hookNames())
            }
            ctx.retainGrad = try o?.bool("retain_grad") ?? false
            let stop = try o?.integer("stop_at_layer")
            let fo = ForwardOptions(attentionMask: mask, hooks: ctx, stopAtLayer: stop)
            let out = ctx.retainGrad ? try Torch.withGradEnabled(true) { try m.forward(tok, fo) }
                : try Torch.noGrad { try m.forward(tok, fo) }
            try refs.check()
            TensorLua.cls.push(call.L, out)
            pushCache(call, ctx.cache)
            return 2
        }
        cls.method("run_with_hooks", doc: """
            model:run_with_hooks(input, {fwd_hooks = {{name, fn}, …}, grad = false}) -> logits
            fn(activation, hook_name) may return a replacement tensor of the same shape (or nil to keep it);
            name may be a hook name or a function(name) -> boolean. Return act:detach() to freeze a value.
            """) { call, m in
            let o = try call.options(3, allowed: ["fwd_hooks", "grad"])
            let (tok, mask) = try tokens(call, m, 2)
            let ctx = HookContext()
            let refs = LuaCallbacks(call.L)
            if let o, try o.has("fwd_hooks") {
                _ = try o.push("fwd_hooks")
                defer { dlua_pop(call.L, 1) }
                try addHooks(call, lua_gettop(call.L), to: ctx, refs: refs, hookNames: m.hookNames())
            }
            let fo = ForwardOptions(attentionMask: mask, hooks: ctx)
            let out = try o?.bool("grad") == true ? try Torch.withGradEnabled(true) { try m.forward(tok, fo) }
                : try Torch.noGrad { try m.forward(tok, fo) }
            try refs.check()
            TensorLua.cls.push(call.L, out)
            return 1
        }
        cls.method("generate", doc: """
            model:generate(prompts, {max_new_tokens = 32, temperature = 1, top_k = nil, top_p = nil, seed = 0, n = 1,
                stop = nil, stop_at_eos = true, batch_size = 32, prepend_bos = nil, greedy = false, fwd_hooks = nil,
                progress = (≥ 32 samples)}) -> list of {text =, tokens =, logprobs =, prompt_index =, sample_index =, stop_reason =}
            prompts: a string or a list. Samples come prompt by prompt (n each); indices are 0-based.
            temperature = 0 or greedy = true decodes greedily. A sample depends only on (seed, prompt text, its occurrence
            among equal prompts, sample index), not on batching. logprobs are under the unmodified model (temperature 1).
            text stops before a stop string and excludes a final EOS; stop_reason is "eos", "stop" or "length".
            The progress bar goes to stderr and only when it is a terminal.
            """) { call, m in
            let prompts = lua_type(call.L, 2) == LUA_TSTRING ? [try call.string(2)] : try stringList(call, 2)
            let o = try call.options(3, allowed: genOptions)
            var g = GenerationOptions()
            let refs = LuaCallbacks(call.L)
            if let o {
                g.maxNewTokens = try o.integer("max_new_tokens") ?? g.maxNewTokens
                g.temperature = try o.number("temperature") ?? g.temperature
                if try o.bool("greedy") == true { g.temperature = 0 }
                g.topK = try o.integer("top_k")
                g.topP = try o.number("top_p")
                if let s = try o.integer("seed") {
                    guard s >= 0 else { throw LuaError(code: "arg", "\(call.name): seed must be ≥ 0") }
                    g.seed = UInt64(s)
                }
                g.n = try o.integer("n") ?? 1
                g.stopAtEOS = try o.bool("stop_at_eos") ?? true
                g.batchSize = try o.integer("batch_size") ?? g.batchSize
                g.prependBOS = try o.bool("prepend_bos")
                if try o.has("stop") {
                    let t = try o.push("stop")
                    defer { dlua_pop(call.L, 1) }
                    g.stop = t == LUA_TSTRING ? [LuaRead.string(call.L, -1) ?? ""] : try stringList(call, lua_gettop(call.L))
                }
                if try o.has("fwd_hooks") {
                    _ = try o.push("fwd_hooks")
                    defer { dlua_pop(call.L, 1) }
                    let ctx = HookContext()
                    try addHooks(call, lua_gettop(call.L), to: ctx, refs: refs, hookNames: m.hookNames())
                    g.hooks = ctx
                }
            }
            // A progress bar on a terminal for long calls (progress = true forces it, false hides it).
            let total = prompts.count * g.n
            if try o?.bool("progress") ?? (total >= 32) {
                let bar = ProgressBar(label: "generate")
                g.progress = { done, total in bar.update(done, total) }
            }
            let samples = try m.generate(prompts, g)
            try refs.check()
            let L = call.L
            lua_createtable(L, Int32(samples.count), 0)
            for (k, s) in samples.enumerated() {
                lua_createtable(L, 0, 6)
                call.push(s.text); lua_setfield(L, -2, "text")
                call.push(list: s.tokens); lua_setfield(L, -2, "tokens")
                lua_createtable(L, Int32(s.logprobs.count), 0)
                for (j, v) in s.logprobs.enumerated() { lua_pushnumber(L, v); lua_seti(L, -2, lua_Integer(j + 1)) }
                lua_setfield(L, -2, "logprobs")
                call.push(s.promptIndex); lua_setfield(L, -2, "prompt_index")
                call.push(s.sampleIndex); lua_setfield(L, -2, "sample_index")
                call.push(s.stopReason); lua_setfield(L, -2, "stop_reason")
                lua_seti(L, -2, lua_Integer(k + 1))
            }
            return 1
        }
        cls.method("score", doc: """
            model:score(prompts, continuations, {per_token = false, batch_size = 16, prepend_bos = nil}) -> list of numbers
            Sum of log-probabilities of each continuation given its prompt (strings or lists of equal length).
            With per_token = true: list of {sum =, logprobs = {…}, tokens = {…}}.
            """) { call, m in
            let ps = lua_type(call.L, 2) == LUA_TSTRING ? [try call.string(2)] : try stringList(call, 2)
            let cs = lua_type(call.L, 3) == LUA_TSTRING ? [try call.string(3)] : try stringList(call, 3)
            let o = try call.options(4, allowed: ["per_token", "batch_size", "prepend_bos"])
            let r = try m.score(prompts: ps, continuations: cs, batchSize: try o?.integer("batch_size") ?? 16,
                                prependBOS: try o?.bool("prepend_bos"))
            let L = call.L
            let perToken = try o?.bool("per_token") ?? false
            lua_createtable(L, Int32(r.count), 0)
            for (k, s) in r.enumerated() {
                if perToken {
                    lua_createtable(L, 0, 3)
                    lua_pushnumber(L, s.sum); lua_setfield(L, -2, "sum")
                    lua_createtable(L, Int32(s.logprobs.count), 0)
                    for (j, v) in s.logprobs.enumerated() { lua_pushnumber(L, v); lua_seti(L, -2, lua_Integer(j + 1)) }
                    lua_setfield(L, -2, "logprobs")
                    call.push(list: s.tokens); lua_setfield(L, -2, "tokens")
                } else {
                    lua_pushnumber(L, s.sum)
                }
                lua_seti(L, -2, lua_Integer(k + 1))
            }
            return 1
        }
        cls.method("save", doc: """
            model:save(dir) writes config.json, generation_config.json, model.safetensors and tokenizer files; HF transformers loads it.
            """) { call, m in
            try m.save(try call.string(2))
            return 0
        }
        cls.method("parameters", doc: "model:parameters() -> table from Hugging Face weight name to tensor (shared, not copied).") { call, m in
            pushCache(call, m.parameters)
            return 1
        }
    }
}

extension Optional {
    /// The value, or `error` thrown.
    func orThrow(_ error: @autoclosure () -> Error) throws -> Wrapped {
        guard let v = self else { throw error() }
        return v
    }
}

extension ModelError: LuaCodedError {
    public var luaCode: String { "model" }
    public var luaMessage: String { LuaMessage.droppingSwiftName(message) }
}

extension SafeTensorsError: LuaCodedError {
    public var luaCode: String { "format" }
    public var luaMessage: String { description }
}

/// A one-line progress bar on stderr (only when stderr is a terminal or DISCERN_PROGRESS=1).
final class ProgressBar {
    let label: String
    let start = Date()
    var last = Date.distantPast
    let enabled: Bool

    init(label: String) {
        self.label = label
        enabled = isatty(2) != 0 || ProcessEnv.get("DISCERN_PROGRESS") == "1"
    }

    var open = false

    /// Redraws the bar (at most every 0.2 s, and always at the end); `extra` follows the counts.
    func update(_ done: Int, _ total: Int, extra: String? = nil) {
        guard enabled else { return }
        let now = Date()
        guard done == total || now.timeIntervalSince(last) > 0.2 else { return }
        last = now
        let frac = total > 0 ? Swift.min(Double(done) / Double(total), 1) : 1
        let width = 30
        let filled = Int(frac * Double(width))
        let rate = Double(done) / Swift.max(now.timeIntervalSince(start), 1e-9)
        let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
        var line = "\r\(label) \(bar) \(done)/\(total) "
        line += extra ?? "(\(String(format: "%.1f", rate))/s)"
        open = done != total
        if done == total { line += "\n" }
        FileHandle.standardError.write(Data(line.utf8))
    }

    /// Ends the line if the bar stopped before its total (a stopped or interrupted run).
    func finish() {
        guard enabled, open else { return }
        open = false
        FileHandle.standardError.write(Data("\n".utf8))
    }
}
