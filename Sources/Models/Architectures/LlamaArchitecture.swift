// The Llama family (Llama 2/3, Qwen2, Mistral without sliding windows): RMSNorm, RoPE, SwiGLU,
// grouped-query attention.
import Tensor

extension Architecture {
    /// Llama family (Llama 2/3, Qwen2, Mistral-style): RMSNorm, RoPE, SwiGLU, grouped-query attention.
    public static let llama = Architecture(rawValue: "llama")
}

/// Llama, Qwen2 and Mistral (HF `LlamaForCausalLM`, `Qwen2ForCausalLM`, `MistralForCausalLM`).
struct LlamaArchitecture: ModelArchitecture {
    var architecture: Architecture { .llama }
    var displayName: String { "Llama" }
    var modelTypes: [String] { ["llama", "qwen2", "mistral"] }

    func config(_ r: ModelConfig.Reader, modelType mt: String) throws -> ModelConfig {
        typealias Limits = ModelConfig.Limits
        let source = r.source
        let d = try r.int("hidden_size", 1...Limits.width)
        let h = try r.int("num_attention_heads", 1...Limits.heads)
        let kv = try r.optInt("num_key_value_heads", 1...Limits.heads) ?? h
        guard h % kv == 0 else {
            throw ModelError("\(source): num_attention_heads \(h) is not a multiple of num_key_value_heads \(kv)")
        }
        let dh: Int
        if let explicit = try r.optInt("head_dim", 1...Limits.headDim) {
            dh = explicit
        } else {
            guard d % h == 0 else {
                throw ModelError("\(source): hidden_size \(d) is not divisible by num_attention_heads \(h) (and no head_dim is given)")
            }
            dh = d / h
            guard dh <= Limits.headDim else {
                throw ModelError("\(source): the head width hidden_size / num_attention_heads = \(dh) is more than \(Limits.headDim)")
            }
        }
        guard dh % 2 == 0 else { throw ModelError("\(source): the head width \(dh) must be even for rotary embeddings") }
        let nCtx = try r.int("max_position_embeddings", 1...Limits.positions,
                             why: "the most positions Discern precomputes RoPE tables for")
        if mt == "mistral", let sw = try r.optInt("sliding_window", 0...Int.max), sw < nCtx {
            throw ModelError("\(source): sliding_window attention (\(sw)) is not supported")
        }
        let attentionBias = try r.optBool("attention_bias") ?? false
        return ModelConfig(
            modelType: mt, family: self, nLayers: try r.int("num_hidden_layers", 1...Limits.layers), dModel: d,
            nHeads: h, nKVHeads: kv, dHead: dh, dMLP: try r.int("intermediate_size", 1...Limits.width),
            dVocab: try r.int("vocab_size", 1...Limits.vocab), nCtx: nCtx,
            normEps: try r.optPositive("rms_norm_eps") ?? 1e-6, activation: try r.optString("hidden_act") ?? "silu",
            ropeTheta: try r.optPositive("rope_theta") ?? 10000, ropeScaling: try r.ropeScaling(),
            qkvBias: mt == "qwen2" ? true : attentionBias, outBias: mt == "qwen2" ? false : attentionBias,
            mlpBias: try r.optBool("mlp_bias") ?? false, tiedEmbeddings: try r.optBool("tie_word_embeddings") ?? false,
            typeVocabSize: 0, bosTokenId: try r.optTokenId("bos_token_id"), eosTokenIds: try r.tokenIds("eos_token_id"),
            padTokenId: try r.optTokenId("pad_token_id"), raw: r.raw)
    }

    /// The rotary-embedding parameters: an even head width, a positive base, sane scaling.
    func validate(_ c: ModelConfig, source: String) throws {
        typealias Limits = ModelConfig.Limits
        guard c.dHead % 2 == 0 else { throw ModelError("\(source): d_head \(c.dHead) must be even for rotary embeddings") }
        guard c.ropeTheta.isFinite, c.ropeTheta > 0 else {
            throw ModelError("\(source): rope_theta must be a finite number > 0, got \(c.ropeTheta)")
        }
        switch c.ropeScaling {
        case nil: break
        case .linear(let factor):
            guard factor.isFinite, factor > 0 else {
                throw ModelError("\(source): rope_scaling factor must be a finite number > 0, got \(factor)")
            }
        case .llama3(let factor, let lo, let hi, let orig):
            for (name, v) in [("factor", factor), ("low_freq_factor", lo), ("high_freq_factor", hi)] where !(v.isFinite && v > 0) {
                throw ModelError("\(source): rope_scaling \(name) must be a finite number > 0, got \(v)")
            }
            guard hi > lo else {
                throw ModelError("\(source): rope_scaling high_freq_factor (\(hi)) must be greater than low_freq_factor (\(lo))")
            }
            guard orig > 0, orig <= Limits.positions else {
                throw ModelError("\(source): rope_scaling original_max_position_embeddings must be in 1...\(Limits.positions), got \(orig)")
            }
        }
    }

    func hfArchitectures(modelType: String) -> [String] { [modelType == "qwen2" ? "Qwen2ForCausalLM" : "LlamaForCausalLM"] }

    // MARK: Weights

    var weightPrefix: String { "model." }
    var tokenEmbeddingWeight: String { "embed_tokens.weight" }
    var layerKey: (component: String, countField: String) { ("layers", "num_hidden_layers") }

    func assemble(_ w: WeightReader) throws -> Transformer.Parts {
        let c = w.config
        var parts = Transformer.Parts(embed: try w.get(tokenEmbeddingWeight, [c.dVocab, c.dModel]))
        let d = c.dModel, qd = c.nHeads * c.dHead, kvd = c.nKVHeads * c.dHead
        for l in 0..<c.nLayers {
            let p = "layers.\(l)."
            parts.blocks.append(Block(
                ln1: Norm(weight: try w.get(p + "input_layernorm.weight", [d]), bias: nil),
                ln2: Norm(weight: try w.get(p + "post_attention_layernorm.weight", [d]), bias: nil),
                qkv: nil,
                q: try w.linear(p + "self_attn.q_proj", d, qd, bias: c.qkvBias),
                k: try w.linear(p + "self_attn.k_proj", d, kvd, bias: c.qkvBias),
                v: try w.linear(p + "self_attn.v_proj", d, kvd, bias: c.qkvBias),
                o: try w.linear(p + "self_attn.o_proj", qd, d, bias: c.outBias),
                fcIn: try w.linear(p + "mlp.gate_proj", d, c.dMLP, bias: c.mlpBias),
                fcUp: try w.linear(p + "mlp.up_proj", d, c.dMLP, bias: c.mlpBias),
                fcOut: try w.linear(p + "mlp.down_proj", c.dMLP, d, bias: c.mlpBias)))
        }
        parts.finalNorm = Norm(weight: try w.get("norm.weight", [c.dModel]), bias: nil)
        parts.unembed = c.tiedEmbeddings ? parts.embed : try w.get("lm_head.weight", [c.dVocab, c.dModel], prefixed: false)
        return parts
    }

    /// As HF: every linear weight from normal(0, σ), no residual scaling.
    func initialWeights(_ c: ModelConfig, std: Double, normal: (String, [Int], Double) throws -> Void,
                        constant: (String, [Int], Double) throws -> Void) throws {
        let d = c.dModel
        let qd = c.nHeads * c.dHead, kvd = c.nKVHeads * c.dHead
        try normal("model.embed_tokens.weight", [c.dVocab, d], std)
        for l in 0..<c.nLayers {
            let p = "model.layers.\(l)."
            try constant(p + "input_layernorm.weight", [d], 1)
            for (name, nOut, nIn, bias) in [("self_attn.q_proj", qd, d, c.qkvBias), ("self_attn.k_proj", kvd, d, c.qkvBias),
                                            ("self_attn.v_proj", kvd, d, c.qkvBias), ("self_attn.o_proj", d, qd, c.outBias)] {
                try normal(p + name + ".weight", [nOut, nIn], std)
                if bias { try constant(p + name + ".bias", [nOut], 0) }
            }
            try constant(p + "post_attention_layernorm.weight", [d], 1)
            for (name, nOut, nIn) in [("mlp.gate_proj", c.dMLP, d), ("mlp.up_proj", c.dMLP, d), ("mlp.down_proj", d, c.dMLP)] {
                try normal(p + name + ".weight", [nOut, nIn], std)
                if c.mlpBias { try constant(p + name + ".bias", [nOut], 0) }
            }
        }
        try constant("model.norm.weight", [d], 1)
    }

    func adaptableModules(layer l: Int) -> [(name: String, fanInFanOut: Bool)] {
        ["self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.o_proj", "mlp.gate_proj", "mlp.up_proj",
         "mlp.down_proj"].map { ("model.layers.\(l).\($0)", false) }
    }

    /// The inverse-frequency buffer some checkpoints carry (Discern computes its own tables).
    func ignoresWeight(_ key: String) -> Bool { key.hasSuffix("rotary_emb.inv_freq") }

    // MARK: Forward

    var isCausal: Bool { true }
    var norm: NormKind { .rmsNorm }
    var usesRope: Bool { true }
    var embeddingHooks: [String] { ["hook_embed"] }
    var blockHooks: [String] {
        ["hook_resid_pre", "ln1.hook_scale", "ln1.hook_normalized", "attn.hook_q", "attn.hook_k", "attn.hook_v",
         "attn.hook_rot_q", "attn.hook_rot_k", "attn.hook_attn_scores", "attn.hook_pattern", "attn.hook_z", "hook_attn_out",
         "hook_resid_mid", "ln2.hook_scale", "ln2.hook_normalized", "mlp.hook_pre", "mlp.hook_pre_linear", "mlp.hook_post",
         "hook_mlp_out", "hook_resid_post"]
    }
}
