// The hookable forward pass.
import Foundation
import Tensor

/// Options of one forward pass.
public struct ForwardOptions {
    /// [batch, seq(+past)] with 1 for real tokens and 0 for padding (covers cached positions too).
    public var attentionMask: Tensor?
    /// [batch, seq] int64 position ids (default: past length + 0, 1, …).
    public var positions: Tensor?
    /// [batch, seq] int64 token types (BERT; default zeros).
    public var tokenTypes: Tensor?
    /// Hooks to run and activations to cache.
    public var hooks: HookContext?
    /// Key/value cache to read and extend (causal models).
    public var cache: KVCache?
    /// Compute logits only at the last position (generation).
    public var lastPositionOnly = false
    /// Stop after this many blocks and skip the unembedding (returns the residual stream).
    public var stopAtLayer: Int?
    /// Return the final normalised hidden states [batch, seq, d_model] instead of logits (training
    /// computes the logits of the positions it scores itself).
    package var finalHiddenOnly = false

    /// Creates default options.
    public init(attentionMask: Tensor? = nil, positions: Tensor? = nil, tokenTypes: Tensor? = nil,
                hooks: HookContext? = nil, cache: KVCache? = nil, lastPositionOnly: Bool = false, stopAtLayer: Int? = nil) {
        self.attentionMask = attentionMask
        self.positions = positions
        self.tokenTypes = tokenTypes
        self.hooks = hooks
        self.cache = cache
        self.lastPositionOnly = lastPositionOnly
        self.stopAtLayer = stopAtLayer
    }
}

extension Transformer {
    /// Runs the model on token ids [batch, seq] (int64).
    ///
    /// Causal models return logits [batch, seq, d_vocab] (or [batch, 1, d_vocab] with
    /// `lastPositionOnly`); BERT returns the final hidden states [batch, seq, d_model].
    /// - Throws: `ModelError` for bad shapes or out-of-range ids/positions; `TorchError` from kernels;
    ///   anything a hook function throws.
    public func forward(_ tokens: Tensor, _ opts: ForwardOptions = ForwardOptions()) throws -> Tensor {
        guard tokens.ndim == 2 else { throw ModelError("forward: tokens must be [batch, seq], got shape \(tokens.shape)") }
        guard tokens.dtype == .int64 || tokens.dtype == .int32 else {
            throw ModelError("forward: tokens must be an integer tensor, got \(tokens.dtype.rawValue)")
        }
        let b = tokens.shape[0], s = tokens.shape[1]
        guard s > 0 else { throw ModelError("forward: empty sequence") }
        let tok = tokens.device == device ? tokens : try tokens.to(device)
        let hk = opts.hooks
        let past = opts.cache?.length ?? 0
        if let cache = opts.cache {
            guard isCausal else { throw ModelError("forward: \(config.architectureName) has no key/value cache") }
            guard cache.keys[0].shape[0] == b else {
                throw ModelError("forward: cache holds \(cache.keys[0].shape[0]) rows, tokens have \(b)")
            }
            guard past + s <= cache.capacity else {
                throw ModelError("forward: \(past + s) positions exceed the cache capacity \(cache.capacity)")
            }
        }
        if let m = opts.attentionMask, m.shape != [b, past + s] {
            throw ModelError("forward: attention mask must be [\(b), \(past + s)], got \(m.shape)")
        }
        let (mn, mx) = (try tok.amin().itemInt(), try tok.amax().itemInt())
        guard mn >= 0, mx < config.dVocab else {
            throw ModelError("forward: token id \(mn < 0 ? mn : mx) is outside the vocabulary [0, \(config.dVocab))")
        }
        // Position ids.
        var positions = opts.positions
        if positions == nil {
            positions = try Tensor.arange(Double(past), Double(past + s), dtype: .int64, device: device).unsqueeze(0).expand([b, s])
        }
        if let p = positions {
            guard p.shape == [b, s] else { throw ModelError("forward: positions must be [\(b), \(s)], got \(p.shape)") }
            let maxPos = try p.amax().itemInt()
            if !config.family.usesRope, maxPos >= config.nCtx {
                throw ModelError("forward: position \(maxPos) exceeds the model's context of \(config.nCtx) tokens")
            }
            if config.family.usesRope, let r = rope, maxPos >= r.cos.shape[0] {
                guard maxPos < Int64(Transformer.maxRopePositions) else {
                    throw ModelError("forward: position \(maxPos) is past the \(Transformer.maxRopePositions) positions Discern computes RoPE tables for")
                }
                let grown = Swift.min(Swift.max(Int(maxPos) + 1, 2 * r.cos.shape[0]), Transformer.maxRopePositions)
                rope = try Transformer.ropeTables(config: config, positions: grown, dtype: dtype, device: device)
            }
        }
        let pos = positions!.device == device ? positions! : try positions!.to(device)

        // Embeddings.
        var x = try hk.at(nil, "hook_embed", try lookup(embed, tok))
        x = try config.family.embed(self, x, positions: pos, opts: opts, hooks: hk)

        // Attention mask: true where a query must not attend to a key. [batch or 1, 1, s, past+s]
        let blocked = try attentionBlock(batch: b, s: s, past: past, mask: opts.attentionMask)
        let ropeCS: (Tensor, Tensor)? = try rope.map { r in
            (try Tensor.embedding(r.cos, pos).unsqueeze(2), try Tensor.embedding(r.sin, pos).unsqueeze(2))
        }

        let nLayers = opts.stopAtLayer.map { Swift.min($0, config.nLayers) } ?? config.nLayers
        for l in 0..<nLayers {
            x = try config.family.block(self, l, x, blocked: blocked, rope: ropeCS, cache: opts.cache, past: past, hooks: hk)
        }
        if let cache = opts.cache { cache.length = past + s }
        if opts.stopAtLayer != nil && nLayers < config.nLayers { return x }
        if !isCausal { return x }
        if opts.lastPositionOnly { x = try x.narrow(dim: 1, start: s - 1, length: 1) }
        x = try norm(x, finalNorm!, layer: nil, prefix: "ln_final", hooks: hk)
        if opts.finalHiddenOnly { return x }
        if let ut = unembedT { return try x.matmul(ut) }
        return try x.linear(unembed!)
    }

    /// Rows of `table` [n, d] at integer `ids` (any shape) → [..., d]: the same values as
    /// `Tensor.embedding`, through `index_select`, whose backward (one `index_add`) is several times
    /// faster on CPU than the embedding's row-by-row scatter.
    func lookup(_ table: Tensor, _ ids: Tensor) throws -> Tensor {
        try table.indexSelect(dim: 0, index: ids.reshape([-1])).view(ids.shape + [table.shape[1]])
    }

    /// Boolean mask [b|1, 1, s, past+s], true = blocked; nil when nothing is blocked.
    func attentionBlock(batch b: Int, s: Int, past: Int, mask: Tensor?) throws -> Tensor? {
        let total = past + s
        var blocked: Tensor?
        if isCausal, s > 1 {
            let q = try Tensor.arange(Double(past), Double(total), dtype: .int64, device: device).unsqueeze(1)
            let k = try Tensor.arange(0, Double(total), dtype: .int64, device: device).unsqueeze(0)
            blocked = try k.compare(.gt, q).unsqueeze(0).unsqueeze(0)  // [1, 1, s, total]
        }
        if let m = mask {
            let pad = try m.to(dtype: .int64, device: device).compare(.eq, 0.0).unsqueeze(1).unsqueeze(1)  // [b,1,1,total]
            blocked = try blocked.map { try $0.logicalOr(pad) } ?? pad
        }
        return blocked
    }

    /// Pre-norm normalisation (the family's LayerNorm or RMSNorm) with hook_scale/hook_normalized.
    ///
    /// Without hooks at these points it uses the fused kernel; with them it computes the scale
    /// explicitly so that it can be cached, replaced or frozen (TransformerLens semantics:
    /// LayerNorm's hook_normalized includes weight and bias, RMSNorm's excludes the weight).
    func norm(_ x: Tensor, _ n: Norm, layer: Int?, prefix: String, hooks hk: HookContext?) throws -> Tensor {
        let hooked = hk.wants(layer, prefix + ".hook_scale") || hk.wants(layer, prefix + ".hook_normalized")
        if config.family.norm == .layerNorm {
            if !hooked { return try x.layerNorm([config.dModel], weight: n.weight, bias: n.bias, eps: config.normEps) }
            let centered = try x - x.mean(dims: [-1], keepdim: true)
            let scale = try hk.at(layer, prefix + ".hook_scale",
                                  try (centered.square().mean(dims: [-1], keepdim: true) + config.normEps).sqrt())
            return try hk.at(layer, prefix + ".hook_normalized", try (centered / scale) * n.weight + n.bias!)
        }
        // RMSNorm, computed in at least float32 as HF does.
        let xf = x.dtype == .float16 || x.dtype == .bfloat16 ? try x.to(.float32) : x
        if !hooked {
            let r = try (xf.square().mean(dims: [-1], keepdim: true) + config.normEps).rsqrt()
            let y = try xf * r
            return try (y.dtype == dtype ? y : y.to(dtype)) * n.weight
        }
        let scale = try hk.at(layer, prefix + ".hook_scale", try (xf.square().mean(dims: [-1], keepdim: true) + config.normEps).sqrt())
        let y = try hk.at(layer, prefix + ".hook_normalized", try xf / scale)
        return try (y.dtype == dtype ? y : y.to(dtype)) * n.weight
    }

    /// A post-norm (or embedding) LayerNorm with hooks (BERT).
    func layerNorm(_ x: Tensor, _ n: Norm, layer: Int?, name: String, hooks hk: HookContext?) throws -> Tensor {
        let hooked = layer != nil && (hk.wants(layer, name + ".hook_scale") || hk.wants(layer, name + ".hook_normalized"))
        if !hooked { return try x.layerNorm([config.dModel], weight: n.weight, bias: n.bias, eps: config.normEps) }
        let centered = try x - x.mean(dims: [-1], keepdim: true)
        let scale = try hk.at(layer, name + ".hook_scale", try (centered.square().mean(dims: [-1], keepdim: true) + config.normEps).sqrt())
        return try hk.at(layer, name + ".hook_normalized", try (centered / scale) * n.weight + n.bias!)
    }

    /// Applies rotary embeddings to [b, s, h, d_head] with cos/sin [b, s, 1, d_head].
    func applyRope(_ x: Tensor, _ cs: (Tensor, Tensor)) throws -> Tensor {
        let half = config.dHead / 2
        let x1 = try x.narrow(dim: -1, start: 0, length: half)
        let x2 = try x.narrow(dim: -1, start: half, length: half)
        let rot = try Tensor.cat([x2.neg(), x1], dim: -1)
        return try x * cs.0 + rot * cs.1
    }

    /// Multi-head (grouped-query) attention; returns the output projection [b, s, d_model].
    func attention(_ l: Int, _ x: Tensor, _ blk: Block, blocked: Tensor?, rope: (Tensor, Tensor)?, cache: KVCache?,
                   past: Int, hooks hk: HookContext?) throws -> Tensor {
        let c = config
        let b = x.shape[0], s = x.shape[1]
        let h = c.nHeads, kvh = c.nKVHeads, dh = c.dHead
        var q: Tensor, k: Tensor, v: Tensor
        if let qkv = blk.qkv {
            let parts = try qkv(x).split(c.dModel, dim: -1)
            q = try parts[0].view([b, s, h, dh])
            k = try parts[1].view([b, s, kvh, dh])
            v = try parts[2].view([b, s, kvh, dh])
        } else {
            q = try blk.q!(x).view([b, s, h, dh])
            k = try blk.k!(x).view([b, s, kvh, dh])
            v = try blk.v!(x).view([b, s, kvh, dh])
        }
        q = try hk.at(l, "attn.hook_q", q)
        k = try hk.at(l, "attn.hook_k", k)
        v = try hk.at(l, "attn.hook_v", v)
        if let rope {
            q = try hk.at(l, "attn.hook_rot_q", try applyRope(q, rope))
            k = try hk.at(l, "attn.hook_rot_k", try applyRope(k, rope))
        }
        // [b, kvh, s, dh]
        var kt = try k.permute([0, 2, 1, 3])
        var vt = try v.permute([0, 2, 1, 3])
        if let cache {
            try cache.keys[l].narrow(dim: 2, start: past, length: s).copyInPlace(from: kt)
            try cache.values[l].narrow(dim: 2, start: past, length: s).copyInPlace(from: vt)
            kt = try cache.keys[l].narrow(dim: 2, start: 0, length: past + s)
            vt = try cache.values[l].narrow(dim: 2, start: 0, length: past + s)
        }
        let total = kt.shape[2]
        let g = h / kvh
        // Queries grouped by their key/value head: [b, kvh, g*s, dh].
        let qg = try q.view([b, s, kvh, g, dh]).permute([0, 2, 3, 1, 4]).reshape([b, kvh, g * s, dh])
        var scores = try qg.matmul(kt.transpose(-1, -2)).view([b, h, s, total]) * (1.0 / Foundation.sqrt(Double(dh)))
        if let blocked { scores = try scores.maskedFill(blocked, lowestFinite(scores.dtype)) }
        scores = try hk.at(l, "attn.hook_attn_scores", scores)
        var pattern = try scores.dtype == .float16 || scores.dtype == .bfloat16
            ? scores.to(.float32).softmax(dim: -1).to(dtype) : scores.softmax(dim: -1)
        pattern = try hk.at(l, "attn.hook_pattern", pattern)
        // [b, kvh, g*s, dh] → [b, s, h, dh]
        var z = try pattern.reshape([b, kvh, g * s, total]).matmul(vt).view([b, kvh, g, s, dh]).permute([0, 3, 1, 2, 4])
        z = try hk.at(l, "attn.hook_z", try z.reshape([b, s, h, dh]))
        return try blk.o(z.reshape([b, s, h * dh]))
    }

    /// The most negative finite value of a floating dtype (HF's `torch.finfo(dtype).min`).
    func lowestFinite(_ dt: DType) -> Double {
        switch dt {
        case .float16: -65504
        case .bfloat16: -3.3895313892515355e38
        case .float64: -Double.greatestFiniteMagnitude
        default: -Double(Float.greatestFiniteMagnitude)
        }
    }

    /// The MLP (GELU for GPT-2/BERT, SwiGLU for Llama) with hook_pre/hook_post.
    func mlp(_ l: Int, _ x: Tensor, _ blk: Block, hooks hk: HookContext?) throws -> Tensor {
        let pre = try hk.at(l, "mlp.hook_pre", try blk.fcIn(x))
        var post: Tensor
        if let up = blk.fcUp {
            let lin = try hk.at(l, "mlp.hook_pre_linear", try up(x))
            post = try activation(pre) * lin
        } else {
            post = try activation(pre)
        }
        post = try hk.at(l, "mlp.hook_post", post)
        return try blk.fcOut(post)
    }

    func activation(_ x: Tensor) throws -> Tensor {
        switch config.activation {
        case "gelu_new", "gelu_pytorch_tanh", "gelu_fast": return try x.gelu(approximate: true)
        case "gelu": return try x.gelu(approximate: false)
        case "silu", "swish": return try x.silu()
        default: return try x.relu()
        }
    }
}
