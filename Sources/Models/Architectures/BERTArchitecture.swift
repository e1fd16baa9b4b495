// BERT: a post-norm bidirectional encoder with learned positions and token types, used for
// sentence embeddings.
import Tensor

extension Architecture {
    /// BERT encoder (post-norm, bidirectional), used for sentence embeddings.
    public static let bert = Architecture(rawValue: "bert")
}

/// BERT (HF `BertModel`).
struct BERTArchitecture: ModelArchitecture {
    var architecture: Architecture { .bert }
    var displayName: String { "BERT" }
    var modelTypes: [String] { ["bert"] }

    func config(_ r: ModelConfig.Reader, modelType mt: String) throws -> ModelConfig {
        typealias Limits = ModelConfig.Limits
        let d = try r.int("hidden_size", 1...Limits.width)
        let h = try r.int("num_attention_heads", 1...Limits.heads)
        guard d % h == 0 else { throw ModelError("\(r.source): hidden_size \(d) is not divisible by num_attention_heads \(h)") }
        if let pe = try r.optString("position_embedding_type"), pe != "absolute" {
            throw ModelError("\(r.source): position_embedding_type \"\(pe)\" is not supported (supported: absolute)")
        }
        return ModelConfig(
            modelType: mt, family: self, nLayers: try r.int("num_hidden_layers", 1...Limits.layers), dModel: d,
            nHeads: h, nKVHeads: h, dHead: d / h, dMLP: try r.int("intermediate_size", 1...Limits.width),
            dVocab: try r.int("vocab_size", 1...Limits.vocab), nCtx: try r.int("max_position_embeddings", 1...Limits.positions),
            normEps: try r.optPositive("layer_norm_eps") ?? 1e-12, activation: try r.optString("hidden_act") ?? "gelu",
            ropeTheta: 0, ropeScaling: nil, qkvBias: true, outBias: true, mlpBias: true, tiedEmbeddings: true,
            typeVocabSize: try r.optInt("type_vocab_size", 1...Limits.vocab) ?? 2, bosTokenId: nil, eosTokenIds: [],
            padTokenId: try r.optTokenId("pad_token_id"), raw: r.raw)
    }

    /// The token-type vocabulary.
    func validate(_ c: ModelConfig, source: String) throws {
        let limit = ModelConfig.Limits.vocab
        if c.typeVocabSize <= 0 || c.typeVocabSize > limit {
            throw ModelError("\(source): type_vocab_size must be in 1...\(limit), got \(c.typeVocabSize)")
        }
    }

    func hfArchitectures(modelType: String) -> [String] { ["BertModel"] }

    // MARK: Weights

    var weightPrefix: String { "bert." }
    var tokenEmbeddingWeight: String { "embeddings.word_embeddings.weight" }
    /// Sentence-transformers checkpoints name BERT's weights without a prefix.
    var savesPrefixed: Bool { false }
    var layerKey: (component: String, countField: String) { ("layer", "num_hidden_layers") }

    func assemble(_ w: WeightReader) throws -> Transformer.Parts {
        let c = w.config
        let d = c.dModel
        var parts = Transformer.Parts(embed: try w.get(tokenEmbeddingWeight, [c.dVocab, d]))
        parts.posEmbed = try w.get("embeddings.position_embeddings.weight", [c.nCtx, d])
        parts.typeEmbed = try w.get("embeddings.token_type_embeddings.weight", [c.typeVocabSize, d])
        parts.embedNorm = Norm(weight: try w.get("embeddings.LayerNorm.weight", [d]), bias: try w.get("embeddings.LayerNorm.bias", [d]))
        for l in 0..<c.nLayers {
            let p = "encoder.layer.\(l)."
            parts.blocks.append(Block(
                ln1: Norm(weight: try w.get(p + "attention.output.LayerNorm.weight", [d]),
                          bias: try w.get(p + "attention.output.LayerNorm.bias", [d])),
                ln2: Norm(weight: try w.get(p + "output.LayerNorm.weight", [d]), bias: try w.get(p + "output.LayerNorm.bias", [d])),
                qkv: nil,
                q: try w.linear(p + "attention.self.query", d, d, bias: true),
                k: try w.linear(p + "attention.self.key", d, d, bias: true),
                v: try w.linear(p + "attention.self.value", d, d, bias: true),
                o: try w.linear(p + "attention.output.dense", d, d, bias: true),
                fcIn: try w.linear(p + "intermediate.dense", d, c.dMLP, bias: true), fcUp: nil,
                fcOut: try w.linear(p + "output.dense", c.dMLP, d, bias: true)))
        }
        // The pooler is kept for saving but not used (sentence embeddings pool the tokens).
        _ = try? w.get("pooler.dense.weight", [d, d])
        _ = try? w.get("pooler.dense.bias", [d])
        return parts
    }

    var canInitialize: Bool { false }

    func adaptableModules(layer l: Int) -> [(name: String, fanInFanOut: Bool)] {
        ["attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense", "intermediate.dense",
         "output.dense"].map { ("encoder.layer.\(l).\($0)", false) }
    }

    /// The position-id buffer and the pretraining heads (masked-LM, next-sentence, pooler).
    func ignoresWeight(_ key: String) -> Bool {
        key.hasSuffix("embeddings.position_ids") || key.hasPrefix("cls.") || key.hasPrefix("pooler.") || key.hasPrefix("bert.pooler.")
    }

    // MARK: Forward

    var isCausal: Bool { false }
    var norm: NormKind { .layerNorm }
    var usesRope: Bool { false }
    var embeddingHooks: [String] { ["hook_embed", "hook_pos_embed", "hook_token_type_embed"] }
    var blockHooks: [String] {
        ["hook_resid_pre", "attn.hook_q", "attn.hook_k", "attn.hook_v", "attn.hook_attn_scores", "attn.hook_pattern",
         "attn.hook_z", "hook_attn_out", "ln1.hook_scale", "ln1.hook_normalized", "hook_resid_mid", "mlp.hook_pre",
         "mlp.hook_post", "hook_mlp_out", "ln2.hook_scale", "ln2.hook_normalized", "hook_resid_post"]
    }

    /// Adds the position and token-type embeddings, then the embedding LayerNorm.
    func embed(_ m: Transformer, _ x: Tensor, positions pos: Tensor, opts: ForwardOptions, hooks hk: HookContext?) throws -> Tensor {
        let pe = try hk.at(nil, "hook_pos_embed", try m.lookup(m.posEmbed!, pos))
        let types = try opts.tokenTypes ?? Tensor.zeros(pos.shape, dtype: .int64, device: m.device)
        let te = try hk.at(nil, "hook_token_type_embed", try m.lookup(m.typeEmbed!, types))
        return try m.layerNorm(x + pe + te, m.embedNorm!, layer: nil, name: "embed_ln", hooks: nil)
    }

    /// Post-norm: `ln1(x + attn(x))`, then `ln2(mid + mlp(mid))`.
    func block(_ m: Transformer, _ l: Int, _ input: Tensor, blocked: Tensor?, rope: (Tensor, Tensor)?, cache: KVCache?,
               past: Int, hooks hk: HookContext?) throws -> Tensor {
        let blk = m.blocks[l]
        let resid = try hk.at(l, "hook_resid_pre", input)
        let a = try hk.at(l, "hook_attn_out", try m.attention(l, resid, blk, blocked: blocked, rope: nil, cache: nil, past: 0, hooks: hk))
        let mid = try hk.at(l, "hook_resid_mid", try m.layerNorm(resid + a, blk.ln1, layer: l, name: "ln1", hooks: hk))
        let mlpOut = try hk.at(l, "hook_mlp_out", try m.mlp(l, mid, blk, hooks: hk))
        return try hk.at(l, "hook_resid_post", try m.layerNorm(mid + mlpOut, blk.ln2, layer: l, name: "ln2", hooks: hk))
    }
}
