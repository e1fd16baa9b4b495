// The local replacement model: a transformer whose MLPs are explained by transcoders, with error
// terms that keep its forward pass exact, frozen nonlinearities for attribution, and feature
// interventions (circuit-tracer's ReplacementModel semantics).
import Foundation
import Models
import Tensor

/// A transformer paired with transcoders that replace its MLPs.
///
/// Feature `(layer, f)` reads `blocks.<layer>.<featureInputHook>` and writes
/// `blocks.<layer>.<featureOutputHook>` (a CLT also writes every later layer). At every position the
/// MLP output is `reconstruction + error`, so the replacement reproduces the model exactly; the first
/// `zeroPositions` positions (the BOS token) have no features and no error: their MLP output is a
/// frozen constant, as in circuit-tracer. For attribution the model is frozen: attention patterns
/// and norm denominators are fixed at their clean values, and the only path through an MLP is its
/// transcoder's linear skip connection, which makes every target an affine function of the sources.
public final class ReplacementModel {
    /// The underlying model.
    public let model: Transformer
    /// The transcoders.
    public let transcoders: Transcoders
    /// Leading positions whose features and errors are zeroed (1: the BOS token).
    public let zeroPositions: Int

    /// Where the features read, relative to a block.
    enum InputSite { case normalized, residMid }
    let inputSite: InputSite

    /// Why the transcoders may not belong to this model (their config records another model's
    /// fingerprint), or nil. It was printed to standard error (once per process and message).
    public let provenanceWarning: String?

    /// Pairs `model` with `transcoders`.
    /// - Throws: `TranscoderError` when the transcoders do not fit the model (layers, width, hooks),
    ///   their config names another `model_type`, `n_layers` or `d_model` (see
    ///   `Transcoders.checkProvenance(for:)`), or they read/write hooks attribution does not support;
    ///   `ModelError` for a non-causal model.
    public init(model: Transformer, transcoders: Transcoders, zeroPositions: Int = 1) throws {
        guard model.isCausal else {
            throw ModelError("replacement_model: circuit tracing needs a causal model; \(model.config.modelType) is bidirectional")
        }
        guard zeroPositions >= 0 else { throw ModelError("replacement_model: zero_positions must be ≥ 0, got \(zeroPositions)") }
        try transcoders.validate(for: model)
        provenanceWarning = try transcoders.checkProvenance(for: model)
        switch transcoders.featureInputHook {
        case "ln2.hook_normalized": inputSite = .normalized
        case "hook_resid_mid": inputSite = .residMid
        default:
            throw TranscoderError("<transcoder set>", "features read \(transcoders.featureInputHook); the replacement model supports "
                                  + "ln2.hook_normalized and hook_resid_mid")
        }
        guard transcoders.featureOutputHook == "hook_mlp_out" else {
            throw TranscoderError("<transcoder set>", "features write \(transcoders.featureOutputHook); the replacement model supports hook_mlp_out")
        }
        self.model = model
        self.transcoders = transcoders
        self.zeroPositions = zeroPositions
        if let provenanceWarning { OnceWarnings.emit(provenanceWarning) }
    }

    /// Token ids of `prompt`, with the model's BOS token prepended when the text does not start with it
    /// (circuit-tracer's `ensure_tokenized`: position 0 has an unusually large norm and is zeroed).
    public func tokens(for prompt: String) throws -> [Int] {
        var ids = try model.encode(prompt)
        let bos = model.config.bosTokenId ?? model.config.eosTokenIds.first
        if let bos, ids.first != bos { ids.insert(bos, at: 0) }
        guard !ids.isEmpty else { throw ModelError("replacement_model: the prompt encodes to no tokens") }
        guard ids.count <= model.config.nCtx else {
            throw ModelError("replacement_model: the prompt has \(ids.count) tokens, the model's context is \(model.config.nCtx)")
        }
        return ids
    }

    func tokenTensor(_ ids: [Int]) throws -> Tensor {
        guard !ids.isEmpty else { throw ModelError("replacement_model: no tokens") }
        return try Tensor(ids.map(Int64.init), shape: [1, ids.count]).to(model.device)
    }

    var nLayers: Int { model.config.nLayers }
    func hook(_ l: Int, _ suffix: String) -> String { "blocks.\(l).\(suffix)" }
    var inputHookSuffix: String { transcoders.featureInputHook }

    // MARK: clean run

    /// Everything attribution needs from one clean forward pass (batch 1, float32 on the model's device).
    public struct CleanRun {
        /// The token ids.
        public let tokens: [Int]
        /// Logits `[T, d_vocab]`.
        public let logits: Tensor
        /// Transcoder inputs per layer `[T, d_model]`.
        public let inputs: [Tensor]
        /// MLP outputs per layer `[T, d_model]`.
        public let mlpOutputs: [Tensor]
        /// Feature activations per layer `[T, d_tc]`, zero at the zeroed positions.
        public let activations: [Tensor]
        /// Pre-activations per layer `[T, d_tc]`, computed in float32 (`preActivationsFloat32`; not zeroed).
        let preActivations: [Tensor]
        /// Reconstructions per layer `[T, d_model]` (decoded features + b_dec + skip), from `activations`.
        public let reconstructions: [Tensor]
        /// Error vectors per layer `[T, d_model]`: MLP output − reconstruction, zero at the zeroed positions.
        public let errors: [Tensor]
        /// Frozen attention patterns per layer `[n_heads, T, T]`.
        let patterns: [Tensor]
        /// Frozen norm denominators per layer `[T, 1]` (pre-attention and pre-MLP) and of the final norm.
        let scale1: [Tensor]
        let scale2: [Tensor]
        let scaleFinal: Tensor
    }

    /// Runs the model once on `tokens`, caching what the replacement model freezes and reads.
    public func run(_ tokens: [Int]) throws -> CleanRun {
        try Torch.noGrad {
            let ctx = HookContext()
            let inHook = inputHookSuffix
            ctx.cacheFilter = { name in
                name.hasSuffix(".ln1.hook_scale") || name.hasSuffix(".ln2.hook_scale") || name.hasSuffix("attn.hook_pattern")
                    || name.hasSuffix("." + inHook) || name.hasSuffix(".hook_mlp_out") || name == "ln_final.hook_scale"
            }
            let logits = try model.forward(try tokenTensor(tokens), ForwardOptions(hooks: ctx)).select(dim: 0, index: 0)
            func get(_ name: String) throws -> Tensor {
                guard let t = ctx.cache[name] else { throw ModelError("replacement_model: the forward pass did not produce \(name)") }
                return try t.select(dim: 0, index: 0).to(.float32)
            }
            var inputs: [Tensor] = [], outs: [Tensor] = [], acts: [Tensor] = [], pres: [Tensor] = [], pats: [Tensor] = []
            var s1: [Tensor] = [], s2: [Tensor] = []
            for l in 0..<nLayers {
                inputs.append(try get(hook(l, inHook)))
                outs.append(try get(hook(l, "hook_mlp_out")))
                pats.append(try get(hook(l, "attn.hook_pattern")))
                s1.append(try get(hook(l, "ln1.hook_scale")))
                s2.append(try get(hook(l, "ln2.hook_scale")))
                // The features themselves come from the transcoders' own dtype.
                let pre = try transcoders.preActivations(inputs[l], layer: l)
                acts.append(try zeroed(try transcoders.activate(pre, layer: l)))
                pres.append(pre.dtype == .float32 ? pre : try transcoders.preActivationsFloat32(inputs[l], layer: l))
            }
            let acts32 = try acts.map { try $0.to(.float32) }
            let recon = try (0..<nLayers).map { try reconstruction(layer: $0, activations: acts32, inputs: inputs, float32: true) }
            let errors = try (0..<nLayers).map { try zeroed(try outs[$0] - recon[$0]) }
            return CleanRun(tokens: tokens, logits: try logits.to(.float32), inputs: inputs, mlpOutputs: outs,
                            activations: acts32, preActivations: pres,
                            reconstructions: recon, errors: errors, patterns: pats, scale1: s1, scale2: s2,
                            scaleFinal: try get("ln_final.hook_scale"))
        }
    }

    /// `x` `[T, …]` with the first `zeroPositions` rows set to zero.
    func zeroed(_ x: Tensor) throws -> Tensor {
        let n = Swift.min(zeroPositions, x.shape[0])
        guard n > 0 else { return x }
        let y = try x.clone()
        try y.narrow(dim: 0, start: 0, length: n).zeroInPlace()
        return y
    }

    // MARK: forward

    /// Logits `[T, d_vocab]` of the replacement model.
    ///
    /// With `errors` (the default) every MLP output is reconstruction + error: the model's own logits
    /// up to float rounding. Without, the transcoders are spliced in: each MLP output is its
    /// transcoder's reconstruction from the current input (the zeroed positions keep the real MLP
    /// output), which is how spliced-in loss is measured.
    public func forward(_ tokens: [Int], errors: Bool = true) throws -> Tensor {
        try Torch.noGrad {
            let ctx = HookContext()
            var acts: [Tensor] = []
            var inputs: [Tensor] = []
            for l in 0..<nLayers {
                ctx.add(hook(l, inputHookSuffix)) { [self] x, _ in
                    let xi = try x.select(dim: 0, index: 0)
                    inputs.append(xi)
                    acts.append(try zeroed(try transcoders.encode(xi, layer: l)))
                    return nil
                }
                ctx.add(hook(l, "hook_mlp_out")) { [self] y, _ in
                    let recon = try reconstruction(layer: l, activations: acts, inputs: inputs).to(y.dtype).unsqueeze(0)
                    return errors ? try recon + (y - recon) : try keepZeroPositions(real: y, replacement: recon)
                }
            }
            return try model.forward(try tokenTensor(tokens), ForwardOptions(hooks: ctx)).select(dim: 0, index: 0)
        }
    }

    /// The reconstruction at output `layer` from the activations of layers `0...layer` (CLT) or `layer` (PLT).
    /// `float32`: in float32 with the weights cast (the activations and inputs must be float32) — the
    /// decomposition attribution's float32 sweep sums to, whatever the transcoders' dtype.
    func reconstruction(layer l: Int, activations: [Tensor], inputs: [Tensor], float32: Bool = false) throws -> Tensor {
        if float32 {
            let sources = transcoders.isCrossLayer ? Array(0...l) : [l]
            var y = try transcoders.bDec(layer: l).to(.float32)
            for src in sources {
                let w: Tensor = switch transcoders {
                case .perLayer(let s): try s[l].wDec
                case .crossLayer(let c): try c.wDec(layer: src).select(dim: 1, index: l - src)
                }
                y = try y + activations[src].matmul(w.to(.float32))
            }
            if let sk = try transcoders.skipMatrix(layer: l) { y = try y + inputs[l].linear(sk.to(.float32)) }
            return y
        }
        switch transcoders {
        case .perLayer(let s):
            var y = try s[l].decode(activations[l])
            if let sk = try s[l].skip(inputs[l]) { y = try y + sk }
            return y
        case .crossLayer(let c):
            var y = try c.bDec(layer: l)
            for src in 0...l {
                y = try y + activations[src].matmul(try c.wDec(layer: src).select(dim: 1, index: l - src))
            }
            return y
        }
    }

    /// `replacement` `[1, T, d]` with its first `zeroPositions` positions taken from `real`.
    func keepZeroPositions(real: Tensor, replacement: Tensor) throws -> Tensor {
        let n = Swift.min(zeroPositions, real.shape[1])
        guard n > 0 else { return replacement }
        let y = try replacement.clone()
        try y.narrow(dim: 1, start: 0, length: n).copyInPlace(from: real.narrow(dim: 1, start: 0, length: n))
        return y
    }

    // MARK: frozen (direct-effect) forward

    /// What the frozen model computes: each layer's transcoder input and the final norm's output.
    package struct FrozenOutputs {
        /// Transcoder inputs per layer `[T, d_model]`.
        package let inputs: [Tensor]
        /// Input of the unembedding (after the frozen final norm) `[T, d_model]`.
        package let finalHidden: Tensor
    }

    /// Runs the frozen model (attention patterns and norm denominators from `run`; every MLP output =
    /// skip(current input) + its clean remainder) with `embedDelta` `[T, d]` added to the token
    /// embeddings and `outputDeltas[l]` `[T, d]` added to MLP outputs. This is the map attribution
    /// differentiates, evaluated through the model's own forward pass (an independent path from the
    /// attribution sweep), so it checks edges and computes the constant terms.
    package func frozenForward(_ run: CleanRun, embedDelta: Tensor? = nil, outputDeltas: [Int: Tensor] = [:]) throws -> FrozenOutputs {
        try Torch.noGrad {
            let ctx = HookContext()
            var inputs: [Tensor] = Array(repeating: run.inputs[0], count: nLayers)
            var final: Tensor?
            if let e = embedDelta { ctx.add("hook_embed") { x, _ in try x + e.to(x.dtype).unsqueeze(0) } }
            for l in 0..<nLayers {
                ctx.freeze(hook(l, "attn.hook_pattern"), to: try run.patterns[l].unsqueeze(0))
                ctx.freeze(hook(l, "ln1.hook_scale"), to: try run.scale1[l].unsqueeze(0))
                ctx.freeze(hook(l, "ln2.hook_scale"), to: try run.scale2[l].unsqueeze(0))
                ctx.add(hook(l, inputHookSuffix)) { x, _ in
                    inputs[l] = try x.select(dim: 0, index: 0).to(.float32)
                    return nil
                }
                let skipMatrix = try transcoders.skipMatrix(layer: l)?.to(.float32)  // the frozen run is float32
                let cleanSkip = try skipMatrix.map { try run.inputs[l].linear($0) }
                ctx.add(hook(l, "hook_mlp_out")) { y, _ in
                    var out = run.mlpOutputs[l]
                    if let w = skipMatrix, let c = cleanSkip { out = try out - c + inputs[l].linear(w) }
                    if let d = outputDeltas[l] { out = try out + d }
                    return try out.to(y.dtype).unsqueeze(0)
                }
            }
            ctx.freeze("ln_final.hook_scale", to: try run.scaleFinal.unsqueeze(0))
            ctx.add("ln_final.hook_normalized") { x, _ in
                final = try x.select(dim: 0, index: 0).to(.float32)
                return nil
            }
            _ = try model.forward(try tokenTensor(run.tokens), ForwardOptions(hooks: ctx))
            var hidden = final!
            // RMSNorm's hook_normalized excludes the weight (TransformerLens); the unembedding reads it weighted.
            if !model.normsCenter { hidden = try hidden * model.finalNormWeight().weight.to(.float32) }
            return FrozenOutputs(inputs: inputs, finalHidden: hidden)
        }
    }
}
