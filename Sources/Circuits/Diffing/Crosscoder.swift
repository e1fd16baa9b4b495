// A BatchTopK crosscoder over two models' activations at one hook (Lindsey et al. 2024; Minder et al. 2025,
// "Overcoming Sparsity Artifacts in Crosscoders to Interpret Chat-Tuning"): one dictionary of latents, an encoder
// that reads both models and a decoder per model. Latents whose decoder is (nearly) zero for one model are
// specific to the other; Latent Scaling checks that claim against the Complete Shrinkage and Latent Decoupling
// artifacts.
import Foundation
import JSON
import Models
import Tensor

/// Training options of a crosscoder.
public struct CrosscoderConfig: Sendable, Equatable {
    /// The layer (0-based) whose `hook` is read in both models.
    public var layer: Int
    /// The hook inside the block (default the residual stream after it).
    public var hook = "hook_resid_post"
    /// Latents; nil: `expansion · d_model`.
    public var width: Int?
    /// Latents per model dimension when `width` is nil.
    public var expansion = 8
    /// Mean active latents per token (BatchTopK keeps `k · batch` per batch).
    public var k = 16
    /// Optimizer steps.
    public var steps = 1000
    /// Token pairs per step.
    public var batchSize = 512
    /// Adam's learning rate (constant).
    public var lr = 1e-3
    /// Seeds the weights and the data order.
    public var seed: UInt64 = 0
    /// Divide each model's activations by the root of their mean squared norm (factors kept with the weights).
    public var normalize = true
    /// Shuffle the pairs every epoch (false: in order, for parity tests).
    public var shuffle = true
    /// Step from which BatchTopK's inference threshold is tracked (EMA of the smallest selected activation).
    public var thresholdStart: Int?
    /// The threshold EMA's decay.
    public var thresholdBeta = 0.99

    /// Options for `layer`, the rest default.
    public init(layer: Int) { self.layer = layer }

    /// The number of latents for `dModel`.
    public func resolvedWidth(dModel: Int) -> Int { width ?? expansion * dModel }
    /// The step the threshold is tracked from.
    public var resolvedThresholdStart: Int { thresholdStart ?? steps / 4 }

    /// Checks the options.
    /// - Throws: `TrainingError` of kind `option` naming the first bad one.
    public func validate(nLayers: Int, dModel: Int) throws {
        guard layer >= 0, layer < nLayers else { throw TrainingError(.option, "layer \(layer) is outside 0..<\(nLayers)") }
        let w = resolvedWidth(dModel: dModel)
        guard w >= 1 else { throw TrainingError(.option, "width must be at least 1") }
        guard k >= 1, k <= w else { throw TrainingError(.option, "k must be in 1...\(w) (the width), got \(k)") }
        guard steps >= 1 else { throw TrainingError(.option, "steps must be at least 1") }
        guard batchSize >= 1 else { throw TrainingError(.option, "batch_size must be at least 1") }
        guard lr > 0, lr.isFinite else { throw TrainingError(.option, "lr must be positive, got \(lr)") }
        guard thresholdBeta > 0, thresholdBeta < 1 else { throw TrainingError(.option, "threshold_beta must be in (0, 1)") }
    }
}

/// A crosscoder: `z = ReLU(x̃_base·W_enc[0] + x̃_model·W_enc[1] + b_enc)`, latents selected by BatchTopK during
/// training and by the threshold θ at inference (`a = z·1[z > θ]`), `x̂_m = (a·W_dec[m] + b_dec[m])·s_m`, where
/// `x̃_m = x_m / s_m`. Model index 0 is the base model, 1 the intervened one.
public final class Crosscoder {
    /// `[2, d_model, width]`.
    public let wEnc: Tensor
    /// `[width]`.
    public let bEnc: Tensor
    /// `[2, width, d_model]`.
    public let wDec: Tensor
    /// `[2, d_model]`.
    public let bDec: Tensor
    /// Inference threshold (0 until tracked).
    public var threshold: Double
    /// Per model: activations are divided by these before encoding.
    public var scales: [Double]
    /// The layer and hook it reads, and training metadata.
    public var layer: Int
    public var hook: String
    public var metadata: [String: String]

    /// Wraps weights.
    public init(wEnc: Tensor, bEnc: Tensor, wDec: Tensor, bDec: Tensor, threshold: Double, scales: [Double], layer: Int, hook: String,
                metadata: [String: String] = [:]) {
        self.wEnc = wEnc
        self.bEnc = bEnc
        self.wDec = wDec
        self.bDec = bDec
        self.threshold = threshold
        self.scales = scales
        self.layer = layer
        self.hook = hook
        self.metadata = metadata
    }

    /// Latents.
    public var width: Int { bEnc.shape[0] }
    /// Model width.
    public var dModel: Int { bDec.shape[1] }

    /// Pre-activations `ReLU(x̃_b·W_enc[0] + x̃_m·W_enc[1] + b_enc)` `[n, width]` of raw activations `[n, d_model]`.
    public func preActivations(base: Tensor, model: Tensor) throws -> Tensor {
        let xb = try base.to(.float32) / scales[0], xm = try model.to(.float32) / scales[1]
        return try (xb.matmul(wEnc.select(dim: 0, index: 0)) + xm.matmul(wEnc.select(dim: 0, index: 1)) + bEnc).relu()
    }

    /// Inference activations `[n, width]`: pre-activations above the threshold.
    public func encode(base: Tensor, model: Tensor) throws -> Tensor {
        try Torch.noGrad {
            let z = try preActivations(base: base, model: model)
            return try z * (try z.compare(.gt, threshold).to(.float32))
        }
    }

    /// Reconstructions of both models' raw activations from activations `a` `[n, width]`.
    public func decode(_ a: Tensor) throws -> (base: Tensor, model: Tensor) {
        try Torch.noGrad {
            let b = try (a.matmul(wDec.select(dim: 0, index: 0)) + bDec.select(dim: 0, index: 0)) * scales[0]
            let m = try (a.matmul(wDec.select(dim: 0, index: 1)) + bDec.select(dim: 0, index: 1)) * scales[1]
            return (b, m)
        }
    }

    /// Decoder row norms `[2, width]` in the normalised space.
    public func decoderNorms() throws -> Tensor { try Torch.noGrad { try wDec.square().sum(dims: [2]).sqrt() } }

    /// Writes `crosscoder.safetensors` (W_enc, b_enc, W_dec, b_dec) and `config.json` (layer, hook, threshold,
    /// scales, metadata) into `dir` (created when missing).
    public func save(to dir: String) throws {
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try SafeTensors.write(["W_enc": wEnc, "b_enc": bEnc, "W_dec": wDec, "b_dec": bDec],
                              metadata: ["format": "discern-crosscoder/1"], to: dir + "/crosscoder.safetensors")
        let meta = JSONObject(metadata.keys.sorted().map { ($0, JSONValue.string(metadata[$0]!)) })
        let o = JSONObject([("format", .string("discern-crosscoder/1")), ("layer", .int(layer)), ("hook", .string(hook)),
                            ("threshold", .double(threshold)), ("scales", .array(scales.map { .double($0) })),
                            ("width", .int(width)), ("d_model", .int(dModel)), ("metadata", .object(meta))])
        try Data(JSONValue.object(o).rendered).write(to: URL(fileURLWithPath: dir + "/config.json"))
    }

    /// Reads a crosscoder written by `save`.
    /// - Throws: `TranscoderError` naming the file and what is wrong.
    public convenience init(contentsOf dir: String) throws {
        let cfgPath = dir + "/config.json"
        guard let data = FileManager.default.contents(atPath: cfgPath) else { throw TranscoderError(cfgPath, "cannot read the crosscoder config") }
        guard case .object(let o) = try JSONValue.parse([UInt8](data)), o["format"]?.stringValue == "discern-crosscoder/1" else {
            throw TranscoderError(cfgPath, "not a Discern crosscoder config (format discern-crosscoder/1)")
        }
        let file = try SafeTensorsFile(path: dir + "/crosscoder.safetensors")
        func t(_ n: String) throws -> Tensor {
            guard file.entry(n) != nil else { throw TranscoderError(dir + "/crosscoder.safetensors", "no tensor \(n)") }
            return try file.tensor(n).to(.float32)
        }
        let scales = o["scales"]?.arrayValue?.compactMap(\.doubleValue) ?? []
        guard scales.count == 2, let layer = o["layer"]?.intValue, let hook = o["hook"]?.stringValue else {
            throw TranscoderError(cfgPath, "needs layer, hook and two scales")
        }
        var meta: [String: String] = [:]
        if case .object(let m)? = o["metadata"] { for (k, v) in m.pairs { meta[k] = v.stringValue ?? "" } }
        let (we, be, wd, bd) = (try t("W_enc"), try t("b_enc"), try t("W_dec"), try t("b_dec"))
        guard we.shape.count == 3, we.shape[0] == 2, wd.shape == [2, we.shape[2], we.shape[1]], be.shape == [we.shape[2]], bd.shape == [2, we.shape[1]] else {
            throw TranscoderError(dir + "/crosscoder.safetensors", "inconsistent shapes W_enc \(we.shape), W_dec \(wd.shape), b_enc \(be.shape), b_dec \(bd.shape)")
        }
        self.init(wEnc: we, bEnc: be, wDec: wd, bDec: bd, threshold: o["threshold"]?.doubleValue ?? 0, scales: scales,
                  layer: layer, hook: hook, metadata: meta)
    }
}

/// One latent's place between the models: relative decoder norm and Latent Scaling ratios.
public struct CrosscoderLatent: Sendable, Equatable {
    /// The latent (0-based).
    public var index: Int
    /// Decoder norms in the base and intervened model (normalised space).
    public var normBase: Double, normModel: Double
    /// `((‖d_base‖ − ‖d_model‖) / max + 1) / 2`: 0 model-only, ½ shared, 1 base-only (diffing-toolkit's convention).
    public var relativeNorm: Double
    /// "model_only" (< 0.1), "base_only" (> 0.9), "shared" (within 0.1 of ½) or "other".
    public var kind: String
    /// How often it fires on the Latent Scaling sample.
    public var frequency: Double
    /// β of the model-side decoder direction against each model's reconstruction error (latent's own part kept)
    /// and reconstruction (latent's own part removed); ν = β_base / β_model (≈ 0 for a truly model-specific latent).
    public var betaErrorBase: Double, betaErrorModel: Double, betaReconBase: Double, betaReconModel: Double
    public var nuError: Double { betaErrorModel != 0 ? betaErrorBase / betaErrorModel : .nan }
    public var nuRecon: Double { betaReconModel != 0 ? betaReconBase / betaReconModel : .nan }
}

/// The result of training.
public struct CrosscoderTrainingResult {
    public var crosscoder: Crosscoder
    /// Training loss (joint FVU of both models' normalised activations) per step.
    public var loss: [Double]
    /// Mean active latents per token per step (BatchTopK: k).
    public var l0: [Double]
    /// Per latent, on the Latent Scaling sample.
    public var latents: [CrosscoderLatent]
    /// Held-in FVU of each model with the inference threshold, on the Latent Scaling sample.
    public var fvuBase: Double, fvuModel: Double
    /// The step training resumed from (nil: from scratch), steps done.
    public var resumedFrom: Int?
    public var steps: Int
}

/// Training stopped by the progress callback after `step` (a checkpoint was written when a directory was given).
public struct CrosscoderInterrupted: Error, CustomStringConvertible {
    public var step: Int
    public var description: String { "crosscoder training stopped after step \(step)" }
}

/// Trains crosscoders on paired activations.
public enum CrosscoderTrainer {
    static let checkpointFormat = "discern-crosscoder-training/1"

    /// Paired activations of both models at `config.layer`'s hook over `sequences` (every position except 0).
    /// - Throws: `TranscoderError` when the models cannot share a basis; `TrainingError` without data.
    public static func activations(base: Transformer, model: Transformer, sequences: [[Int]], config c: CrosscoderConfig,
                                   forwardBatch: Int = 32) throws -> (base: Tensor, model: Tensor) {
        try TranscoderTransfer.checkPair(base: base, model: model)
        try c.validate(nLayers: base.config.nLayers, dModel: base.config.dModel)
        let seqs = sequences.filter { $0.count >= 2 }.map { $0.prefix(base.config.nCtx).map { Int32($0) } }
        guard !seqs.isEmpty else { throw TrainingError(.data, "the corpus has no text of 2 or more tokens") }
        let hb = ActivationHarvester(model: base, layers: [c.layer], inputHook: c.hook, outputHook: c.hook)
        let hm = ActivationHarvester(model: model, layers: [c.layer], inputHook: c.hook, outputHook: c.hook)
        var xb: [Tensor] = [], xm: [Tensor] = []
        for start in stride(from: 0, to: seqs.count, by: forwardBatch) {
            let batch = Array(seqs[start..<Swift.min(seqs.count, start + forwardBatch)])
            xb.append(try hb.harvest(batch).inputs[0].to(.cpu))
            xm.append(try hm.harvest(batch).inputs[0].to(.cpu))
        }
        return (try Tensor.cat(xb, dim: 0), try Tensor.cat(xm, dim: 0))
    }

    /// Initial weights from `config.seed`: W_dec rows random directions of norm 1/√2 per model, W_enc[m] =
    /// W_dec[m]ᵀ, biases 0 (b_dec is then set to the mean normalised activation).
    public static func initialWeights(dModel: Int, config c: CrosscoderConfig) throws -> [String: Tensor] {
        let w = c.resolvedWidth(dModel: dModel)
        let gen = try Generator(seed: c.seed)
        let d = try Tensor.randn([2, w, dModel], generator: gen)
        let wDec = try d / d.square().sum(dims: [2], keepdim: true).sqrt() / 2.0.squareRoot()
        return ["W_enc": try wDec.transpose(1, 2).contiguous(), "b_enc": try Tensor.zeros([w]), "W_dec": wDec,
                "b_dec": try Tensor.zeros([2, dModel])]
    }

    /// Trains on raw paired activations `[n, d_model]` (row i of both from the same token).
    /// - Parameters:
    ///   - initial: weights to start from (default `initialWeights`); b_dec is set from the data when absent.
    ///   - checkpointDir: where checkpoints are written every `checkpointEvery` steps; a later call with the same
    ///     directory resumes from the newest one (bit-identical to an uninterrupted run).
    ///   - latentSample: pairs the Latent Scaling statistics are computed on (the first ones of a seeded shuffle).
    ///   - progress: called after each step with (step, loss); returning false stops after a checkpoint, and an
    ///     error it throws ends training with that error.
    /// - Throws: `TrainingError` (options, data, non-finite loss, checkpoints); `TorchError`.
    public static func train(base xbRaw: Tensor, model xmRaw: Tensor, config c: CrosscoderConfig, initial: [String: Tensor]? = nil,
                             checkpointDir: String? = nil, checkpointEvery: Int = 100, latentSample: Int = 8192,
                             progress: ((Int, Double) throws -> Bool)? = nil) throws -> CrosscoderTrainingResult {
        guard xbRaw.shape.count == 2, xbRaw.shape == xmRaw.shape, xbRaw.shape[0] >= 1 else {
            throw TrainingError(.data, "paired activations must be two [n, d_model] tensors of the same shape, got \(xbRaw.shape) and \(xmRaw.shape)")
        }
        let n = xbRaw.shape[0], dModel = xbRaw.shape[1]
        try c.validate(nLayers: c.layer + 1, dModel: dModel)
        let xb0 = try xbRaw.to(.float32), xm0 = try xmRaw.to(.float32)
        var scales = [1.0, 1.0]
        if c.normalize {
            scales = try [xb0, xm0].map { try ($0.to(.float64).square().sum().item() / Double(n)).squareRoot() }
            guard scales.allSatisfy({ $0 > 0 && $0.isFinite }) else { throw TrainingError(.data, "the activations are all zero or not finite") }
        }
        let xb = try xb0 / scales[0], xm = try xm0 / scales[1]
        let w0 = try initial ?? initialWeights(dModel: dModel, config: c)
        func param(_ name: String) throws -> Tensor {
            guard let t = w0[name] else { throw TrainingError(.option, "initial weights lack \(name)") }
            return try t.to(.float32).clone().requiresGrad(true)
        }
        let wEnc = try param("W_enc"), bEnc = try param("b_enc"), wDec = try param("W_dec")
        let bDec: Tensor
        if let b = w0["b_dec"], initial != nil { bDec = try b.to(.float32).clone().requiresGrad(true) } else {
            bDec = try Tensor.stack([try xb.mean(dims: [0]), try xm.mean(dims: [0])], dim: 0).requiresGrad(true)
        }
        let width = bEnc.shape[0]
        let named: [(name: String, tensor: Tensor, weightDecay: Double)] = [("W_enc", wEnc, 0), ("b_enc", bEnc, 0), ("W_dec", wDec, 0), ("b_dec", bDec, 0)]
        let adam = try AdamW(parameters: named)
        var threshold = -1.0
        var loss: [Double] = [], l0: [Double] = []
        var start = 0
        var resumedFrom: Int?
        if let dir = checkpointDir, let latest = CheckpointDirectory.latest(in: dir) {
            let (o, _, file) = try CheckpointDirectory.read(latest.path)
            guard o["format"]?.stringValue == checkpointFormat else { throw TrainingError(.checkpoint, "\(latest.path) is not a crosscoder checkpoint") }
            guard o["config"]?.stringValue == configKey(c, n: n, dModel: dModel) else {
                throw TrainingError(.checkpoint, "\(latest.path) was written with other options or data; use another checkpoint_dir")
            }
            try Torch.noGrad {
                for (name, t, _) in named { try t.copyInPlace(from: try file.tensor(name)) }
            }
            var steps: [String: Int] = [:]
            if case .object(let s)? = o["adam_steps"] { for (k, v) in s.pairs { steps[k] = v.intValue } }
            try adam.load(tensors: { file.entry($0) == nil ? nil : try file.tensor($0) }, steps: steps)
            threshold = o["threshold"]?.doubleValue ?? -1
            loss = o["loss"]?.arrayValue?.compactMap(\.doubleValue) ?? []
            l0 = o["l0"]?.arrayValue?.compactMap(\.doubleValue) ?? []
            start = latest.step
            resumedFrom = start
        }
        let variance = try (xb - xb.mean(dims: [0], keepdim: true)).square().sum(dims: [1]).mean().item()
            + (xm - xm.mean(dims: [0], keepdim: true)).square().sum(dims: [1]).mean().item()
        let b = Swift.min(c.batchSize, n)
        let perEpoch = Swift.max(1, n / b)
        var order: Tensor?
        var orderEpoch = -1
        for step in start..<c.steps {
            let epoch = step / perEpoch, within = step % perEpoch
            let rows: Tensor
            if c.shuffle {
                if orderEpoch != epoch {
                    let g = try Generator(seed: c.seed &+ 0x9E37_79B9 &+ UInt64(epoch))
                    order = try Tensor.rand([n], generator: g).sort().indices
                    orderEpoch = epoch
                }
                rows = try order!.narrow(dim: 0, start: within * b, length: b)
            } else {
                rows = try Tensor.arange(Double(within * b), Double(within * b + b))
            }
            let bb = try xb.indexSelect(dim: 0, index: rows), bm = try xm.indexSelect(dim: 0, index: rows)
            var stepLoss = 0.0
            try Torch.withGradEnabled(true) {
                let z = try (bb.matmul(wEnc.select(dim: 0, index: 0)) + bm.matmul(wEnc.select(dim: 0, index: 1)) + bEnc).relu()
                // Code normalisation: latents compete by activation times the sum of their decoder norms.
                let norms = try wDec.square().sum(dims: [2]).sqrt().sum(dims: [0]).detach()
                let scores = try (z.detach() * norms).reshape([-1])
                let (_, idx) = try scores.topk(Swift.min(c.k * b, b * width), dim: 0)
                let mask = try Tensor.zeros([b * width]).scatterAdd(dim: 0, index: idx, src: try Tensor.ones([idx.shape[0]])).view([b, width])
                let a = try z * mask
                let rb = try a.matmul(wDec.select(dim: 0, index: 0)) + bDec.select(dim: 0, index: 0)
                let rm = try a.matmul(wDec.select(dim: 0, index: 1)) + bDec.select(dim: 0, index: 1)
                let l = try ((rb - bb).square().sum() + (rm - bm).square().sum()) / (variance * Double(b))
                stepLoss = try l.item()
                guard stepLoss.isFinite else { throw TrainingError(.nonFinite, "the loss is \(stepLoss) at step \(step); lower lr") }
                try l.backward()
                if step >= c.resolvedThresholdStart {
                    let picked = try z.detach().reshape([-1]).indexSelect(dim: 0, index: idx)
                    let positive = try picked.compare(.gt, 0)
                    if try positive.to(.float64).sum().item() > 0 {
                        let m = try picked.maskedFill(positive.logicalNot(), Double.infinity).amin().item()
                        threshold = threshold < 0 ? m : c.thresholdBeta * threshold + (1 - c.thresholdBeta) * m
                    }
                }
                l0.append(try mask.sum().item() / Double(b))
            }
            try adam.step(lr: c.lr)
            try adam.zeroGrad()
            loss.append(stepLoss)
            let done = step + 1
            let stop = try progress.map { try !$0(done, stepLoss) } ?? false
            if let dir = checkpointDir, done % checkpointEvery == 0 || done == c.steps || stop {
                var tensors: [String: Tensor] = [:]
                for (name, t, _) in named { tensors[name] = try t.detach() }
                let st = adam.state()
                for (k, v) in st.tensors { tensors[k] = v }
                let steps = JSONObject(st.steps.keys.sorted().map { ($0, JSONValue.int(st.steps[$0]!)) })
                let state = JSONObject([("format", .string(checkpointFormat)), ("step", .int(done)), ("threshold", .double(threshold)),
                    ("loss", .array(loss.map { .double($0) })), ("l0", .array(l0.map { .double($0) })), ("adam_steps", .object(steps)),
                    ("config", .string(configKey(c, n: n, dModel: dModel)))])
                try CheckpointDirectory.write(dir: dir, step: done, tensors: tensors, tensorFormat: checkpointFormat, state: state, keep: 2)
            }
            if stop { throw CrosscoderInterrupted(step: done) }
        }
        let cc = Crosscoder(wEnc: try wEnc.detach(), bEnc: try bEnc.detach(), wDec: try wDec.detach(), bDec: try bDec.detach(),
                            threshold: Swift.max(threshold, 0), scales: scales, layer: c.layer, hook: c.hook,
                            metadata: ["k": String(c.k), "steps": String(c.steps), "seed": String(c.seed)])
        // Latent Scaling and held-in FVU on a seeded sample.
        let m = Swift.min(latentSample, n)
        let sample = try Tensor.rand([n], generator: try Generator(seed: c.seed &+ 0x1A7E)).sort().indices.narrow(dim: 0, start: 0, length: m)
        let (latents, fb, fm) = try latentScaling(cc, base: try xb0.indexSelect(dim: 0, index: sample), model: try xm0.indexSelect(dim: 0, index: sample))
        return CrosscoderTrainingResult(crosscoder: cc, loss: loss, l0: l0, latents: latents, fvuBase: fb, fvuModel: fm,
                                        resumedFrom: resumedFrom, steps: c.steps)
    }

    /// Relative decoder norms, Latent Scaling (closed form, Minder et al. 2025) and each model's FVU on raw paired
    /// activations `[n, d_model]`. β for latent j uses the model-side decoder direction d_j:
    /// `β = Σ f_j ⟨d_j, y⟩ / (‖d_j‖² Σ f_j²)` with y the reconstruction error plus j's own contribution ("error")
    /// or the reconstruction minus it ("reconstruction"), in each model's normalised space.
    public static func latentScaling(_ cc: Crosscoder, base: Tensor, model: Tensor) throws -> ([CrosscoderLatent], Double, Double) {
        try Torch.noGrad {
            let f = try cc.encode(base: base, model: model)                       // [n, w]
            let xb = try base.to(.float32) / cc.scales[0], xm = try model.to(.float32) / cc.scales[1]
            let db = try cc.wDec.select(dim: 0, index: 0), dm = try cc.wDec.select(dim: 0, index: 1)   // [w, d]
            let rb = try f.matmul(db) + cc.bDec.select(dim: 0, index: 0)
            let rm = try f.matmul(dm) + cc.bDec.select(dim: 0, index: 1)
            func fvu(_ x: Tensor, _ r: Tensor) throws -> Double {
                try (x - r).square().sum().item() / (x - x.mean(dims: [0], keepdim: true)).square().sum().item()
            }
            let f2 = try f.square().sum(dims: [0])                                  // [w]
            let dd = try dm.square().sum(dims: [1])                                 // ‖d_j‖²
            func beta(_ x: Tensor, _ r: Tensor, _ own: Tensor, error: Bool) throws -> [Double] {
                // ⟨d_j, y⟩ summed with weights f_j: error: (x − r)·d_j + f_j⟨d_j, own_j⟩; reconstruction: r·d_j − f_j⟨d_j, own_j⟩.
                let cross = try (own * dm).sum(dims: [1])                           // ⟨d_j, own_j⟩
                let base = try (error ? (x - r) : r).matmul(dm.transpose(0, 1))         // [n, w]
                let num = try (f * base).sum(dims: [0]) + (error ? f2 * cross : f2 * cross * -1.0)
                return try (num / (dd * f2).clamp(min: 1e-30)).to(.float64).toArray(Double.self)
            }
            let ebB = try beta(xb, rb, db, error: true), ebM = try beta(xm, rm, dm, error: true)
            let rbB = try beta(xb, rb, db, error: false), rbM = try beta(xm, rm, dm, error: false)
            let norms = try cc.decoderNorms().to(.float64)
            let nb: [Double] = try norms.select(dim: 0, index: 0).toArray(Double.self), nm: [Double] = try norms.select(dim: 0, index: 1).toArray(Double.self)
            let freq: [Double] = try f.compare(.gt, 0).to(.float64).mean(dims: [0]).toArray(Double.self)
            let f2a: [Double] = try f2.to(.float64).toArray(Double.self)
            var out: [CrosscoderLatent] = []
            for j in 0..<cc.width {
                let mx = Swift.max(nb[j], nm[j])
                let rel = mx > 0 ? ((nb[j] - nm[j]) / mx + 1) / 2 : 0.5
                let kind = rel < 0.1 ? "model_only" : (rel > 0.9 ? "base_only" : (abs(rel - 0.5) < 0.1 ? "shared" : "other"))
                let active = f2a[j] > 0
                out.append(CrosscoderLatent(index: j, normBase: nb[j], normModel: nm[j], relativeNorm: rel, kind: kind, frequency: freq[j],
                    betaErrorBase: active ? ebB[j] : 0, betaErrorModel: active ? ebM[j] : 0,
                    betaReconBase: active ? rbB[j] : 0, betaReconModel: active ? rbM[j] : 0))
            }
            return (out, try fvu(xb, rb), try fvu(xm, rm))
        }
    }

    /// What a checkpoint must match to be resumed: the options and the data's size.
    static func configKey(_ c: CrosscoderConfig, n: Int, dModel: Int) -> String {
        "layer=\(c.layer) hook=\(c.hook) width=\(c.resolvedWidth(dModel: dModel)) k=\(c.k) steps=\(c.steps) batch=\(c.batchSize) lr=\(c.lr) seed=\(c.seed) normalize=\(c.normalize) shuffle=\(c.shuffle) ts=\(c.resolvedThresholdStart) tb=\(c.thresholdBeta) n=\(n) d=\(dModel)"
    }
}
