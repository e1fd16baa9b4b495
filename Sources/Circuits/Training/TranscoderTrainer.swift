// The transcoder training loop: activations harvested on the fly, Adam with warmup and decay,
// clipping, decoder constraints, dead-latent bookkeeping, checkpoints, held-out metrics.
import Foundation
import JSON
import Models
import Tensor


/// Trains per-layer transcoders (circuit-tracer PLTs) for a `Transformer`.
///
/// Each transcoder reads `blocks.<l>.<inputHook>` (default `ln2.hook_normalized`, the MLP's input)
/// and predicts `blocks.<l>.<outputHook>` (default `hook_mlp_out`). All chosen layers train together
/// from the same forward passes: batches of token sequences (in a seeded order, epoch after epoch)
/// run through the model without gradients, their activations at every position except 0 and
/// padding are pooled in a shuffled buffer (`bufferTokens`), and each optimizer step takes
/// `batchTokens` pairs per layer from it.
///
/// Before the first step, inputs and targets are scaled to unit mean-squared norm with factors
/// estimated on the first buffer, and `b_dec` is set to the mean scaled target; the saved
/// transcoders have the factors folded into their weights, so they work on raw activations. See
/// `TrainableTranscoder` for the forward pass, the losses and the decoder constraint, and
/// `TranscoderTrainingConfig` for every option and default.
///
/// **Checkpoints and resuming.** With `checkpointDir`, checkpoints (weights, Adam moments,
/// dead-latent counters, thresholds, normalisation factors, the buffer position and the histories)
/// are written atomically every `checkpointEvery` steps, when the run stops early and at the end. A
/// new trainer with the same model, sequences and options resumes from the newest one and finishes
/// bit-identical to an uninterrupted run (CPU kernels are deterministic for a fixed thread count);
/// the interrupted buffer chunk is rebuilt from the sequence order. A checkpoint of another
/// configuration is an error.
///
/// At the end the transcoders are evaluated on held-out sequences (FVU, L0, inactive features, and
/// the model's loss with the MLPs replaced; see `TranscoderEvaluation`).
///
/// Not thread-safe; one run at a time per model.
public final class TranscoderTrainer {
    /// The model whose activations are learned (not modified).
    public let model: Transformer
    /// The options.
    public let config: TranscoderTrainingConfig
    /// The layers trained, sorted.
    public let layers: [Int]
    /// Features per transcoder.
    public let width: Int
    /// Training windows (token ids, at most the context size, at least 2 tokens each).
    public let sequences: [[Int]]
    /// Held-out windows for the final metrics.
    public let heldOut: [[Int]]
    /// Called after each step, at checkpoints, on resuming and after the evaluation; throwing
    /// aborts the run without writing a checkpoint (the error propagates out of `run`).
    public var onProgress: ((TranscoderTrainingProgress) throws -> Void)?
    /// Asked after each step; returning true stops the run early with a checkpoint.
    public var shouldStop: ((TranscoderTrainingProgress) -> Bool)?
    /// Hash of the options, training sequences and model weights that checkpoints must match (16 hex digits).
    public let configHash: String
    /// The model trained on, recorded in the saved `config.yaml`.
    public let provenance: TranscoderProvenance

    /// Creates a trainer.
    /// - Parameters:
    ///   - model: a causal model (GPT-2 or Llama family) with the configured hooks.
    ///   - sequences: token ids; sequences longer than the context size are cut into windows, and
    ///     windows of fewer than 2 tokens are dropped (they hold no position after 0).
    ///   - heldOut: sequences for the final metrics; nil splits them off `sequences` by a seeded
    ///     shuffle: windows totalling about `evalTokens` tokens, at most a tenth of them.
    ///   - config: the options.
    /// - Throws: `TrainingError` of kind `option` (bad options, missing hooks, encoder models) or
    ///   `data` (no usable sequence, ids outside the vocabulary); `TorchError`.
    public init(model: Transformer, sequences: [[Int]], heldOut: [[Int]]? = nil, config: TranscoderTrainingConfig) throws {
        let mc = model.config
        guard model.isCausal else {
            throw TrainingError(.option, "transcoder training needs a causal language model; \(mc.modelType) is an encoder")
        }
        try config.validate(nLayers: mc.nLayers, dModel: mc.dModel)
        let layers = (config.layers ?? Array(0..<mc.nLayers)).sorted()
        let known = Set(model.hookNames())
        for l in layers {
            for h in ["blocks.\(l).\(config.inputHook)", "blocks.\(l).\(config.outputHook)"] where !known.contains(h) {
                throw TrainingError(.option, "hook \(h) does not exist in this \(mc.modelType) model")
            }
        }
        let context = config.contextSize.map { Swift.min($0, mc.nCtx) } ?? Swift.min(mc.nCtx, 1024)
        func windows(_ seqs: [[Int]], _ what: String) throws -> [[Int]] {
            var out: [[Int]] = []
            for (i, s) in seqs.enumerated() {
                if let bad = s.first(where: { $0 < 0 || $0 >= mc.dVocab }) {
                    throw TrainingError(.data, "\(what) sequence \(i) holds token id \(bad), outside the vocabulary [0, \(mc.dVocab))")
                }
                for start in stride(from: 0, to: s.count, by: context) where s.count - start >= 2 {
                    out.append(Array(s[start..<Swift.min(s.count, start + context)]))
                }
            }
            return out
        }
        var train = try windows(sequences, "training")
        var held: [[Int]]
        if let heldOut {
            held = try windows(heldOut, "held-out")
            guard !held.isEmpty else { throw TrainingError(.data, "the held-out sequences hold no window of 2 or more tokens") }
        } else {
            guard train.count >= 2 else {
                throw TrainingError(.data, "the corpus gives \(train.count) window(s) of 2 or more tokens; at least 2 are needed (one is held out)")
            }
            let perm = DataOrder.permutation(train.count, seed: config.seed, epoch: UInt64.max)
            var chosen: [Int] = [], tokens = 0
            for i in perm where tokens < config.evalTokens && chosen.count < Swift.max(1, train.count / 10) {
                chosen.append(i)
                tokens += train[i].count - 1
            }
            let heldSet = Set(chosen)
            held = chosen.sorted().map { train[$0] }
            train = train.indices.filter { !heldSet.contains($0) }.map { train[$0] }
        }
        guard !train.isEmpty else { throw TrainingError(.data, "no training sequence of 2 or more tokens") }
        self.model = model
        self.config = config
        self.layers = layers
        width = config.resolvedWidth(dModel: mc.dModel)
        self.sequences = train
        self.heldOut = held
        var f = Fingerprint()
        f.add("discern-transcoder-trainer/1")
        config.fingerprint(into: &f, nLayers: mc.nLayers, dModel: mc.dModel)
        f.add(train.count)
        for s in train {
            f.add(s.count)
            f.add(ints: s)
        }
        let modelPrint = try model.fingerprint()
        f.add(modelPrint.value)
        configHash = f.hex
        provenance = TranscoderProvenance(model: model, fingerprint: modelPrint.hex)
    }

    /// Per-run state that checkpoints carry.
    private struct State: TrainingLoopState {
        var step = 0
        var chunk = 0
        var chunkStart = 0
        var batchInChunk = 0
        var tokensSeen = 0
        var elapsed = 0.0
        var fvu: [[Double]] = []
        var l0: [[Double]] = []
    }

    /// Trains until `config.steps` steps are done (resuming from a matching checkpoint), or until
    /// `maxSeconds` or the stop hook ends the run early; then exports and evaluates the transcoders.
    /// - Returns: the transcoders (also for a run stopped early), their held-out metrics and the
    ///   training history over every run of this configuration.
    /// - Throws: `TrainingError` (`checkpoint` for an unreadable or foreign checkpoint, `nonFinite`
    ///   when a loss becomes NaN/∞), `ModelError`, `TorchError`, or what `onProgress` throws.
    public func run() throws -> TranscoderTrainingResult {
        let c = config
        let loop = TrainingLoop(state: State(), options: .init(steps: c.steps, checkpointEvery: c.checkpointEvery,
                                                               maxSeconds: c.maxSeconds, checkpointDir: c.checkpointDir,
                                                               resume: c.resume))
        Torch.keepTensorMemoryInHeap()
        let dModel = model.config.dModel
        let harvester = ActivationHarvester(model: model, layers: layers, inputHook: c.inputHook, outputHook: c.outputHook)
        let buffer = ActivationBuffer(harvester: harvester, sequences: sequences.map { $0.map { Int32($0) } },
                                      bufferTokens: c.resolvedBufferTokens, batchTokens: c.batchTokens,
                                      forwardBatch: c.forwardBatch, seed: c.seed)
        let opt = try TranscoderOptimizer(layers: layers, dModel: dModel, config: c, device: model.device)
        let tcs = opt.transcoders
        let named = opt.named
        let adam = opt.adam
        let schedule = opt.schedule
        let deadTokens = opt.deadTokens
        var last: [LayerStepStats] = []
        var lastLR = 0.0

        func snapshot(_ e: TranscoderTrainingProgress.Event, checkpoint: String? = nil) -> TranscoderTrainingProgress {
            TranscoderTrainingProgress(event: e, step: loop.state.step, totalSteps: c.steps, layers: layers, fvu: last.map(\.fvu),
                                       l0: last.map(\.l0), deadFraction: last.map(\.deadFraction), auxLoss: last.map(\.auxLoss),
                                       lr: lastLR, tokensSeen: loop.state.tokensSeen, tokensPerSecond: loop.tokensPerSecond,
                                       elapsed: loop.elapsedInRun, checkpoint: checkpoint)
        }
        func progress(_ e: TranscoderTrainingProgress.Event, checkpoint: String? = nil) throws {
            try onProgress?(snapshot(e, checkpoint: checkpoint))
        }
        func checkpoint() throws {
            guard let dir = c.checkpointDir else { return }
            let state = loop.state
            var t: [String: Tensor] = [:]
            for p in named { t["param/" + p.name] = p.tensor }
            let (moments, steps) = adam.state()
            t.merge(moments) { a, _ in a }
            for tc in tcs { t["since_fired/layer\(tc.layer)"] = tc.sinceFired }
            t["scalars/threshold"] = try Tensor(tcs.map(\.threshold), shape: [tcs.count])
            t["scalars/input_scale"] = try Tensor(tcs.map(\.inputScale), shape: [tcs.count])
            t["scalars/output_scale"] = try Tensor(tcs.map(\.outputScale), shape: [tcs.count])
            var o = JSONObject()
            o["config_hash"] = .string(configHash)
            o["chunk"] = .int(state.chunk)
            o["chunk_start"] = .int(state.chunkStart)
            o["batch_in_chunk"] = .int(state.batchInChunk)
            o["tokens_seen"] = .int(state.tokensSeen)
            o["elapsed_seconds"] = .double(state.elapsed)
            o["layers"] = .array(layers.map { .int($0) })
            o["adam_steps"] = .object(JSONObject(steps.keys.sorted().map { ($0, .int(steps[$0]!)) }))
            o["fvu"] = .array(state.fvu.map { .array($0.map { .double($0) }) })
            o["l0"] = .array(state.l0.map { .array($0.map { .double($0) }) })
            try TranscoderCheckpoint.write(dir: dir, step: state.step, state: o, tensors: t, keep: c.keepCheckpoints)
            try progress(.checkpoint, checkpoint: TranscoderCheckpoint.path(dir, step: state.step))
        }

        let resumed = try loop.resumeIfPossible { latest in
            let (o, file) = try TranscoderCheckpoint.read(latest)
            guard o["config_hash"]?.stringValue == configHash else {
                throw TrainingError(.checkpoint, """
                    checkpoint \(latest) belongs to a different configuration (hash \(o["config_hash"]?.stringValue ?? "none"), \
                    this run \(configHash)): the options, corpus or model differ; remove the directory or use another one
                    """)
            }
            func int(_ k: String) throws -> Int {
                guard let v = o[k]?.intValue else { throw TrainingError(.checkpoint, "\(latest)/trainer_state.json: no integer \"\(k)\"") }
                return v
            }
            func tensor(_ name: String, shape: [Int]) throws -> Tensor {
                guard file.entry(name) != nil else { throw TrainingError(.checkpoint, "checkpoint \(latest) has no tensor \(name)") }
                let t = try file.tensor(name)
                guard t.shape == shape else {
                    throw TrainingError(.checkpoint, "checkpoint \(latest): \(name) has shape \(t.shape), expected \(shape)")
                }
                return t
            }
            try Torch.noGrad {
                for p in named { try p.tensor.copyInPlace(from: try tensor("param/" + p.name, shape: p.tensor.shape)) }
                let th = try tensor("scalars/threshold", shape: [tcs.count]).doubles()
                let sx = try tensor("scalars/input_scale", shape: [tcs.count]).doubles()
                let sy = try tensor("scalars/output_scale", shape: [tcs.count]).doubles()
                for (i, tc) in tcs.enumerated() {
                    tc.sinceFired = try tensor("since_fired/layer\(tc.layer)", shape: [width]).to(model.device).clone()
                    tc.threshold = th[i]
                    tc.inputScale = sx[i]
                    tc.outputScale = sy[i]
                }
            }
            var adamSteps: [String: Int] = [:]
            for (k, v) in o["adam_steps"]?.objectValue?.pairs ?? [] { adamSteps[k] = v.intValue }
            try adam.load(tensors: { file.entry($0) == nil ? nil : try file.tensor($0) }, steps: adamSteps)
            var state = State()
            state.step = try int("step")
            state.chunk = try int("chunk")
            state.chunkStart = try int("chunk_start")
            state.batchInChunk = try int("batch_in_chunk")
            state.tokensSeen = try int("tokens_seen")
            state.elapsed = o["elapsed_seconds"]?.doubleValue ?? 0
            state.fvu = (o["fvu"]?.arrayValue ?? []).map { ($0.arrayValue ?? []).compactMap(\.doubleValue) }
            state.l0 = (o["l0"]?.arrayValue ?? []).map { ($0.arrayValue ?? []).compactMap(\.doubleValue) }
            guard state.fvu.count == state.step, state.l0.count == state.step else {
                throw TrainingError(.checkpoint, "\(latest)/trainer_state.json: the histories do not have \(state.step) entries")
            }
            lastLR = state.step > 0 ? schedule.lr(at: state.step - 1) : 0
            return state
        }
        if let resumed {
            try progress(.resumed, checkpoint: resumed)
        } else {
            // Normalisation factors and b_dec from the first buffer.
            try buffer.load(chunk: 0, start: 0)
            try opt.prepare(inputs: buffer.inputs, targets: buffer.targets)
        }

        let stopReason = try loop.run(step: {
            if buffer.chunk != loop.state.chunk { try buffer.load(chunk: loop.state.chunk, start: loop.state.chunkStart) }
            if loop.state.batchInChunk >= buffer.batches {
                loop.state.chunk += 1
                loop.state.chunkStart = buffer.chunkEnd
                loop.state.batchInChunk = 0
                try buffer.load(chunk: loop.state.chunk, start: loop.state.chunkStart)
            }
            let (xs, ys) = try buffer.batch(loop.state.batchInChunk)
            let (stats, lr) = try opt.step(inputs: xs, targets: ys, step: loop.state.step)
            loop.state.batchInChunk += 1
            loop.state.tokensSeen += c.batchTokens
            loop.state.fvu.append(stats.map(\.fvu))
            loop.state.l0.append(stats.map(\.l0))
            last = stats
            lastLR = lr
            return c.batchTokens
        }, afterStep: {
            try progress(.step)
        }, checkpoint: checkpoint, shouldStop: {
            shouldStop?(snapshot(.step)) ?? false
        })
        let state = loop.state

        // Export (BatchTopK's threshold estimated on held-out activations if it was never tracked).
        var transcoders: [Transcoder] = []
        for tc in tcs {
            var theta = tc.threshold
            if c.resolvedExport == .jumpReLU, theta < 0 { theta = try estimateThreshold(tc, harvester: harvester) }
            transcoders.append(try tc.export(as: c.resolvedExport, k: c.k, threshold: theta))
        }
        let (layerMetrics, tokens) = try TranscoderEvaluation.layerMetrics(model: model, transcoders: transcoders, sequences: heldOut,
                                                                           inputHook: c.inputHook, outputHook: c.outputHook,
                                                                           forwardBatch: c.forwardBatch)
        let spliced = try TranscoderEvaluation.splicedLoss(model: model, transcoders: transcoders, sequences: heldOut,
                                                           inputHook: c.inputHook, outputHook: c.outputHook, forwardBatch: c.forwardBatch)
        var rows = layerMetrics
        for (i, tc) in tcs.enumerated() {
            rows[i].deadFraction = try tc.sinceFired.compare(.ge, Double(deadTokens)).to(.float64).sum().item() / Double(width)
        }
        try progress(.evaluated)
        return TranscoderTrainingResult(stopReason: stopReason.rawValue, steps: state.step, resumedFrom: loop.resumedFrom,
                                        tokensSeen: state.tokensSeen, trainSeconds: loop.runSeconds, configHash: configHash, config: c,
                                        modelLayers: model.config.nLayers, provenance: provenance,
                                        transcoders: transcoders, metrics: TranscoderMetrics(layers: rows, spliced: spliced, tokens: tokens),
                                        fvuHistory: state.fvu, l0History: state.l0,
                                        scales: tcs.map { (input: $0.inputScale, output: $0.outputScale) })
    }

    /// BatchTopK's threshold for a transcoder whose EMA never started (a run stopped before
    /// `thresholdStartStep`): the smallest selected activation of a BatchTopK pass over up to one
    /// batch of held-out tokens.
    private func estimateThreshold(_ tc: TrainableTranscoder, harvester: ActivationHarvester) throws -> Double {
        let i = layers.firstIndex(of: tc.layer)!
        let seqs = heldOut.prefix(config.forwardBatch).map { $0.map { Int32($0) } }
        let x = try harvester.harvest(Array(seqs)).inputs[i]
        let n = Swift.min(x.shape[0], config.batchTokens)
        return try Torch.noGrad {
            let xn = try x.narrow(dim: 0, start: 0, length: n) / tc.inputScale
            let code = try tc.encode(try xn.linear(tc.wEnc, bias: tc.bEnc), k: config.k, activation: .batchTopK)
            let positive = try code.values.compare(.gt, 0)
            guard try positive.to(.float64).sum().item() > 0 else { return 0 }
            return try code.values.maskedFill(positive.logicalNot(), Double.infinity).amin().item()
        }
    }
}
