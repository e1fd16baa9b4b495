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

    // MARK: declarations

    struct ReplacementOptions { var zeroPositions = 1 }
    nonisolated(unsafe) static let replacementOptions = LuaOptionSpec<ReplacementOptions>(
        "discern.circuit.ReplacementModelOptions", prototype: ReplacementOptions(), [
        .integer("zero_positions", \.zeroPositions, "leading positions (BOS) without features"),
    ])

    /// What `attribute` reads: circuit-tracer's options plus the binding's own keys.
    struct AttributeArgs {
        var options = AttributionOptions()
        var model: Transformer?
        var store: Store?
        var progress = true, cache = true
    }
    nonisolated(unsafe) static let attributeOptions = LuaOptionSpec<AttributeArgs>("discern.circuit.AttributeOptions",
                                                                                  prototype: AttributeArgs(), [
        .integer("max_n_logits", \.options.maxNLogits, "at most this many logit targets"),
        .number("desired_logit_prob", \.options.desiredLogitProb, "the top logits up to this cumulative probability are targets"),
        .integer("batch_size", \.options.batchSize, "targets per reverse sweep"),
        .integer("max_feature_nodes", \.options.maxFeatureNodes, "visit only the most influential features", default: "all"),
        .integer("update_interval", \.options.updateInterval, "with max_feature_nodes, re-rank every this many batches"),
        .value("targets", type: "(integer|string)[]", "explicit logit targets: token ids or single-token strings",
                default: "the top logits") { r, o, idx in
            let call = o.owner, L = call.L
            guard lua_type(L, idx) == LUA_TTABLE else { throw o.typeError("targets", "a list of token ids or token strings", at: idx) }
            var ids: [Int] = []
            try call.forEach(idx) { k in
                if lua_isinteger(L, -1) != 0 {
                    ids.append(Int(lua_tointegerx(L, -1, nil)))
                } else if let s = LuaRead.string(L, -1), let enc = try r.model?.encode(s) {
                    guard enc.count == 1 else {
                        throw LuaError(code: "arg", "\(call.name): target \"\(s)\" is \(enc.count) tokens; give a single token or its id")
                    }
                    ids.append(enc[0])
                } else {
                    throw LuaError(code: "arg", "\(call.name): option 'targets' element \(k) is neither a token id nor a string")
                }
            }
            r.options.targetTokens = ids
        },
        .boolean("sum_check", \.options.sumCheck, "compute the constant terms (max |value − (edges + constant)| in info)"),
        .boolean("progress", \.progress, "show a progress bar", default: "true (on a terminal)"),
        .boolean("cache", \.cache, "read and write the graph cache (false: recompute)"),
        .object("store", \.store, StoreLua.cls, "the store graphs are cached in", default: "the default store"),
    ])

    struct Freeze { var attention = true, mlps = false }
    nonisolated(unsafe) static let interventionOptions = LuaOptionSpec<Freeze>("discern.circuit.InterventionOptions", prototype: Freeze(), [
        .boolean("freeze_attention", \.attention, "keep the clean attention patterns"),
        .boolean("freeze_mlps", \.mlps, "keep every MLP at its clean output (direct effects only)"),
    ])
    nonisolated(unsafe) static let steerOptions = LuaOptionSpec<Freeze>("discern.circuit.SteerOptions", prototype: Freeze(attention: false), [
        .boolean("freeze_attention", \.attention, "keep the clean attention patterns"),
    ])
    struct SpliceOptions { var errors = true }
    nonisolated(unsafe) static let forwardOptions = LuaOptionSpec<SpliceOptions>("discern.circuit.ReplacementForwardOptions",
                                                                                 prototype: SpliceOptions(), [
        .boolean("errors", \.errors, "add the error terms (false: splice the transcoders in)"),
    ])

    /// One node of a graph as Lua sees it (fields by kind).
    struct NodeRow {
        var id: String, kind: AttributionGraph.Kind, position: Int
        var layer: Int?, feature: Int?, activation: Double?, tokenId: Int?, token: String?, probability: Double?, influence: Double?

        init(_ g: AttributionGraph, _ i: Int, influence: Double? = nil) {
            let n = g.nodes[i]
            (id, kind, position, self.influence) = (g.id(i), n.kind, n.position, influence)
            switch n.kind {
            case .feature: (layer, feature, activation) = (n.layer, n.index, Double(n.value))
            case .error: layer = n.layer
            case .token: (tokenId, token) = (n.index, g.tokenStrings[n.position])
            case .logit: (tokenId, token, probability) = (n.index, g.logitToken(n.index), Double(n.value))
            }
        }
    }
    nonisolated(unsafe) static let node = LuaRecordSpec<NodeRow>("discern.circuit.Node", [
        .string("id", \.id, "layer_feature_pos (features)"), .choice("kind", \.kind, "feature, error, token or logit"),
        .integer("position", \.position, "0-based"), .integer("layer", \.layer, "0-based (features and errors)"),
        .integer("feature", \.feature, "features"), .number("activation", \.activation, "features"),
        .integer("token_id", \.tokenId, "tokens and logits"), .string("token", \.token, "tokens and logits"),
        .number("probability", \.probability, "logits"), .number("influence", \.influence, "top_nodes only"),
    ])
    struct Edge { let id: String, weight: Double }
    nonisolated(unsafe) static let edgeIn = LuaRecordSpec<Edge>("discern.circuit.EdgeIn", [
        .string("source", \.id, "the source node's id"), .number("weight", \.weight),
    ])
    nonisolated(unsafe) static let edgeOut = LuaRecordSpec<Edge>("discern.circuit.EdgeOut", [
        .string("target", \.id, "the target node's id"), .number("weight", \.weight),
    ])

    struct GraphInfo {
        let g: AttributionGraph, sumCheck: Double, maxValue: Double
        var nFeatures: Int { g.indices(of: .feature).count }
        var nErrors: Int { g.indices(of: .error).count }
        var nTokens: Int { g.indices(of: .token).count }
        var nLogits: Int { g.indices(of: .logit).count }
        var activeFeatures: Int? { g.metadata["active_features"].flatMap(Int.init) }
        var droppedFraction: Double { g.droppedFraction() }
    }
    nonisolated(unsafe) static let graphInfo = LuaRecordSpec<GraphInfo>("discern.circuit.GraphInfo", [
        .string("prompt", \.g.prompt), .integers("tokens", \.g.tokens, "token ids"), .strings("token_strings", \.g.tokenStrings),
        .integer("n_nodes", \.g.nodes.count), .integer("n_edges", \.g.edgeCount), .integer("n_features", \.nFeatures),
        .integer("n_errors", \.nErrors), .integer("n_tokens", \.nTokens), .integer("n_logits", \.nLogits),
        .integer("active_features", \.activeFeatures), .number("sum_check", \.sumCheck, "max |value − (edges + constant)|"),
        .number("max_value", \.maxValue), .number("dropped_fraction", \.droppedFraction), .boolean("cached", \.g.isFromCache),
        .stringMap("metadata", \.g.metadata),
    ])
    struct Scores { let replacement: Double, completeness: Double }
    nonisolated(unsafe) static let scores = LuaRecordSpec<Scores>("discern.circuit.GraphScores", [
        .number("replacement", \.replacement, "share of logit influence reaching tokens rather than error nodes"),
        .number("completeness", \.completeness, "influence-weighted share of non-error inputs"),
    ])

    enum NodeKind: String, CaseIterable { case feature, error, token }
    struct TopNodesOptions { var kind: NodeKind? }
    nonisolated(unsafe) static let topNodesOptions = LuaOptionSpec<TopNodesOptions>("discern.circuit.TopNodesOptions", prototype: TopNodesOptions(), [
        .choice("kind", \.kind, "only nodes of this kind", default: "all but logits"),
    ])
    struct ExportOptions {
        var slug = "graph", scan = "discern"
        var nodeThreshold = 0.8, edgeThreshold = 0.98
        var labels: [String: String] = [:]
    }
    typealias E = LuaField<ExportOptions>
    nonisolated(unsafe) static let thresholds: [E] = [
        .number("node_threshold", \.nodeThreshold, "cumulative node influence kept"),
        .number("edge_threshold", \.edgeThreshold, "cumulative edge influence kept"),
    ]
    nonisolated(unsafe) static let pruneOptions = LuaOptionSpec<ExportOptions>("discern.circuit.PruneOptions",
                                                                              prototype: ExportOptions(), thresholds)
    nonisolated(unsafe) static let exportOptions = LuaOptionSpec<ExportOptions>("discern.circuit.ExportOptions", prototype: ExportOptions(), [
        E.string("slug", \.slug, "file name (<dir>/<slug>.json)"), .string("scan", \.scan, "the scan (model) name the viewer shows"),
    ] + thresholds + [E.stringMap("labels", \.labels, "{[node id] = text}: node clerps", default: "none")])

    // MARK: functions

    static func defineGraphs(_ m: LuaModuleBuilder) {
        replacementClass.register(in: m.state)
        graphClass.register(in: m.state)
        m.function("replacement_model", "(model: discern.Model, transcoders: discern.Transcoders, opts?: discern.circuit.ReplacementModelOptions) -> discern.ReplacementModel", """
            Pairs a causal model (GPT-2, Llama family) with transcoders that fit it (same layers and width; features read
            ln2.hook_normalized or hook_resid_mid and write hook_mlp_out). Its forward pass is exact: every MLP output is
            the transcoder reconstruction plus an error term. The first zero_positions positions (BOS) have no features.
            """, options: replacementOptions) { call in
            let model = try ModelLua.cls.check(call, 1)
            let t = try transcodersClass.check(call, 2)
            let o = try replacementOptions.read(call, at: 3)
            return call.push(try ReplacementModel(model: model, transcoders: t.value, zeroPositions: o.zeroPositions), replacementClass)
        }
        m.function("attribute", "(prompt: string|integer[], rmodel: discern.ReplacementModel, opts?: discern.circuit.AttributeOptions) -> discern.Graph", """
            The attribution graph of prompt (a string, BOS prepended when missing, or a list of token ids) with
            circuit-tracer's semantics: logit targets are the top logits up to desired_logit_prob; every active feature's
            row of direct effects is computed (or, with max_feature_nodes, the most influential ones, re-ranked every
            update_interval batches); edges are exact in the frozen model. Graphs are cached in the store (the default
            store, or store =) keyed by the model's and transcoders' weights, the tokens and the options; cache = false
            recomputes. Ctrl-C stops with 'interrupted'.
            """, options: attributeOptions) { call in
            try attribute(call, promptIndex: 1, rmIndex: 2, optionsIndex: 3)
        }
        m.function("load_graph", "(path: string) -> discern.Graph", "Reads a graph written by graph:save(path).") { call in
            call.push(try AttributionGraph(contentsOf: try call.string(1)), graphClass)
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
        let rm = try replacementClass.check(call, rmIndex)
        let (tokens, text) = try promptTokens(call, promptIndex, rm)
        let a = try attributeOptions.read(call, at: optionsIndex, into: AttributeArgs(model: rm.model))
        // The cache: the default store unless cache = false.
        let store = a.cache ? try a.store ?? StoreLua.shared() : nil
        let bar = a.progress ? ProgressBar(label: "attribute") : nil
        let control = try LuaProgressControl(call, nil)
        let g: AttributionGraph
        do {
            let progress: (AttributionProgress) -> Void = { p in bar?.update(p.done, p.total, extra: "feature rows") }
            if let store {
                g = try Attribution.cached(in: store, tokens, rm, options: a.options, prompt: text, progress: progress,
                                           shouldStop: { control.shouldStop })
            } else {
                g = try Attribution.attribute(tokens, rm, options: a.options, prompt: text, progress: progress,
                                              shouldStop: { control.shouldStop })
            }
        } catch is CancellationError {
            bar?.finish()
            try control.throwIfInterrupted("(nothing was cached)")
            throw CancellationError()
        }
        bar?.finish()
        return call.push(g, graphClass)
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

    /// Applies the interventions at argument 3 with the freeze options at 4; pushes logits and activations.
    static func intervene(_ call: LuaCall, _ b: ReplacementModel, steering: Bool) throws -> Int32 {
        let (tokens, _) = try promptTokens(call, 2, b)
        let list = try interventionList(call, 3, steering: steering)
        let o = try (steering ? steerOptions : interventionOptions).read(call, at: 4)
        let r = try b.featureIntervention(tokens, list, freezeAttention: o.attention, freezeMLPs: o.mlps)
        TensorLua.cls.push(call.L, r.logits)
        lua_createtable(call.L, Int32(r.activations.count), 0)
        for (k, a) in r.activations.enumerated() {
            TensorLua.cls.push(call.L, a)
            lua_rawseti(call.L, -2, lua_Integer(k + 1))
        }
        return 2
    }

    static func defineReplacementMethods() {
        let cls = replacementClass
        cls.method("tokens", "(prompt: string) -> integer[]", "The prompt's token ids (BOS prepended when missing).") { call, b in
            call.returning(try b.tokens(for: try call.string(2)))
        }
        cls.method("forward", "(prompt: string|integer[], opts?: discern.circuit.ReplacementForwardOptions) -> discern.Tensor", """
            The logits [T, d_vocab]: with errors (the default) equal to the model's own logits; errors = false splices the
            transcoders in.
            """, options: forwardOptions) { call, b in
            let (tokens, _) = try promptTokens(call, 2, b)
            let o = try forwardOptions.read(call, at: 3)
            return call.push(try b.forward(tokens, errors: o.errors), TensorLua.cls)
        }
        cls.method("feature_intervention", "(prompt: string|integer[], interventions: {[1]: integer, [2]: integer?, [3]: integer, [4]: number}[], opts?: discern.circuit.InterventionOptions) -> discern.Tensor, discern.Tensor[]", """
            Sets features ({layer, position, feature, value}: 0-based layer, position and index; position nil = every
            position after BOS) to values and returns logits [T, d_vocab] and activations {per layer [T, d_tc]}; the
            change of each MLP output (value − activation)·W_dec propagates through the model. freeze_attention keeps the
            clean attention patterns; freeze_mlps keeps every MLP at its clean output (direct effects only).
            """, options: interventionOptions) { call, b in
            try intervene(call, b, steering: false)
        }
        cls.method("steer", "(prompt: string|integer[], intervention: {layer: integer, feature: integer, value: number}, opts?: discern.circuit.SteerOptions) -> discern.Tensor, discern.Tensor[]", """
            Sets one feature to value at every position after BOS (steering); returns logits and activations.
            """, options: steerOptions) { call, b in
            try intervene(call, b, steering: true)
        }
        cls.method("attribute", "(prompt: string|integer[], opts?: discern.circuit.AttributeOptions) -> discern.Graph",
                   "The same as discern.circuit.attribute(prompt, rmodel, opts).", options: attributeOptions) { call, _ in
            try attribute(call, promptIndex: 2, rmIndex: 1, optionsIndex: 3)
        }
        cls.method("model", "() -> discern.Model", "The causal model.") { call, b in call.push(b.model, ModelLua.cls) }
    }

    // MARK: discern.Graph

    static func nodeArg(_ call: LuaCall, _ g: AttributionGraph, _ i: Int32) throws -> Int {
        let id = try call.string(i)
        guard let n = g.node(id: id) else { throw LuaError(code: "arg", "\(call.name): no node '\(id)' in this graph") }
        return n
    }

    /// Pushes the edges sorted by |weight|, largest first.
    static func pushEdges(_ call: LuaCall, _ g: AttributionGraph, _ edges: [(Int, Float)], _ spec: LuaRecordSpec<Edge>) throws -> Int32 {
        try call.push(edges.sorted { Swift.abs($0.1) > Swift.abs($1.1) }.map { Edge(id: g.id($0.0), weight: Double($0.1)) }, spec)
    }

    static func defineGraphMethods() {
        let cls = graphClass
        cls.method("info", "() -> discern.circuit.GraphInfo", "Counts, the sum check, the dropped fraction and the metadata.") { call, g in
            let (res, scale) = g.sumCheck()
            return try call.push(GraphInfo(g: g, sumCheck: res, maxValue: scale), graphInfo)
        }
        cls.method("nodes", "() -> discern.circuit.Node[]", """
            The nodes in graph order (features, errors, tokens, logits); ids are layer_feature_pos.
            """) { call, g in
            try call.push(g.nodes.indices.map { NodeRow(g, $0) }, node)
        }
        cls.method("top_nodes", "(k?: integer, opts?: discern.circuit.TopNodesOptions) -> discern.circuit.Node[]", """
            The k (default 10) nodes (logits excluded) with the largest influence on the logits (circuit-tracer's node
            influence), each with its influence.
            """, options: topNodesOptions) { call, g in
            let k = lua_type(call.L, 2) <= LUA_TNIL ? 10 : try call.integer(2)
            guard k >= 0 else { throw call.argError(2, "non-negative integer") }
            let o = try topNodesOptions.read(call, at: 3)
            let kinds: Set<AttributionGraph.Kind> = o.kind.map { [AttributionGraph.Kind(rawValue: $0.rawValue)!] } ?? [.feature, .error, .token]
            let infl = try g.nodeInfluence()
            let order = g.nodes.indices.filter { kinds.contains(g.nodes[$0].kind) }
                .sorted { infl[$0] != infl[$1] ? infl[$0] > infl[$1] : $0 < $1 }.prefix(k)
            return try call.push(order.map { NodeRow(g, $0, influence: infl[$0]) }, node)
        }
        cls.method("node", "(id: string) -> discern.circuit.Node?", "The node with this id, or nil.") { call, g in
            guard let i = g.node(id: try call.string(2)) else { return call.returning(nil as String?) }
            return try call.push(NodeRow(g, i), node)
        }
        cls.method("edges_into", "(id: string) -> discern.circuit.EdgeIn[]", """
            The direct effects on the node's pre-activation (features) or demeaned logit (logits), sorted by |weight|
            (largest first).
            """) { call, g in
            try pushEdges(call, g, g.edges(into: try nodeArg(call, g, 2)).map { ($0.source, $0.weight) }, edgeIn)
        }
        cls.method("edges_from", "(id: string) -> discern.circuit.EdgeOut[]", "The node's outgoing edges, sorted by |weight| (largest first).") { call, g in
            try pushEdges(call, g, g.edges(from: try nodeArg(call, g, 2)).map { ($0.target, $0.weight) }, edgeOut)
        }
        cls.method("scores", "() -> discern.circuit.GraphScores", "circuit-tracer's graph scores.") { call, g in
            let (r, c) = try g.scores()
            return try call.push(Scores(replacement: r, completeness: c), scores)
        }
        cls.method("prune", "(opts?: discern.circuit.PruneOptions) -> discern.Graph", """
            The graph of the kept nodes and edges (circuit-tracer's prune_graph; tokens and logits are always kept).
            """, options: pruneOptions) { call, g in
            let o = try pruneOptions.read(call, at: 2)
            return call.push(try g.pruned(nodeThreshold: o.nodeThreshold, edgeThreshold: o.edgeThreshold), graphClass)
        }
        cls.method("save", "(path: string)", "Writes the graph (safetensors; read it back with discern.circuit.load_graph).") { call, g in
            try g.save(to: try call.string(2))
            return 0
        }
        cls.method("export", "(dir: string, opts?: discern.circuit.ExportOptions) -> string", """
            Writes circuit-tracer's frontend JSON (metadata, qParams, nodes, links) of the pruned graph to <dir>/<slug>.json
            (returned) and adds it to <dir>/graph-metadata.json, so the directory opens in circuit-tracer's graph viewer.
            labels become node clerps.
            """, options: exportOptions) { call, g in
            let dir = try call.string(2)
            let o = try exportOptions.read(call, at: 3)
            return call.returning(try g.exportFrontend(to: dir, slug: o.slug, scan: o.scan, nodeThreshold: o.nodeThreshold,
                                                    edgeThreshold: o.edgeThreshold, labels: o.labels))
        }
    }
}
