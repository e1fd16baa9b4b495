// Building a GPT-2 configuration from its shape (for models trained from scratch).
import Foundation
import JSON

extension ModelConfig {
    /// A GPT-2 configuration with the fields HF `GPT2Config` writes, for a model Discern trains.
    ///
    /// The dropout probabilities are written as 0 (Discern trains without dropout, so a model
    /// fine-tuned further in HF behaves the same). `initializer_range` is what
    /// `Transformer.initialized` draws the weights with.
    /// - Parameters:
    ///   - nLayers: blocks (`n_layer`).
    ///   - dModel: residual width (`n_embd`); must be divisible by `nHeads`.
    ///   - nHeads: attention heads (`n_head`).
    ///   - dVocab: vocabulary size (`vocab_size`).
    ///   - nCtx: context length (`n_positions`).
    ///   - dMLP: MLP width (`n_inner`); nil means 4 · dModel.
    ///   - activation: `activation_function` (GPT-2 uses "gelu_new", the tanh approximation).
    ///   - normEps: `layer_norm_epsilon`.
    ///   - initializerRange: standard deviation of the initial weights (`initializer_range`).
    ///   - bosTokenId: `bos_token_id`, or nil.
    ///   - eosTokenId: `eos_token_id`, or nil (generation then never stops at an EOS token).
    ///   - tiedEmbeddings: `tie_word_embeddings` (the unembedding is the token embedding).
    /// - Throws: `ModelError` for a non-positive size, `dModel` not divisible by `nHeads`, an
    ///   unsupported activation or a special token outside the vocabulary.
    public static func gpt2(nLayers: Int, dModel: Int, nHeads: Int, dVocab: Int, nCtx: Int, dMLP: Int? = nil,
                            activation: String = "gelu_new", normEps: Double = 1e-5, initializerRange: Double = 0.02,
                            bosTokenId: Int? = nil, eosTokenId: Int? = nil, tiedEmbeddings: Bool = true) throws -> ModelConfig {
        for (name, v) in [("n_layer", nLayers), ("n_embd", dModel), ("n_head", nHeads), ("vocab_size", dVocab),
                          ("n_positions", nCtx), ("n_inner", dMLP ?? 1)] where v <= 0 {
            throw ModelError("gpt2 config: \(name) must be positive, got \(v)")
        }
        guard dModel % nHeads == 0 else { throw ModelError("gpt2 config: n_embd \(dModel) is not divisible by n_head \(nHeads)") }
        guard initializerRange > 0, initializerRange.isFinite else {
            throw ModelError("gpt2 config: initializer_range must be positive, got \(initializerRange)")
        }
        for (name, id) in [("bos_token_id", bosTokenId), ("eos_token_id", eosTokenId)] {
            if let id, id < 0 || id >= dVocab { throw ModelError("gpt2 config: \(name) \(id) is outside the vocabulary [0, \(dVocab))") }
        }
        let o = JSONObject([
            ("activation_function", .string(activation)),
            ("architectures", .array([.string("GPT2LMHeadModel")])),
            ("attn_pdrop", .double(0)),
            ("bos_token_id", bosTokenId.map { .int($0) } ?? .null),
            ("embd_pdrop", .double(0)),
            ("eos_token_id", eosTokenId.map { .int($0) } ?? .null),
            ("initializer_range", .double(initializerRange)),
            ("layer_norm_epsilon", .double(normEps)),
            ("model_type", .string("gpt2")),
            ("n_embd", .int(dModel)),
            ("n_head", .int(nHeads)),
            ("n_inner", dMLP.map { .int($0) } ?? .null),
            ("n_layer", .int(nLayers)),
            ("n_positions", .int(nCtx)),
            ("reorder_and_upcast_attn", .bool(false)),
            ("resid_pdrop", .double(0)),
            ("scale_attn_by_inverse_layer_idx", .bool(false)),
            ("scale_attn_weights", .bool(true)),
            ("summary_first_dropout", .double(0)),
            ("tie_word_embeddings", .bool(tiedEmbeddings)),
            ("torch_dtype", .string("float32")),
            ("use_cache", .bool(true)),
            ("vocab_size", .int(dVocab)),
        ])
        let config = try fromHF(Data(JSONValue.object(o).rendered), source: "gpt2 config")
        try config.validate(source: "gpt2 config")
        return config
    }

    /// `initializer_range` from the config (HF's default 0.02 when absent).
    public var initializerRange: Double { raw["initializer_range"]?.doubleValue ?? 0.02 }
}
