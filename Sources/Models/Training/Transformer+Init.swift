// Fresh, seeded weights for models trained from scratch.
import Foundation
import Tensor
import Tokenizers

extension Transformer {
    /// Creates a model with freshly drawn weights, initialised as HF transformers initialises a new
    /// GPT-2 (`GPT2PreTrainedModel._init_weights`) or Llama (each family's `initialWeights`).
    ///
    /// Every linear weight and both embeddings are drawn from normal(0, σ) with
    /// σ = `config.initializerRange` (0.02 by default); biases are 0, LayerNorm/RMSNorm weights 1 and
    /// LayerNorm biases 0. GPT-2's residual output projections (`attn.c_proj.weight`,
    /// `mlp.c_proj.weight`) are drawn with σ / √(2 · n_layer), as in GPT-2, HF and nanoGPT (Llama has
    /// no such scaling in HF). Embeddings are tied when the config says so (GPT-2's default).
    ///
    /// The draws come from one backend generator seeded with `seed`, in float32, in a fixed order
    /// (embeddings, then block by block, then the final norm and an untied unembedding), so the same
    /// seed gives the same weights in every dtype up to rounding. They are not PyTorch's draws for
    /// the same seed.
    /// - Parameters:
    ///   - config: the shape (see `ModelConfig.gpt2`); GPT-2 or Llama family.
    ///   - seed: seeds the weight draws.
    ///   - tokenizer: the tokenizer saved with the model, if any.
    ///   - dtype: weight dtype (floating point).
    ///   - device: where the weights live.
    /// - Throws: `ModelError` for BERT configs, a non-float dtype, or a tokenizer larger than the vocabulary.
    public static func initialized(config: ModelConfig, seed: UInt64, tokenizer: Tokenizer? = nil,
                                   dtype: DType = .float32, device: Device = .cpu) throws -> Transformer {
        guard dtype.isFloatingPoint else { throw ModelError("initialized: dtype must be floating point, got \(dtype.rawValue)") }
        try config.validate(source: "initialized")
        if let tokenizer, tokenizer.vocabSize > config.dVocab {
            throw ModelError("initialized: the tokenizer has \(tokenizer.vocabSize) tokens, the config's vocabulary only \(config.dVocab)")
        }
        let gen = try Generator(seed: seed)
        let std = config.initializerRange
        var weights: [String: Tensor] = [:]
        func normal(_ name: String, _ shape: [Int], std: Double) throws {
            weights[name] = try (Tensor.randn(shape, generator: gen) * std).to(dtype: dtype, device: device)
        }
        func constant(_ name: String, _ shape: [Int], _ v: Double) throws {
            weights[name] = try Tensor.full(shape, v, dtype: dtype, device: device)
        }
        let c = config
        let d = c.dModel
        try c.family.initialWeights(c, std: std, normal: { try normal($0, $1, std: $2) }, constant: constant)
        if !c.tiedEmbeddings { try normal("lm_head.weight", [c.dVocab, d], std: std) }
        return try Transformer(config: config, weights: weights, tokenizer: tokenizer, dtype: dtype, device: device, source: nil)
    }
}
