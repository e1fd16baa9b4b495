// Options of a transcoder training run.
import Foundation
import Models

/// The options of a per-layer transcoder training run (`TranscoderTrainer`).
///
/// Defaults follow the upstream trainers: EleutherAI sparsify for TopK (expansion 32, k 32, Adam
/// lr 2e-4/√(width/2¹⁴), AuxK with k_aux = d_model/2, dead after 10 M tokens), dictionary_learning for
/// BatchTopK (threshold EMA β = 0.999 started at step 1000, AuxK coefficient 1/32, gradient clipping
/// at 1.0, activations normalised to unit mean-squared norm) and SAELens for the batch size (4,096
/// tokens). Where an upstream default assumes billions of tokens (the dead-latent window, the
/// threshold start, warmup) the default is capped by the length of this run; see each property.
public struct TranscoderTrainingConfig: Sendable, Equatable {
    /// The sparsifying nonlinearity used while training.
    public enum Activation: String, Sendable, CaseIterable {
        /// The `k` largest pre-activations of each token, kept unchanged (circuit-tracer's TopK, no ReLU).
        case topK = "topk"
        /// ReLU, then the `k·n` largest activations over a batch of `n` tokens (Bussmann et al. 2024);
        /// at inference a global threshold learned during training replaces the batch selection.
        case batchTopK = "batchtopk"
    }

    /// The activation function the saved transcoders use.
    public enum Export: String, Sendable, CaseIterable {
        /// TopK with the training `k` (per token).
        case topK = "topk"
        /// JumpReLU with BatchTopK's learned threshold as every feature's threshold.
        case jumpReLU = "jumprelu"
    }

    /// Optimizer steps (one batch of `batchTokens` activation pairs per layer each).
    public var steps: Int
    /// The layers to train (0-based, sorted, distinct); nil trains every layer. All train together
    /// from the same forward passes.
    public var layers: [Int]?
    /// Features per transcoder (`d_tc`); nil means `expansion × d_model`.
    public var width: Int?
    /// Features per residual dimension when `width` is nil (sparsify's `expansion_factor`, 32).
    public var expansion = 32
    /// Active features per token (TopK) or per token on average (BatchTopK).
    public var k = 32
    /// The training activation.
    public var activation: Activation = .topK
    /// The saved activation; nil means TopK for `.topK` and JumpReLU for `.batchTopK`.
    public var export: Export?
    /// Train a linear skip connection `W_skip` (zero-initialised; Paulo et al. 2025).
    public var skip = false
    /// Activation pairs (tokens) per optimizer step and layer.
    public var batchTokens = 4096
    /// Peak learning rate; nil means `2e-4 / √(width / 2¹⁴)` (sparsify's Adam scaling).
    public var lr: Double?
    /// The floor of the decay, as a fraction of the peak rate.
    public var minLRFraction = 0.1
    /// Linear warmup steps; nil means min(1000, steps / 20).
    public var warmupSteps: Int?
    /// The decay after warmup.
    public var schedule: LRSchedule.Shape = .cosine
    /// Adam β₁.
    public var beta1 = 0.9
    /// Adam β₂.
    public var beta2 = 0.999
    /// Adam ε.
    public var eps = 1e-8
    /// Clip each layer's gradient norm to this value (nil: no clipping).
    public var maxGradNorm: Double? = 1.0
    /// Coefficient of the AuxK loss (dead latents reconstructing the residual).
    public var auxAlpha = 1.0 / 32.0
    /// Dead latents used by AuxK per token; nil means d_model / 2.
    public var auxK: Int?
    /// A latent is dead after this many training tokens without firing; nil means
    /// min(10 M, max(batchTokens, steps·batchTokens / 10)).
    public var deadTokens: Int?
    /// EMA decay of BatchTopK's inference threshold.
    public var thresholdBeta = 0.999
    /// The step from which BatchTopK's threshold is tracked; nil means min(1000, steps / 2).
    public var thresholdStartStep: Int?
    /// Normalise inputs and targets to unit mean-squared norm (factors estimated on the first
    /// activation buffer and folded into the saved weights).
    public var normalize = true
    /// Tokens per forward pass window: longer sequences are cut into windows of this many tokens;
    /// nil means min(n_ctx, 1024).
    public var contextSize: Int?
    /// Activation pairs held and shuffled together; nil means 16 batches.
    public var bufferTokens: Int?
    /// Sequences per harvesting forward pass.
    public var forwardBatch = 32
    /// Held-out tokens for the final metrics when the trainer splits them off itself.
    public var evalTokens = 8192
    /// Seeds the initial weights, the sequence order and the buffer shuffles.
    public var seed: UInt64 = 0
    /// The hook read, relative to a block.
    public var inputHook = "ln2.hook_normalized"
    /// The hook predicted, relative to a block.
    public var outputHook = "hook_mlp_out"
    /// Write a checkpoint every this many steps (needs `checkpointDir`; nil: only when stopping and at the end).
    public var checkpointEvery: Int?
    /// Where checkpoints go; nil disables checkpointing and resuming.
    public var checkpointDir: String?
    /// How many checkpoints to keep (the newest).
    public var keepCheckpoints = 2
    /// Resume from the newest checkpoint in `checkpointDir` when its configuration hash matches.
    public var resume = true
    /// Stop (with a checkpoint) once a step ends after this many seconds of this run.
    public var maxSeconds: Double?

    /// Creates a configuration for `steps` optimizer steps with the defaults above.
    public init(steps: Int) { self.steps = steps }

    /// The saved activation kind.
    public var resolvedExport: Export { export ?? (activation == .topK ? .topK : .jumpReLU) }

    /// The number of features for a model of width `dModel`.
    public func resolvedWidth(dModel: Int) -> Int { width ?? expansion * dModel }

    /// The peak learning rate for transcoders of `width` features.
    public func resolvedLR(width: Int) -> Double { lr ?? 2e-4 / (Double(width) / 16384).squareRoot() }

    /// The warmup length.
    public var resolvedWarmup: Int { warmupSteps ?? Swift.min(1000, steps / 20) }

    /// The dead-latent window in tokens.
    public var resolvedDeadTokens: Int {
        deadTokens ?? Swift.min(10_000_000, Swift.max(batchTokens, steps * batchTokens / 10))
    }

    /// The first step that updates BatchTopK's threshold.
    public var resolvedThresholdStart: Int { thresholdStartStep ?? Swift.min(1000, steps / 2) }

    /// The buffer size in tokens (at least one batch).
    public var resolvedBufferTokens: Int { Swift.max(bufferTokens ?? 16 * batchTokens, batchTokens) }

    /// The learning-rate schedule for transcoders of `width` features.
    public func schedule(width: Int) -> LRSchedule {
        let peak = resolvedLR(width: width)
        return LRSchedule(shape: schedule, peak: peak, minLR: peak * minLRFraction, warmupSteps: resolvedWarmup, totalSteps: steps)
    }

    /// Checks every option against a model of `nLayers` layers and width `dModel`.
    /// - Throws: `TrainingError` of kind `option` naming the first bad option.
    public func validate(nLayers: Int, dModel: Int) throws {
        func bad(_ m: String) -> TrainingError { TrainingError(.option, m) }
        guard steps >= 1 else { throw bad("steps must be at least 1, got \(steps)") }
        if let layers {
            guard !layers.isEmpty else { throw bad("layers must list at least one layer") }
            if let l = layers.first(where: { $0 < 0 || $0 >= nLayers }) {
                throw bad("layer \(l) is out of range: the model has layers 0..<\(nLayers) (0-based)")
            }
            guard Set(layers).count == layers.count else { throw bad("layers lists a layer twice: \(layers)") }
        }
        if let w = width, w < 1 { throw bad("width must be at least 1, got \(w)") }
        guard expansion >= 1 else { throw bad("expansion must be at least 1, got \(expansion)") }
        let w = resolvedWidth(dModel: dModel)
        guard k >= 1, k <= w else { throw bad("k must be in 1...\(w) (the width), got \(k)") }
        if activation == .topK, export == .jumpReLU {
            throw bad("export \"jumprelu\" needs activation \"batchtopk\" (TopK learns no threshold)")
        }
        guard batchTokens >= 1 else { throw bad("batch_size must be at least 1 token, got \(batchTokens)") }
        if let lr, !(lr > 0 && lr.isFinite) { throw bad("lr must be a positive number, got \(lr)") }
        guard minLRFraction >= 0, minLRFraction <= 1 else { throw bad("min_lr_fraction must be in [0, 1], got \(minLRFraction)") }
        if let w = warmupSteps, w < 0 { throw bad("warmup_steps must be non-negative, got \(w)") }
        for (n, b) in [("beta1", beta1), ("beta2", beta2), ("threshold_beta", thresholdBeta)] where !(b >= 0 && b < 1) {
            throw bad("\(n) must be in [0, 1), got \(b)")
        }
        guard eps >= 0, eps.isFinite else { throw bad("eps must be non-negative, got \(eps)") }
        if let m = maxGradNorm, !(m > 0 && m.isFinite) { throw bad("max_grad_norm must be positive, got \(m)") }
        guard auxAlpha >= 0, auxAlpha.isFinite else { throw bad("aux_alpha must be non-negative, got \(auxAlpha)") }
        if let a = auxK, a < 1 { throw bad("aux_k must be at least 1, got \(a)") }
        if let d = deadTokens, d < 1 { throw bad("dead_tokens must be at least 1, got \(d)") }
        if let t = thresholdStartStep, t < 0 { throw bad("threshold_start_step must be non-negative, got \(t)") }
        if let c = contextSize, c < 2 { throw bad("context_size must be at least 2, got \(c)") }
        if let b = bufferTokens, b < 1 { throw bad("buffer_tokens must be at least 1, got \(b)") }
        guard forwardBatch >= 1 else { throw bad("forward_batch must be at least 1, got \(forwardBatch)") }
        guard evalTokens >= 1 else { throw bad("eval_tokens must be at least 1, got \(evalTokens)") }
        if let c = checkpointEvery, c < 1 { throw bad("checkpoint_every must be at least 1, got \(c)") }
        if checkpointEvery != nil, checkpointDir == nil { throw bad("checkpoint_every needs checkpoint_dir") }
        guard keepCheckpoints >= 1 else { throw bad("keep_checkpoints must be at least 1, got \(keepCheckpoints)") }
        if let s = maxSeconds, !(s >= 0) { throw bad("max_seconds must be non-negative, got \(s)") }
    }

    /// A fingerprint of every option that shapes the trained weights (not checkpoint placement,
    /// time limits or the held-out size).
    func fingerprint(into f: inout Fingerprint, nLayers: Int, dModel: Int) {
        f.add("TranscoderTrainingConfig/1")
        f.add(steps)
        f.add(ints: layers ?? Array(0..<nLayers))
        f.add(resolvedWidth(dModel: dModel)); f.add(k); f.add(activation.rawValue); f.add(resolvedExport.rawValue)
        f.add(skip ? 1 : 0); f.add(batchTokens)
        f.add(resolvedLR(width: resolvedWidth(dModel: dModel))); f.add(minLRFraction); f.add(resolvedWarmup)
        f.add(schedule.rawValue); f.add(beta1); f.add(beta2); f.add(eps); f.add(maxGradNorm ?? -1)
        f.add(auxAlpha); f.add(auxK ?? dModel / 2); f.add(resolvedDeadTokens); f.add(thresholdBeta); f.add(resolvedThresholdStart)
        f.add(normalize ? 1 : 0); f.add(contextSize ?? -1); f.add(resolvedBufferTokens); f.add(forwardBatch)
        f.add(seed); f.add(inputHook); f.add(outputHook)
    }
}
