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

    static let logitLensOptions = ["k", "final_norm"]
    static let featureContextOptions = ["k", "window", "batch_size", "max_tokens", "prepend_bos", "store", "progress", "n_texts", "seed"]

    /// Adds `logit_lens` and `feature_contexts` to the `discern.circuit` table at `mod`.
    static func defineInterpretation(_ state: LuaState, _ mod: Int32) {
        featureContextsClass.register(in: state)
        state.setFunction(in: mod, "logit_lens", qualifiedName: "discern.circuit.logit_lens", doc: """
            discern.circuit.logit_lens(model, transcoders, layer, feature, {k = 10, final_norm = false})
              -> {layer, feature, promoted = {{token =, id =, score =}, …}, suppressed = {…}}
            The tokens a feature's output direction promotes and suppresses most: scores = d · W_U, d the feature's decoder
            row (a cross-layer transcoder: the sum of its decoder rows over every output layer it writes), W_U the model's raw
            unembedding [d_model, d_vocab] (what circuit-tracer and Neuronpedia show). final_norm = true multiplies d by the final
            norm's weight first (after centring it, for a LayerNorm): the norm's effect on a small change with its scale frozen.
            promoted is highest first, suppressed lowest first; ids are 0-based token ids. layer and feature are 0-based;
            feature may be a list of features, which returns a list of results.
            """) { call in
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
            let o = try call.options(5, allowed: logitLensOptions)
            let k = try o?.integer("k") ?? 10
            guard k >= 1, k <= m.config.dVocab else {
                throw LuaError(code: "arg", "\(call.name): option 'k' must be in 1..\(m.config.dVocab) (the vocabulary), got \(k)")
            }
            let lenses = try FeatureLogitLens.compute(model: m, transcoders: tc, layer: layer, features: features, k: k,
                                                      finalNorm: try o?.bool("final_norm") ?? false)
            if single {
                pushLens(call, lenses[0])
            } else {
                lua_createtable(call.L, Int32(lenses.count), 0)
                for (i, lens) in lenses.enumerated() {
                    pushLens(call, lens)
                    lua_rawseti(call.L, -2, lua_Integer(i + 1))
                }
            }
            return 1
        }
        state.setFunction(in: mod, "feature_contexts", qualifiedName: "discern.circuit.feature_contexts", doc: """
            discern.circuit.feature_contexts(model, transcoders, corpus, {k = 10, window = 8, batch_size = 8, max_tokens = n_ctx,
              prepend_bos = true, store = (the default store), progress = (on a terminal), n_texts = 256, seed = (the world's)})
              -> discern.FeatureContexts
            One pass over corpus (a list of strings, or a discern.World: then n_texts dialogues from world:sample with seed)
            through the model in batches of batch_size texts; every layer's feature input hook is encoded with the transcoders
            and, for every (layer, feature), the k highest activations with their positions are kept, with how often the
            feature is active (non-zero) and its mean activation. Position 0 (the BOS, prepended when the model names one) is
            never scored, as circuit-tracer zeroes it; texts are truncated to max_tokens tokens.
            The index is cached in a store (store = a discern.Store, a path, the discern.store module or true for the default
            store, false for none) under a key made of content fingerprints of the model and transcoders, the tokenized
            corpus and k: a second call with the same inputs reads it back (fc:cached() is then true). window is the default
            number of tokens shown on each side by fc:top.
            """) { call in
            let m = try ModelLua.cls.check(call, 1)
            let tcBox = try transcodersClass.check(call, 2)
            let o = try call.options(4, allowed: featureContextOptions)
            var opts = FeatureContextOptions()
            opts.k = try o?.integer("k") ?? opts.k
            guard opts.k >= 1 else { throw LuaError(code: "arg", "\(call.name): option 'k' must be at least 1, got \(opts.k)") }
            opts.batchSize = try o?.integer("batch_size") ?? opts.batchSize
            guard opts.batchSize >= 1 else {
                throw LuaError(code: "arg", "\(call.name): option 'batch_size' must be at least 1, got \(opts.batchSize)")
            }
            opts.maxTokens = try o?.integer("max_tokens")
            if let n = opts.maxTokens, n < 1 || n > m.config.nCtx {
                throw LuaError(code: "arg", "\(call.name): option 'max_tokens' must be in 1..\(m.config.nCtx) (the model's context), got \(n)")
            }
            opts.prependBOS = try o?.bool("prepend_bos") ?? opts.prependBOS
            let window = try o?.integer("window") ?? 8
            guard window >= 0 else { throw LuaError(code: "arg", "\(call.name): option 'window' must be non-negative, got \(window)") }
            let texts = try corpus(call, 3, o)
            guard !texts.isEmpty else { throw LuaError(code: "arg", "\(call.name): bad argument #3 (the corpus is empty)") }
            let store = try storeOption(call, o)
            let bar = (try o?.bool("progress") ?? true) ? ProgressBar(label: "feature contexts") : nil
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
                r = try FeatureContexts.cached(in: store, model: m, transcoders: tcBox.value, texts: texts, options: opts, progress: progress)
            } else {
                let tokens = try FeatureContexts.tokenize(texts, model: m, options: opts)
                r = try FeatureContexts.collect(model: m, transcoders: tcBox.value, tokens: tokens, options: opts, progress: progress)
            }
            bar?.finish()
            featureContextsClass.push(call.L, FeatureContextsBox(r, model: m, transcoders: tcBox.value, window: window))
            return 1
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
    static func corpus(_ call: LuaCall, _ i: Int32, _ o: LuaOptions?) throws -> [String] {
        let L = call.L
        var isWorld = false
        if lua_type(L, i) == LUA_TTABLE, luaL_getmetafield(L, i, "__name") != LUA_TNIL {
            isWorld = LuaRead.string(L, -1) == "discern.World"
            dlua_pop(L, 1)
        }
        guard isWorld else {
            for key in ["n_texts", "seed"] where try o?.has(key) == true {
                throw LuaError(code: "arg", "\(call.name): option '\(key)' only applies to a discern.World corpus")
            }
            guard lua_type(L, i) == LUA_TTABLE else { throw call.argError(i, "list of strings or discern.World") }
            return try ModelLua.stringList(call, i)
        }
        let n = try o?.integer("n_texts") ?? 256
        guard n >= 1 else { throw LuaError(code: "arg", "\(call.name): option 'n_texts' must be at least 1, got \(n)") }
        let top = lua_gettop(L)
        defer { lua_settop(L, top) }
        guard try LuaRead.field(L, i, "sample", call.name) == LUA_TFUNCTION else {
            throw call.argError(i, "discern.World with a sample method")
        }
        lua_pushvalue(L, i)
        lua_pushinteger(L, lua_Integer(n))
        lua_createtable(L, 0, 1)
        if let seed = try o?.integer("seed") {
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

    /// The store named by the `store` option: nil for `false`, the default store when absent.
    static func storeOption(_ call: LuaCall, _ o: LuaOptions?) throws -> Store? {
        guard let o, try o.has("store") else { return try StoreLua.shared() }
        let L = call.L
        let t = try o.push("store")
        defer { dlua_pop(L, 1) }
        if t == LUA_TBOOLEAN { return lua_toboolean(L, -1) != 0 ? try StoreLua.shared() : nil }
        if let path = LuaRead.string(L, -1) { return try Store(path: path) }
        if let s = StoreLua.cls.test(L, -1) { return s }
        if t == LUA_TTABLE, isStoreModule(L, lua_gettop(L)) { return try StoreLua.shared() }
        throw LuaError(code: "arg", "\(call.name): option 'store' must be a discern.Store, a path, discern.store, true or false")
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

    // MARK: results

    static func pushLens(_ call: LuaCall, _ lens: FeatureLogitLens) {
        let L = call.L
        let t = StatsTestsLua.Table(call, 4)
        t.set("layer", lens.layer)
        t.set("feature", lens.feature)
        for (name, list) in [("promoted", lens.promoted), ("suppressed", lens.suppressed)] {
            lua_createtable(L, Int32(list.count), 0)
            for (i, e) in list.enumerated() {
                let entry = StatsTestsLua.Table(call, 3)
                if let s = e.token { entry.set("token", s) }
                entry.set("id", e.id)
                entry.set("score", e.score)
                lua_rawseti(L, -2, lua_Integer(i + 1))
            }
            lua_setfield(L, -2, name)
        }
    }

    static func defineInterpretationMethods() {
        let cls = featureContextsClass
        func coordinates(_ call: LuaCall, _ box: FeatureContextsBox) throws -> (Int, Int) {
            let v = box.value
            let layer = try index(call, 2, "layer", v.layerCount)
            return (layer, try index(call, 3, "feature", try v.width(layer: layer)))
        }
        cls.method("top", doc: """
            fc:top(layer, feature, {window = (as built, 8)}) -> list of {text_index, position, activation, token, token_id, context,
              left, right}, highest activation first (at most k; fewer when the feature is active less often).
            text_index is 1-based into the corpus list; position is the 0-based token position; context is the window with
            the activating token marked, left«token»right; left and right are the window's tokens on each side, joined.
            """) { call, box in
            let (layer, feature) = try coordinates(call, box)
            let o = try call.options(4, allowed: ["window"])
            let radius = try o?.integer("window") ?? box.window
            guard radius >= 0 else { throw LuaError(code: "arg", "\(call.name): option 'window' must be non-negative, got \(radius)") }
            let L = call.L
            let tops = try box.value.top(layer: layer, feature: feature)
            lua_createtable(L, Int32(tops.count), 0)
            for (i, c) in tops.enumerated() {
                let w = try box.value.window(c, radius: radius)
                let t = StatsTestsLua.Table(call, 8)
                t.set("text_index", c.textIndex + 1)
                t.set("position", c.position)
                t.set("activation", Double(c.activation))
                t.set("token", w.token)
                t.set("token_id", w.tokenId)
                t.set("context", w.marked)
                t.set("left", w.left.joined())
                t.set("right", w.right.joined())
                lua_rawseti(L, -2, lua_Integer(i + 1))
            }
            return 1
        }
        cls.method("density", doc: "fc:density(layer, feature) -> the fraction of scored tokens where the feature is active (non-zero).") { call, box in
            let (layer, feature) = try coordinates(call, box)
            call.push(try box.value.density(layer: layer, feature: feature))
            return 1
        }
        cls.method("active_count", doc: "fc:active_count(layer, feature) -> the number of scored tokens where the feature is active.") { call, box in
            let (layer, feature) = try coordinates(call, box)
            call.push(try box.value.activeCount(layer: layer, feature: feature))
            return 1
        }
        cls.method("max_activation", doc: "fc:max_activation(layer, feature) -> its largest activation over the corpus, or nil when never active.") { call, box in
            let (layer, feature) = try coordinates(call, box)
            if let v = try box.value.maxActivation(layer: layer, feature: feature) { call.push(Double(v)) } else { call.pushNil() }
            return 1
        }
        cls.method("mean_activation", doc: "fc:mean_activation(layer, feature) -> its mean activation where active, or nil when never active.") { call, box in
            let (layer, feature) = try coordinates(call, box)
            if let v = try box.value.meanActivation(layer: layer, feature: feature) { call.push(v) } else { call.pushNil() }
            return 1
        }
        cls.method("describe", doc: """
            fc:describe(layer, feature, {tokens = 5, final_norm = false}) -> one line: density, max activation, the most frequent
            activating tokens of the top contexts, and the tokens the feature promotes and suppresses (its logit lens).
            """) { call, box in
            let (layer, feature) = try coordinates(call, box)
            let o = try call.options(4, allowed: ["tokens", "final_norm"])
            let n = try o?.integer("tokens") ?? 5
            guard n >= 1 else { throw LuaError(code: "arg", "\(call.name): option 'tokens' must be at least 1, got \(n)") }
            var lens: FeatureLogitLens?
            if box.model.config.architecture != .bert {
                lens = try FeatureLogitLens.compute(model: box.model, transcoders: box.transcoders, layer: layer, features: [feature],
                                                    k: Swift.min(n, box.model.config.dVocab),
                                                    finalNorm: try o?.bool("final_norm") ?? false).first
            }
            call.push(try box.value.describe(layer: layer, feature: feature, lens: lens, tokens: n))
            return 1
        }
        cls.method("cached", doc: "fc:cached() -> whether the index was read from the store instead of computed.") { call, box in
            call.push(box.value.isFromCache)
            return 1
        }
        cls.method("info", doc: """
            fc:info() -> {k, n_layers, d_transcoder = {per layer}, texts, scored_tokens, window, cached, key (the store key, when
              stored), forward_passes (0 when read from the store)}
            """) { call, box in
            let v = box.value
            let t = StatsTestsLua.Table(call, 9)
            t.set("k", v.k)
            t.set("n_layers", v.layerCount)
            call.push(list: try (0..<v.layerCount).map { try v.width(layer: $0) })
            lua_setfield(call.L, -2, "d_transcoder")
            t.set("texts", v.textCount)
            t.set("scored_tokens", v.scoredTokenCount)
            t.set("window", box.window)
            t.set("cached", v.isFromCache)
            if let key = v.cacheKey { t.set("key", key) }
            t.set("forward_passes", v.forwardPasses)
            return 1
        }
    }
}
