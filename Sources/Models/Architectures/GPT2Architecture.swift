// GPT-2: learned positions, LayerNorm, GELU-tanh, fused c_attn (Conv1D weights), tied embeddings.
import Foundation
import Tensor

extension Architecture {
    /// GPT-2: learned positions, LayerNorm, GELU-tanh, fused c_attn, tied embeddings.
    public static let gpt2 = Architecture(rawValue: "gpt2")
}

/// GPT-2 (HF `GPT2LMHeadModel`).
struct GPT2Architecture: ModelArchitecture {
    var architecture: Architecture { .gpt2 }
    var displayName: String { "GPT-2" }
    var modelTypes: [String] { ["gpt2"] }

    func config(_ r: ModelConfig.Reader, modelType mt: String) throws -> ModelConfig {
        typealias Limits = ModelConfig.Limits
        let d = try r.int("n_embd", 1...Limits.width)
        let h = try r.int("n_head", 1...Limits.heads)
        guard d % h == 0 else { throw ModelError("\(r.source): n_embd \(d) is not divisible by n_head \(h)") }
        let mlp = try r.optInt("n_inner", 1...Limits.width) ?? 4 * d
        guard mlp <= Limits.width else {
            throw ModelError("\(r.source): n_inner defaults to 4 · n_embd = \(mlp), more than \(Limits.width)")
        }
        return ModelConfig(
            modelType: mt, family: self, nLayers: try r.int("n_layer", 1...Limits.layers), dModel: d, nHeads: h,
            nKVHeads: h, dHead: d / h, dMLP: mlp, dVocab: try r.int("vocab_size", 1...Limits.vocab),
            nCtx: try r.int("n_positions", 1...Limits.positions),
            normEps: try r.optPositive("layer_norm_epsilon") ?? 1e-5,
            activation: try r.optString("activation_function") ?? "gelu_new", ropeTheta: 0, ropeScaling: nil,
            qkvBias: true, outBias: true, mlpBias: true, tiedEmbeddings: try r.optBool("tie_word_embeddings") ?? true,
            typeVocabSize: 0, bosTokenId: try r.optTokenId("bos_token_id"), eosTokenIds: try r.tokenIds("eos_token_id"),
            padTokenId: try r.optTokenId("pad_token_id"), raw: r.raw)
    }

    func hfArchitectures(modelType: String) -> [String] { ["GPT2LMHeadModel"] }

    // MARK: Weights

    var weightPrefix: String { "transformer." }
    var tokenEmbeddingWeight: String { "wte.weight" }
    var layerKey: (component: String, countField: String) { ("h", "n_layer") }

    func assemble(_ w: WeightReader) throws -> Transformer.Parts {
        let c = w.config
        var parts = Transformer.Parts(embed: try w.get(tokenEmbeddingWeight, [c.dVocab, c.dModel]))
        parts.posEmbed = try w.get("wpe.weight", [c.nCtx, c.dModel])
        for l in 0..<c.nLayers {
            let p = "h.\(l)."
            let d = c.dModel
            parts.blocks.append(Block(
                ln1: Norm(weight: try w.get(p + "ln_1.weight", [d]), bias: try w.get(p + "ln_1.bias", [d])),
                ln2: Norm(weight: try w.get(p + "ln_2.weight", [d]), bias: try w.get(p + "ln_2.bias", [d])),
                qkv: try w.conv1d(p + "attn.c_attn", d, 3 * d), q: nil, k: nil, v: nil,
                o: try w.conv1d(p + "attn.c_proj", d, d),
                fcIn: try w.conv1d(p + "mlp.c_fc", d, c.dMLP), fcUp: nil,
                fcOut: try w.conv1d(p + "mlp.c_proj", c.dMLP, d)))
        }
        parts.finalNorm = Norm(weight: try w.get("ln_f.weight", [c.dModel]), bias: try w.get("ln_f.bias", [c.dModel]))
        parts.unembed = c.tiedEmbeddings ? parts.embed : try w.get("lm_head.weight", [c.dVocab, c.dModel], prefixed: false)
        return parts
    }

    /// HF's `GPT2PreTrainedModel._init_weights`: the residual output projections (`attn.c_proj`,
    /// `mlp.c_proj`) are drawn with σ / √(2 · n_layer).
    func initialWeights(_ c: ModelConfig, std: Double, normal: (String, [Int], Double) throws -> Void,
                        constant: (String, [Int], Double) throws -> Void) throws {
        let d = c.dModel
        let projStd = std / Foundation.sqrt(2.0 * Double(c.nLayers))
        try normal("transformer.wte.weight", [c.dVocab, d], std)
        try normal("transformer.wpe.weight", [c.nCtx, d], std)
        for l in 0..<c.nLayers {
            let p = "transformer.h.\(l)."
            try constant(p + "ln_1.weight", [d], 1)
            try constant(p + "ln_1.bias", [d], 0)
            try normal(p + "attn.c_attn.weight", [d, 3 * d], std)
            try constant(p + "attn.c_attn.bias", [3 * d], 0)
            try normal(p + "attn.c_proj.weight", [d, d], projStd)
            try constant(p + "attn.c_proj.bias", [d], 0)
            try constant(p + "ln_2.weight", [d], 1)
            try constant(p + "ln_2.bias", [d], 0)
            try normal(p + "mlp.c_fc.weight", [d, c.dMLP], std)
            try constant(p + "mlp.c_fc.bias", [c.dMLP], 0)
            try normal(p + "mlp.c_proj.weight", [c.dMLP, d], projStd)
            try constant(p + "mlp.c_proj.bias", [d], 0)
        }
        try constant("transformer.ln_f.weight", [d], 1)
        try constant("transformer.ln_f.bias", [d], 0)
    }

    func adaptableModules(layer l: Int) -> [(name: String, fanInFanOut: Bool)] {
        ["attn.c_attn", "attn.c_proj", "mlp.c_fc", "mlp.c_proj"].map { ("transformer.h.\(l).\($0)", true) }
    }

    /// The causal-mask buffers of old GPT-2 checkpoints.
    func ignoresWeight(_ key: String) -> Bool { key.hasSuffix(".attn.bias") || key.hasSuffix(".attn.masked_bias") }

    // MARK: Forward

    var isCausal: Bool { true }
    var norm: NormKind { .layerNorm }
    var usesRope: Bool { false }
    var embeddingHooks: [String] { ["hook_embed", "hook_pos_embed"] }
    var blockHooks: [String] {
        ["hook_resid_pre", "ln1.hook_scale", "ln1.hook_normalized", "attn.hook_q", "attn.hook_k", "attn.hook_v",
         "attn.hook_attn_scores", "attn.hook_pattern", "attn.hook_z", "hook_attn_out", "hook_resid_mid",
         "ln2.hook_scale", "ln2.hook_normalized", "mlp.hook_pre", "mlp.hook_post", "hook_mlp_out", "hook_resid_post"]
    }

    /// Adds the learned position embedding.
    func embed(_ m: Transformer, _ x: Tensor, positions pos: Tensor, opts: ForwardOptions, hooks hk: HookContext?) throws -> Tensor {
        let b = pos.shape[0], s = pos.shape[1]
        // Default positions are the same in every row: look them up once and broadcast (the
        // embedding's backward then scatters s rows instead of b·s). A hook here gets a
        // materialised [b, s, d] tensor, as before.
        let rows = opts.positions == nil && !hk.wants(nil, "hook_pos_embed")
            ? try m.lookup(m.posEmbed!, pos.select(dim: 0, index: 0)).unsqueeze(0).expand([b, s, m.config.dModel])
            : try m.lookup(m.posEmbed!, pos)
        let pe = try hk.at(nil, "hook_pos_embed", rows)
        return try x + pe
    }
}
