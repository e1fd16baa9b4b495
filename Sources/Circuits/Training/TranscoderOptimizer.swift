// One optimizer step for a group of transcoders: forward/backward per layer, decoder gradient
// projection, per-layer clipping, Adam at the scheduled rate, decoder renormalisation.
import Models
import Tensor

/// The transcoders of a run, their Adam optimiser and schedule, independent of where the
/// activations come from (`TranscoderTrainer` feeds it harvested batches; tests feed it synthetic
/// ones).
final class TranscoderOptimizer {
    let config: TranscoderTrainingConfig
    let transcoders: [TrainableTranscoder]
    /// Every trainable tensor as `layer<l>/<name>` (the checkpoint and Adam names).
    let named: [(name: String, tensor: Tensor, weightDecay: Double)]
    let adam: AdamW
    let schedule: LRSchedule
    let auxK: Int
    let deadTokens: Int
    let width: Int

    /// Creates transcoders for `layers` with weights drawn from a generator seeded with `config.seed`.
    init(layers: [Int], dModel: Int, config c: TranscoderTrainingConfig, device: Device) throws {
        config = c
        let width = c.resolvedWidth(dModel: dModel)
        self.width = width
        let gen = try Generator(seed: c.seed)
        transcoders = try layers.map {
            try TrainableTranscoder(layer: $0, dModel: dModel, width: width, skip: c.skip, generator: gen, device: device)
        }
        named = transcoders.flatMap { t in t.parameters.map { (name: "layer\(t.layer)/\($0.name)", tensor: $0.tensor, weightDecay: 0.0) } }
        adam = try AdamW(parameters: named, beta1: c.beta1, beta2: c.beta2, eps: c.eps)
        schedule = c.schedule(width: width)
        auxK = c.auxK ?? Swift.max(1, dModel / 2)
        deadTokens = c.resolvedDeadTokens
    }

    /// Sets the normalisation factors (when `config.normalize`) and `b_dec` from a first sample of
    /// raw inputs and targets (per layer `[n, d_model]`).
    /// - Throws: `TrainingError` of kind `data` when a layer's activations are all zero or not finite.
    func prepare(inputs: [Tensor], targets: [Tensor]) throws {
        try Torch.noGrad {
            for (i, tc) in transcoders.enumerated() {
                if config.normalize {
                    tc.inputScale = try Self.meanSquaredNorm(inputs[i]).squareRoot()
                    tc.outputScale = try Self.meanSquaredNorm(targets[i]).squareRoot()
                    guard tc.inputScale > 0, tc.outputScale > 0, tc.inputScale.isFinite, tc.outputScale.isFinite else {
                        throw TrainingError(.data, "layer \(tc.layer): the activations are all zero or not finite; nothing to learn")
                    }
                }
                try tc.initializeDecoderBias(try targets[i] / tc.outputScale)
            }
        }
    }

    /// One optimizer step on raw inputs and targets (per layer `[batch, d_model]`) at 0-based step `step`.
    /// - Returns: per-layer statistics and the learning rate used.
    /// - Throws: `TrainingError` of kind `nonFinite` when a loss or gradient norm is NaN/∞; `TorchError`.
    func step(inputs xs: [Tensor], targets ys: [Tensor], step: Int) throws -> (stats: [LayerStepStats], lr: Double) {
        let c = config
        let lr = schedule.lr(at: step)
        let trackThreshold = step >= c.resolvedThresholdStart
        var stats: [LayerStepStats] = []
        for (i, tc) in transcoders.enumerated() {
            let x = c.normalize ? try xs[i] / tc.inputScale : xs[i]
            let y = c.normalize ? try ys[i] / tc.outputScale : ys[i]
            let s = try tc.step(x: x, y: y, config: c, auxK: auxK, deadTokens: deadTokens, updateThreshold: trackThreshold)
            guard s.fvu.isFinite else {
                throw TrainingError(.nonFinite, "layer \(tc.layer): the FVU is \(s.fvu) at step \(step) (lr \(lr)); lower the learning rate")
            }
            try tc.projectDecoderGradient()
            if let m = c.maxGradNorm {
                let norm = try GradientClipping.clipGlobalNorm(tc.parameters.map(\.tensor), maxNorm: m)
                guard norm.isFinite else {
                    throw TrainingError(.nonFinite, "layer \(tc.layer): the gradient norm is \(norm) at step \(step); lower the learning rate")
                }
            }
            stats.append(s)
        }
        try adam.step(lr: lr)
        try adam.zeroGrad()
        for tc in transcoders { try tc.normalizeDecoder() }
        return (stats, lr)
    }

    /// The mean of ‖row‖² over the rows of `a` `[n, d]`, in float64.
    static func meanSquaredNorm(_ a: Tensor) throws -> Double {
        try a.to(.float64).square().sum().item() / Double(a.shape[0])
    }
}
