// Weights of the frozen ("linearised") model that circuit tracing differentiates through: with
// attention patterns and norm denominators fixed, a block maps its residual input affinely through
// the value/output projections and the norm weights; this file exposes exactly those pieces.
import Tensor

extension Transformer {
    /// The weights one block contributes to the frozen model.
    package struct LinearizedBlock {
        /// Pre-attention norm weight `[d_model]` (and bias for LayerNorm).
        package let ln1Weight: Tensor
        package let ln1Bias: Tensor?
        /// Pre-MLP norm weight `[d_model]` (and bias for LayerNorm).
        package let ln2Weight: Tensor
        package let ln2Bias: Tensor?
        /// Value projection `[n_kv_heads·d_head, d_model]` (`v = x·Wᵀ + b`).
        package let vWeight: Tensor
        package let vBias: Tensor?
        /// Output projection `[d_model, n_heads·d_head]` (`out = z·Wᵀ + b`).
        package let oWeight: Tensor
        package let oBias: Tensor?
    }

    /// Whether the architecture's norms centre their input (LayerNorm) rather than only scale it (RMSNorm).
    package var normsCenter: Bool { config.family.norm == .layerNorm }

    /// The frozen-model weights of block `layer`.
    /// - Throws: `ModelError` for BERT (not causal) or a model with unmerged LoRA adapters.
    package func linearizedBlock(_ layer: Int) throws -> LinearizedBlock {
        guard isCausal else { throw ModelError("circuit tracing needs a causal model; \(config.architectureName) is bidirectional") }
        guard adapters.isEmpty else { throw ModelError("circuit tracing needs merged weights: merge or remove the LoRA adapters first") }
        let b = blocks[layer]
        let v: (Tensor, Tensor?)
        if let qkv = b.qkv {
            let d = config.dModel
            v = (try qkv.weight.narrow(dim: 0, start: 2 * d, length: d), try qkv.bias?.narrow(dim: 0, start: 2 * d, length: d))
        } else {
            v = (b.v!.weight, b.v!.bias)
        }
        return LinearizedBlock(ln1Weight: b.ln1.weight, ln1Bias: b.ln1.bias, ln2Weight: b.ln2.weight, ln2Bias: b.ln2.bias,
                               vWeight: v.0, vBias: v.1, oWeight: b.o.weight, oBias: b.o.bias)
    }

    /// The token embedding matrix `[d_vocab, d_model]`.
    package var tokenEmbeddingMatrix: Tensor { embed }

}
