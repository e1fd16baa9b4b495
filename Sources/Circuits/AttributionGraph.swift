// An attribution graph: nodes (features, error nodes, token embeddings, logits) and sparse edges
// (direct effects in the frozen replacement model), with what is needed to check and prune it.
import Foundation

/// An attribution graph over one prompt.
///
/// Nodes are listed in circuit-tracer's order — features, error nodes, token embeddings, logits —
/// after pruning only the kept ones. Edges are stored sparsely by target: `rowStart[t]..<rowStart[t+1]`
/// index `sources`/`weights`, the direct effects on node `t` (its pre-activation for a feature, its
/// demeaned logit for a logit). Error and token nodes have no incoming edges. Coordinates are 0-based.
public final class AttributionGraph {
    /// What a node stands for.
    public enum Kind: String, Sendable {
        case feature, error, token, logit
    }

    /// One node.
    public struct Node: Sendable, Equatable {
        /// What it stands for.
        public var kind: Kind
        /// Layer (features and errors), -1 for tokens, `n_layers` for logits.
        public var layer: Int
        /// Token position (the last one for logits).
        public var position: Int
        /// Feature index (features), vocabulary id (tokens and logits), -1 (errors).
        public var index: Int
        /// Activation (features), probability (logits), 0 otherwise.
        public var value: Float

        public init(kind: Kind, layer: Int, position: Int, index: Int, value: Float) {
            self.kind = kind
            self.layer = layer
            self.position = position
            self.index = index
            self.value = value
        }
    }

    /// Per-target bookkeeping of the sum check (NaN for nodes without incoming edges).
    public struct TargetCheck: Sendable {
        /// The target's value in the clean run (pre-activation or demeaned logit).
        public var value: Float
        /// The part no node explains: biases, b_dec, position-embedding and zeroed-position terms.
        public var constant: Float
        /// Σ of the edges from features that were active but not visited (`max_feature_nodes`).
        public var dropped: Float
        /// Σ |edges| from dropped features.
        public var droppedAbs: Float

        public init(value: Float, constant: Float, dropped: Float, droppedAbs: Float) {
            self.value = value
            self.constant = constant
            self.dropped = dropped
            self.droppedAbs = droppedAbs
        }
    }

    /// The prompt as given (or decoded from the tokens).
    public let prompt: String
    /// Token ids.
    public let tokens: [Int]
    /// Token strings (for display).
    public let tokenStrings: [String]
    /// Number of layers of the model.
    public let nLayers: Int
    /// Vocabulary size.
    public let vocabSize: Int
    /// Nodes in graph order.
    public let nodes: [Node]
    /// CSR row starts, `nodes.count + 1`.
    public let rowStart: [Int]
    /// Source node of each edge.
    public let sources: [Int32]
    /// Weight of each edge.
    public let weights: [Float]
    /// Sum-check data per node (`value` NaN for nodes without incoming edges).
    public let checks: [TargetCheck]
    /// Free-form metadata (model, transcoders, options, timings; string values).
    public var metadata: [String: String]
    /// True when this graph was read from a store's cache instead of computed (not saved with the graph).
    public var isFromCache = false

    /// Creates a graph; `rowStart`, `sources`, `weights` and `checks` must agree with `nodes`.
    public init(prompt: String, tokens: [Int], tokenStrings: [String], nLayers: Int, vocabSize: Int, nodes: [Node],
                rowStart: [Int], sources: [Int32], weights: [Float], checks: [TargetCheck], metadata: [String: String]) {
        precondition(rowStart.count == nodes.count + 1 && checks.count == nodes.count && sources.count == weights.count
                     && rowStart.last == sources.count, "inconsistent graph arrays")
        self.prompt = prompt
        self.tokens = tokens
        self.tokenStrings = tokenStrings
        self.nLayers = nLayers
        self.vocabSize = vocabSize
        self.nodes = nodes
        self.rowStart = rowStart
        self.sources = sources
        self.weights = weights
        self.checks = checks
        self.metadata = metadata
    }

    /// Number of edges.
    public var edgeCount: Int { weights.count }

    /// Indices of nodes of `kind`.
    public func indices(of kind: Kind) -> [Int] { nodes.indices.filter { nodes[$0].kind == kind } }

    /// The logit nodes' probabilities, in node order (the weights pruning starts from).
    public var logitWeights: [Double] {
        nodes.map { $0.kind == .logit ? Double($0.value) : 0 }
    }

    /// Node id as in circuit-tracer's frontend: `layer_feature_pos` for features, `layer_-1_pos`
    /// for error nodes, `E_token_pos` for tokens, `(n_layers+1)_vocab_pos` for logits.
    public func id(_ i: Int) -> String {
        let n = nodes[i]
        switch n.kind {
        case .feature: return "\(n.layer)_\(n.index)_\(n.position)"
        case .error: return "\(n.layer)_-1_\(n.position)"
        case .token: return "E_\(n.index)_\(n.position)"
        case .logit: return "\(nLayers + 1)_\(n.index)_\(n.position)"
        }
    }

    /// The node with id `id`, if any.
    public func node(id: String) -> Int? {
        if idIndex == nil { idIndex = Dictionary(nodes.indices.map { (self.id($0), $0) }, uniquingKeysWith: { a, _ in a }) }
        return idIndex![id]
    }
    private var idIndex: [String: Int]?

    /// Incoming edges of node `t`: (source node, weight).
    public func edges(into t: Int) -> [(source: Int, weight: Float)] {
        (rowStart[t]..<rowStart[t + 1]).map { (Int(sources[$0]), weights[$0]) }
    }

    /// Outgoing edges of node `s`: (target node, weight). (Scans every edge.)
    public func edges(from s: Int) -> [(target: Int, weight: Float)] {
        var out: [(Int, Float)] = []
        let s32 = Int32(s)
        for t in nodes.indices {
            for e in rowStart[t]..<rowStart[t + 1] where sources[e] == s32 { out.append((t, weights[e])) }
        }
        return out
    }

    /// Largest |value − (Σ incoming edges + dropped + constant)| over targets (the sum check; ~1e-5
    /// in float32 for an exact graph), and the largest |value| for scale. Only meaningful on an
    /// unpruned graph: pruning removes edges but keeps the clean values.
    public func sumCheck() -> (maxResidual: Double, maxValue: Double) {
        var worst = 0.0, scale = 0.0
        for t in nodes.indices where !checks[t].value.isNaN {
            var s = Double(checks[t].constant) + Double(checks[t].dropped)
            for e in rowStart[t]..<rowStart[t + 1] { s += Double(weights[e]) }
            worst = Swift.max(worst, Swift.abs(Double(checks[t].value) - s))
            scale = Swift.max(scale, Swift.abs(Double(checks[t].value)))
        }
        return (worst, scale)
    }

    /// Σ over targets of the dropped-feature mass relative to all incoming |edges| (0 when every active feature was visited).
    public func droppedFraction() -> Double {
        var dropped = 0.0, total = 0.0
        for t in nodes.indices where !checks[t].value.isNaN {
            dropped += Double(checks[t].droppedAbs)
            total += Double(checks[t].droppedAbs)
            for e in rowStart[t]..<rowStart[t + 1] { total += Double(Swift.abs(weights[e])) }
        }
        return total > 0 ? dropped / total : 0
    }
}
