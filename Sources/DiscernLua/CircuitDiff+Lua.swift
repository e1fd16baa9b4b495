import CLua
import Circuits
import LuaKit
import Models
import Tensor

/// Bindings of the mechanistic pipeline's Swift cores in `discern.circuit`: the transfer of a transcoder
/// set to an intervened model and the decoder matrices features write with.
extension CircuitLua {
    struct TransferOptions {
        var batchSize = 32
        var maxTexts: Int?
    }
    nonisolated(unsafe) static let transferOptions = LuaOptionSpec<TransferOptions>(
        "discern.circuit.TransferOptions", prototype: TransferOptions(), [
        .integer("batch_size", \.batchSize, "texts per forward pass", in: 1...4096),
        .integer("max_texts", \.maxTexts, "evaluate at most this many texts of the corpus", in: 1...10_000_000, default: "all"),
    ])

    nonisolated(unsafe) static let transferLayerRecord = LuaRecordSpec<TransferLayer>("discern.circuit.TransferLayer", [
        .integer("layer", \.layer, "0-based"), .number("fvu_base", \.base.fvu, "FVU on the base model's activations"),
        .number("fvu_model", \.model.fvu, "FVU on the intervened model's activations"),
        .number("fvu_ratio", \.fvuRatio, "fvu_model / fvu_base"),
        .number("l0_base", \.base.l0, "active features per token (base)"), .number("l0_model", \.model.l0, "the same (model)"),
        .number("inactive_base", \.base.inactiveFraction, "share of features never active (base)"),
        .number("inactive_model", \.model.inactiveFraction, "the same (model)"),
    ])
    nonisolated(unsafe) static let splicedRecord = LuaRecordSpec<SplicedLoss>("discern.circuit.SplicedLoss", [
        .number("clean_loss", \.cleanLoss), .number("spliced_loss", \.splicedLoss), .number("zero_ablation_loss", \.zeroAblationLoss),
        .number("fraction_recovered", \.fractionRecovered), .integer("targets", \.targets),
    ])
    nonisolated(unsafe) static let transferRecord = LuaRecordSpec<TranscoderTransfer>("discern.circuit.Transfer", [
        .records("layers", \.layers, transferLayerRecord, "per layer"),
        .record("spliced_base", \.splicedBase, splicedRecord, "next-token loss of the base model with the transcoders spliced in"),
        .record("spliced_model", \.splicedModel, splicedRecord, "the same for the intervened model"),
        .integer("tokens", \.tokens, "tokens evaluated per model"),
        .strings("warnings", \.warnings, "e.g. the base model is not the one the transcoders were trained on"),
    ])

    static func defineDiffing(_ m: LuaModuleBuilder) {
        m.function("transfer", "(transcoders: discern.Transcoders, base: discern.Model, model: discern.Model, corpus: string[], opts?: discern.circuit.TransferOptions) -> discern.circuit.Transfer", """
            The base model's per-layer transcoders evaluated on both models over the same texts (the shared basis of the
            mechanistic pipeline): per layer FVU, L0 and never-active features on each model's activations, and each
            model's next-token loss with its MLPs replaced by the transcoders. A jump in FVU on the intervened model
            marks a layer the intervention changed. Both models must share architecture, width and vocabulary; the
            transcoders must fit them (a fingerprint that is not the base model's is a warning).
            """, options: transferOptions) { call in
            let t = try transcodersClass.check(call, 1)
            let base = try ModelLua.cls.check(call, 2)
            let model = try ModelLua.cls.check(call, 3)
            var texts = try call.stringList(4)
            let o = try transferOptions.read(call, at: 5)
            if let cap = o.maxTexts, texts.count > cap { texts = Array(texts.prefix(cap)) }
            guard !texts.isEmpty else { throw call.argError(4, "a non-empty list of texts") }
            let seqs = try texts.map { try base.encode($0) }
            let r = try TranscoderTransfer.measure(t.value, base: base, model: model, sequences: seqs, forwardBatch: o.batchSize)
            return try call.push(r, transferRecord)
        }
    }

    static func defineDiffingMethods() {
        transcodersClass.method("decoder", "(layer: integer, output_layer?: integer) -> discern.Tensor", """
            The decoder matrix [d_transcoder, d_model] that features of layer (0-based) write at output_layer (default
            layer; a cross-layer transcoder writes at every later layer too): row f is feature f's output direction.
            """) { call, box in
            let t = box.value
            let layer = try call.integer(2)
            guard layer >= 0, layer < t.nLayers else { throw call.argError(2, "layer in 0..<\(t.nLayers)") }
            let out = try call.optInteger(3) ?? layer
            guard t.outputLayers(of: layer).contains(out) else {
                throw call.argError(3, "an output layer in \(t.outputLayers(of: layer).lowerBound)..<\(t.outputLayers(of: layer).upperBound)")
            }
            return call.push(try t.decoder(sourceLayer: layer, outputLayer: out), TensorLua.cls)
        }
    }
}
