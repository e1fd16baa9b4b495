// The training loop: next-token cross-entropy, AdamW, schedule, clipping, evaluation, checkpoints.
import Foundation
import JSON
import Tensor


/// What `Trainer` reports to its progress callback.
public struct TrainingProgress: Sendable {
    /// Why the callback was called.
    public enum Event: String, Sendable {
        /// An optimizer step finished.
        case step
        /// The held-out loss was computed.
        case eval
        /// A checkpoint was written.
        case checkpoint
        /// Training resumed from a checkpoint.
        case resumed
    }

    /// Why the callback was called.
    public var event: Event
    /// Optimizer steps completed.
    public var step: Int
    /// Optimizer steps the run is configured for.
    public var totalSteps: Int
    /// Examples consumed divided by the number of training examples.
    public var epoch: Double
    /// Training loss (mean over scored targets) of the latest step, nil before the first.
    public var loss: Double?
    /// The learning rate of the latest step.
    public var lr: Double
    /// Global gradient norm of the latest step before clipping (nil without clipping).
    public var gradNorm: Double?
    /// Real (unpadded) tokens per second of training in this run.
    public var tokensPerSecond: Double
    /// Real tokens processed, over every run.
    public var tokensSeen: Int
    /// The latest held-out loss, if any.
    public var evalLoss: Double?
    /// Seconds since this run started.
    public var elapsed: Double
    /// The checkpoint written or resumed from (events `checkpoint`, `resumed`).
    public var checkpoint: String?
}

/// One held-out evaluation.
public struct EvalPoint: Sendable, Equatable {
    /// Optimizer steps completed when it was taken.
    public var step: Int
    /// Mean next-token cross-entropy over the held-out targets.
    public var loss: Double
}

/// The outcome of `Trainer.run`.
public struct TrainingResult: Sendable {
    /// Why the run ended: "completed", "max_seconds" or "stopped" (the stop hook).
    public var stopReason: String
    /// Optimizer steps completed (over every run).
    public var steps: Int
    /// The step of the checkpoint this run resumed from, if it resumed.
    public var resumedFrom: Int?
    /// Training loss of every completed step (over every run).
    public var losses: [Double]
    /// Every held-out evaluation (over every run).
    public var evalLosses: [EvalPoint]
    /// Real tokens processed (over every run).
    public var tokensSeen: Int
    /// Seconds this run spent in optimizer steps (not evaluating or checkpointing).
    public var trainSeconds: Double
    /// Real tokens per second of this run's steps.
    public var tokensPerSecond: Double
    /// The configuration hash checkpoints are matched against.
    public var configHash: String

    /// Whether every configured step is done.
    public var completed: Bool { stopReason == "completed" }
}

/// Trains a `Transformer` on next-token prediction.
///
/// One optimizer step: `gradAccumulation` micro-batches of `batchSize` examples (in the seeded data
/// order), the mean cross-entropy over all their scored targets, backward, global-norm clipping,
/// AdamW at the scheduled learning rate. With LoRA adapters attached only the adapters train;
/// otherwise every weight does. During `run` the model is in its training layout (its weights
/// track gradients); afterwards it is an ordinary inference model again.
///
/// **Checkpoints and resuming.** With `checkpointDir`, a checkpoint is written every
/// `checkpointEvery` steps, when the run stops early and at the end. A new `Trainer` built the same
/// way — the same initial model (same seed or directory, same adapters), data and options — finds
/// the newest checkpoint, restores the trainable weights, AdamW's moments and step counts and the
/// data position, and continues; the result equals an uninterrupted run (CPU kernels are
/// deterministic for a fixed thread count). A checkpoint whose configuration hash differs is an
/// error rather than silently mixed in. The hash covers the options that shape the weights, the
/// training examples and the model's initial weights (taken when the `Trainer` is created).
///
/// Not thread-safe; one run at a time per model.
public final class Trainer {
    /// The model being trained (updated in place).
    public let model: Transformer
    /// The options.
    public let config: TrainingConfig
    /// The training examples.
    public let data: TokenDataset
    /// Held-out examples for evaluation, if any.
    public let evalData: TokenDataset?
    /// Called after each step and at evaluations, checkpoints and resumption; throwing aborts the
    /// run without writing a checkpoint (the error propagates out of `run`).
    public var onProgress: ((TrainingProgress) throws -> Void)?
    /// Asked after each step; returning true stops the run early with a checkpoint.
    public var shouldStop: ((TrainingProgress) -> Bool)?
    /// Hash of the options, data and initial model that checkpoints must match (16 hex digits).
    public let configHash: String

    /// Creates a trainer and fingerprints the configuration.
    /// - Parameters:
    ///   - model: a GPT-2 or Llama-family model with floating-point weights (BERT is not trained).
    ///   - data: the training examples; every id must be inside the vocabulary and no example longer
    ///     than the context.
    ///   - evalData: held-out examples, evaluated every `evalEvery` steps and at the end.
    ///   - config: the options.
    /// - Throws: `TrainingError` of kind `option` or `data` naming the problem; `TorchError`.
    public init(model: Transformer, data: TokenDataset, evalData: TokenDataset? = nil, config: TrainingConfig) throws {
        try config.validate()
        guard model.isCausal else {
            throw TrainingError(.option, "training needs a causal language model; \(model.config.modelType) is an encoder")
        }
        guard model.dtype.isFloatingPoint else { throw TrainingError(.option, "training needs floating-point weights") }
        for (name, d) in [("training", data), ("held-out", evalData)] {
            guard let d else { continue }
            guard d.count > 0 else { throw TrainingError(.data, "the \(name) data has no examples") }
            guard d.maxToken < model.config.dVocab else {
                throw TrainingError(.data, "the \(name) data holds token id \(d.maxToken), outside the vocabulary [0, \(model.config.dVocab))")
            }
            guard d.blockSize <= model.config.nCtx else {
                throw TrainingError(.data, "the \(name) data has examples of \(d.blockSize) tokens, longer than the model's context of \(model.config.nCtx)")
            }
        }
        self.model = model
        self.config = config
        self.data = data
        self.evalData = evalData
        var f = Fingerprint()
        f.add("discern-trainer/1")
        config.fingerprint(into: &f)
        data.fingerprint(into: &f)
        f.add(try model.fingerprint().value)
        configHash = f.hex
    }

    /// Trains until `config.steps` optimizer steps are done (resuming from a checkpoint when there
    /// is a matching one), or until `maxSeconds` or the stop hook ends the run early.
    /// - Returns: the loss history and counts, over every run of this configuration.
    /// - Throws: `TrainingError` (`checkpoint` for an unreadable or foreign checkpoint, `nonFinite`
    ///   when the loss or gradient norm becomes NaN/∞), `TorchError`, or what `onProgress` throws.
    public func run() throws -> TrainingResult {
        let loop = TrainingLoop(state: TrainingState(), options: .init(
            steps: config.steps, checkpointEvery: config.checkpointEvery, maxSeconds: config.maxSeconds,
            checkpointDir: config.checkpointDir, resume: config.resume))
        Torch.keepTensorMemoryInHeap()
        try model.prepareForTraining()
        defer { try? model.finishTraining() }
        let params = model.trainableTensors()
        let tensors = params.map(\.tensor)
        let adam = try AdamW(parameters: params.map { ($0.name, $0.tensor, config.decays($0.name) ? config.weightDecay : 0) },
                             beta1: config.beta1, beta2: config.beta2, eps: config.eps)
        var lastLR = 0.0, lastNorm: Double?

        func snapshot(_ e: TrainingProgress.Event, checkpoint: String? = nil) -> TrainingProgress {
            let s = loop.state
            return TrainingProgress(event: e, step: s.step, totalSteps: config.steps, epoch: Double(s.position) / Double(data.count),
                                    loss: s.losses.last, lr: lastLR, gradNorm: lastNorm, tokensPerSecond: loop.tokensPerSecond,
                                    tokensSeen: s.tokensSeen, evalLoss: s.evalLosses.last?.loss, elapsed: loop.elapsedInRun,
                                    checkpoint: checkpoint)
        }
        func progress(_ e: TrainingProgress.Event, checkpoint: String? = nil) throws {
            guard let onProgress else { return }
            try onProgress(snapshot(e, checkpoint: checkpoint))
        }
        func evaluateAndRecord() throws {
            let l = try evaluate()
            loop.state.evalLosses.append((loop.state.step, l))
        }

        let resumed = try loop.resumeIfPossible { path in
            let ck = try TrainingCheckpoint.read(path)
            guard ck.configHash == configHash else {
                throw TrainingError(.checkpoint, """
                    checkpoint \(path) belongs to a different configuration (hash \(ck.configHash), this run \(configHash)): \
                    the options, data or initial model differ; remove the directory or use another one
                    """)
            }
            try Torch.noGrad {
                for (name, p) in params {
                    guard ck.tensors.entry("param/" + name) != nil else {
                        throw TrainingError(.checkpoint, "checkpoint \(path) has no tensor param/\(name)")
                    }
                    let src = try ck.tensors.tensor("param/" + name)
                    guard src.shape == p.shape else {
                        throw TrainingError(.checkpoint, "checkpoint \(path): param/\(name) has shape \(src.shape), the model \(p.shape)")
                    }
                    try p.copyInPlace(from: src)
                }
            }
            try adam.load(tensors: { ck.tensors.entry($0) == nil ? nil : try ck.tensors.tensor($0) }, steps: ck.adamSteps)
            lastLR = ck.state.step > 0 ? config.lrSchedule.lr(at: ck.state.step - 1) : 0
            return ck.state
        }
        if let resumed { try progress(.resumed, checkpoint: resumed) }

        var order = DataOrder(count: data.count, seed: config.seed, shuffle: config.shuffle)
        let schedule = config.lrSchedule
        let perStep = config.batchSize * config.gradAccumulation
        var evaluatedAt = -1
        let stopReason = try loop.run(step: {
            let step = loop.state.step
            let lr = schedule.lr(at: step)
            // Fresh views of the weights every step, so autograd sees plain views of the updated leaves.
            try model.reassemble(training: true)
            let indices = (0..<perStep).map { order.example(at: loop.state.position + $0) }
            let batches = try stride(from: 0, to: perStep, by: config.batchSize).map {
                try data.batch(Array(indices[$0..<($0 + config.batchSize)]), dtype: model.dtype, device: model.device)
            }
            let targets = batches.reduce(0) { $0 + $1.targetCount }
            var lossSum = 0.0
            try Torch.withGradEnabled(true) {
                for b in batches {
                    let l = try model.summedNextTokenLoss(tokens: b.inputs, targets: b.targets, weights: b.weights)
                    lossSum += try l.item()
                    try (l / Double(targets)).backward()
                }
            }
            let loss = lossSum / Double(targets)
            guard loss.isFinite else {
                throw TrainingError(.nonFinite, "the training loss is \(loss) at step \(step) (lr \(lr)); lower the learning rate")
            }
            if let maxNorm = config.maxGradNorm {
                let n = try GradientClipping.clipGlobalNorm(tensors, maxNorm: maxNorm)
                guard n.isFinite else {
                    throw TrainingError(.nonFinite, "the gradient norm is \(n) at step \(step) (lr \(lr)); lower the learning rate")
                }
                lastNorm = n
            }
            try adam.step(lr: lr)
            try adam.zeroGrad()
            let tokens = batches.reduce(0) { $0 + $1.tokenCount }
            loop.state.position += perStep
            loop.state.tokensSeen += tokens
            loop.state.losses.append(loss)
            lastLR = lr
            return tokens
        }, afterStep: {
            try progress(.step)
            if let e = config.evalEvery, evalData != nil, loop.state.step % e == 0 {
                try evaluateAndRecord()
                evaluatedAt = loop.state.step
                try progress(.eval)
            }
        }, checkpoint: {
            guard let dir = config.checkpointDir else { return }
            var t: [String: Tensor] = [:]
            for (name, p) in params { t["param/" + name] = p }
            let (moments, steps) = adam.state()
            t.merge(moments) { a, _ in a }
            try TrainingCheckpoint.write(dir: dir, state: loop.state, configHash: configHash, seed: config.seed, tensors: t,
                                         adamSteps: steps, summary: summary(), keep: config.keepCheckpoints)
            try progress(.checkpoint, checkpoint: TrainingCheckpoint.path(dir, step: loop.state.step))
        }, shouldStop: {
            shouldStop?(snapshot(.step)) ?? false
        }, completed: {
            let s = loop.state
            if evalData != nil, evaluatedAt != s.step, s.evalLosses.last?.step != s.step {
                try evaluateAndRecord()
                try progress(.eval)
            }
        })
        let state = loop.state
        return TrainingResult(stopReason: stopReason.rawValue, steps: state.step, resumedFrom: loop.resumedFrom, losses: state.losses,
                              evalLosses: state.evalLosses.map { EvalPoint(step: $0.step, loss: $0.loss) },
                              tokensSeen: state.tokensSeen, trainSeconds: loop.runSeconds,
                              tokensPerSecond: loop.tokensPerSecond, configHash: configHash)
    }

    /// The mean next-token cross-entropy over the scored targets of `data` (default: the held-out
    /// set), without gradients, in batches of `config.batchSize`.
    /// - Parameters:
    ///   - data: examples to score; nil means `evalData`.
    ///   - maxExamples: score only the first this many (nil: `config.evalExamples`, else all).
    /// - Throws: `TrainingError` of kind `data` when there is nothing to evaluate; `TorchError`.
    public func evaluate(_ data: TokenDataset? = nil, maxExamples: Int? = nil) throws -> Double {
        guard let d = data ?? evalData else { throw TrainingError(.data, "evaluate: no held-out data") }
        return try model.meanNextTokenLoss(d, batchSize: config.batchSize, maxExamples: maxExamples ?? config.evalExamples)
    }

    /// The index of the training example visited at position `position` of the data order (epoch
    /// `position / data.count`), a pure function of the seed and the position.
    public func exampleIndex(at position: Int) -> Int {
        var order = DataOrder(count: data.count, seed: config.seed, shuffle: config.shuffle)
        return order.example(at: position)
    }

    /// The options in a human-readable form, stored in checkpoints.
    private func summary() -> JSONObject {
        let c = config
        return JSONObject([
            ("steps", .int(c.steps)), ("batch_size", .int(c.batchSize)), ("grad_accumulation", .int(c.gradAccumulation)),
            ("lr", .double(c.lr)), ("min_lr", .double(c.minLR)), ("warmup_steps", .int(c.warmupSteps)),
            ("schedule", .string(c.schedule.rawValue)), ("beta1", .double(c.beta1)), ("beta2", .double(c.beta2)),
            ("eps", .double(c.eps)), ("weight_decay", .double(c.weightDecay)), ("max_grad_norm", c.maxGradNorm.map { .double($0) } ?? .null),
            ("seed", .string(String(c.seed))), ("shuffle", .bool(c.shuffle)), ("examples", .int(data.count)),
            ("block_size", .int(data.blockSize)), ("model", .string(model.summary)),
            ("lora_modules", .int(model.loraAdapters.count)),
        ])
    }
}
