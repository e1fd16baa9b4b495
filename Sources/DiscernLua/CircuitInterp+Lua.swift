import CLua
import Circuits
import Foundation
import LuaKit
import Models
import Store
import Tensor

extension FeatureInterpretationError: LuaCodedError {
    public var luaCode: String { kind == .corruptIndex ? "store_corrupt" : "arg" }
    public var luaMessage: String { message }
}

/// A feature-context index as a Lua value, with the model and transcoders it was computed from
/// (for logit-lens summaries) and the default window radius.
final class FeatureContextsBox {
    let value: FeatureContexts
    let model: Transformer
    let transcoders: Transcoders
    let window: Int
    init(_ value: FeatureContexts, model: Transformer, transcoders: Transcoders, window: Int) {
        self.value = value
        self.model = model
        self.transcoders = transcoders
        self.window = window
    }
}

/// Lua bindings of feature interpretation: `discern.circuit.logit_lens`, `discern.circuit.feature_contexts`
/// and the `discern.FeatureContexts` userdata.
extension CircuitLua {
    nonisolated(unsafe) static let featureContextsClass = LuaClass<FeatureContextsBox>("discern.FeatureContexts") { b in
        let v = b.value
        let widths = Set((0..<v.layerCount).compactMap { try? v.width(layer: $0) })
        let w = widths.count == 1 ? "\(widths.first!) features/layer" : "\(widths.sorted().map(String.init).joined(separator: "/")) features"
        return "discern.FeatureContexts(\(v.layerCount) layers, \(w), k \(v.k), \(v.textCount) texts, \(v.scoredTokenCount) tokens"
            + (v.isFromCache ? ", cached)" : ")")
    }

    // MARK: declarations

    /// The options of `logit_lens` and `fc:describe`.
    struct LensOptions {
        var k = 10, tokens = 5
        var finalNorm = false
    }
    typealias LF = LuaField<LensOptions>
    nonisolated(unsafe) static let finalNorm = LF.boolean("final_norm", \.finalNorm, "apply the final norm's weight (centred for a LayerNorm) first")
    nonisolated(unsafe) static let lensOptions = LuaOptionSpec<LensOptions>("discern.circuit.LogitLensOptions", prototype: LensOptions(), [
        .integer("k", \.k, "promoted and suppressed tokens kept (at most d_vocab)"), finalNorm,
    ])
    nonisolated(unsafe) static let describeOptions = LuaOptionSpec<LensOptions>("discern.circuit.DescribeOptions", prototype: LensOptions(), [
        .integer("tokens", \.tokens, "tokens listed per part", in: 1...Int.max), finalNorm,
    ])
    nonisolated(unsafe) static let tokenScore = LuaRecordSpec<TokenScore>("discern.circuit.TokenScore", [
        .string("token", \.token, "the token decoded on its own (nil without a tokenizer)"), .integer("id", \.id, "0-based token id"),
        .number("score", \.score, "logit contribution per unit of activation"),
    ])
    nonisolated(unsafe) static let logitLens = LuaRecordSpec<FeatureLogitLens>("discern.circuit.LogitLens", [
        .integer("layer", \.layer), .integer("feature", \.feature),
        .records("promoted", \.promoted, tokenScore, "highest first"), .records("suppressed", \.suppressed, tokenScore, "lowest first"),
    ])

    /// What `feature_contexts` reads: the pass's options plus the binding's own keys.
    struct ContextArgs {
        var options = FeatureContextOptions()
        var window = 8
        var progress = true
        var nTexts: Int?, seed: Int?
        var store: Store?
        var defaultStore = true
    }
    nonisolated(unsafe) static let contextOptions = LuaOptionSpec<ContextArgs>("discern.circuit.FeatureContextsOptions",
                                                                              prototype: ContextArgs(), [
        .integer("k", \.options.k, "contexts kept per feature", in: 1...Int.max),
        .integer("window", \.window, "tokens fc:top shows on each side by default", in: 0...Int.max),
        .integer("batch_size", \.options.batchSize, "texts per forward pass", in: 1...Int.max),
        .integer("max_tokens", \.options.maxTokens, "tokens kept per text (BOS included)", default: "n_ctx"),
        .boolean("prepend_bos", \.options.prependBOS, "prepend the model's BOS to texts that lack one"),
        .value("store", type: "discern.Store|string|boolean|table", """
            where the index is cached: a discern.Store, a path, the discern.store module or true (the default store), \
            false (none)
            """, default: "the default store") { r, o, idx in
            r.defaultStore = false
            r.store = try storeValue(o, idx)
        },
        .boolean("progress", \.progress, "show a progress bar", default: "true (on a terminal)"),
        .integer("n_texts", \.nTexts, "dialogues sampled from a discern.World corpus", in: 1...Int.max, default: "256"),
        .integer("seed", \.seed, "seed of world:sample", default: "the world's"),
    ])

    struct TopContextOptions { var window: Int? }
    nonisolated(unsafe) static let topOptions = LuaOptionSpec<TopContextOptions>("discern.circuit.TopContextsOptions", prototype: TopContextOptions(), [
        .integer("window", \.window, "tokens shown on each side", in: 0...Int.max, default: "as built (8)"),
    ])
    /// One of `fc:top`'s contexts.
    struct ContextRow {
        let c: FeatureContexts.Context, w: FeatureContexts.Window
        var textIndex: Int { c.textIndex + 1 }
        var activation: Double { Double(c.activation) }
        var left: String { w.left.joined() }
        var right: String { w.right.joined() }
    }
    nonisolated(unsafe) static let contextRow = LuaRecordSpec<ContextRow>("discern.circuit.FeatureContext", [
        .integer("text_index", \.textIndex, "1-based into the corpus list"), .integer("position", \.c.position, "0-based token position"),
        .number("activation", \.activation), .string("token", \.w.token), .integer("token_id", \.w.tokenId),
        .string("context", \.w.marked, "the window with the activating token marked, left«token»right"),
        .string("left", \.left, "the window's tokens before it, joined"), .string("right", \.right, "the window's tokens after it, joined"),
    ])
    nonisolated(unsafe) static let contextsInfo = LuaRecordSpec<FeatureContextsBox>("discern.circuit.FeatureContextsInfo", [
        .integer("k", \.value.k), .integer("n_layers", \.value.layerCount),
        .custom("d_transcoder", type: "integer[]", "per layer") { b, L in
            LuaPush.integers(L, try (0..<b.value.layerCount).map { try b.value.width(layer: $0) })
        },
        .integer("texts", \.value.textCount), .integer("scored_tokens", \.value.scoredTokenCount), .integer("window", \.window),
        .boolean("cached", \.value.isFromCache), .string("key", \.value.cacheKey, "the store key, when stored"),
        .integer("forward_passes", \.value.forwardPasses, "0 when read from the store"),
    ])

    // MARK: functions

    /// Adds `logit_lens` and `feature_contexts` to the `discern.circuit` module.
    static func defineInterpretation(_ mod: LuaModuleBuilder) {
        featureContextsClass.register(in: mod.state)
        mod.function("logit_lens", "(model: discern.Model, transcoders: discern.Transcoders, layer: integer, feature: integer|integer[], opts?: discern.circuit.LogitLensOptions) -> discern.circuit.LogitLens|discern.circuit.LogitLens[]", """
            The tokens a feature's output direction promotes and suppresses most: scores = d · W_U, d the feature's decoder
            row (a cross-layer transcoder: the sum of its decoder rows over every output layer it writes), W_U the model's raw
            unembedding [d_model, d_vocab] (what circuit-tracer and Neuronpedia show). final_norm = true multiplies d by the final
            norm's weight first (after centring it, for a LayerNorm): the norm's effect on a small change with its scale frozen.
            promoted is highest first, suppressed lowest first; ids are 0-based token ids. layer and feature are 0-based;
            feature may be a list of features, which returns a list of results.
            """, options: lensOptions) { call in
            let m = try ModelLua.cls.check(call, 1)
            let tc = try transcodersClass.check(call, 2).value
            let layer = try index(call, 3, "layer", tc.nLayers)
            let width = tc.dTranscoder(layer: layer)
            let single = call.type(4) == LUA_TNUMBER
            let features: [Int]
            if single {
                features = [try index(call, 4, "feature", width)]
            } else if call.type(4) == LUA_TTABLE {
                features = try call.integerList(4)
                if let bad = features.first(where: { $0 < 0 || $0 >= width }) {
                    throw LuaError(code: "arg", "\(call.name): bad argument #4 (features must be in 0..<\(width) at layer \(layer), got \(bad))")
                }
            } else {
                throw call.argError(4, "feature index or list of feature indices")
            }
            let o = try lensOptions.read(call, at: 5)
            guard o.k >= 1, o.k <= m.config.dVocab else {
                throw LuaError(code: "arg", "\(call.name): option 'k' must be in 1..\(m.config.dVocab) (the vocabulary), got \(o.k)")
            }
            let lenses = try FeatureLogitLens.compute(model: m, transcoders: tc, layer: layer, features: features, k: o.k,
                                                      finalNorm: o.finalNorm)
            return try single ? call.push(lenses[0], logitLens) : call.push(lenses, logitLens)
        }
        mod.function("feature_contexts", "(model: discern.Model, transcoders: discern.Transcoders, corpus: string[]|discern.World, opts?: discern.circuit.FeatureContextsOptions) -> discern.FeatureContexts", """
            One pass over corpus (a list of strings, or a discern.World: then n_texts dialogues from world:sample with seed)
            through the model in batches of batch_size texts; every layer's feature input hook is encoded with the transcoders
            and, for every (layer, feature), the k highest activations with their positions are kept, with how often the
            feature is active (non-zero) and its mean activation. Position 0 (the BOS, prepended when the model names one) is
            never scored, as circuit-tracer zeroes it; texts are truncated to max_tokens tokens.
            The index is cached in a store (store = a discern.Store, a path, the discern.store module or true for the default
            store, false for none) under a key made of content fingerprints of the model and transcoders, the tokenized
            corpus and k: a second call with the same inputs reads it back (fc:cached() is then true). window is the default
            number of tokens shown on each side by fc:top.
            """, options: contextOptions) { call in
            let m = try ModelLua.cls.check(call, 1)
            let tcBox = try transcodersClass.check(call, 2)
            let a = try contextOptions.read(call, at: 4)
            if let n = a.options.maxTokens, n < 1 || n > m.config.nCtx {
                throw LuaError(code: "arg", "\(call.name): option 'max_tokens' must be in 1..\(m.config.nCtx) (the model's context), got \(n)")
            }
            let texts = try corpus(call, 3, a)
            guard !texts.isEmpty else { throw LuaError(code: "arg", "\(call.name): bad argument #3 (the corpus is empty)") }
            let store = a.defaultStore ? try StoreLua.shared() : a.store
            let bar = a.progress ? ProgressBar(label: "feature contexts") : nil
            let progress: (Int, Int) throws -> Void = { done, total in
                bar?.update(done, total)
                if dlua_interrupt_pending_public() {
                    dlua_clear_interrupt_public()
                    bar?.finish()
                    throw LuaError(code: "interrupted", "\(call.name): interrupted after \(done) of \(total) texts")
                }
            }
            let r: FeatureContexts
            if let store {
                r = try FeatureContexts.cached(in: store, model: m, transcoders: tcBox.value, texts: texts, options: a.options, progress: progress)
            } else {
                let tokens = try FeatureContexts.tokenize(texts, model: m, options: a.options)
                r = try FeatureContexts.collect(model: m, transcoders: tcBox.value, tokens: tokens, options: a.options, progress: progress)
            }
            bar?.finish()
            return call.push(FeatureContextsBox(r, model: m, transcoders: tcBox.value, window: a.window), featureContextsClass)
        }
    }

    // MARK: arguments

    /// A 0-based index argument in `0..<count`, with an error naming it and the range.
    static func index(_ call: LuaCall, _ i: Int32, _ what: String, _ count: Int) throws -> Int {
        guard call.type(i) == LUA_TNUMBER else { throw call.argError(i, "\(what) index") }
        let v = try call.integer(i)
        guard v >= 0, v < count else {
            throw LuaError(code: "arg", "\(call.name): bad argument #\(i - call.selfOffset) (\(what) must be in 0..<\(count), got \(v))")
        }
        return v
    }

    /// The corpus at argument `i`: a list of strings, or a discern.World sampled with the `n_texts` and `seed` options.
    static func corpus(_ call: LuaCall, _ i: Int32, _ a: ContextArgs) throws -> [String] {
        let L = call.L
        var isWorld = false
        if lua_type(L, i) == LUA_TTABLE, luaL_getmetafield(L, i, "__name") != LUA_TNIL {
            isWorld = LuaRead.string(L, -1) == "discern.World"
            dlua_pop(L, 1)
        }
        guard isWorld else {
            for (key, v) in [("n_texts", a.nTexts), ("seed", a.seed)] where v != nil {
                throw LuaError(code: "arg", "\(call.name): option '\(key)' only applies to a discern.World corpus")
            }
            guard lua_type(L, i) == LUA_TTABLE else { throw call.argError(i, "list of strings or discern.World") }
            return try call.stringList(i)
        }
        let top = lua_gettop(L)
        defer { lua_settop(L, top) }
        guard try LuaRead.field(L, i, "sample", call.name) == LUA_TFUNCTION else {
            throw call.argError(i, "discern.World with a sample method")
        }
        lua_pushvalue(L, i)
        lua_pushinteger(L, lua_Integer(a.nTexts ?? 256))
        lua_createtable(L, 0, 1)
        if let seed = a.seed {
            lua_pushinteger(L, lua_Integer(seed))
            lua_setfield(L, -2, "seed")
        }
        try LuaState(borrowing: L).pcall(nargs: 3, nresults: 1)
        guard lua_type(L, -1) == LUA_TTABLE else { throw LuaError(code: "arg", "\(call.name): world:sample did not return a list") }
        let list = lua_gettop(L)
        var texts: [String] = []
        try call.forEach(list) { k in
            try LuaRead.field(L, -1, "text", call.name)
            defer { dlua_pop(L, 1) }
            guard let text = LuaRead.string(L, -1) else {
                throw LuaError(code: "arg", "\(call.name): world:sample()[\(k)] has no string field 'text'")
            }
            texts.append(text)
        }
        return texts
    }

    /// The store the `store` option's value at `idx` names (nil for `false`).
    static func storeValue(_ o: LuaOptions, _ idx: Int32) throws -> Store? {
        let L = o.tableL
        if lua_type(L, idx) == LUA_TBOOLEAN { return lua_toboolean(L, idx) != 0 ? try StoreLua.shared() : nil }
        if let path = LuaRead.string(L, idx) { return try Store(path: path) }
        if let s = StoreLua.cls.test(L, idx) { return s }
        if lua_type(L, idx) == LUA_TTABLE, isStoreModule(L, idx) { return try StoreLua.shared() }
        throw o.typeError("store", "a discern.Store, a path, discern.store, true or false", at: idx)
    }

    /// Whether the value at `idx` is the loaded `discern.store` module table.
    static func isStoreModule(_ L: OpaquePointer, _ idx: Int32) -> Bool {
        let top = lua_gettop(L)
        defer { lua_settop(L, top) }
        lua_getglobal(L, "package")
        guard lua_type(L, -1) == LUA_TTABLE else { return false }
        lua_pushstring(L, "loaded")
        guard lua_rawget(L, -2) == LUA_TTABLE else { return false }
        lua_pushstring(L, "discern")
        guard lua_rawget(L, -2) == LUA_TTABLE else { return false }
        lua_pushstring(L, "store")
        lua_rawget(L, -2)
        return lua_rawequal(L, -1, idx) != 0
    }

    // MARK: methods

    static func defineInterpretationMethods() {
        let cls = featureContextsClass
        func coordinates(_ call: LuaCall, _ box: FeatureContextsBox) throws -> (Int, Int) {
            let v = box.value
            let layer = try index(call, 2, "layer", v.layerCount)
            return (layer, try index(call, 3, "feature", try v.width(layer: layer)))
        }
        let at = "layer: integer, feature: integer"
        cls.method("top", "(\(at), opts?: discern.circuit.TopContextsOptions) -> discern.circuit.FeatureContext[]", """
            The top contexts, highest activation first (at most k; fewer when the feature is active less often).
            """, options: topOptions) { call, box in
            let (layer, feature) = try coordinates(call, box)
            let o = try topOptions.read(call, at: 4)
            let v = box.value
            return try call.push(try v.top(layer: layer, feature: feature).map {
                ContextRow(c: $0, w: try v.window($0, radius: o.window ?? box.window))
            }, contextRow)
        }
        cls.method("density", "(\(at)) -> number", "The fraction of scored tokens where the feature is active (non-zero).") { call, box in
            let (layer, feature) = try coordinates(call, box)
            return call.returning(try box.value.density(layer: layer, feature: feature))
        }
        cls.method("active_count", "(\(at)) -> integer", "The number of scored tokens where the feature is active.") { call, box in
            let (layer, feature) = try coordinates(call, box)
            return call.returning(try box.value.activeCount(layer: layer, feature: feature))
        }
        cls.method("max_activation", "(\(at)) -> number?", "Its largest activation over the corpus, or nil when never active.") { call, box in
            let (layer, feature) = try coordinates(call, box)
            return call.returning(try box.value.maxActivation(layer: layer, feature: feature).map(Double.init))
        }
        cls.method("mean_activation", "(\(at)) -> number?", "Its mean activation where active, or nil when never active.") { call, box in
            let (layer, feature) = try coordinates(call, box)
            return call.returning(try box.value.meanActivation(layer: layer, feature: feature))
        }
        cls.method("describe", "(\(at), opts?: discern.circuit.DescribeOptions) -> string", """
            One line: density, max activation, the most frequent activating tokens of the top contexts, and the tokens the
            feature promotes and suppresses (its logit lens).
            """, options: describeOptions) { call, box in
            let (layer, feature) = try coordinates(call, box)
            let o = try describeOptions.read(call, at: 4)
            var lens: FeatureLogitLens?
            if box.model.isCausal {
                lens = try FeatureLogitLens.compute(model: box.model, transcoders: box.transcoders, layer: layer, features: [feature],
                                                    k: Swift.min(o.tokens, box.model.config.dVocab), finalNorm: o.finalNorm).first
            }
            return call.returning(try box.value.describe(layer: layer, feature: feature, lens: lens, tokens: o.tokens))
        }
        cls.method("cached", "() -> boolean", "Whether the index was read from the store instead of computed.") { call, box in
            call.returning(box.value.isFromCache)
        }
        cls.method("info", "() -> discern.circuit.FeatureContextsInfo", "The index's sizes, window and store key.") { call, box in
            try call.push(box, contextsInfo)
        }
    }
}
