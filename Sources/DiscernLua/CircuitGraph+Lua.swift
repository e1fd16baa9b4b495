import CLua
import CLuaBridge
import Circuits
import Foundation
import LuaKit
import Models
import Store
import Tensor

extension GraphError: LuaCodedError {
    public var luaCode: String { "graph" }
    public var luaMessage: String { message }
}

/// Lua bindings of replacement models (`discern.ReplacementModel`) and attribution graphs (`discern.Graph`).
extension CircuitLua {
    nonisolated(unsafe) static let replacementClass = LuaClass<ReplacementModel>("discern.ReplacementModel") { b in
        "discern.ReplacementModel(\(b.model.summary); \(b.transcoders))"
    }
    nonisolated(unsafe) static let graphClass = LuaClass<AttributionGraph>("discern.Graph") { g in
        "discern.Graph(\(g.tokens.count) tokens, \(g.indices(of: .feature).count) features, \(g.nodes.count) nodes, \(g.edgeCount) edges)"
    }

    static let attributeOptions = ["max_n_logits", "desired_logit_prob", "batch_size", "max_feature_nodes", "update_interval",
                                   "targets", "sum_check", "progress", "cache", "store"]

    static func defineGraphs(_ state: LuaState, _ mod: Int32) {
        replacementClass.register(in: state)
        graphClass.register(in: state)
        state.setFunction(in: mod, "replacement_model", qualifiedName: "discern.circuit.replacement_model", doc: """
            discern.circuit.replacement_model(model, transcoders, {zero_positions = 1}) -> discern.ReplacementModel
            Pairs a causal model (GPT-2, Llama family) with transcoders that fit it (same layers and width; features read
            ln2.hook_normalized or hook_resid_mid and write hook_mlp_out). Its forward pass is exact: every MLP output is
            the transcoder reconstruction plus an error term. The first zero_positions positions (BOS) have no features.
            """) { call in
            let m = try ModelLua.cls.check(call, 1)
            let t = try transcodersClass.check(call, 2)
            let o = try call.options(3, allowed: ["zero_positions"])
            let rm = try ReplacementModel(model: m, transcoders: t.value, zeroPositions: try o?.integer("zero_positions") ?? 1)
            replacementClass.push(call.L, rm)
            return 1
        }
        state.setFunction(in: mod, "attribute", qualifiedName: "discern.circuit.attribute", doc: """
            discern.circuit.attribute(prompt, rmodel, {max_n_logits = 10, desired_logit_prob = 0.95, batch_size = 256,
              max_feature_nodes = all, update_interval = 4, targets = {token ids or strings}, sum_check = true,
              progress = (on a terminal), cache = true, store = discern.Store}) -> discern.Graph
            The attribution graph of prompt (a string, BOS prepended when missing, or a list of token ids) with
            circuit-tracer's semantics: logit targets are the top logits up to desired_logit_prob; every active feature's
            row of direct effects is computed (or, with max_feature_nodes, the most influential ones, re-ranked every
            update_interval batches); edges are exact in the frozen model. Graphs are cached in the store (the default
            store, or store =) keyed by the model's and transcoders' weights, the tokens and the options; cache = false
            recomputes. Ctrl-C stops with 'interrupted'.
            """) { call in
            try attribute(call, promptIndex: 1, rmIndex: 2, optionsIndex: 3)
        }
        state.setFunction(in: mod, "load_graph", qualifiedName: "discern.circuit.load_graph", doc: """
            discern.circuit.load_graph(path) -> discern.Graph: reads a graph written by graph:save(path).
            """) { call in
            graphClass.push(call.L, try AttributionGraph(contentsOf: try call.string(1)))
            return 1
        }
    }

    /// Token ids of argument `i` (a string, or a list of ids).
    static func promptTokens(_ call: LuaCall, _ i: Int32, _ rm: ReplacementModel) throws -> ([Int], String?) {
        if lua_type(call.L, i) == LUA_TSTRING {
            let s = try call.string(i)
            return (try rm.tokens(for: s), s)
        }
        guard lua_type(call.L, i) == LUA_TTABLE else { throw call.argError(i, "prompt string or list of token ids") }
        let ids = try call.integerList(i)
        guard !ids.isEmpty else { throw call.argError(i, "non-empty list of token ids") }
        if let bad = ids.first(where: { $0 < 0 || $0 >= rm.model.config.dVocab }) {
            throw LuaError(code: "arg", "\(call.name): token id \(bad) is outside the vocabulary [0, \(rm.model.config.dVocab))")
        }
        return (ids, nil)
    }

    static func attribute(_ call: LuaCall, promptIndex: Int32, rmIndex: Int32, optionsIndex: Int32) throws -> Int32 {
        let L = call.L
        let rm = try replacementClass.check(call, rmIndex)
        let (tokens, text) = try promptTokens(call, promptIndex, rm)
        let o = try call.options(optionsIndex, allowed: attributeOptions)
        var opts = AttributionOptions()
        opts.maxNLogits = try o?.integer("max_n_logits") ?? opts.maxNLogits
        opts.desiredLogitProb = try o?.number("desired_logit_prob") ?? opts.desiredLogitProb
        opts.batchSize = try o?.integer("batch_size") ?? opts.batchSize
        opts.maxFeatureNodes = try o?.integer("max_feature_nodes")
        opts.updateInterval = try o?.integer("update_interval") ?? opts.updateInterval
        opts.sumCheck = try o?.bool("sum_check") ?? true
        if let o, try o.has("targets") {
            guard try o.push("targets") == LUA_TTABLE else {
                dlua_pop(L, 1)
                throw LuaError(code: "arg", "\(call.name): option 'targets' must be a list of token ids or token strings")
            }
            defer { dlua_pop(L, 1) }
            let top = lua_gettop(L)
            var ids: [Int] = []
            try call.forEach(top) { k in
                if lua_isinteger(L, -1) != 0 {
                    ids.append(Int(lua_tointegerx(L, -1, nil)))
                } else if let s = LuaRead.string(L, -1) {
                    let enc = try rm.model.encode(s)
                    guard enc.count == 1 else {
                        throw LuaError(code: "arg", "\(call.name): target \"\(s)\" is \(enc.count) tokens; give a single token or its id")
                    }
                    ids.append(enc[0])
                } else {
                    throw LuaError(code: "arg", "\(call.name): option 'targets' element \(k) is neither a token id nor a string")
                }
            }
            opts.targetTokens = ids
        }
        // The cache: the default store unless cache = false.
        var store: Store?
        if try o?.bool("cache") ?? true {
            if let o, try o.has("store") {
                _ = try o.push("store")
                defer { dlua_pop(L, 1) }
                store = try StoreLua.cls.check(call, lua_gettop(L))
            } else {
                store = try StoreLua.shared()
            }
        }
        let bar = (try o?.bool("progress") ?? true) ? ProgressBar(label: "attribute") : nil
        let control = try LuaProgressControl(call, nil)
        let g: AttributionGraph
        do {
            let progress: (AttributionProgress) -> Void = { p in bar?.update(p.done, p.total, extra: "feature rows") }
            if let store {
                g = try Attribution.cached(in: store, tokens, rm, options: opts, prompt: text, progress: progress,
                                           shouldStop: { control.shouldStop })
            } else {
                g = try Attribution.attribute(tokens, rm, options: opts, prompt: text, progress: progress,
                                              shouldStop: { control.shouldStop })
            }
        } catch is CancellationError {
            bar?.finish()
            try control.throwIfInterrupted("(nothing was cached)")
            throw CancellationError()
        }
        bar?.finish()
        graphClass.push(L, g)
        return 1
    }

    // MARK: discern.ReplacementModel

    static func interventionList(_ call: LuaCall, _ i: Int32, steering: Bool) throws -> [FeatureIntervention] {
        let L = call.L
        guard lua_type(L, i) == LUA_TTABLE else {
            throw call.argError(i, steering ? "{layer =, feature =, value =}" : "list of {layer, position, feature, value}")
        }
        func field(_ idx: Int32, _ k: Int, _ name: String) throws -> Double? {
            if try LuaRead.index(L, idx, k, call.name) == LUA_TNIL {
                dlua_pop(L, 1)
                try LuaRead.field(L, idx, name, call.name)
            }
            defer { dlua_pop(L, 1) }
            if lua_type(L, -1) == LUA_TNIL { return nil }
            guard lua_type(L, -1) == LUA_TNUMBER else {
                throw LuaError(code: "arg", "\(call.name): intervention field '\(name)' must be a number")
            }
            return lua_tonumberx(L, -1, nil)
        }
        func one(_ idx: Int32, _ n: Int) throws -> FeatureIntervention {
            guard let layer = try field(idx, 1, "layer"), let feature = try field(idx, steering ? 2 : 3, "feature"),
                  let value = try field(idx, steering ? 3 : 4, "value") else {
                throw LuaError(code: "arg", "\(call.name): intervention \(n) needs layer, feature and value")
            }
            let pos = steering ? nil : try field(idx, 2, "position")
            for (name, v) in [("layer", layer), ("feature", feature)] + (pos.map { [("position", $0)] } ?? [])
            where v != v.rounded() || Swift.abs(v) >= 9.0e15 {
                throw LuaError(code: "arg", "\(call.name): intervention \(n): \(name) must be an integer, got \(v)")
            }
            return FeatureIntervention(layer: Int(layer), position: pos.map { Int($0) }, feature: Int(feature), value: value)
        }
        if steering { return [try one(i, 1)] }
        var out: [FeatureIntervention] = []
        try call.forEach(i) { k in
            guard lua_type(L, -1) == LUA_TTABLE else {
                throw LuaError(code: "arg", "\(call.name): intervention \(k) must be a table {layer, position, feature, value}")
            }
            out.append(try one(lua_gettop(L), k))
        }
        return out
    }

    static func pushIntervention(_ call: LuaCall, _ r: ReplacementModel.InterventionResult) {
        TensorLua.cls.push(call.L, r.logits)
        lua_createtable(call.L, Int32(r.activations.count), 0)
        for (k, a) in r.activations.enumerated() {
            TensorLua.cls.push(call.L, a)
            lua_rawseti(call.L, -2, lua_Integer(k + 1))
        }
    }

    static func defineReplacementMethods() {
        let cls = replacementClass
        cls.method("tokens", doc: "rmodel:tokens(prompt) -> list of token ids (BOS prepended when missing).") { call, b in
            call.push(list: try b.tokens(for: try call.string(2)))
            return 1
        }
        cls.method("forward", doc: """
            rmodel:forward(prompt or token ids, {errors = true}) -> logits discern.Tensor [T, d_vocab]
            With errors (the default) equal to the model's own logits; errors = false splices the transcoders in.
            """) { call, b in
            let (tokens, _) = try promptTokens(call, 2, b)
            let o = try call.options(3, allowed: ["errors"])
            TensorLua.cls.push(call.L, try b.forward(tokens, errors: try o?.bool("errors") ?? true))
            return 1
        }
        cls.method("feature_intervention", doc: """
            rmodel:feature_intervention(prompt, {{layer, position, feature, value}, …}, {freeze_attention = true,
              freeze_mlps = false}) -> logits [T, d_vocab], activations {per layer [T, d_tc]}
            Sets features (0-based layer, position and index; position nil = every position after BOS) to values; the
            change of each MLP output (value − activation)·W_dec propagates through the model. freeze_attention keeps the
            clean attention patterns; freeze_mlps keeps every MLP at its clean output (direct effects only).
            """) { call, b in
            let (tokens, _) = try promptTokens(call, 2, b)
            let list = try interventionList(call, 3, steering: false)
            let o = try call.options(4, allowed: ["freeze_attention", "freeze_mlps"])
            pushIntervention(call, try b.featureIntervention(tokens, list, freezeAttention: try o?.bool("freeze_attention") ?? true,
                                                                freezeMLPs: try o?.bool("freeze_mlps") ?? false))
            return 2
        }
        cls.method("steer", doc: """
            rmodel:steer(prompt, {layer =, feature =, value =}, {freeze_attention = false}) -> logits, activations
            Sets one feature to value at every position after BOS (steering).
            """) { call, b in
            let (tokens, _) = try promptTokens(call, 2, b)
            let list = try interventionList(call, 3, steering: true)
            let o = try call.options(4, allowed: ["freeze_attention"])
            pushIntervention(call, try b.featureIntervention(tokens, list, freezeAttention: try o?.bool("freeze_attention") ?? false))
            return 2
        }
        cls.method("attribute", doc: "rmodel:attribute(prompt, opts) -> discern.Graph: the same as discern.circuit.attribute(prompt, rmodel, opts).") { call, _ in
            try attribute(call, promptIndex: 2, rmIndex: 1, optionsIndex: 3)
        }
        cls.method("model", doc: "rmodel:model() -> discern.Model") { call, b in
            ModelLua.cls.push(call.L, b.model)
            return 1
        }
    }

    // MARK: discern.Graph

    static func pushNode(_ call: LuaCall, _ g: AttributionGraph, _ i: Int, influence: Double? = nil) {
        let n = g.nodes[i]
        let t = StatsTestsLua.Table(call, 9)
        t.set("id", g.id(i))
        t.set("kind", n.kind.rawValue)
        t.set("position", n.position)
        switch n.kind {
        case .feature:
            t.set("layer", n.layer)
            t.set("feature", n.index)
            t.set("activation", Double(n.value))
        case .error:
            t.set("layer", n.layer)
        case .token:
            t.set("token_id", n.index)
            t.set("token", g.tokenStrings[n.position])
        case .logit:
            t.set("token_id", n.index)
            t.set("token", g.logitToken(n.index))
            t.set("probability", Double(n.value))
        }
        if let influence { t.set("influence", influence) }
    }

    static func nodeArg(_ call: LuaCall, _ g: AttributionGraph, _ i: Int32) throws -> Int {
        let id = try call.string(i)
        guard let n = g.node(id: id) else { throw LuaError(code: "arg", "\(call.name): no node '\(id)' in this graph") }
        return n
    }

    /// Pushes `{{[endpoint] = id, weight}…}` sorted by |weight|, largest first.
    static func pushEdges(_ call: LuaCall, _ g: AttributionGraph, _ edges: [(node: Int, weight: Float)], endpoint: String) {
        let sorted = edges.sorted { Swift.abs($0.weight) > Swift.abs($1.weight) }
        lua_createtable(call.L, Int32(sorted.count), 0)
        for (j, e) in sorted.enumerated() {
            let r = StatsTestsLua.Table(call, 2)
            r.set(endpoint, g.id(e.node))
            r.set("weight", Double(e.weight))
            lua_rawseti(call.L, -2, lua_Integer(j + 1))
        }
    }

    static func defineGraphMethods() {
        let cls = graphClass
        cls.method("info", doc: """
            graph:info() -> {prompt, tokens = {ids}, token_strings, n_nodes, n_edges, n_features, n_errors, n_tokens, n_logits,
              active_features, sum_check = max |value − (edges + constant)|, max_value, dropped_fraction, cached, metadata = {…}}
            """) { call, g in
            let t = StatsTestsLua.Table(call, 16)
            t.set("prompt", g.prompt)
            call.push(list: g.tokens)
            lua_setfield(call.L, -2, "tokens")
            call.push(strings: g.tokenStrings)
            lua_setfield(call.L, -2, "token_strings")
            t.set("n_nodes", g.nodes.count)
            t.set("n_edges", g.edgeCount)
            for k in [AttributionGraph.Kind.feature, .error, .token, .logit] { t.set("n_\(k.rawValue)s", g.indices(of: k).count) }
            if let a = g.metadata["active_features"].flatMap(Int.init) { t.set("active_features", a) }
            let (res, scale) = g.sumCheck()
            t.set("sum_check", res)
            t.set("max_value", scale)
            t.set("dropped_fraction", g.droppedFraction())
            t.set("cached", g.isFromCache)
            lua_createtable(call.L, 0, Int32(g.metadata.count))
            for (k, v) in g.metadata {
                lua_pushstring(call.L, v)
                lua_setfield(call.L, -2, k)
            }
            lua_setfield(call.L, -2, "metadata")
            return 1
        }
        cls.method("nodes", doc: """
            graph:nodes() -> list of {id, kind = "feature"|"error"|"token"|"logit", layer, position, feature, activation,
              token_id, token, probability} in graph order (features, errors, tokens, logits); ids are layer_feature_pos.
            """) { call, g in
            lua_createtable(call.L, Int32(g.nodes.count), 0)
            for i in g.nodes.indices {
                pushNode(call, g, i)
                lua_rawseti(call.L, -2, lua_Integer(i + 1))
            }
            return 1
        }
        cls.method("top_nodes", doc: """
            graph:top_nodes(k = 10, {kind = "feature"|"error"|"token"|nil}) -> the k nodes (logits excluded) with the largest
              influence on the logits (circuit-tracer's node influence), each with its influence.
            """) { call, g in
            let k = lua_type(call.L, 2) <= LUA_TNIL ? 10 : try call.integer(2)
            guard k >= 0 else { throw call.argError(2, "non-negative integer") }
            let o = try call.options(3, allowed: ["kind"])
            var kinds: Set<AttributionGraph.Kind> = [.feature, .error, .token]
            if let s = try o?.string("kind") {
                guard let kind = AttributionGraph.Kind(rawValue: s), kind != .logit else {
                    throw LuaError(code: "arg", "\(call.name): kind must be \"feature\", \"error\" or \"token\", got \"\(s)\"")
                }
                kinds = [kind]
            }
            let infl = try g.nodeInfluence()
            let order = g.nodes.indices.filter { kinds.contains(g.nodes[$0].kind) }
                .sorted { infl[$0] != infl[$1] ? infl[$0] > infl[$1] : $0 < $1 }.prefix(k)
            lua_createtable(call.L, Int32(order.count), 0)
            for (j, i) in order.enumerated() {
                pushNode(call, g, i, influence: infl[i])
                lua_rawseti(call.L, -2, lua_Integer(j + 1))
            }
            return 1
        }
        cls.method("node", doc: "graph:node(id) -> the node table for id, or nil.") { call, g in
            if let i = g.node(id: try call.string(2)) { pushNode(call, g, i) } else { call.pushNil() }
            return 1
        }
        cls.method("edges_into", doc: """
            graph:edges_into(id) -> list of {source = id, weight} sorted by |weight| (largest first): the direct effects on the
              node's pre-activation (features) or demeaned logit (logits).
            """) { call, g in
            pushEdges(call, g, g.edges(into: try nodeArg(call, g, 2)).map { ($0.source, $0.weight) }, endpoint: "source")
            return 1
        }
        cls.method("edges_from", doc: "graph:edges_from(id) -> list of {target = id, weight} sorted by |weight| (largest first).") { call, g in
            pushEdges(call, g, g.edges(from: try nodeArg(call, g, 2)).map { ($0.target, $0.weight) }, endpoint: "target")
            return 1
        }
        cls.method("scores", doc: """
            graph:scores() -> {replacement =, completeness =}: circuit-tracer's graph scores (share of logit influence reaching
              tokens rather than error nodes; influence-weighted share of non-error inputs).
            """) { call, g in
            let (r, c) = try g.scores()
            let t = StatsTestsLua.Table(call, 2)
            t.set("replacement", r)
            t.set("completeness", c)
            return 1
        }
        cls.method("prune", doc: """
            graph:prune({node_threshold = 0.8, edge_threshold = 0.98}) -> discern.Graph of the kept nodes and edges
              (circuit-tracer's prune_graph; tokens and logits are always kept).
            """) { call, g in
            let o = try call.options(2, allowed: ["node_threshold", "edge_threshold"])
            graphClass.push(call.L, try g.pruned(nodeThreshold: try o?.number("node_threshold") ?? 0.8,
                                                 edgeThreshold: try o?.number("edge_threshold") ?? 0.98))
            return 1
        }
        cls.method("save", doc: "graph:save(path): writes the graph (safetensors; read it back with discern.circuit.load_graph).") { call, g in
            try g.save(to: try call.string(2))
            return 0
        }
        cls.method("export", doc: """
            graph:export(dir, {slug = "graph", scan = "discern", node_threshold = 0.8, edge_threshold = 0.98,
              labels = {[node id] = text}}) -> path of <dir>/<slug>.json
            Writes circuit-tracer's frontend JSON (metadata, qParams, nodes, links) of the pruned graph and adds it to
            <dir>/graph-metadata.json, so the directory opens in circuit-tracer's graph viewer. labels become node clerps.
            """) { call, g in
            let dir = try call.string(2)
            let o = try call.options(3, allowed: ["slug", "scan", "node_threshold", "edge_threshold", "labels"])
            var labels: [String: String] = [:]
            if let o, try o.has("labels") {
                guard try o.push("labels") == LUA_TTABLE else {
                    dlua_pop(call.L, 1)
                    throw LuaError(code: "arg", "\(call.name): option 'labels' must be a table {[node id] = text}")
                }
                lua_pushnil(call.L)
                while lua_next(call.L, -2) != 0 {
                    if lua_type(call.L, -2) == LUA_TSTRING, lua_type(call.L, -1) == LUA_TSTRING {
                        labels[LuaRead.string(call.L, -2) ?? ""] = LuaRead.string(call.L, -1) ?? ""
                    }
                    dlua_pop(call.L, 1)
                }
                dlua_pop(call.L, 1)
            }
            let path = try g.exportFrontend(to: dir, slug: try o?.string("slug") ?? "graph", scan: try o?.string("scan") ?? "discern",
                                            nodeThreshold: try o?.number("node_threshold") ?? 0.8,
                                            edgeThreshold: try o?.number("edge_threshold") ?? 0.98, labels: labels)
            call.push(path)
            return 1
        }
    }
}
