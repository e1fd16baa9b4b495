// Feature interventions (circuit-tracer's `feature_intervention`): set features to values and let
// the effect propagate through the real model.
import Models
import Tensor

/// One intervention: set feature `feature` of `layer` to `value` at `position` (nil: every position
/// after the zeroed ones — steering).
public struct FeatureIntervention: Sendable, Equatable {
    public var layer: Int
    public var position: Int?
    public var feature: Int
    public var value: Double

    public init(layer: Int, position: Int?, feature: Int, value: Double) {
        self.layer = layer
        self.position = position
        self.feature = feature
        self.value = value
    }
}

extension ReplacementModel {
    /// Result of an intervention.
    public struct InterventionResult {
        /// Logits `[T, d_vocab]` after the intervention.
        public let logits: Tensor
        /// Feature activations per layer `[T, d_tc]` computed from each layer's (intervened) input;
        /// intervened entries hold the value they were set to.
        public let activations: [Tensor]
    }

    /// Runs `tokens` with features set to the given values.
    ///
    /// At each intervened layer the MLP output gains `Σ (value − current activation) · W_dec[f]` at the
    /// intervened positions (a CLT adds its decoders at every later layer too); everything downstream
    /// — attention, norms, the real MLPs and the features reported — responds. With `freezeAttention`
    /// (the default, as circuit-tracer) attention patterns are fixed at their clean values. With
    /// `freezeMLPs` every MLP output is also fixed at its clean value plus the intervention deltas,
    /// so only the direct effects through the residual stream and attention remain.
    /// - Throws: `ModelError` for a layer, position or feature out of range.
    public func featureIntervention(_ tokens: [Int], _ interventions: [FeatureIntervention], freezeAttention: Bool = true,
                                    freezeMLPs: Bool = false) throws -> InterventionResult {
        let t = tokens.count
        for iv in interventions {
            guard iv.layer >= 0, iv.layer < nLayers else {
                throw ModelError("feature_intervention: layer \(iv.layer) is outside 0..<\(nLayers)")
            }
            guard iv.feature >= 0, iv.feature < transcoders.dTranscoder(layer: iv.layer) else {
                throw ModelError("feature_intervention: feature \(iv.feature) is outside 0..<\(transcoders.dTranscoder(layer: iv.layer)) at layer \(iv.layer)")
            }
            if let p = iv.position, p < 0 || p >= t {
                throw ModelError("feature_intervention: position \(p) is outside 0..<\(t)")
            }
            guard iv.value.isFinite else { throw ModelError("feature_intervention: value \(iv.value) is not finite") }
        }
        return try Torch.noGrad {
            let clean = freezeAttention || freezeMLPs ? try run(tokens) : nil
            let ctx = HookContext()
            var acts = [Tensor?](repeating: nil, count: nLayers)
            var pending = [Tensor?](repeating: nil, count: nLayers)  // deltas waiting for later layers (CLT)
            for l in 0..<nLayers {
                if let c = clean, freezeAttention { ctx.freeze(hook(l, "attn.hook_pattern"), to: try c.patterns[l].unsqueeze(0)) }
                ctx.add(hook(l, inputHookSuffix)) { [self] x, _ in
                    acts[l] = try zeroed(try transcoders.encode(x.select(dim: 0, index: 0), layer: l).to(.float32))
                    return nil
                }
                let here = interventions.filter { $0.layer == l }
                ctx.add(hook(l, "hook_mlp_out")) { [self] y, _ in
                    if !here.isEmpty, let a = acts[l] {
                        let set = try a.clone()
                        for iv in here {
                            let positions = iv.position.map { [$0] } ?? Array(Swift.min(zeroPositions, t)..<t)
                            for p in positions { try set.select(dim: 0, index: p).narrow(dim: 0, start: iv.feature, length: 1).fillInPlace(iv.value) }
                        }
                        let diff = try set - a
                        for out in transcoders.outputLayers(of: l) {
                            let delta = try diff.matmul(transcoders.decoder(sourceLayer: l, outputLayer: out).to(.float32))
                            pending[out] = try pending[out].map { try $0 + delta } ?? delta
                        }
                        acts[l] = set
                    }
                    var out = y
                    if let c = clean, freezeMLPs { out = try c.mlpOutputs[l].to(y.dtype).unsqueeze(0) }
                    if let d = pending[l] { out = try out + d.to(y.dtype).unsqueeze(0) }
                    return out
                }
            }
            let logits = try model.forward(try tokenTensor(tokens), ForwardOptions(hooks: ctx)).select(dim: 0, index: 0)
            return InterventionResult(logits: logits, activations: acts.map { $0! })
        }
    }
}
