import CLua
import Foundation
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
        defineCrosscoders(m)
        defineGraphDiff(m)
    }

    static func defineDiffingMethods() {
        defineCrosscoderMethods()
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

// MARK: crosscoders

extension CircuitLua {
    nonisolated(unsafe) static let crosscoderClass = LuaClass<Crosscoder>("discern.Crosscoder") { c in
        "discern.Crosscoder(layer \(c.layer) \(c.hook), \(c.width) latents, d_model \(c.dModel))"
    }

    struct CrosscoderArgs {
        var config = CrosscoderConfig(layer: 0)
        var layer = 0
        var seed: UInt64 = 0
        var out: String?
        var checkpointDir: String?
        var checkpointEvery = 100
        var latentSample = 8192
        var maxTexts: Int?
        var thresholdStart: Int?
        var width: Int?
        var progress = true
    }
    nonisolated(unsafe) static let crosscoderOptions = LuaOptionSpec<CrosscoderArgs>(
        "discern.circuit.TrainCrosscoderOptions", prototype: CrosscoderArgs(), [
        .integer("layer", \.layer, "the layer (0-based) both models are read at", in: 0...100_000, required: true),
        .string("hook", \.config.hook, "the hook inside the block", default: "hook_resid_post"),
        .integer("width", \.width, "latents", in: 1...10_000_000, default: "expansion · d_model"),
        .integer("expansion", \.config.expansion, "latents per model dimension when width is absent", in: 1...1024),
        .integer("k", \.config.k, "mean active latents per token (BatchTopK)", in: 1...1_000_000),
        .integer("steps", \.config.steps, "optimizer steps", in: 1...100_000_000, required: true),
        .integer("batch_size", \.config.batchSize, "token pairs per step", in: 1...1_000_000),
        .number("lr", \.config.lr, "Adam's learning rate (constant)", in: 1e-12...10),
        .seed("seed", \.seed, "weights and data order"),
        .boolean("normalize", \.config.normalize, "scale each model's activations to unit mean squared norm"),
        .integer("threshold_start", \.thresholdStart, "step the inference threshold is tracked from", in: 0...100_000_000, default: "steps / 4"),
        .number("threshold_beta", \.config.thresholdBeta, "the threshold EMA's decay", in: 1e-9...0.999999999),
        .string("out", \.out, "save the crosscoder there (crosscoder.safetensors + config.json)", default: "not saved"),
        .string("checkpoint_dir", \.checkpointDir, "checkpoints; a rerun with the same options and data resumes there", default: "none"),
        .integer("checkpoint_every", \.checkpointEvery, "steps between checkpoints", in: 1...100_000_000),
        .integer("latent_sample", \.latentSample, "token pairs Latent Scaling is computed on", in: 1...100_000_000),
        .integer("max_texts", \.maxTexts, "use at most this many corpus texts", in: 1...100_000_000, default: "all"),
        .boolean("progress", \.progress, "show a progress bar", default: "true (on a terminal)"),
        .custom("on_progress", type: "fun(p: {step: integer, loss: number}): boolean?", "called after each step; return false to stop") { _, _ in },
    ])

    nonisolated(unsafe) static let latentRecord = LuaRecordSpec<CrosscoderLatent>("discern.circuit.CrosscoderLatent", [
        .integer("index", \.index, "0-based"), .number("relative_norm", \.relativeNorm, "0 model-only, ½ shared, 1 base-only"),
        .string("kind", \.kind, "\"model_only\", \"base_only\", \"shared\" or \"other\""), .number("frequency", \.frequency),
        .number("norm_base", \.normBase), .number("norm_model", \.normModel),
        .number("beta_error_base", \.betaErrorBase), .number("beta_error_model", \.betaErrorModel),
        .number("beta_recon_base", \.betaReconBase), .number("beta_recon_model", \.betaReconModel),
        .number("nu_error", \.nuError, "β_base/β_model on the error target (≈ 0: model-specific; NaN when inactive)"),
        .number("nu_recon", \.nuRecon, "the same on the reconstruction target"),
    ])
    struct CrosscoderResultRow {
        var r: CrosscoderTrainingResult
        var path: String?
        var kinds: [Int] {
            ["model_only", "base_only", "shared", "other"].map { k in r.latents.filter { $0.kind == k }.count }
        }
    }
    nonisolated(unsafe) static let crosscoderResult = LuaRecordSpec<CrosscoderResultRow>("discern.circuit.CrosscoderMetrics", [
        .numbers("loss", \.r.loss, "joint FVU per step"), .numbers("l0", \.r.l0, "active latents per token per step"),
        .number("fvu_base", \.r.fvuBase, "with the inference threshold, on the Latent Scaling sample"), .number("fvu_model", \.r.fvuModel),
        .integer("steps", \.r.steps), .integer("resumed_from", \.r.resumedFrom, "the checkpoint's step"),
        .integers("kinds", \.kinds, "how many latents are model_only, base_only, shared, other"),
        .records("latents", \.r.latents, latentRecord, "per latent"), .string("path", \.path, "where it was saved"),
    ])
    nonisolated(unsafe) static let crosscoderInfo = LuaRecordSpec<Crosscoder>("discern.circuit.CrosscoderInfo", [
        .integer("layer", \.layer), .string("hook", \.hook), .integer("width", \.width), .integer("d_model", \.dModel),
        .number("threshold", \.threshold), .numbers("scales", \.scales, "base, model: activations are divided by these"),
    ])

    static func defineCrosscoders(_ m: LuaModuleBuilder) {
        m.function("train_crosscoder", "(base: discern.Model, model: discern.Model, corpus: string[], opts: discern.circuit.TrainCrosscoderOptions) -> discern.Crosscoder, discern.circuit.CrosscoderMetrics", """
            A BatchTopK crosscoder on both models' activations at blocks.<layer>.<hook> over the corpus texts (every
            position except 0): one encoder reading both models, a decoder per model; latents compete by activation
            times the sum of their decoder norms (code normalisation), BatchTopK keeps k·batch per batch and a
            threshold (EMA of the smallest kept activation) replaces it at inference. Returns the crosscoder and
            metrics: the loss curve, each model's FVU, and per latent its relative decoder norm (model_only < 0.1,
            base_only > 0.9, shared within 0.1 of ½) with Latent Scaling (Minder et al. 2025: ν = β_base/β_model of the
            model-side decoder direction; ≈ 0 for a latent the base model truly lacks). With checkpoint_dir a rerun
            resumes bit-identically; on_progress(p) gets {step, loss} and returning false stops after a checkpoint.
            """, options: crosscoderOptions) { call in
            let base = try ModelLua.cls.check(call, 1)
            let model = try ModelLua.cls.check(call, 2)
            var texts = try call.stringList(3)
            guard !texts.isEmpty else { throw call.argError(3, "a non-empty list of texts") }
            var a = CrosscoderArgs()
            let o = try crosscoderOptions.decode(call, at: 4, into: &a)
            if let cap = a.maxTexts, texts.count > cap { texts = Array(texts.prefix(cap)) }
            var c = a.config
            c.layer = a.layer
            c.seed = a.seed
            c.width = a.width
            c.thresholdStart = a.thresholdStart
            let control = try LuaProgressControl(call, o)
            let bar = a.progress ? ProgressBar(label: "crosscoder") : nil
            let seqs = try texts.map { try base.encode($0) }
            let (xb, xm) = try CrosscoderTrainer.activations(base: base, model: model, sequences: seqs, config: c)
            let r: CrosscoderTrainingResult
            do {
                r = try CrosscoderTrainer.train(base: xb, model: xm, config: c, checkpointDir: a.checkpointDir,
                                                checkpointEvery: a.checkpointEvery, latentSample: a.latentSample) { step, loss in
                    bar?.update(step, c.steps, extra: String(format: "loss %.4f", loss))
                    try control.report {
                        lua_createtable(call.L, 0, 2)
                        call.push(step); lua_setfield(call.L, -2, "step")
                        call.push(loss); lua_setfield(call.L, -2, "loss")
                    }
                    return !control.shouldStop
                }
                bar?.finish()
            } catch let e as CrosscoderInterrupted {
                try control.throwIfInterrupted("after step \(e.step)")
                throw LuaError(code: "interrupted", "\(call.name): stopped by on_progress after step \(e.step)")
            }
            if let out = a.out { try r.crosscoder.save(to: out) }
            _ = call.push(r.crosscoder, crosscoderClass)
            _ = try call.push(CrosscoderResultRow(r: r, path: a.out), crosscoderResult)
            return 2
        }
        m.function("load_crosscoder", "(dir: string) -> discern.Crosscoder", "Reads a crosscoder saved by train_crosscoder's out or cc:save.") { call in
            call.push(try Crosscoder(contentsOf: try call.string(1)), crosscoderClass)
        }
    }

    static func defineCrosscoderMethods() {
        let cls = crosscoderClass
        cls.method("info", "() -> discern.circuit.CrosscoderInfo", "Layer, hook, sizes, threshold and scales.") { call, c in
            try call.push(c, crosscoderInfo)
        }
        cls.method("encode", "(base: discern.Tensor, model: discern.Tensor) -> discern.Tensor", """
            Latent activations [n, width] of paired raw activations [n, d_model] (pre-activations above the threshold).
            """) { call, c in
            let xb = try TensorLua.cls.check(call, 2), xm = try TensorLua.cls.check(call, 3)
            guard xb.shape == xm.shape, xb.shape.last == c.dModel else {
                throw call.argError(3, "tensors of the same shape [..., \(c.dModel)]")
            }
            return call.push(try c.encode(base: xb.reshape([-1, c.dModel]), model: xm.reshape([-1, c.dModel])), TensorLua.cls)
        }
        cls.method("decoder", "(side: \"base\"|\"model\") -> discern.Tensor", """
            The decoder [width, d_model] of one model, in raw activation units (row j: latent j's direction there).
            """) { call, c in
            let side = try call.string(2)
            guard side == "base" || side == "model" else { throw call.argError(2, "\"base\" or \"model\"") }
            let i = side == "base" ? 0 : 1
            return call.push(try c.wDec.select(dim: 0, index: i) * c.scales[i], TensorLua.cls)
        }
        cls.method("save", "(dir: string)", "Writes crosscoder.safetensors and config.json into dir.") { call, c in
            try c.save(to: try call.string(2))
            return 0
        }
    }
}

// MARK: graph diffs

extension CircuitLua {
    struct DiffArgs {
        var top = 30
        var slug = "diff"
        var scan = "discern"
        var nodeThreshold = 0.8
        var edgeThreshold = 0.98
    }
    nonisolated(unsafe) static let diffOptions = LuaOptionSpec<DiffArgs>("discern.circuit.DiffOptions", prototype: DiffArgs(), [
        .integer("top", \.top, "nodes and edges listed (largest changes first)", in: 1...1_000_000),
    ])
    nonisolated(unsafe) static let exportDiffOptions = LuaOptionSpec<DiffArgs>("discern.circuit.ExportDiffOptions", prototype: DiffArgs(), [
        .string("slug", \.slug, "the graph's slug"), .string("scan", \.scan, "the scan name"),
        .number("node_threshold", \.nodeThreshold, "pruning: share of influence kept", in: 0...1),
        .number("edge_threshold", \.edgeThreshold, "pruning: share of edge influence kept", in: 0...1),
    ])
    nonisolated(unsafe) static let nodeDeltaRecord = LuaRecordSpec<GraphDiff.NodeDelta>("discern.circuit.NodeDelta", [
        .string("id", \.id), .custom("kind", type: "string", "feature, error, token or logit") { n, L in LuaRead.push(L, n.kind.rawValue) },
        .integer("layer", \.layer), .integer("position", \.position), .integer("index", \.index, "feature or vocabulary id"),
        .string("status", \.status, "\"new\", \"removed\" or \"shared\""), .number("value_base", \.valueBase), .number("value_model", \.valueModel),
        .number("influence_base", \.influenceBase), .number("influence_model", \.influenceModel), .number("influence_delta", \.influenceDelta),
    ])
    nonisolated(unsafe) static let edgeDeltaRecord = LuaRecordSpec<GraphDiff.EdgeDelta>("discern.circuit.EdgeDelta", [
        .string("source", \.source), .string("target", \.target), .number("weight_base", \.weightBase), .number("weight_model", \.weightModel),
        .number("delta", \.delta), .string("status", \.status, "new, removed, strengthened, weakened, flipped or unchanged"),
    ])
    nonisolated(unsafe) static let pathDeltaRecord = LuaRecordSpec<GraphDiff.PathDelta>("discern.circuit.PathDelta", [
        .string("target", \.target), .strings("base", \.base, "node ids, source first"), .strings("model", \.model),
        .number("score_base", \.scoreBase), .number("score_model", \.scoreModel), .boolean("rerouted", \.rerouted),
    ])
    struct DiffRow {
        var d: GraphDiff
        var top: Int
        var topNodes: [GraphDiff.NodeDelta] {
            Array(d.nodes.filter { $0.kind == .feature || $0.kind == .error }
                .sorted { abs($0.influenceDelta) > abs($1.influenceDelta) || (abs($0.influenceDelta) == abs($1.influenceDelta) && $0.id < $1.id) }
                .prefix(top))
        }
        var topEdges: [GraphDiff.EdgeDelta] {
            Array(d.edges.filter { $0.status != "unchanged" }.sorted { abs($0.delta) > abs($1.delta) || (abs($0.delta) == abs($1.delta) && $0.source + $0.target < $1.source + $1.target) }.prefix(top))
        }
        func count(nodes s: String) -> Int { d.nodes.filter { $0.status == s && $0.kind == .feature }.count }
        func count(edges s: String) -> Int { d.edges.filter { $0.status == s }.count }
        var counts: [Int] {
            [count(nodes: "new"), count(nodes: "removed"), count(nodes: "shared"), count(edges: "new"), count(edges: "removed"),
             count(edges: "strengthened"), count(edges: "weakened"), count(edges: "flipped")]
        }
    }
    nonisolated(unsafe) static let diffRecord = LuaRecordSpec<DiffRow>("discern.circuit.GraphDiff", [
        .records("nodes", \.topNodes, nodeDeltaRecord, "feature and error nodes with the largest influence change"),
        .records("edges", \.topEdges, edgeDeltaRecord, "edges with the largest weight change (unchanged ones left out)"),
        .records("paths", \.d.paths, pathDeltaRecord, "the strongest path to each logit target in both graphs"),
        .integers("counts", \.counts, "features new, removed, shared; edges new, removed, strengthened, weakened, flipped"),
        .number("error_share_base", \.d.errorShareBase, "share of the logit influence on error nodes"), .number("error_share_model", \.d.errorShareModel),
        .integers("targets_only_base", \.d.targetsOnlyBase, "logit targets (vocabulary ids) of only the base graph"),
        .integers("targets_only_model", \.d.targetsOnlyModel),
    ])

    static func defineGraphDiff(_ m: LuaModuleBuilder) {
        m.function("diff", "(base: discern.Graph, model: discern.Graph, opts?: discern.circuit.DiffOptions) -> discern.circuit.GraphDiff", """
            The difference of two attribution graphs of the same prompt, traced with the same transcoders (the base
            model's) and, for comparable logits, the same targets (attribute's targets option): per feature and error
            node its status (new, removed, shared), activation and logit influence in both; per edge new, removed,
            strengthened (|w| ×1.5), weakened, flipped; the strongest path to each logit target in both graphs
            (rerouted when they differ); each graph's error-node share of the influence. counts = {features new,
            removed, shared, edges new, removed, strengthened, weakened, flipped}.
            """, options: diffOptions) { call in
            let gb = try graphClass.check(call, 1), gm = try graphClass.check(call, 2)
            let o = try diffOptions.read(call, at: 3)
            return try call.push(DiffRow(d: try GraphDiff(base: gb, model: gm), top: o.top), diffRecord)
        }
        m.function("export_diff", "(base: discern.Graph, model: discern.Graph, path: string, opts?: discern.circuit.ExportDiffOptions)", """
            Writes circuit-tracer's frontend JSON of the model graph with the difference in node attributes (diff_status,
            activation_base, influence_base, influence_model; the base graph's kept nodes the model lacks added as
            "removed") and link attributes (weight_base, diff_status).
            """, options: exportDiffOptions) { call in
            let gb = try graphClass.check(call, 1), gm = try graphClass.check(call, 2)
            let path = try call.string(3)
            let o = try exportDiffOptions.read(call, at: 4)
            let d = try GraphDiff(base: gb, model: gm)
            let bytes = try d.frontendJSON(base: gb, model: gm, slug: o.slug, scan: o.scan, nodeThreshold: o.nodeThreshold, edgeThreshold: o.edgeThreshold)
            guard FileManager.default.createFile(atPath: path, contents: Data(bytes)) else { throw LuaError(code: "io", "\(call.name): cannot write \(path)") }
            return 0
        }
    }
}
