// The logit lens of a transcoder feature: which tokens its decoder direction promotes and suppresses.
import Models
import Tensor

/// One vocabulary entry with a score.
public struct TokenScore: Sendable, Equatable {
    /// The token id.
    public let id: Int
    /// The token decoded on its own (nil when the model has no tokenizer).
    public let token: String?
    /// The score (a logit contribution per unit of activation).
    public let score: Double

    /// Creates a scored token.
    public init(id: Int, token: String?, score: Double) {
        self.id = id
        self.token = token
        self.score = score
    }
}

/// The logit lens of one feature: the tokens its output direction raises and lowers most.
///
/// The feature's output direction `d` is its decoder row `W_dec[f]` (`[d_model]`); for a cross-layer
/// transcoder it is the sum of its decoder rows over every output layer it writes, `Σ_{l' ≥ l} W_dec[l, f, l']`.
/// The scores are `s = d · W_U` (`W_U` the model's raw unembedding, `[d_model, d_vocab]`), the
/// direct effect of one unit of activation on each logit when the final norm is ignored. This is
/// what circuit-tracer and Neuronpedia show as a feature's top and bottom logits.
///
/// With `finalNorm`, the final norm's weight `γ` is applied first, as the norm acts on a small
/// change `d` of the residual when its scale is frozen: `s = (c(d) ⊙ γ) · W_U`, where `c(d) = d − mean(d)`
/// for a LayerNorm (GPT-2) and `c(d) = d` for an RMSNorm (Llama family). The norm's bias does not
/// depend on `d` and its `1/scale` factor is positive and common to all tokens, so both are left out.
public struct FeatureLogitLens: Sendable, Equatable {
    /// The feature's layer (0-based).
    public let layer: Int
    /// The feature index within its layer (0-based).
    public let feature: Int
    /// The tokens with the highest scores, highest first.
    public let promoted: [TokenScore]
    /// The tokens with the lowest scores, lowest first.
    public let suppressed: [TokenScore]

    /// Creates a logit-lens result.
    public init(layer: Int, feature: Int, promoted: [TokenScore], suppressed: [TokenScore]) {
        self.layer = layer
        self.feature = feature
        self.promoted = promoted
        self.suppressed = suppressed
    }

    /// Computes the logit lens of several features of one layer at once.
    /// - Parameters:
    ///   - model: the model whose unembedding (and final norm) reads the directions.
    ///   - transcoders: the transcoders holding the features; their width must be the model's.
    ///   - layer: the features' layer (0-based).
    ///   - features: feature indices (0-based) within `layer`.
    ///   - k: how many promoted and suppressed tokens to keep (at most `d_vocab`).
    ///   - finalNorm: apply the final norm's weight (see the type's documentation).
    /// - Returns: one result per feature, in the order given.
    /// - Throws: `FeatureInterpretationError` for a bad layer, feature, `k` or width, or a model
    ///   without an unembedding (BERT); `TorchError`.
    /// - Complexity: one `[n, d_model] × [d_model, d_vocab]` product and two top-k's per call.
    public static func compute(model: Transformer, transcoders: Transcoders, layer: Int, features: [Int], k: Int = 10,
                               finalNorm: Bool = false) throws -> [FeatureLogitLens] {
        guard layer >= 0, layer < transcoders.nLayers else {
            throw FeatureInterpretationError("layer \(layer) is outside 0..<\(transcoders.nLayers)")
        }
        let width = transcoders.dTranscoder(layer: layer)
        if let bad = features.first(where: { $0 < 0 || $0 >= width }) {
            throw FeatureInterpretationError("feature \(bad) is outside 0..<\(width) at layer \(layer)")
        }
        guard model.isCausal else {
            throw FeatureInterpretationError("the logit lens needs a causal model; \(model.config.architectureName) has no unembedding")
        }
        guard transcoders.dModel == model.config.dModel else {
            throw FeatureInterpretationError("the transcoders have d_model \(transcoders.dModel), the model \(model.config.dModel)")
        }
        let vocab = model.config.dVocab
        guard k >= 1, k <= vocab else { throw FeatureInterpretationError("k must be in 1...\(vocab), got \(k)") }
        guard !features.isEmpty else { return [] }
        let scores: Tensor = try Torch.noGrad {
            var d = try transcoders.writeDirections(layer: layer, features: features)
            if finalNorm {
                let (gamma, centers) = try model.finalNormWeight()
                if centers { d = try d - d.mean(dims: [-1], keepdim: true) }
                d = try d * gamma.to(dtype: .float32, device: d.device)
            }
            let wu = try model.unembeddingMatrix().to(dtype: .float32, device: d.device)
            return try d.matmul(wu)
        }
        let top = try scores.topk(k, dim: 1, largest: true)
        let bottom = try scores.topk(k, dim: 1, largest: false)
        let (tv, ti) = (try top.values.to(.float64).doubles(), try top.indices.toArray(Int64.self))
        let (bv, bi) = (try bottom.values.to(.float64).doubles(), try bottom.indices.toArray(Int64.self))
        func entries(_ v: [Double], _ i: [Int64], row: Int) -> [TokenScore] {
            (0..<k).map { j in
                let id = Int(i[row * k + j])
                return TokenScore(id: id, token: model.tokenizer.map { $0.decode([id]) }, score: v[row * k + j])
            }
        }
        return features.enumerated().map { row, f in
            FeatureLogitLens(layer: layer, feature: f, promoted: entries(tv, ti, row: row), suppressed: entries(bv, bi, row: row))
        }
    }
}

extension Transcoders {
    /// The total output directions of `features` of `layer`, `[n, d_model]` in float32: the decoder
    /// rows for a per-layer set, the sum of the decoder rows over every output layer for a cross-layer
    /// transcoder (summed in float32).
    /// - Throws: `TorchError` for ids out of range.
    public func writeDirections(layer: Int, features: [Int]) throws -> Tensor {
        let ids = try Tensor(features.map { Int64($0) }, shape: [features.count])
        switch self {
        case .perLayer(let s):
            let w = try s[layer].wDec
            return try w.indexSelect(dim: 0, index: ids.to(w.device)).to(.float32)
        case .crossLayer(let c):
            let w = try c.wDec(layer: layer)
            return try w.indexSelect(dim: 0, index: ids.to(w.device)).to(.float32).sum(dims: [1])
        }
    }
}
