// How well the base model's transcoders describe an intervened model: the shared-basis check of the
// mechanistic pipeline. The same transcoders are evaluated on both models' activations over the same
// token sequences; a jump in FVU or L0 on the intervened model is itself evidence of a changed layer.
import Foundation
import Models
import Tensor

/// One layer's transcoder quality on the base and on the intervened model.
public struct TransferLayer: Sendable, Equatable {
    /// The layer (0-based).
    public var layer: Int
    /// Held-out metrics on the base model's activations.
    public var base: TranscoderLayerMetrics
    /// The same on the intervened model's activations.
    public var model: TranscoderLayerMetrics

    /// `model.fvu / base.fvu` (∞ when the base FVU is 0 and the model's is not).
    public var fvuRatio: Double { base.fvu > 0 ? model.fvu / base.fvu : (model.fvu > 0 ? .infinity : 1) }
}

/// The transfer of a transcoder set from its base model to an intervened model.
public struct TranscoderTransfer: Sendable, Equatable {
    /// One entry per layer, in layer order.
    public var layers: [TransferLayer]
    /// Next-token loss of each model with its MLPs replaced by the transcoders.
    public var splicedBase: SplicedLoss
    /// The same for the intervened model.
    public var splicedModel: SplicedLoss
    /// Tokens the per-layer metrics were computed on (per model).
    public var tokens: Int
    /// Non-fatal remarks (e.g. the base model's fingerprint is not the one the transcoders record).
    public var warnings: [String]

    /// Evaluates `transcoders` on `base` and `model` over `sequences` (every position except 0).
    /// - Throws: `TranscoderError` when the set does not fit either model, is a cross-layer transcoder, or
    ///   the models differ in architecture or vocabulary; `TrainingError` of kind `data` without a usable
    ///   sequence; `ModelError`, `TorchError`.
    public static func measure(_ transcoders: Transcoders, base: Transformer, model: Transformer, sequences: [[Int]],
                               forwardBatch: Int = 32) throws -> TranscoderTransfer {
        guard case .perLayer(let set) = transcoders else {
            throw TranscoderError("<transcoder set>", "transfer needs per-layer transcoders (a transcoder_set); this is a cross-layer transcoder")
        }
        try checkPair(base: base, model: model)
        try set.validate(for: base)
        try set.validate(for: model)
        var warnings: [String] = []
        if let w = try transcoders.checkProvenance(for: base) { warnings.append(w) }
        let usable = sequences.filter { $0.count >= 2 }
        guard !usable.isEmpty else { throw TrainingError(.data, "transfer needs at least one text of 2 or more tokens") }
        let n = base.config.nCtx
        let seqs = usable.map { Array($0.prefix(n)) }
        let tcs = set.transcoders
        let (mb, tokens) = try TranscoderEvaluation.layerMetrics(model: base, transcoders: tcs, sequences: seqs,
            inputHook: set.featureInputHook, outputHook: set.featureOutputHook, forwardBatch: forwardBatch)
        let (mm, _) = try TranscoderEvaluation.layerMetrics(model: model, transcoders: tcs, sequences: seqs,
            inputHook: set.featureInputHook, outputHook: set.featureOutputHook, forwardBatch: forwardBatch)
        let sb = try TranscoderEvaluation.splicedLoss(model: base, transcoders: tcs, sequences: seqs,
            inputHook: set.featureInputHook, outputHook: set.featureOutputHook, forwardBatch: forwardBatch)
        let sm = try TranscoderEvaluation.splicedLoss(model: model, transcoders: tcs, sequences: seqs,
            inputHook: set.featureInputHook, outputHook: set.featureOutputHook, forwardBatch: forwardBatch)
        let layers = zip(mb, mm).map { TransferLayer(layer: $0.layer, base: $0, model: $1) }
        return TranscoderTransfer(layers: layers, splicedBase: sb, splicedModel: sm, tokens: tokens, warnings: warnings)
    }

    /// Checks that two models can be compared position by position: same architecture, layers, width and
    /// vocabulary.
    /// - Throws: `TranscoderError` (path `"<model pair>"`) naming the first difference.
    public static func checkPair(base: Transformer, model: Transformer) throws {
        let a = base.config, b = model.config
        let pairs: [(String, String, String)] = [("model_type", a.modelType, b.modelType), ("n_layers", "\(a.nLayers)", "\(b.nLayers)"),
            ("d_model", "\(a.dModel)", "\(b.dModel)"), ("d_vocab", "\(a.dVocab)", "\(b.dVocab)")]
        for (key, x, y) in pairs where x != y {
            throw TranscoderError("<model pair>", "the base model has \(key) \(x) and the intervened model \(y): the pair cannot share a feature basis")
        }
    }
}
