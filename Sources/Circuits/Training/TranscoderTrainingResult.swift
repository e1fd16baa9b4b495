// What a transcoder training run reports while it runs and returns at the end, and how the result
// is saved.
import Foundation
import JSON
import Models
import Tensor

/// What `TranscoderTrainer` reports to its progress callback.
public struct TranscoderTrainingProgress: Sendable {
    /// Why the callback was called.
    public enum Event: String, Sendable {
        /// An optimizer step finished.
        case step
        /// A checkpoint was written.
        case checkpoint
        /// Training resumed from a checkpoint.
        case resumed
        /// The held-out metrics were computed (after the last step).
        case evaluated
    }

    /// Why the callback was called.
    public var event: Event
    /// Optimizer steps completed.
    public var step: Int
    /// Optimizer steps the run is configured for.
    public var totalSteps: Int
    /// The trained layers (0-based), the order of the per-layer arrays.
    public var layers: [Int]
    /// Per layer, the FVU of the latest training batch (empty before the first step).
    public var fvu: [Double]
    /// Per layer, the mean active features per token of the latest batch.
    public var l0: [Double]
    /// Per layer, the fraction of dead latents before the latest step.
    public var deadFraction: [Double]
    /// Per layer, the AuxK loss of the latest step.
    public var auxLoss: [Double]
    /// The learning rate of the latest step.
    public var lr: Double
    /// Activation pairs (tokens per layer) trained on, over every run.
    public var tokensSeen: Int
    /// Tokens per second of this run's steps (harvesting included).
    public var tokensPerSecond: Double
    /// Seconds since this run started.
    public var elapsed: Double
    /// The checkpoint written or resumed from (events `checkpoint`, `resumed`).
    public var checkpoint: String?
}

/// The outcome of `TranscoderTrainer.run`.
public struct TranscoderTrainingResult {
    /// Why the run ended: "completed", "max_seconds" or "stopped" (the stop hook).
    public var stopReason: String
    /// Optimizer steps completed (over every run).
    public var steps: Int
    /// The step of the checkpoint this run resumed from, if it resumed.
    public var resumedFrom: Int?
    /// Activation pairs (tokens per layer) trained on, over every run.
    public var tokensSeen: Int
    /// Seconds this run spent in optimizer steps (harvesting included; evaluation and checkpoints not).
    public var trainSeconds: Double
    /// The configuration hash checkpoints are matched against.
    public var configHash: String
    /// The options of the run.
    public var config: TranscoderTrainingConfig
    /// The number of layers of the model.
    public var modelLayers: Int
    /// The model trained on (recorded in the saved `config.yaml`).
    public var provenance: TranscoderProvenance
    /// The trained transcoders on raw activations (normalisation folded in), in layer order.
    public var transcoders: [Transcoder]
    /// Held-out metrics of `transcoders`.
    public var metrics: TranscoderMetrics
    /// Per step (over every run), per trained layer, the training-batch FVU.
    public var fvuHistory: [[Double]]
    /// Per step, per trained layer, the training-batch L0.
    public var l0History: [[Double]]
    /// Per trained layer, the normalisation factors `(input, output)` folded into the weights.
    public var scales: [(input: Double, output: Double)]

    /// Whether every configured step is done.
    public var completed: Bool { stopReason == "completed" }

    /// The trained layers (0-based).
    public var layers: [Int] { transcoders.map(\.layer) }

    /// The transcoders as a circuit-tracer set, when every layer of the model was trained; nil for a subset.
    /// - Throws: `TranscoderError` if the set is inconsistent (it is not, for a trainer's result).
    public func transcoderSet() throws -> TranscoderSet? {
        guard layers == Array(0..<modelLayers) else { return nil }
        return try TranscoderSet(transcoders: transcoders, featureInputHook: config.inputHook,
                                 featureOutputHook: config.outputHook, extra: provenance.configKeys)
    }

    /// Writes the transcoders to directory `path` and `metrics.json` beside them.
    ///
    /// A full set is written in circuit-tracer's layout (`config.yaml` + `layer_{i}.safetensors`; a
    /// TopK set records `activation: topk` and `k`), with the model's `model_type`, `n_layers`,
    /// `d_model` and `model_fingerprint` (`TranscoderProvenance`), keys circuit-tracer ignores. A subset of layers is written as its
    /// `layer_{i}.safetensors` files without `config.yaml` (a set needs every layer).
    /// - Throws: `TranscoderError` when a file cannot be written.
    public func save(to path: String) throws {
        if let set = try transcoderSet() {
            try set.save(to: path)
        } else {
            do { try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true) } catch {
                throw TranscoderError(path, "cannot create directory: \(error)")
            }
            for t in transcoders { try t.save(to: (path as NSString).appendingPathComponent("layer_\(t.layer).safetensors")) }
        }
        let file = (path as NSString).appendingPathComponent("metrics.json")
        guard FileManager.default.createFile(atPath: file, contents: Data(JSONValue.object(metricsJSON()).rendered)) else {
            throw TranscoderError(file, "cannot write")
        }
    }

    /// The metrics and training summary as written to `metrics.json`.
    package func metricsJSON() -> JSONObject {
        func num(_ d: Double) -> JSONValue { d.isFinite ? .double(d) : .null }
        let c = config
        let layerRows: [JSONValue] = metrics.layers.enumerated().map { i, m in
            var o = JSONObject([("layer", .int(m.layer)), ("fvu", num(m.fvu)), ("l0", num(m.l0)),
                                ("inactive_fraction", num(m.inactiveFraction))])
            if let d = m.deadFraction { o["dead_fraction"] = num(d) }
            if i < scales.count {
                o["input_scale"] = num(scales[i].input)
                o["output_scale"] = num(scales[i].output)
            }
            return .object(o)
        }
        let s = metrics.spliced
        let spliced = JSONObject([("clean_loss", num(s.cleanLoss)), ("spliced_loss", num(s.splicedLoss)),
                                  ("zero_ablation_loss", num(s.zeroAblationLoss)), ("loss_increase", num(s.increase)),
                                  ("fraction_recovered", num(s.fractionRecovered)), ("targets", .int(s.targets))])
        let width = transcoders.first?.dTranscoder ?? 0
        let training = JSONObject([
            ("stop_reason", .string(stopReason)), ("steps", .int(steps)), ("configured_steps", .int(c.steps)),
            ("tokens_seen", .int(tokensSeen)), ("width", .int(width)), ("k", .int(c.k)),
            ("activation", .string(c.activation.rawValue)), ("export", .string(c.resolvedExport.rawValue)),
            ("skip", .bool(c.skip)), ("batch_tokens", .int(c.batchTokens)), ("lr", num(c.resolvedLR(width: width))),
            ("warmup_steps", .int(c.resolvedWarmup)), ("aux_alpha", num(c.auxAlpha)), ("dead_tokens", .int(c.resolvedDeadTokens)),
            ("normalize", .bool(c.normalize)), ("seed", .string(String(c.seed))), ("input_hook", .string(c.inputHook)),
            ("output_hook", .string(c.outputHook)), ("config_hash", .string(configHash)),
        ])
        return JSONObject([("format", .string("discern-transcoder-metrics/1")), ("layers", .array(layerRows)),
                           ("spliced", .object(spliced)), ("held_out_tokens", .int(metrics.tokens)), ("training", .object(training))])
    }
}
