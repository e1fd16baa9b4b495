// Saving and loading graphs (one safetensors file) and exporting circuit-tracer's frontend JSON.
import Foundation
import JSON
import Models
import Tensor

extension AttributionGraph {
    static let formatName = "discern.attribution_graph"
    static let kinds: [Kind] = [.feature, .error, .token, .logit]

    /// Writes the graph to `path` as safetensors: node arrays, CSR edges and sum-check data as
    /// tensors, prompt, token strings and metadata in the header (readable from Python with
    /// `safetensors.torch.load_file` + `safe_open(...).metadata()`). Written atomically.
    /// - Throws: `SafeTensorsError` on I/O failure.
    public func save(to path: String) throws {
        func i32(_ a: [Int]) throws -> Tensor { try Tensor(a.map { Int32($0) }, shape: [a.count]) }
        let t: [String: Tensor] = [
            "node_kind": try i32(nodes.map { Self.kinds.firstIndex(of: $0.kind)! }),
            "node_layer": try i32(nodes.map(\.layer)),
            "node_position": try i32(nodes.map(\.position)),
            "node_index": try i32(nodes.map(\.index)),
            "node_value": try Tensor(nodes.map(\.value), shape: [nodes.count]),
            "row_start": try Tensor(rowStart.map { Int64($0) }, shape: [rowStart.count]),
            "edge_source": try Tensor(sources, shape: [sources.count]),
            "edge_weight": try Tensor(weights, shape: [weights.count]),
            "check_value": try Tensor(checks.map(\.value), shape: [checks.count]),
            "check_constant": try Tensor(checks.map(\.constant), shape: [checks.count]),
            "check_dropped": try Tensor(checks.map(\.dropped), shape: [checks.count]),
            "check_dropped_abs": try Tensor(checks.map(\.droppedAbs), shape: [checks.count]),
            "tokens": try Tensor(tokens.map { Int64($0) }, shape: [tokens.count]),
        ]
        var meta = JSONObject()
        for (k, v) in metadata.sorted(by: { $0.key < $1.key }) { meta[k] = .string(v) }
        let header: [String: String] = [
            "format": Self.formatName, "version": "1", "prompt": prompt, "n_layers": String(nLayers), "vocab_size": String(vocabSize),
            "token_strings": String(decoding: JSONValue.array(tokenStrings.map { .string($0) }).rendered, as: UTF8.self),
            "metadata": String(decoding: JSONValue.object(meta).rendered, as: UTF8.self),
        ]
        try SafeTensors.write(t, metadata: header, to: path)
    }

    /// Reads a graph written by `save(to:)`.
    /// - Throws: `GraphError` naming the file when it is not a Discern graph or is inconsistent;
    ///   `SafeTensorsError` when it is not a safetensors file.
    public convenience init(contentsOf path: String) throws {
        try self.init(file: SafeTensorsFile(path: path))
    }

    /// Reads a graph from an open safetensors file (from disk or from bytes); errors name `f.path`.
    /// - Throws: `GraphError` as `init(contentsOf:)`.
    package convenience init(file f: SafeTensorsFile) throws {
        let path = f.path
        let h = f.header.metadata
        guard h["format"] == Self.formatName else { throw GraphError("\(path): not a Discern attribution graph (format \(h["format"] ?? "missing"))") }
        guard let nl = h["n_layers"].flatMap(Int.init), let vs = h["vocab_size"].flatMap(Int.init), let prompt = h["prompt"],
              let ts = h["token_strings"], let tsv = try? JSONValue.parse(Array(ts.utf8)), let strings = tsv.arrayValue?.compactMap(\.stringValue)
        else { throw GraphError("\(path): the graph header lacks n_layers, vocab_size, prompt or token_strings") }
        func ints(_ n: String) throws -> [Int] {
            guard f.entry(n) != nil else { throw GraphError("\(path): missing tensor \(n)") }
            return try f.tensor(n).to(.int64).toArray(Int64.self).map { Int($0) }
        }
        func floats(_ n: String) throws -> [Float] {
            guard f.entry(n) != nil else { throw GraphError("\(path): missing tensor \(n)") }
            return try f.tensor(n).to(.float32).floats()
        }
        let kind = try ints("node_kind"), layer = try ints("node_layer"), pos = try ints("node_position"), idx = try ints("node_index")
        let value = try floats("node_value")
        let n = kind.count
        guard [layer.count, pos.count, idx.count, value.count].allSatisfy({ $0 == n }), kind.allSatisfy({ (0..<4).contains($0) }) else {
            throw GraphError("\(path): node arrays disagree in length or hold unknown kinds")
        }
        let rowStart = try ints("row_start")
        // Sources are node indices: checked against the node count before narrowing (an int64 file
        // with a source past Int32 trapped).
        let wide = try ints("edge_source"), w = try floats("edge_weight")
        guard rowStart.count == n + 1, rowStart.first == 0, rowStart.last == wide.count, wide.count == w.count,
              zip(rowStart, rowStart.dropFirst()).allSatisfy({ $0 <= $1 }), wide.allSatisfy({ $0 >= 0 && $0 < n }) else {
            throw GraphError("\(path): edge arrays are inconsistent with \(n) nodes")
        }
        let src = wide.map { Int32($0) }
        let cv = try floats("check_value"), cc = try floats("check_constant"), cd = try floats("check_dropped"), ca = try floats("check_dropped_abs")
        guard [cv.count, cc.count, cd.count, ca.count].allSatisfy({ $0 == n }) else { throw GraphError("\(path): check arrays disagree with the nodes") }
        var meta: [String: String] = [:]
        if let m = h["metadata"], let mv = try? JSONValue.parse(Array(m.utf8)), let obj = mv.objectValue {
            for k in obj.keys { if let s = obj[k]?.stringValue { meta[k] = s } }
        }
        self.init(prompt: prompt, tokens: try ints("tokens"), tokenStrings: strings, nLayers: nl, vocabSize: vs,
                  nodes: (0..<n).map { Node(kind: Self.kinds[kind[$0]], layer: layer[$0], position: pos[$0], index: idx[$0], value: value[$0]) },
                  rowStart: rowStart, sources: src, weights: w,
                  checks: (0..<n).map { TargetCheck(value: cv[$0], constant: cc[$0], dropped: cd[$0], droppedAbs: ca[$0]) }, metadata: meta)
    }

    /// Cantor pairing (circuit-tracer's feature id for the frontend).
    static func cantor(_ x: Int, _ y: Int) -> Int { (x + y) * (x + y + 1) / 2 + y }

    /// circuit-tracer's frontend graph JSON (`metadata`, `qParams`, `nodes`, `links`; schema version 1).
    ///
    /// Prunes at the given thresholds first (as `create_graph_files`), so only kept nodes and edges
    /// are written; `influence` is each node's cumulative influence score. `labels` maps node ids to
    /// `clerp` strings (feature interpretations). Error nodes use the id `layer_-1_pos` (circuit-tracer
    /// after its fix for colliding error and feature ids).
    public func frontendJSON(slug: String, scan: String, nodeThreshold: Double = 0.8, edgeThreshold: Double = 0.98,
                             labels: [String: String] = [:]) throws -> [UInt8] {
        let r = try pruneMasks(nodeThreshold: nodeThreshold, edgeThreshold: edgeThreshold)
        let logitNodes = indices(of: .logit)
        var nodeJSON: [Int: JSONValue] = [:]
        for i in nodes.indices where r.nodeMask[i] {
            let n = nodes[i]
            var o = JSONObject()
            let nid = id(i)
            o["node_id"] = .string(nid)
            switch n.kind {
            case .feature:
                o["feature"] = .int(Self.cantor(n.layer, n.index))
                o["layer"] = .string(String(n.layer))
                o["feature_type"] = .string("cross layer transcoder")
                o["jsNodeId"] = .string("\(n.layer)_\(n.index)-0")
            case .error:
                o["feature"] = .int(-1)
                o["layer"] = .string(String(n.layer))
                o["feature_type"] = .string("mlp reconstruction error")
                o["jsNodeId"] = .string("\(n.layer)_\(n.position)-0")
            case .token:
                o["feature"] = .int(n.position)
                o["layer"] = .string("E")
                o["feature_type"] = .string("embedding")
                o["jsNodeId"] = .string("E_\(n.index)-\(n.position)")
            case .logit:
                o["feature"] = .int(n.index)
                o["layer"] = .string(String(nLayers + 1))
                o["feature_type"] = .string("logit")
                o["jsNodeId"] = .string("L_\(n.index)-\(n.position)")
            }
            o["ctx_idx"] = .int(n.position)
            o["token_prob"] = .double(n.kind == .logit ? Double(n.value) : 0)
            o["is_target_logit"] = .bool(n.kind == .logit && i == logitNodes.first)
            o["run_idx"] = .int(0)
            o["reverse_ctx_idx"] = .int(0)
            var clerp = labels[nid] ?? ""
            if n.kind == .logit, clerp.isEmpty {
                clerp = "Output \"\(logitToken(n.index))\" (p=\(String(format: "%.3f", n.value)))"
            }
            o["clerp"] = .string(clerp)
            o["influence"] = n.kind == .logit ? .null : .double(r.cumulativeScores[i])
            o["activation"] = n.kind == .feature ? .double(Double(n.value)) : .null
            nodeJSON[i] = .object(o)
        }
        var links: [JSONValue] = []
        var connected = Set<Int>()
        for t in nodes.indices where nodeJSON[t] != nil {
            for e in rowStart[t]..<rowStart[t + 1] where r.edgeMask[e] && nodeJSON[Int(sources[e])] != nil {
                let s = Int(sources[e])
                links.append(.object(JSONObject([("source", .string(id(s))), ("target", .string(id(t))), ("weight", .double(Double(weights[e])))])))
                connected.insert(s)
                connected.insert(t)
            }
        }
        let used = nodes.indices.filter { i in
            nodeJSON[i] != nil && (connected.contains(i) || nodes[i].kind == .token || nodes[i].kind == .logit)
        }
        let meta = JSONObject([
            ("slug", .string(slug)), ("scan", .string(scan)), ("transcoder_list", .array([])),
            ("prompt_tokens", .array(tokenStrings.map { .string(Self.displayToken($0)) })), ("prompt", .string(prompt)),
            ("node_threshold", .double(nodeThreshold)), ("schema_version", .int(1)),
        ])
        let q = JSONObject([("pinnedIds", .array([])), ("supernodes", .array([])), ("linkType", .string("both")),
                            ("clickedId", .string("")), ("sg_pos", .string(""))])
        let doc = JSONObject([("metadata", .object(meta)), ("qParams", .object(q)), ("nodes", .array(used.map { nodeJSON[$0]! })),
                              ("links", .array(links))])
        return JSONValue.object(doc).rendered
    }

    /// The token string of vocabulary id `v` if it is in the prompt's tokens, else `#v`.
    public func logitToken(_ v: Int) -> String {
        if let names = metadata["logit_tokens"], let parsed = try? JSONValue.parse(Array(names.utf8)), let obj = parsed.objectValue,
           let s = obj[String(v)]?.stringValue { return s }
        if let p = tokens.firstIndex(of: v) { return tokenStrings[p] }
        return "#\(v)"
    }

    /// circuit-tracer's `process_token`: visible newlines and tabs.
    static func displayToken(_ s: String) -> String {
        s.replacingOccurrences(of: "\n", with: "⏎").replacingOccurrences(of: "\t", with: "→").replacingOccurrences(of: "\r", with: "↵")
    }

    /// Writes `<dir>/<slug>.json` and adds the graph to `<dir>/graph-metadata.json` (the frontend's index).
    /// - Returns: the path of the graph file.
    public func exportFrontend(to dir: String, slug: String, scan: String, nodeThreshold: Double = 0.8, edgeThreshold: Double = 0.98,
                               labels: [String: String] = [:]) throws -> String {
        let bytes = try frontendJSON(slug: slug, scan: scan, nodeThreshold: nodeThreshold, edgeThreshold: edgeThreshold, labels: labels)
        do { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) } catch {
            throw GraphError("\(dir): cannot create directory: \(error)")
        }
        let file = (dir as NSString).appendingPathComponent(slug + ".json")
        try Data(bytes).write(to: URL(fileURLWithPath: file), options: .atomic)
        // The index: {"graphs": [metadata…]}, one entry per slug.
        let indexPath = (dir as NSString).appendingPathComponent("graph-metadata.json")
        var graphs: [JSONValue] = []
        if let data = FileManager.default.contents(atPath: indexPath) {
            guard let v = try? JSONValue.parse(Array(data)), let list = v["graphs"]?.arrayValue else {
                throw GraphError("\(indexPath): not a graph index ({\"graphs\": [...]}); move it away or fix it")
            }
            graphs = list.filter { $0["slug"]?.stringValue != slug }
        }
        guard let doc = try? JSONValue.parse(bytes), let meta = doc["metadata"] else { throw GraphError("internal: exported JSON does not parse") }
        graphs.append(meta)
        try Data(JSONValue.object(JSONObject([("graphs", .array(graphs))])).rendered).write(to: URL(fileURLWithPath: indexPath), options: .atomic)
        return file
    }
}
