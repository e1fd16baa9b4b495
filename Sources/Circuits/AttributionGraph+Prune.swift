// Influence, pruning and graph scores with circuit-tracer's definitions (graph.py), computed over
// the sparse edges: nothing of size N² is materialised or sorted.
import Foundation

extension AttributionGraph {
    /// Result of `prune`: which nodes and edges are kept, and every node's cumulative influence
    /// rank score (circuit-tracer's `cumulative_scores`: the fraction of total influence held by
    /// the nodes at least as influential).
    public struct PruneResult: Sendable {
        public let nodeMask: [Bool]
        /// Parallel to `weights`.
        public let edgeMask: [Bool]
        public let cumulativeScores: [Double]
    }

    /// |A| normalised per target row (each row sums to 1, or 0 when empty), optionally with nodes masked out.
    func normalizedWeights(mask: [Bool]? = nil) -> [Double] {
        var out = [Double](repeating: 0, count: weights.count)
        for t in nodes.indices {
            let range = rowStart[t]..<rowStart[t + 1]
            if let m = mask, !m[t] { continue }
            var sum = 0.0
            for e in range where mask.map({ $0[Int(sources[e])] }) ?? true { sum += Double(Swift.abs(weights[e])) }
            let denom = Swift.max(sum, 1e-10)
            for e in range where mask.map({ $0[Int(sources[e])] }) ?? true { out[e] = Double(Swift.abs(weights[e])) / denom }
        }
        return out
    }

    /// `w·Ā + w·Ā² + …` (the power series terminates on a DAG): influence of every node on the weighted targets.
    /// - Throws: `GraphError` when it does not terminate in 1000 steps (a cycle).
    func influence(normalized: [Double], weights w: [Double]) throws -> [Double] {
        var current = w
        var total = [Double](repeating: 0, count: nodes.count)
        for _ in 0..<1001 {
            var next = [Double](repeating: 0, count: nodes.count)
            var any = false
            for t in nodes.indices where current[t] != 0 {
                for e in rowStart[t]..<rowStart[t + 1] where normalized[e] != 0 {
                    next[Int(sources[e])] += current[t] * normalized[e]
                    any = true
                }
            }
            guard any else { return total }
            for i in total.indices { total[i] += next[i] }
            current = next
        }
        throw GraphError("influence computation did not converge after 1000 iterations (the graph has a cycle)")
    }

    /// Influence of every node on the logits (circuit-tracer's `compute_node_influence`).
    public func nodeInfluence() throws -> [Double] {
        try influence(normalized: normalizedWeights(), weights: logitWeights)
    }

    /// The score at which the sorted cumulative share first reaches `threshold` (circuit-tracer's
    /// `find_threshold`, over the given values; zeros beyond the positive ones never matter).
    static func threshold(_ scores: [Double], keep fraction: Double) -> Double {
        let sorted = scores.filter { $0 > 0 }.sorted(by: >)
        let total = sorted.reduce(0, +)
        guard total > 0 else { return 0 }
        var cum = 0.0
        for v in sorted {
            cum += v
            if cum / total >= fraction { return v }
        }
        return sorted.last!
    }

    /// circuit-tracer's `prune_graph`: keep the nodes holding `nodeThreshold` of the logit influence
    /// (tokens and logits always), then the edges holding `edgeThreshold` of the edge scores
    /// (normalised weight × (influence + logit weight) of the target, in the node-pruned graph), then
    /// repeatedly drop features and errors without a kept outgoing edge and features without a kept
    /// incoming edge. Edge selection sorts only the stored (non-zero) edges.
    /// - Throws: `GraphError` for thresholds outside [0, 1].
    public func pruneMasks(nodeThreshold: Double = 0.8, edgeThreshold: Double = 0.98) throws -> PruneResult {
        guard (0...1).contains(nodeThreshold) else { throw GraphError("node_threshold must be between 0 and 1, got \(nodeThreshold)") }
        guard (0...1).contains(edgeThreshold) else { throw GraphError("edge_threshold must be between 0 and 1, got \(edgeThreshold)") }
        let w = logitWeights
        let infl = try nodeInfluence()
        let nodeCut = Self.threshold(infl, keep: nodeThreshold)
        var nodeMask = nodes.indices.map { infl[$0] >= nodeCut && (infl[$0] > 0 || nodeCut == 0) }
        for i in nodes.indices where nodes[i].kind == .token || nodes[i].kind == .logit { nodeMask[i] = true }

        let normPruned = normalizedWeights(mask: nodeMask)
        var prunedInfl = try influence(normalized: normPruned, weights: w)
        for i in prunedInfl.indices { prunedInfl[i] += w[i] }
        var scores = [Double](repeating: 0, count: weights.count)
        for t in nodes.indices {
            for e in rowStart[t]..<rowStart[t + 1] { scores[e] = normPruned[e] * prunedInfl[t] }
        }
        let edgeCut = Self.threshold(scores, keep: edgeThreshold)
        var edgeMask = scores.map { $0 > 0 && $0 >= edgeCut }

        // Fixpoint: features/errors need a kept outgoing edge, features a kept incoming edge.
        while true {
            var hasOut = [Bool](repeating: false, count: nodes.count)
            var hasIn = [Bool](repeating: false, count: nodes.count)
            for t in nodes.indices {
                for e in rowStart[t]..<rowStart[t + 1] where edgeMask[e] {
                    hasOut[Int(sources[e])] = true
                    hasIn[t] = true
                }
            }
            var changed = false
            for i in nodes.indices where nodeMask[i] {
                let k = nodes[i].kind
                if (k == .feature || k == .error) && !hasOut[i] || k == .feature && !hasIn[i] {
                    nodeMask[i] = false
                    changed = true
                }
            }
            guard changed else { break }
            for t in nodes.indices {
                for e in rowStart[t]..<rowStart[t + 1] where edgeMask[e] && (!nodeMask[t] || !nodeMask[Int(sources[e])]) {
                    edgeMask[e] = false
                }
            }
        }
        // Cumulative influence scores by rank.
        let order = nodes.indices.sorted { infl[$0] != infl[$1] ? infl[$0] > infl[$1] : $0 < $1 }
        let total = infl.reduce(0, +)
        var cumulative = [Double](repeating: 0, count: nodes.count)
        var cum = 0.0
        for i in order {
            cum += infl[i]
            cumulative[i] = total > 0 ? cum / total : 0
        }
        return PruneResult(nodeMask: nodeMask, edgeMask: edgeMask, cumulativeScores: cumulative)
    }

    /// The subgraph of the kept nodes and edges (node order preserved; tokens and logits always kept).
    public func pruned(nodeThreshold: Double = 0.8, edgeThreshold: Double = 0.98) throws -> AttributionGraph {
        let r = try pruneMasks(nodeThreshold: nodeThreshold, edgeThreshold: edgeThreshold)
        return subgraph(nodeMask: r.nodeMask, edgeMask: r.edgeMask, extra: [
            "pruned_node_threshold": String(nodeThreshold), "pruned_edge_threshold": String(edgeThreshold),
        ])
    }

    /// The nodes in `nodeMask` with the edges in `edgeMask` between them.
    public func subgraph(nodeMask: [Bool], edgeMask: [Bool], extra: [String: String] = [:]) -> AttributionGraph {
        var newIndex = [Int32](repeating: -1, count: nodes.count)
        var kept: [Node] = [], checksKept: [TargetCheck] = []
        for i in nodes.indices where nodeMask[i] {
            newIndex[i] = Int32(kept.count)
            kept.append(nodes[i])
            checksKept.append(checks[i])
        }
        var rs = [0], src: [Int32] = [], wt: [Float] = []
        for t in nodes.indices where nodeMask[t] {
            for e in rowStart[t]..<rowStart[t + 1] where edgeMask[e] && newIndex[Int(sources[e])] >= 0 {
                src.append(newIndex[Int(sources[e])])
                wt.append(weights[e])
            }
            rs.append(src.count)
        }
        var meta = metadata
        for (k, v) in extra { meta[k] = v }
        return AttributionGraph(prompt: prompt, tokens: tokens, tokenStrings: tokenStrings, nLayers: nLayers, vocabSize: vocabSize,
                                nodes: kept, rowStart: rs, sources: src, weights: wt, checks: checksKept, metadata: meta)
    }

    /// circuit-tracer's `compute_graph_scores`: the replacement score (share of the logit influence
    /// reaching tokens rather than error nodes) and the completeness score (influence-weighted share
    /// of normalised incoming edges that do not come from error nodes).
    public func scores() throws -> (replacement: Double, completeness: Double) {
        let norm = normalizedWeights()
        let w = logitWeights
        let infl = try influence(normalized: norm, weights: w)
        var tokenInfl = 0.0, errorInfl = 0.0
        for i in nodes.indices {
            switch nodes[i].kind {
            case .token: tokenInfl += infl[i]
            case .error: errorInfl += infl[i]
            default: break
            }
        }
        let replacement = tokenInfl + errorInfl > 0 ? tokenInfl / (tokenInfl + errorInfl) : .nan
        var num = 0.0, den = 0.0
        for t in nodes.indices {
            var errShare = 0.0
            for e in rowStart[t]..<rowStart[t + 1] where nodes[Int(sources[e])].kind == .error { errShare += norm[e] }
            let out = infl[t] + w[t]
            num += (1 - errShare) * out
            den += out
        }
        return (replacement, den > 0 ? num / den : .nan)
    }
}

/// A graph operation that cannot proceed, with the reason.
public struct GraphError: Error, CustomStringConvertible, Sendable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
