// How good per-layer transcoders are on held-out text: reconstruction (FVU), sparsity (L0), unused
// features, and the model's next-token loss with the MLPs replaced by the transcoders.
import Foundation
import Models
import Tensor

/// Held-out quality of one layer's transcoder.
public struct TranscoderLayerMetrics: Sendable, Equatable {
    /// The layer (0-based).
    public var layer: Int
    /// Fraction of variance unexplained: `Σ‖y − ŷ‖² / Σ‖y − ȳ‖²` over the evaluated tokens.
    public var fvu: Double
    /// Mean number of active features per token.
    public var l0: Double
    /// Fraction of features active on none of the evaluated tokens.
    public var inactiveFraction: Double
    /// Fraction of features that did not fire during the last `dead_tokens` training tokens (set by
    /// the trainer; nil for a standalone evaluation).
    public var deadFraction: Double?

    /// Creates metrics.
    public init(layer: Int, fvu: Double, l0: Double, inactiveFraction: Double, deadFraction: Double? = nil) {
        self.layer = layer
        self.fvu = fvu
        self.l0 = l0
        self.inactiveFraction = inactiveFraction
        self.deadFraction = deadFraction
    }
}

/// The model's mean next-token loss on held-out text, clean and with the MLP outputs of the
/// transcoders' layers replaced by the transcoders' outputs (all layers at once, each reading the
/// already spliced residual stream) or by zeros. Position 0 keeps its clean MLP output in both
/// (transcoders are not trained on it), as circuit-tracer's replacement model does with BOS.
public struct SplicedLoss: Sendable, Equatable {
    /// Mean cross-entropy of the unmodified model (nats per target token).
    public var cleanLoss: Double
    /// Mean cross-entropy with the MLP outputs replaced by the transcoders' outputs.
    public var splicedLoss: Double
    /// Mean cross-entropy with the same MLP outputs set to zero.
    public var zeroAblationLoss: Double
    /// Target tokens scored.
    public var targets: Int

    /// Creates the measurements.
    public init(cleanLoss: Double, splicedLoss: Double, zeroAblationLoss: Double, targets: Int) {
        self.cleanLoss = cleanLoss
        self.splicedLoss = splicedLoss
        self.zeroAblationLoss = zeroAblationLoss
        self.targets = targets
    }

    /// `splicedLoss − cleanLoss`.
    public var increase: Double { splicedLoss - cleanLoss }

    /// `(zeroAblationLoss − splicedLoss) / (zeroAblationLoss − cleanLoss)`: 1 when splicing costs
    /// nothing, 0 when it is as bad as deleting the MLPs (NaN when ablation changes nothing).
    public var fractionRecovered: Double { (zeroAblationLoss - splicedLoss) / (zeroAblationLoss - cleanLoss) }
}

/// Held-out metrics of a set of trained transcoders.
public struct TranscoderMetrics: Sendable, Equatable {
    /// One entry per transcoder, in layer order.
    public var layers: [TranscoderLayerMetrics]
    /// Next-token loss with the transcoders spliced in.
    public var spliced: SplicedLoss
    /// Activation pairs (tokens) the per-layer metrics were computed on.
    public var tokens: Int

    /// Creates metrics.
    public init(layers: [TranscoderLayerMetrics], spliced: SplicedLoss, tokens: Int) {
        self.layers = layers
        self.spliced = spliced
        self.tokens = tokens
    }
}

/// Evaluation of per-layer transcoders on a model and token sequences.
public enum TranscoderEvaluation {
    /// FVU, L0 and inactive features of each transcoder on the activations of `sequences`
    /// (every position except 0, as in training).
    /// - Parameters:
    ///   - transcoders: transcoders on raw activations, each reading `blocks.<layer>.<inputHook>` and
    ///     predicting `blocks.<layer>.<outputHook>`; distinct layers.
    ///   - sequences: token ids, each of at least 2 tokens and at most the model's context.
    ///   - forwardBatch: sequences per forward pass.
    /// - Throws: `TrainingError` of kind `data` without a usable sequence; `ModelError`, `TorchError`.
    public static func layerMetrics(model: Transformer, transcoders: [Transcoder], sequences: [[Int]],
                                    inputHook: String = "ln2.hook_normalized", outputHook: String = "hook_mlp_out",
                                    forwardBatch: Int = 32) throws -> (metrics: [TranscoderLayerMetrics], tokens: Int) {
        let seqs = sequences.filter { $0.count >= 2 }.map { $0.map { Int32($0) } }
        guard !seqs.isEmpty else { throw TrainingError(.data, "evaluation needs at least one sequence of 2 or more tokens") }
        let harvester = ActivationHarvester(model: model, layers: transcoders.map(\.layer), inputHook: inputHook, outputHook: outputHook)
        let L = transcoders.count
        var sse = [Double](repeating: 0, count: L), sumSq = sse, active = sse
        var sums: [Tensor?] = Array(repeating: nil, count: L)
        var ever: [Tensor?] = Array(repeating: nil, count: L)
        var n = 0
        try Torch.noGrad {
            for start in stride(from: 0, to: seqs.count, by: forwardBatch) {
                let (xs, ys) = try harvester.harvest(Array(seqs[start..<Swift.min(seqs.count, start + forwardBatch)]))
                n += xs[0].shape[0]
                for (i, t) in transcoders.enumerated() {
                    let acts = try t.encode(xs[i])
                    var yhat = try t.decode(acts)
                    if let s = try t.skip(xs[i]) { yhat = try yhat + s }
                    let y = try ys[i].to(.float64)
                    sse[i] += try (yhat.to(.float64) - y).square().sum().item()
                    sumSq[i] += try y.square().sum().item()
                    let colSum = try y.sum(dims: [0])
                    sums[i] = try sums[i].map { try $0 + colSum } ?? colSum
                    let on = try acts.compare(.ne, 0)
                    active[i] += try on.to(.float64).sum().item()
                    let fired = try on.to(.float32).amax(dims: [0])
                    ever[i] = try ever[i].map { try $0.maximum(fired) } ?? fired
                }
            }
        }
        var out: [TranscoderLayerMetrics] = []
        for (i, t) in transcoders.enumerated() {
            let meanSq = try sums[i]!.square().sum().item() / Double(n)
            let variance = sumSq[i] - meanSq
            let inactive = 1 - (try ever[i]!.sum().item()) / Double(t.dTranscoder)
            out.append(TranscoderLayerMetrics(layer: t.layer, fvu: sse[i] / variance, l0: active[i] / Double(n), inactiveFraction: inactive))
        }
        return (out, n)
    }

    /// The mean next-token loss of `model` on `sequences` clean, with the MLP outputs of the
    /// transcoders' layers replaced by the transcoders' outputs, and with them zero-ablated (all
    /// positions except 0; see `SplicedLoss`).
    /// - Parameters:
    ///   - transcoders: transcoders on raw activations (distinct layers).
    ///   - sequences: token ids, each of at least 2 tokens and at most the model's context.
    ///   - forwardBatch: sequences per forward pass.
    /// - Throws: `TrainingError` of kind `data` without a usable sequence; `ModelError`, `TorchError`.
    public static func splicedLoss(model: Transformer, transcoders: [Transcoder], sequences: [[Int]],
                                   inputHook: String = "ln2.hook_normalized", outputHook: String = "hook_mlp_out",
                                   forwardBatch: Int = 32) throws -> SplicedLoss {
        let seqs = sequences.filter { $0.count >= 2 }
        guard !seqs.isEmpty else { throw TrainingError(.data, "evaluation needs at least one sequence of 2 or more tokens") }
        var clean = 0.0, spliced = 0.0, zero = 0.0, targets = 0
        try Torch.noGrad {
            for start in stride(from: 0, to: seqs.count, by: forwardBatch) {
                let batch = Array(seqs[start..<Swift.min(seqs.count, start + forwardBatch)])
                let (tokens, next, weights, count) = try tensors(batch, model: model)
                func loss(_ hooks: HookContext?) throws -> Double {
                    let logits = try model.forward(tokens, ForwardOptions(hooks: hooks))
                    let s = logits.shape[1]
                    let lp = try logits.to(.float32).narrow(dim: 1, start: 0, length: s - 1).logSoftmax(dim: -1)
                    let picked = try lp.gather(dim: -1, index: next.unsqueeze(-1)).squeeze(dim: -1)
                    return -(try (picked * weights).to(.float64).sum().item())
                }
                clean += try loss(nil)
                spliced += try loss(spliceHooks(transcoders, inputHook: inputHook, outputHook: outputHook, zero: false))
                zero += try loss(spliceHooks(transcoders, inputHook: inputHook, outputHook: outputHook, zero: true))
                targets += count
            }
        }
        let t = Double(targets)
        return SplicedLoss(cleanLoss: clean / t, splicedLoss: spliced / t, zeroAblationLoss: zero / t, targets: targets)
    }

    /// Token ids `[b, s]` (right-padded), next-token ids `[b, s−1]`, weights `[b, s−1]` (1 for real
    /// targets) and the number of real targets.
    private static func tensors(_ batch: [[Int]], model: Transformer) throws -> (Tensor, Tensor, Tensor, Int) {
        let b = batch.count, s = batch.map(\.count).max()!
        var ids = [Int64](repeating: Int64(model.padId), count: b * s)
        var next = [Int64](repeating: Int64(model.padId), count: b * (s - 1))
        var w = [Float](repeating: 0, count: b * (s - 1))
        var count = 0
        for (r, seq) in batch.enumerated() {
            for (t, id) in seq.enumerated() { ids[r * s + t] = Int64(id) }
            for t in 1..<seq.count {
                next[r * (s - 1) + t - 1] = Int64(seq[t])
                w[r * (s - 1) + t - 1] = 1
                count += 1
            }
        }
        let d = model.device
        return (try Tensor(ids, shape: [b, s]).to(d), try Tensor(next, shape: [b, s - 1]).to(d), try Tensor(w, shape: [b, s - 1]).to(d), count)
    }

    /// Hooks that replace the MLP output of each transcoder's layer (positions ≥ 1) by the
    /// transcoder's output on the input it reads in the same pass, or by zeros.
    static func spliceHooks(_ transcoders: [Transcoder], inputHook: String, outputHook: String, zero: Bool) -> HookContext {
        final class Slot { var input: Tensor? }
        let ctx = HookContext()
        for t in transcoders {
            let slot = Slot()
            if !zero {
                ctx.add("blocks.\(t.layer).\(inputHook)") { x, _ in
                    slot.input = x
                    return nil
                }
            }
            ctx.add("blocks.\(t.layer).\(outputHook)") { y, name in
                let s = y.shape[1]
                guard s > 1 else { return nil }
                let replaced: Tensor
                if zero {
                    replaced = try Tensor.zeros([y.shape[0], s - 1, y.shape[2]], dtype: y.dtype, device: y.device)
                } else {
                    guard let x = slot.input else { throw ModelError("hook \(name) ran before its transcoder's input hook") }
                    let out = try t(x.narrow(dim: 1, start: 1, length: s - 1))
                    replaced = out.dtype == y.dtype ? out : try out.to(y.dtype)
                }
                return try Tensor.cat([y.narrow(dim: 1, start: 0, length: 1), replaced], dim: 1)
            }
        }
        return ctx
    }
}
