// Read access to the unembedding and the final norm, for logit-lens style readouts.
import Tensor

extension Transformer {
    /// The unembedding `W_U` as `[d_model, d_vocab]` (TransformerLens's orientation): a causal
    /// model's logits are `ln_final(x) · W_U`. It is the raw Hugging Face `lm_head` (or the tied
    /// input embedding) transposed, with no folding or centring.
    /// - Throws: `ModelError` for BERT, which has no unembedding.
    public func unembeddingMatrix() throws -> Tensor {
        if let ut = unembedT { return ut }
        guard let u = unembed else { throw ModelError("\(config.modelType) has no unembedding") }
        return try u.transpose(0, 1)
    }

    /// The final norm's weight `γ` `[d_model]`, and whether the norm is a LayerNorm (it centres its
    /// input: GPT-2) rather than an RMSNorm (Llama family).
    /// - Throws: `ModelError` for BERT, which has no final norm.
    public func finalNormWeight() throws -> (weight: Tensor, centers: Bool) {
        guard let n = finalNorm else { throw ModelError("\(config.modelType) has no final norm") }
        return (n.weight, config.family.norm == .layerNorm)
    }

    /// A 64-bit content fingerprint of the model (config, every weight and adapter), as 16 hex digits:
    /// two models with the same fingerprint compute the same function.
    /// - Complexity: reads every weight once.
    /// - Throws: `TorchError` when a weight cannot be read.
    package func fingerprintHex() throws -> String { try fingerprint().hex }
}
