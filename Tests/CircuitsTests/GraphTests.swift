import Circuits
import Foundation
import Models
import Store
import Tensor
import Testing
import TestSupport

/// circuit-tracer's graph.py written densely (the reference for the sparse implementation).
enum DenseReference {
    static func normalize(_ a: [[Double]]) -> [[Double]] {
        a.map { row in
            let s = Swift.max(row.reduce(0) { $0 + Swift.abs($1) }, 1e-10)
            return row.map { Swift.abs($0) / s }
        }
    }

    static func influence(_ a: [[Double]], _ w: [Double]) -> [Double] {
        let n = w.count
        func step(_ x: [Double]) -> [Double] {
            var y = [Double](repeating: 0, count: n)
            for t in 0..<n where x[t] != 0 { for s in 0..<n { y[s] += x[t] * a[t][s] } }
            return y
        }
        var cur = step(w), total = cur
        while cur.contains(where: { $0 != 0 }) {
            cur = step(cur)
            for i in 0..<n { total[i] += cur[i] }
        }
        return total
    }

    static func threshold(_ scores: [Double], _ f: Double) -> Double {
        let s = scores.sorted(by: >)
        let total = s.reduce(0, +)
        var cum = 0.0
        for (i, v) in s.enumerated() {
            cum += v
            if cum / total >= f { return s[i] }
        }
        return s.last!
    }

    /// prune_graph: (node mask, edge mask [t][s]).
    static func prune(_ g: AttributionGraph, _ nt: Double, _ et: Double) -> ([Bool], [[Bool]]) {
        let n = g.nodes.count
        let a = denseAdjacency(g)
        let w = g.logitWeights
        let infl = influence(normalize(a), w)
        let cut = threshold(infl, nt)
        var nodeMask = infl.map { $0 >= cut }
        for i in 0..<n where g.nodes[i].kind == .token || g.nodes[i].kind == .logit { nodeMask[i] = true }
        var pruned = a
        for t in 0..<n { for s in 0..<n where !nodeMask[t] || !nodeMask[s] { pruned[t][s] = 0 } }
        let np = normalize(pruned)
        var pinf = influence(np, w)
        for i in 0..<n { pinf[i] += w[i] }
        var scores = np
        for t in 0..<n { for s in 0..<n { scores[t][s] = np[t][s] * pinf[t] } }
        let ecut = threshold(scores.flatMap { $0 }, et)
        var edge = scores.map { $0.map { $0 >= ecut && $0 > 0 } }
        var changed = true
        while changed {
            changed = false
            for i in 0..<n where nodeMask[i] {
                let k = g.nodes[i].kind
                let hasOut = (0..<n).contains { edge[$0][i] }, hasIn = edge[i].contains(true)
                if (k == .feature || k == .error) && !hasOut || k == .feature && !hasIn {
                    nodeMask[i] = false
                    changed = true
                }
            }
            for t in 0..<n { for s in 0..<n where !nodeMask[t] || !nodeMask[s] { edge[t][s] = false } }
        }
        return (nodeMask, edge)
    }
}

@Suite("Attribution graphs: pruning, scores, files, frontend JSON", .serialized)
struct GraphTests {
    /// A hand-made graph: 2 features, 2×2 error nodes, 2 tokens, 2 logits.
    func handGraph() -> AttributionGraph {
        typealias N = AttributionGraph.Node
        let nodes: [N] = [
            N(kind: .feature, layer: 0, position: 1, index: 3, value: 1.5), N(kind: .feature, layer: 1, position: 1, index: 0, value: 0.5),
            N(kind: .error, layer: 0, position: 0, index: -1, value: 0), N(kind: .error, layer: 0, position: 1, index: -1, value: 0),
            N(kind: .error, layer: 1, position: 0, index: -1, value: 0), N(kind: .error, layer: 1, position: 1, index: -1, value: 0),
            N(kind: .token, layer: -1, position: 0, index: 0, value: 0), N(kind: .token, layer: -1, position: 1, index: 7, value: 0),
            N(kind: .logit, layer: 2, position: 1, index: 4, value: 0.7), N(kind: .logit, layer: 2, position: 1, index: 9, value: 0.2),
        ]
        // Rows: f0 ← tok1 (1), err(0,1) (−1); f1 ← f0 (3), tok1 (1); logit4 ← f1 (2), err(1,1) (1), tok1 (−1); logit9 ← f0 (0.5), tok0 (0.1)
        let rows: [[(Int32, Float)]] = [[(3, -1), (7, 1)], [(0, 3), (7, 1)], [], [], [], [], [], [], [(1, 2), (5, 1), (7, -1)], [(0, 0.5), (6, 0.1)]]
        var rs = [0], src: [Int32] = [], w: [Float] = []
        for r in rows {
            for (s, v) in r { src.append(s); w.append(v) }
            rs.append(src.count)
        }
        let checks = nodes.map { _ in AttributionGraph.TargetCheck(value: .nan, constant: .nan, dropped: 0, droppedAbs: 0) }
        return AttributionGraph(prompt: "ab", tokens: [0, 7], tokenStrings: ["<s>", "b"], nLayers: 2, vocabSize: 10, nodes: nodes,
                                rowStart: rs, sources: src, weights: w, checks: checks, metadata: [:])
    }

    @Test("influence and scores equal the dense power series on a hand-made graph")
    func handMade() throws {
        let g = handGraph()
        let ref = DenseReference.influence(DenseReference.normalize(denseAdjacency(g)), g.logitWeights)
        let infl = try g.nodeInfluence()
        for i in ref.indices { #expect(Swift.abs(infl[i] - ref[i]) <= 1e-12) }
        // By hand: logit4 row normalised = f1 0.5, err 0.25, tok1 0.25 (weight 0.7); logit9 row: f0 0.5/0.6, tok0 0.1/0.6 (0.2).
        #expect(Swift.abs(infl[1] - 0.35) <= 1e-7)  // 0.7 is stored as a Float
        let (rep, comp) = try g.scores()
        var tokenI = 0.0, errI = 0.0
        for i in g.nodes.indices {
            if g.nodes[i].kind == .token { tokenI += ref[i] }
            if g.nodes[i].kind == .error { errI += ref[i] }
        }
        #expect(Swift.abs(rep - tokenI / (tokenI + errI)) <= 1e-12)
        #expect(comp > 0 && comp < 1)
        let p = try g.pruned(nodeThreshold: 1.0, edgeThreshold: 1.0)
        #expect(p.indices(of: .token).count == 2 && p.indices(of: .logit).count == 2)
        #expect(throws: GraphError.self) { _ = try g.pruneMasks(nodeThreshold: 1.5) }
    }

    @Test("sparse pruning equals circuit-tracer's dense prune_graph on real graphs; pruned graphs keep tokens and logits")
    func pruningMatchesDense() throws {
        for kind in ["plt", "clt"] {
            let f = try TracingFixture(kind: kind)
            let g = try Attribution.attribute(f.tokens, f.rm)
            for (nt, et) in [(0.8, 0.98), (0.5, 0.9), (0.95, 0.7)] {
                let sparse = try g.pruneMasks(nodeThreshold: nt, edgeThreshold: et)
                let (nodeMask, edgeMask) = DenseReference.prune(g, nt, et)
                #expect(sparse.nodeMask == nodeMask, "\(kind) \(nt)/\(et)")
                var e = 0
                for t in g.nodes.indices {
                    for (s, _) in g.edges(into: t) {
                        #expect(sparse.edgeMask[e] == edgeMask[t][s])
                        e += 1
                    }
                }
                let p = try g.pruned(nodeThreshold: nt, edgeThreshold: et)
                #expect(p.indices(of: .token).count == f.tokens.count)
                #expect(p.indices(of: .logit).count == g.indices(of: .logit).count)
                #expect(p.nodes.count < g.nodes.count && p.edgeCount < g.edgeCount)
                for i in p.indices(of: .feature) { #expect(!p.edges(into: i).isEmpty && !p.edges(from: i).isEmpty) }
            }
            let (rep, comp) = try g.scores()
            #expect(rep > 0 && rep < 1 && comp > 0 && comp < 1)
        }
    }

    @Test("graphs are cached in the store: a second call reads it, other options miss, a foreign entry is an error")
    func storeCache() throws {
        let dir = try Support.tempDir("graph-cache")
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = try Store(path: dir.appendingPathComponent("store.sqlite").path)
        let f = try TracingFixture()
        var rows = 0
        let first = try Attribution.cached(in: store, f.tokens, f.rm, progress: { _ in rows += 1 })
        #expect(!first.isFromCache && rows > 0)
        rows = 0
        let again = try Attribution.cached(in: store, f.tokens, f.rm, progress: { _ in rows += 1 })
        #expect(again.isFromCache && rows == 0, "a hit computes nothing")
        #expect(again.nodes == first.nodes && again.sources == first.sources && again.weights == first.weights)
        var other = AttributionOptions()
        other.maxNLogits = 1
        #expect(try !Attribution.cached(in: store, f.tokens, f.rm, options: other).isFromCache)
        let key = try Attribution.cacheKey(f.tokens, f.rm, options: AttributionOptions())
        try store.put(key, kind: "something_else", bytes: [1, 2, 3])
        #expect(throws: GraphError.self) { _ = try Attribution.cached(in: store, f.tokens, f.rm) }
        #expect(throws: GraphError.self) { _ = try AttributionGraph(serialized: [1, 2, 3]) }
    }

    @Test("save and load round-trip a graph; a foreign or damaged file is rejected")
    func files() throws {
        let f = try TracingFixture()
        let g = try Attribution.attribute(f.tokens, f.rm)
        let dir = try Support.tempDir("graph")
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("g.safetensors").path
        try g.save(to: path)
        let h = try AttributionGraph(contentsOf: path)
        #expect(h.nodes == g.nodes && h.rowStart == g.rowStart && h.sources == g.sources && h.weights == g.weights)
        #expect(h.tokens == g.tokens && h.tokenStrings == g.tokenStrings && h.prompt == g.prompt && h.metadata == g.metadata)
        #expect(h.sumCheck().maxResidual == g.sumCheck().maxResidual)
        let other = dir.appendingPathComponent("w.safetensors").path
        try SafeTensors.write(["x": try Tensor.zeros([2])], to: other)
        #expect(throws: GraphError.self) { _ = try AttributionGraph(contentsOf: other) }
        try Data("not safetensors".utf8).write(to: URL(fileURLWithPath: other))
        #expect(throws: (any Error).self) { _ = try AttributionGraph(contentsOf: other) }
    }

    @Test("frontend JSON validates against circuit-tracer's schema and lists the pruned graph",
          .enabled(if: Support.devPython != nil, "needs the dev Python (Scripts/setup or $DISCERN_PYTHON)"))
    func frontendJSON() throws {
        let py = try #require(Support.devPython)
        let f = try TracingFixture()
        let g = try Attribution.attribute(f.tokens, f.rm)
        let dir = try Support.tempDir("graphjson")
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = try g.exportFrontend(to: dir.path, slug: "fixture", scan: "test-scan", labels: [g.id(0): "first feature"])
        _ = try g.exportFrontend(to: dir.path, slug: "fixture2", scan: "test-scan")
        let script = Support.repoRoot.appendingPathComponent("Scripts/dev/validate_graph_json.py").path
        let res = try Support.run(URL(fileURLWithPath: py), [script, file, dir.path])
        #expect(res.status == 0, "\(res.stdout)\(res.stderr)")
        let doc = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: file))) as! [String: Any]
        let nodes = doc["nodes"] as! [[String: Any]]
        let pruned = try g.pruned()
        #expect(nodes.filter { $0["feature_type"] as? String == "embedding" }.count == f.tokens.count)
        #expect(nodes.count <= pruned.nodes.count)
        let index = try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("graph-metadata.json"))) as! [String: Any]
        #expect((index["graphs"] as! [[String: Any]]).count == 2)
        // A broken script run must fail: a file that is not a graph.
        try Data("{}".utf8).write(to: dir.appendingPathComponent("bad.json"))
        #expect(try Support.run(URL(fileURLWithPath: py), [script, dir.appendingPathComponent("bad.json").path]).status != 0)
    }
}
