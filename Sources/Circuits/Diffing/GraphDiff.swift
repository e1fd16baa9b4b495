// The difference of two attribution graphs over the same prompt, basis and logit targets: a base model's graph
// and an intervened model's, both traced with the base model's transcoders so that nodes are comparable by id.
import Foundation
import JSON

/// Node-, edge- and path-level differences between a base graph and a model graph.
public struct GraphDiff: Sendable {
    /// One node of either graph.
    public struct NodeDelta: Sendable, Equatable {
        /// circuit-tracer id (`layer_feature_pos`, `layer_-1_pos`, `E_token_pos`, `(L+1)_vocab_pos`).
        public var id: String
        public var kind: AttributionGraph.Kind
        public var layer: Int, position: Int, index: Int
        /// "new" (model only), "removed" (base only) or "shared".
        public var status: String
        /// Activation (features) or probability (logits); 0 where absent.
        public var valueBase: Double, valueModel: Double
        /// Influence on the logits (circuit-tracer's node influence); 0 where absent.
        public var influenceBase: Double, influenceModel: Double
        public var influenceDelta: Double { influenceModel - influenceBase }
    }
    /// One edge of either graph.
    public struct EdgeDelta: Sendable, Equatable {
        public var source: String, target: String
        public var weightBase: Double, weightModel: Double
        /// "new", "removed", "strengthened" (|w| grew by half or more, same sign), "weakened" (shrank by a third or
        /// more), "flipped" (sign change) or "unchanged".
        public var status: String
        public var delta: Double { weightModel - weightBase }
    }
    /// The strongest path to a logit target in each graph.
    public struct PathDelta: Sendable, Equatable {
        public var target: String
        /// Node ids from a source (token, error or feature without inputs) to the target; empty when the target is
        /// missing from that graph.
        public var base: [String], model: [String]
        /// Product of the normalised |edge weights| along each path.
        public var scoreBase: Double, scoreModel: Double
        /// The two paths differ in their nodes.
        public var rerouted: Bool { base != model && !base.isEmpty && !model.isEmpty }
    }

    public var nodes: [NodeDelta]
    public var edges: [EdgeDelta]
    public var paths: [PathDelta]
    /// Share of the logit influence held by error nodes, per graph (1 − circuit-tracer's replacement score).
    public var errorShareBase: Double, errorShareModel: Double
    /// Logit targets of only one graph (vocabulary ids), which make the graphs less comparable.
    public var targetsOnlyBase: [Int], targetsOnlyModel: [Int]

    /// Compares `base` with `model`.
    /// - Throws: `GraphError` when the graphs are over different tokens or model sizes.
    public init(base: AttributionGraph, model: AttributionGraph) throws {
        guard base.tokens == model.tokens else { throw GraphError("the two graphs are over different tokens; trace the same prompt") }
        guard base.nLayers == model.nLayers, base.vocabSize == model.vocabSize else {
            throw GraphError("the graphs come from models of different sizes (\(base.nLayers) and \(model.nLayers) layers, vocabularies \(base.vocabSize) and \(model.vocabSize))")
        }
        let ib = try base.nodeInfluence(), im = try model.nodeInfluence()
        var byId: [String: NodeDelta] = [:]
        var order: [String] = []
        func add(_ g: AttributionGraph, _ infl: [Double], isBase: Bool) {
            for i in g.nodes.indices {
                let n = g.nodes[i], id = g.id(i)
                let value = n.kind == .feature || n.kind == .logit ? Double(n.value) : 0
                var d = byId[id] ?? NodeDelta(id: id, kind: n.kind, layer: n.layer, position: n.position, index: n.index,
                                              status: isBase ? "removed" : "new", valueBase: 0, valueModel: 0, influenceBase: 0, influenceModel: 0)
                if byId[id] == nil { order.append(id) } else { d.status = "shared" }
                if isBase { d.valueBase = value; d.influenceBase = infl[i] } else { d.valueModel = value; d.influenceModel = infl[i] }
                byId[id] = d
            }
        }
        add(base, ib, isBase: true)
        add(model, im, isBase: false)
        nodes = order.map { byId[$0]! }
        // Edges by (source id, target id).
        var edgeMap: [String: EdgeDelta] = [:]
        var edgeOrder: [String] = []
        func addEdges(_ g: AttributionGraph, isBase: Bool) {
            for t in g.nodes.indices {
                let tid = g.id(t)
                for e in g.rowStart[t]..<g.rowStart[t + 1] {
                    let sid = g.id(Int(g.sources[e]))
                    let key = sid + ">" + tid
                    var d = edgeMap[key] ?? EdgeDelta(source: sid, target: tid, weightBase: 0, weightModel: 0, status: "")
                    if edgeMap[key] == nil { edgeOrder.append(key) }
                    if isBase { d.weightBase = Double(g.weights[e]) } else { d.weightModel = Double(g.weights[e]) }
                    edgeMap[key] = d
                }
            }
        }
        addEdges(base, isBase: true)
        addEdges(model, isBase: false)
        edges = edgeOrder.map { key in
            var d = edgeMap[key]!
            let (a, b) = (d.weightBase, d.weightModel)
            if a == 0 && b != 0 { d.status = "new" }
            else if b == 0 && a != 0 { d.status = "removed" }
            else if a * b < 0 { d.status = "flipped" }
            else if abs(b) >= 1.5 * abs(a) { d.status = "strengthened" }
            else if abs(b) <= abs(a) / 1.5 { d.status = "weakened" }
            else { d.status = "unchanged" }
            return d
        }
        // Strongest paths to each logit target of either graph.
        let targetsB = Set(base.indices(of: .logit).map { base.nodes[$0].index })
        let targetsM = Set(model.indices(of: .logit).map { model.nodes[$0].index })
        targetsOnlyBase = targetsB.subtracting(targetsM).sorted()
        targetsOnlyModel = targetsM.subtracting(targetsB).sorted()
        var paths: [PathDelta] = []
        let pb = GraphDiff.bestPaths(base), pm = GraphDiff.bestPaths(model)
        for v in targetsB.union(targetsM).sorted() {
            let pos = base.tokens.count - 1
            let id = "\(base.nLayers + 1)_\(v)_\(pos)"
            let a = pb[id] ?? ([], 0), b = pm[id] ?? ([], 0)
            paths.append(PathDelta(target: id, base: a.0, model: b.0, scoreBase: a.1, scoreModel: b.1))
        }
        self.paths = paths
        errorShareBase = try 1 - base.scores().replacement
        errorShareModel = try 1 - model.scores().replacement
    }

    /// For every logit node: the path into it with the largest product of normalised |weights| (each target row's
    /// |weights| sum to 1), found by dynamic programming over the DAG.
    static func bestPaths(_ g: AttributionGraph) -> [String: ([String], Double)] {
        let norm = g.normalizedWeights()
        var best = [Double?](repeating: nil, count: g.nodes.count)
        var prev = [Int](repeating: -1, count: g.nodes.count)
        func solve(_ v: Int, _ depth: Int) -> Double {
            if let b = best[v] { return b }
            let range = g.rowStart[v]..<g.rowStart[v + 1]
            if range.isEmpty || depth > 10_000 { best[v] = 1; return 1 }
            var top = 0.0, arg = -1
            for e in range where norm[e] > 0 {
                let s = Int(g.sources[e])
                let score = norm[e] * solve(s, depth + 1)
                if score > top { top = score; arg = s }
            }
            best[v] = arg < 0 ? 1 : top
            prev[v] = arg
            return best[v]!
        }
        var out: [String: ([String], Double)] = [:]
        for t in g.indices(of: .logit) {
            let score = solve(t, 0)
            var path: [String] = []
            var v = t
            while v >= 0 { path.append(g.id(v)); v = prev[v] }
            out[g.id(t)] = (path.reversed(), score)
        }
        return out
    }

    /// circuit-tracer's frontend JSON of the model graph (pruned as `frontendJSON`) with the difference in node and
    /// link attributes: per node `diff_status`, `activation_base`, `influence_base`, `influence_model`; per link
    /// `weight_base`, `diff_status`. Nodes of the base graph that the model graph lacks are added with
    /// `diff_status` "removed", and the base graph's links between written nodes that the model lacks with weight 0.
    public func frontendJSON(base: AttributionGraph, model: AttributionGraph, slug: String, scan: String,
                             nodeThreshold: Double = 0.8, edgeThreshold: Double = 0.98) throws -> [UInt8] {
        let bytes = try model.frontendJSON(slug: slug, scan: scan, nodeThreshold: nodeThreshold, edgeThreshold: edgeThreshold)
        guard case .object(var doc) = try JSONValue.parse(bytes), case .array(var nodeList)? = doc["nodes"],
              case .array(var links)? = doc["links"] else { throw GraphError("cannot read back the model graph's JSON") }
        var nodeIndex: [String: NodeDelta] = [:]
        for n in nodes { nodeIndex[n.id] = n }
        var edgeIndex: [String: EdgeDelta] = [:]
        for e in edges { edgeIndex[e.source + ">" + e.target] = e }
        var written = Set<String>()
        for i in nodeList.indices {
            guard case .object(var o) = nodeList[i], let id = o["node_id"]?.stringValue else { continue }
            written.insert(id)
            if let d = nodeIndex[id] {
                o["diff_status"] = .string(d.status)
                o["activation_base"] = .double(d.valueBase)
                o["influence_base"] = .double(d.influenceBase)
                o["influence_model"] = .double(d.influenceModel)
            }
            nodeList[i] = .object(o)
        }
        // The base graph's most influential nodes the model graph lacks (as many as its pruning would keep).
        let baseMask = try base.pruneMasks(nodeThreshold: nodeThreshold, edgeThreshold: edgeThreshold)
        for i in base.nodes.indices where baseMask.nodeMask[i] {
            let id = base.id(i)
            guard nodeIndex[id]?.status == "removed", !written.contains(id) else { continue }
            let n = base.nodes[i]
            written.insert(id)
            nodeList.append(.object(JSONObject([("node_id", .string(id)), ("feature", .int(n.kind == .feature ? AttributionGraph.cantor(n.layer, n.index) : -1)),
                ("layer", .string(String(n.layer))), ("ctx_idx", .int(n.position)), ("feature_type", .string(n.kind == .feature ? "cross layer transcoder" : "mlp reconstruction error")),
                ("jsNodeId", .string("\(n.layer)_\(n.index)-removed")), ("clerp", .string("removed in the model")), ("influence", .double(baseMask.cumulativeScores[i])),
                ("activation", .double(Double(n.value))), ("token_prob", .double(0)), ("is_target_logit", .bool(false)), ("run_idx", .int(0)),
                ("reverse_ctx_idx", .int(0)), ("diff_status", .string("removed")), ("activation_base", .double(Double(n.value)))])))
        }
        for i in links.indices {
            guard case .object(var o) = links[i], let s = o["source"]?.stringValue, let t = o["target"]?.stringValue else { continue }
            if let e = edgeIndex[s + ">" + t] {
                o["weight_base"] = .double(e.weightBase)
                o["diff_status"] = .string(e.status)
            }
            links[i] = .object(o)
        }
        for e in edges where e.status == "removed" && written.contains(e.source) && written.contains(e.target) {
            links.append(.object(JSONObject([("source", .string(e.source)), ("target", .string(e.target)), ("weight", .double(0)),
                                             ("weight_base", .double(e.weightBase)), ("diff_status", .string("removed"))])))
        }
        doc["nodes"] = .array(nodeList)
        doc["links"] = .array(links)
        if case .object(var meta)? = doc["metadata"] {
            meta["diff"] = .object(JSONObject([("base_prompt", .string(base.prompt)), ("error_share_base", .double(errorShareBase)),
                                               ("error_share_model", .double(errorShareModel))]))
            doc["metadata"] = .object(meta)
        }
        return JSONValue.object(doc).rendered
    }
}
