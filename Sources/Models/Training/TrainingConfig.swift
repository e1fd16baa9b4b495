// Options of a training run.

/// The options of a training run (everything that shapes the trained weights, plus when to
/// evaluate, report and checkpoint).
///
/// Defaults follow PyTorch's `AdamW` (lr 1e-3, betas 0.9/0.999, eps 1e-8, weight decay 0.01) and
/// common GPT practice elsewhere (cosine decay, clipping at 1.0).
///
/// **Weight-decay grouping.** Weight decay applies to weight matrices (`attn.c_attn`, `attn.c_proj`,
/// `mlp.c_fc`, `mlp.c_proj`, Llama's projections, and LoRA's A and B). By default it does not
/// apply to biases (`*.bias`), normalisation weights (`ln_*`, `*norm*`, `*LayerNorm*`) or
/// embeddings (`wte`, `wpe`, `embed_tokens`, an untied `lm_head`); `decayBiases`, `decayNorms` and
/// `decayEmbeddings` switch each group on.
///
/// **Gradient accumulation.** One optimizer step consumes `batchSize × gradAccumulation` examples
/// in `gradAccumulation` forward/backward passes. The loss is the mean over every scored target of
/// the whole step (each micro-batch's summed loss is divided by the step's total target count), so
/// accumulation gives the gradient of the large batch.
public struct TrainingConfig: Sendable, Equatable {
    /// Optimizer steps to train for (the schedule's length).
    public var steps: Int
    /// Examples per forward/backward pass.
    public var batchSize: Int = 8
    /// Forward/backward passes per optimizer step.
    public var gradAccumulation: Int = 1
    /// Peak learning rate.
    public var lr: Double = 1e-3
    /// The rate the decay ends at.
    public var minLR: Double = 0
    /// Linear warmup steps (HF semantics: step 0 runs at rate 0 when warmup > 0).
    public var warmupSteps: Int = 0
    /// The decay after warmup.
    public var schedule: LRSchedule.Shape = .cosine
    /// AdamW β₁.
    public var beta1: Double = 0.9
    /// AdamW β₂.
    public var beta2: Double = 0.999
    /// AdamW ε.
    public var eps: Double = 1e-8
    /// Decoupled weight decay of the decayed group.
    public var weightDecay: Double = 0.01
    /// Also decay biases.
    public var decayBiases = false
    /// Also decay normalisation weights and biases.
    public var decayNorms = false
    /// Also decay embeddings (and an untied unembedding).
    public var decayEmbeddings = false
    /// Clip the global gradient norm to this value (nil: no clipping).
    public var maxGradNorm: Double? = 1.0
    /// Seeds the example order (each epoch is a fresh permutation).
    public var seed: UInt64 = 0
    /// Visit examples in a seeded random order (false: in order, epoch after epoch).
    public var shuffle = true
    /// Evaluate the held-out set every this many steps (nil: only at the end, when there is one).
    public var evalEvery: Int?
    /// Evaluate on at most this many held-out examples (nil: all).
    public var evalExamples: Int?
    /// Write a checkpoint every this many steps (needs `checkpointDir`; nil: only at the end).
    public var checkpointEvery: Int?
    /// Where checkpoints go; nil disables checkpointing and resuming.
    public var checkpointDir: String?
    /// How many checkpoints to keep (the newest).
    public var keepCheckpoints: Int = 2
    /// Resume from the newest checkpoint in `checkpointDir` when its configuration hash matches.
    public var resume = true
    /// Stop (with a checkpoint) once a step ends after this many seconds of this run.
    public var maxSeconds: Double?

    /// Creates a configuration for `steps` optimizer steps with the defaults above.
    public init(steps: Int) { self.steps = steps }

    /// The learning-rate schedule these options describe.
    public var lrSchedule: LRSchedule {
        LRSchedule(shape: schedule, peak: lr, minLR: minLR, warmupSteps: warmupSteps, totalSteps: steps)
    }

    /// Checks every option.
    /// - Throws: `TrainingError` of kind `option` naming the first bad option.
    public func validate() throws {
        try lrSchedule.validate()
        guard batchSize >= 1 else { throw TrainingError(.option, "batch_size must be at least 1, got \(batchSize)") }
        guard gradAccumulation >= 1 else { throw TrainingError(.option, "grad_accumulation must be at least 1, got \(gradAccumulation)") }
        for (n, b) in [("beta1", beta1), ("beta2", beta2)] where !(b >= 0 && b < 1) {
            throw TrainingError(.option, "\(n) must be in [0, 1), got \(b)")
        }
        guard eps >= 0, eps.isFinite else { throw TrainingError(.option, "eps must be non-negative, got \(eps)") }
        guard weightDecay >= 0, weightDecay.isFinite else { throw TrainingError(.option, "weight_decay must be non-negative, got \(weightDecay)") }
        if let m = maxGradNorm, !(m > 0 && m.isFinite) { throw TrainingError(.option, "max_grad_norm must be positive, got \(m)") }
        if let e = evalEvery, e < 1 { throw TrainingError(.option, "eval_every must be at least 1, got \(e)") }
        if let e = evalExamples, e < 1 { throw TrainingError(.option, "eval_examples must be at least 1, got \(e)") }
        if let c = checkpointEvery, c < 1 { throw TrainingError(.option, "checkpoint_every must be at least 1, got \(c)") }
        if checkpointEvery != nil, checkpointDir == nil { throw TrainingError(.option, "checkpoint_every needs checkpoint_dir") }
        guard keepCheckpoints >= 1 else { throw TrainingError(.option, "keep_checkpoints must be at least 1, got \(keepCheckpoints)") }
        if let s = maxSeconds, !(s >= 0) { throw TrainingError(.option, "max_seconds must be non-negative, got \(s)") }
    }

    /// Whether the parameter `name` (HF naming) is weight-decayed under these options.
    public func decays(_ name: String) -> Bool {
        if name.hasSuffix(".lora_A.weight") || name.hasSuffix(".lora_B.weight") { return true }
        let lower = name.lowercased()
        let parts = lower.split(separator: ".")
        let isNorm = parts.contains { $0.hasPrefix("ln_") || $0.contains("norm") }
        if isNorm { return decayNorms }
        if lower.hasSuffix(".bias") { return decayBiases }
        let isEmbedding = parts.contains { ["wte", "wpe", "embed_tokens", "lm_head", "word_embeddings", "position_embeddings",
                                            "token_type_embeddings"].contains(String($0)) }
        if isEmbedding { return decayEmbeddings }
        return true
    }

    /// A fingerprint of every option that shapes the trained weights (not evaluation, reporting,
    /// checkpoint placement or time limits).
    func fingerprint(into f: inout Fingerprint) {
        f.add("TrainingConfig/1")
        f.add(steps); f.add(batchSize); f.add(gradAccumulation)
        f.add(lr); f.add(minLR); f.add(warmupSteps); f.add(schedule.rawValue)
        f.add(beta1); f.add(beta2); f.add(eps); f.add(weightDecay)
        f.add(decayBiases ? 1 : 0); f.add(decayNorms ? 1 : 0); f.add(decayEmbeddings ? 1 : 0)
        f.add(maxGradNorm ?? -1)
        f.add(seed); f.add(shuffle ? 1 : 0)
    }
}
