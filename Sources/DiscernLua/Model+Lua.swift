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

    // MARK: declarations

    struct LoadOptions { var dtype = "float32", device = "cpu" }
    nonisolated(unsafe) static let loadOptions = LuaOptionSpec<LoadOptions>("discern.model.LoadOptions", prototype: LoadOptions(), [
        .string("dtype", \.dtype, "parameter dtype (a floating-point type)"),
        .string("device", \.device, "where the weights live (cpu, cuda, cuda:1, mps)"),
    ])

    struct ToTokensOptions {
        var prependBOS: Bool?
        var paddingSide = PaddingSide.right, returnMask = false
    }
    nonisolated(unsafe) static let toTokensOptions = LuaOptionSpec<ToTokensOptions>("discern.model.ToTokensOptions",
                                                                                   prototype: ToTokensOptions(), [
        .boolean("prepend_bos", \.prependBOS, "force (true) or suppress (false) BOS", default: "the tokenizer's default"),
        .choice("padding_side", \.paddingSide, "which side lists are padded on"),
        .boolean("return_mask", \.returnMask, "also return the attention mask"),
    ])

    /// What the forward methods read (each declares the subset it accepts).
    struct RunArgs {
        var callbacks: LuaCallbacks?
        var attentionMask: Tensor?
        var namesFilter: ((String) -> Bool)?
        var stopAtLayer: Int?
        var hooks: HookContext?
        var retainGrad = false, grad = false
    }
    static let filterType = "string|string[]|fun(name: string): boolean"
    static let hooksType = "{[1]: \(filterType), [2]: fun(x: discern.Tensor, name: string): discern.Tensor?}[]"
    nonisolated(unsafe) static let forwardOptions = LuaOptionSpec<RunArgs>("discern.model.ForwardOptions", prototype: RunArgs(), [
        .object("attention_mask", \.attentionMask, TensorLua.cls, "1 = token, 0 = padding", default: "none (lists: their mask)"),
    ])
    nonisolated(unsafe) static let cacheOptions = LuaOptionSpec<RunArgs>("discern.model.RunWithCacheOptions", prototype: RunArgs(), [
        .value("names_filter", type: filterType, "the hooks cached: a name, a list or a function(name)", default: "all") { r, o, i in
            r.namesFilter = try r.callbacks?.filter(o.owner, i, what: "names_filter")
        },
        .boolean("retain_grad", \.retainGrad, "record a graph so cache[name]:grad() works after logits:backward()"),
        .integer("stop_at_layer", \.stopAtLayer, "stop before this block (0-based)", default: "none"),
    ])
    static func hooksField<Root>(_ path: WritableKeyPath<Root, HookContext?>, _ callbacks: KeyPath<Root, LuaCallbacks?>,
                                 _ doc: String) -> LuaField<Root> {
        .value("fwd_hooks", type: hooksType, doc, default: "none") { r, o, i in
            r[keyPath: path] = try r[keyPath: callbacks]?.hooks(o.owner, i)
        }
    }
    nonisolated(unsafe) static let hooksOptions = LuaOptionSpec<RunArgs>("discern.model.RunWithHooksOptions", prototype: RunArgs(), [
        hooksField(\.hooks, \.callbacks, "{{name_or_filter, fn}, …}: fn(activation, hook_name) returns a replacement or nil"),
        .boolean("grad", \.grad, "record a graph (for backward)"),
    ])

    struct GenerateArgs {
        var g = GenerationOptions()
        var callbacks: LuaCallbacks?
        var progress: Bool?
        var greedy = false
    }
    nonisolated(unsafe) static let generateOptions = LuaOptionSpec<GenerateArgs>("discern.model.GenerateOptions",
                                                                                prototype: GenerateArgs(), [
        .integer("max_new_tokens", \.g.maxNewTokens, "tokens generated per sample at most"),
        .number("temperature", \.g.temperature, "softmax temperature; 0 decodes greedily"),
        .integer("top_k", \.g.topK, "keep the k most likely tokens", default: "all"),
        .number("top_p", \.g.topP, "keep the smallest set of tokens whose probability reaches p", default: "all"),
        .seed("seed", \.g.seed, "base seed of every sample's stream"),
        .integer("n", \.g.n, "samples per prompt"),
        .stringOrList("stop", \.g.stop, "strings that end a sample (text stops before them)", default: "none"),
        .boolean("stop_at_eos", \.g.stopAtEOS, "stop at the model's EOS tokens"),
        .integer("batch_size", \.g.batchSize, "rows per forward pass"),
        .boolean("prepend_bos", \.g.prependBOS, "force (true) or suppress (false) BOS", default: "the tokenizer's default"),
        .boolean("greedy", \.greedy, "decode greedily (as temperature = 0)"),
        hooksField(\.g.hooks, \.callbacks, "hooks applied at every step, as in run_with_hooks"),
        .boolean("progress", \.progress, "show a progress bar (on stderr, only when it is a terminal)", default: "≥ 32 samples"),
    ])
    nonisolated(unsafe) static let sample = LuaRecordSpec<GeneratedSample>("discern.model.Sample", [
        .string("text", \.text, "the generated text (before a stop string, without a final EOS)"),
        .integers("tokens", \.tokens, "generated token ids (a final EOS included)"),
        .numbers("logprobs", \.logprobs, "log-probability of each token under the unmodified model (temperature 1)"),
        .integer("prompt_index", \.promptIndex, "0-based"), .integer("sample_index", \.sampleIndex, "0-based, among the prompt's n"),
        .string("stop_reason", \.stopReason, "\"eos\", \"stop\" or \"length\""),
    ])

    struct ScoreOptions {
        var prependBOS: Bool?
        var perToken = false, batchSize = 16
    }
    nonisolated(unsafe) static let scoreOptions = LuaOptionSpec<ScoreOptions>("discern.model.ScoreOptions", prototype: ScoreOptions(), [
        .boolean("per_token", \.perToken, "return {sum, logprobs, tokens} per continuation"),
        .integer("batch_size", \.batchSize, "rows per forward pass"),
        .boolean("prepend_bos", \.prependBOS, "force (true) or suppress (false) BOS", default: "the tokenizer's default"),
    ])
    nonisolated(unsafe) static let score = LuaRecordSpec<ScoredContinuation>("discern.model.Score", [
        .number("sum", \.sum, "sum of the log-probabilities"), .numbers("logprobs", \.logprobs, "per continuation token"),
        .integers("tokens", \.tokens, "the continuation's token ids"),
    ])

    nonisolated(unsafe) static let config = LuaRecordSpec<Transformer>("discern.model.Config", [
        .integer("n_layers", \.config.nLayers), .integer("d_model", \.config.dModel), .integer("n_heads", \.config.nHeads),
        .integer("n_key_value_heads", \.config.nKVHeads), .integer("d_head", \.config.dHead), .integer("d_vocab", \.config.dVocab),
        .integer("n_ctx", \.config.nCtx), .integer("d_mlp", \.config.dMLP), .string("model_type", \.config.modelType),
        .string("architecture", \.config.architecture.rawValue), .string("act_fn", \.config.activation),
        .string("dtype", \.dtype.rawValue), .string("device", \.device.description), .number("eps", \.config.normEps, "norm epsilon"),
        .boolean("tied_embeddings", \.config.tiedEmbeddings), .integer("bos_token_id", \.config.bosTokenId),
        .integers("eos_token_ids", \.config.eosTokenIds),
    ])

    /// Builds the `discern.model` table on top of the stack.
    static func open(_ state: LuaState) {
        defineMethods()
        cls.register(in: state)
        TensorLua.register(state)
        TokenizerLua.register(state)
        let m = LuaModuleBuilder(state, "discern.model", doc: """
            discern.model: load Hugging Face transformers (GPT-2, Llama, Qwen2, BERT), create fresh GPT-2s (init), compare
            weights (weight_diff); see discern.Model methods (train, loss, add_lora, generate, run_with_cache, …).
            """)
        m.function("load", "(dir: string, opts?: discern.model.LoadOptions) -> discern.Model", """
            Loads a Hugging Face model directory (config.json, model.safetensors or a sharded index, tokenizer.json).
            Supported model_type: \(ModelConfig.supportedModelTypes.joined(separator: ", ")) (mistral without sliding-window attention).
            """, options: loadOptions) { call in
            let dir = try call.string(1)
            let o = try loadOptions.read(call, at: 2)
            return call.push(try Transformer.load(dir, dtype: try DType.parse(o.dtype), device: try Device.parse(o.device)), cls)
        }
        TrainLua.define(state, m.index)
    }

    // MARK: inputs

    /// Token tensor (and mask) for a string, a list of strings, or a token tensor at argument i.
    static func tokens(_ call: LuaCall, _ m: Transformer, _ i: Int32, prependBOS: Bool? = nil,
                       side: PaddingSide = .right) throws -> (Tensor, Tensor?) {
        if let t = TensorLua.cls.test(call.L, i) { return (t.ndim == 1 ? try t.unsqueeze(0) : t, nil) }
        guard call.type(i) == LUA_TSTRING || call.type(i) == LUA_TTABLE else {
            throw call.argError(i, "string, list of strings or discern.Tensor")
        }
        let r = try m.toTokens(try call.stringOrList(i), prependBOS: prependBOS, paddingSide: side)
        // A list's mask matters only when the texts have different lengths.
        let ragged = try call.type(i) == LUA_TTABLE && r.mask.sum().item() < Double(r.mask.numel)
        return (r.tokens, ragged ? r.mask : nil)
    }

    static func stringList(_ call: LuaCall, _ i: Int32) throws -> [String] {
        try call.stringList(i)
    }

    /// Lua functions referenced for the length of one call (hook functions and name filters of
    /// `m`), and the first error a filter raised.
    final class LuaCallbacks {
        let L: OpaquePointer
        let model: Transformer
        var refs: [Int32] = []
        var error: Error?
        lazy var hookNames = model.hookNames()

        init(_ L: OpaquePointer, _ model: Transformer) {
            self.L = L
            self.model = model
        }

        /// Throws the error a filter function raised, if any.
        func check() throws { if let error { throw error } }

        deinit { for r in refs { luaL_unref(L, dlua_registryindex(), r) } }

        /// Throws when `name` is not one of the model's hook points, naming the closest ones.
        func checkHookName(_ call: LuaCall, _ name: String, what: String) throws {
            if hookNames.contains(name) { return }
            let near = LuaCall.closest(name, hookNames, limit: 3)
            let hint = near.isEmpty ? "" : "; closest: " + near.joined(separator: ", ")
            throw LuaError(code: "arg", "\(call.name): \(what): the model has no hook point '\(name)'\(hint) (m:hook_names() lists all)")
        }

        /// A names filter from a string, a list of strings or a predicate function at stack index i.
        func filter(_ call: LuaCall, _ i: Int32, what: String) throws -> (String) -> Bool {
            switch lua_type(L, i) {
            case LUA_TSTRING:
                let n = LuaRead.string(L, i) ?? ""
                try checkHookName(call, n, what: what)
                return { $0 == n }
            case LUA_TTABLE:
                let list = try call.stringList(i)
                for (k, n) in list.enumerated() { try checkHookName(call, n, what: "\(what)[\(k + 1)]") }
                let names = Set(list)
                return { names.contains($0) }
            case LUA_TFUNCTION:
                lua_pushvalue(L, i)
                let ref = luaL_ref(L, dlua_registryindex())
                refs.append(ref)
                let L = self.L, st = LuaState(borrowing: self.L)
                return { [weak self] name in
                    lua_rawgeti(L, dlua_registryindex(), lua_Integer(ref))
                    lua_pushstring(L, name)
                    do {
                        try st.pcall(nargs: 1, nresults: 1)
                    } catch {
                        // A filter cannot throw mid-forward; the error is raised when the pass ends.
                        if self?.error == nil { self?.error = error }
                        return false
                    }
                    defer { dlua_pop(L, 1) }
                    return lua_toboolean(L, -1) != 0
                }
            default:
                throw LuaError(code: "arg", "\(call.name): \(what) must be a hook name, a list of names or a function(name) -> boolean")
            }
        }

        /// A hook context with `fwd_hooks = {{name_or_filter, fn}, …}` (at stack index i).
        func hooks(_ call: LuaCall, _ i: Int32) throws -> HookContext {
            let ctx = HookContext()
            guard lua_type(L, i) == LUA_TTABLE else {
                throw LuaError(code: "arg", "\(call.name): fwd_hooks must be a list of {name, function} pairs")
            }
            let n = try LuaRead.length(L, i, "\(call.name): fwd_hooks")
            guard n > 0 else { return ctx }
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
                refs.append(ref)
                let fn = luaHook(L, ref)
                if let name = LuaRead.string(L, -1) {
                    try checkHookName(call, name, what: "fwd_hooks[\(k)][1]")
                    ctx.add(name, fn)
                } else {
                    ctx.add(where: try filter(call, lua_gettop(L), what: "fwd_hooks[\(k)][1]"), fn)
                }
            }
            return ctx
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

    static func pushCache(_ call: LuaCall, _ cache: [String: Tensor]) -> Int32 {
        let L = call.L
        lua_createtable(L, 0, Int32(cache.count))
        for (k, v) in cache {
            TensorLua.cls.push(L, v)
            lua_setfield(L, -2, k)
        }
        return 1
    }

    /// The forward pass of `m` on `tok`, recording a graph when `grad`.
    static func run(_ m: Transformer, _ tok: Tensor, _ fo: ForwardOptions, grad: Bool) throws -> Tensor {
        grad ? try Torch.withGradEnabled(true) { try m.forward(tok, fo) } : try Torch.noGrad { try m.forward(tok, fo) }
    }

    // MARK: methods

    static func defineMethods() {
        if methodsDefined { return }
        methodsDefined = true
        TrainLua.defineMethods(cls)
        cls.property("cfg") { call, m in try call.push(m, config) }
        cls.property("tokenizer") { call, m in call.push(m.tokenizer, TokenizerLua.cls) }
        cls.method("hook_names", "() -> string[]", "The hook point names (TransformerLens names) in execution order.") { call, m in
            call.returning(m.hookNames())
        }
        cls.method("fingerprint", "() -> string", """
            16 hex digits: a content fingerprint of the config, every weight and adapter (equal fingerprints, same
            function). Transcoders Discern trains record it (model_fingerprint in config.yaml).
            """) { call, m in
            call.returning(try m.fingerprintHex())
        }
        cls.method("to_tokens", "(text: string|string[], opts?: discern.model.ToTokensOptions) -> discern.Tensor, discern.Tensor?", """
            An int64 tensor [batch, seq]. BOS follows the tokenizer unless prepend_bos is true/false; lists are padded
            (pad id: pad, else EOS); with return_mask = true a second result is the attention mask (1 = token, 0 = padding).
            """, options: toTokensOptions) { call, m in
            let o = try toTokensOptions.read(call, at: 3)
            let r = try m.toTokens(try call.stringOrList(2), prependBOS: o.prependBOS, paddingSide: o.paddingSide)
            call.push(r.tokens, TensorLua.cls)
            return o.returnMask ? 1 + call.push(r.mask, TensorLua.cls) : 1
        }
        cls.method("to_string", "(tokens: discern.Tensor|integer[]) -> string|string[]",
                   "A string (1-D tensor or list of ids) or a list of strings (2-D tensor).") { call, m in
            guard let t = TensorLua.cls.test(call.L, 2) else { return call.returning(try m.decode(try call.integerList(2))) }
            let ids = try t.to(.cpu).to(.int64).toArray(Int64.self).map(Int.init)
            guard t.ndim == 2 else { return call.returning(try m.decode(ids)) }
            let w = t.shape[1]
            return call.returning(try (0..<t.shape[0]).map { try m.decode(Array(ids[$0 * w..<($0 + 1) * w])) })
        }
        cls.method("to_str_tokens", "(text: string) -> string[]", "The token strings (decoded one token at a time).") { call, m in
            call.returning(try m.encode(try call.string(2)).map { try m.decode([$0]) })
        }
        let input = "input: string|string[]|discern.Tensor"
        cls.method("forward", "(\(input), opts?: discern.model.ForwardOptions) -> discern.Tensor", """
            Logits [batch, seq, d_vocab] (BERT: hidden states [batch, seq, d_model]). input: a string, a list of strings
            (right-padded, masked) or an int64 token tensor [batch, seq] or [seq].
            """, options: forwardOptions) { call, m in
            let a = try forwardOptions.read(call, at: 3)
            let (tok, mask) = try tokens(call, m, 2)
            return call.push(try run(m, tok, ForwardOptions(attentionMask: a.attentionMask ?? mask), grad: false), TensorLua.cls)
        }
        cls.method("run_with_cache", "(\(input), opts?: discern.model.RunWithCacheOptions) -> discern.Tensor, table<string, discern.Tensor>", """
            The logits and a cache: a table from hook name to activation (all hooks when names_filter is nil; a name,
            list or function(name)). retain_grad = true records a graph: call logits:backward(...) then cache[name]:grad()
            for the gradient at that hook.
            """, options: cacheOptions) { call, m in
            let a = try cacheOptions.read(call, at: 3, into: RunArgs(callbacks: LuaCallbacks(call.L, m)))
            let (tok, mask) = try tokens(call, m, 2)
            let ctx = HookContext()
            ctx.cacheFilter = a.namesFilter ?? { _ in true }
            ctx.retainGrad = a.retainGrad
            let out = try run(m, tok, ForwardOptions(attentionMask: mask, hooks: ctx, stopAtLayer: a.stopAtLayer), grad: a.retainGrad)
            try a.callbacks?.check()
            return call.push(out, TensorLua.cls) + pushCache(call, ctx.cache)
        }
        cls.method("run_with_hooks", "(\(input), opts?: discern.model.RunWithHooksOptions) -> discern.Tensor", """
            The logits with fwd_hooks = {{name, fn}, …} applied: fn(activation, hook_name) may return a replacement
            tensor of the same shape (or nil to keep it); name may be a hook name or a function(name) -> boolean.
            Return act:detach() to freeze a value.
            """, options: hooksOptions) { call, m in
            let a = try hooksOptions.read(call, at: 3, into: RunArgs(callbacks: LuaCallbacks(call.L, m)))
            let (tok, mask) = try tokens(call, m, 2)
            let out = try run(m, tok, ForwardOptions(attentionMask: mask, hooks: a.hooks ?? HookContext()), grad: a.grad)
            try a.callbacks?.check()
            return call.push(out, TensorLua.cls)
        }
        cls.method("generate", "(prompts: string|string[], opts?: discern.model.GenerateOptions) -> discern.model.Sample[]", """
            Samples come prompt by prompt (n each); indices are 0-based. temperature = 0 or greedy = true decodes
            greedily. A sample depends only on (seed, prompt text, its occurrence among equal prompts, sample index), not
            on batching. logprobs are under the unmodified model (temperature 1). text stops before a stop string and
            excludes a final EOS; stop_reason is "eos", "stop" or "length". The progress bar goes to stderr and only
            when it is a terminal.
            """, options: generateOptions) { call, m in
            let prompts = try call.stringOrList(2)
            var a = try generateOptions.read(call, at: 3, into: GenerateArgs(callbacks: LuaCallbacks(call.L, m)))
            if a.greedy { a.g.temperature = 0 }
            // A progress bar on a terminal for long calls (progress = true forces it, false hides it).
            if a.progress ?? (prompts.count * a.g.n >= 32) {
                let bar = ProgressBar(label: "generate")
                a.g.progress = { done, total in bar.update(done, total) }
            }
            let samples = try m.generate(prompts, a.g)
            try a.callbacks?.check()
            return try call.push(samples, sample)
        }
        cls.method("score", "(prompts: string|string[], continuations: string|string[], opts?: discern.model.ScoreOptions) -> number[]|discern.model.Score[]", """
            The sum of log-probabilities of each continuation given its prompt (strings or lists of equal length).
            With per_token = true: a list of {sum =, logprobs = {…}, tokens = {…}}.
            """, options: scoreOptions) { call, m in
            let ps = try call.stringOrList(2), cs = try call.stringOrList(3)
            let o = try scoreOptions.read(call, at: 4)
            let r = try m.score(prompts: ps, continuations: cs, batchSize: o.batchSize, prependBOS: o.prependBOS)
            if o.perToken { return try call.push(r, score) }
            call.push(numbers: r.map(\.sum))
            return 1
        }
        cls.method("save", "(dir: string)", """
            Writes config.json, generation_config.json, model.safetensors and tokenizer files; HF transformers loads it.
            """) { call, m in
            try m.save(try call.string(2))
            return 0
        }
        cls.method("parameters", "() -> table<string, discern.Tensor>",
                   "A table from Hugging Face weight name to tensor (shared, not copied).") { call, m in
            pushCache(call, m.parameters)
        }
    }
}

extension PaddingSide: CaseIterable {
    public static var allCases: [PaddingSide] { [.right, .left] }
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
