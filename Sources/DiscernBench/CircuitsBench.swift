// Attribution-graph benchmark: time per phase and peak memory for one prompt length.
import Circuits
import Foundation
import Models
import Tensor

/// `discern-bench circuits --tokens T [--layers 4] [--d-model 128] [--heads 4] [--vocab 1024] [--width 2048] [--k 16]
/// [--batch 64] [--max-feature-nodes 4096] [--threads N] [--reference 1] [--organism DIR] [--save DIR] [--header 1]`
///
/// Builds a GPT-2 of the `small` organism's shape (or loads `--organism DIR`'s base model and
/// transcoders) with TopK transcoders (k active features per token, so the active-feature count is
/// controlled), attributes one prompt of T tokens and prints one Markdown row: setup, forward, logit
/// rows, feature rows (and rows/s), constants (sum check), pruning and JSON export times, graph size,
/// the sum-check residual, peak resident memory (VmHWM, so run one length per process), and the
/// dense adjacency circuit-tracer would hold for the same graph. With `--reference 1` the feature rows
/// are computed again without the causal cone (every sweep covers all positions and layers, as
/// circuit-tracer's backward passes do) and the speed-up is reported. With `--save DIR` the run's inputs
/// and Discern's own measurements are also written to DIR, for `Scripts/dev/circuit_tracer_bench.py`
/// to attribute the same prompt with circuit-tracer (see `saveInputs`); the printed row is unchanged.
enum CircuitsBench {
    static func run(_ args: [String]) throws {
        var o: [String: String] = [:]
        var i = 0
        while i + 1 < args.count {
            o[String(args[i].drop(while: { $0 == "-" }))] = args[i + 1]
            i += 2
        }
        func int(_ k: String, _ d: Int) -> Int { o[k].flatMap(Int.init) ?? d }
        if o["header"] == "1" {
            print("| tokens | active | features | N | edges | setup s | forward s | logit rows s | feature rows s | rows/s | no-cone rows s | cone speed-up | constants s | prune s | export s | sum check | peak RSS MiB | rows MiB | row buffer MiB (circuit-tracer) | dense N² MiB (circuit-tracer) |")
            print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
            return
        }
        try Torch.setNumThreads(int("threads", ProcessInfo.processInfo.activeProcessorCount))
        let t = int("tokens", 64)
        let model: Transformer
        let transcoders: Transcoders
        if let dir = o["organism"] {
            model = try Transformer.load(dir + "/base")
            transcoders = try Transcoders(contentsOf: dir + "/transcoders")
        } else {
            let layers = int("layers", 4), d = int("d-model", 128), width = int("width", 2048), k = int("k", 16)
            let config = try ModelConfig.gpt2(nLayers: layers, dModel: d, nHeads: int("heads", 4), dVocab: int("vocab", 1024),
                                              nCtx: Swift.max(t, 128), bosTokenId: 0)
            model = try Transformer.initialized(config: config, seed: 1)
            let gen = try Generator(seed: 2)
            var ts: [Transcoder] = []
            for l in 0..<layers {
                ts.append(try Transcoder(layer: l, wEnc: try Tensor.randn([width, d], generator: gen) * 0.2, bEnc: try Tensor.zeros([width]),
                                         wDec: try Tensor.randn([width, d], generator: gen) * 0.05, bDec: try Tensor.zeros([d]),
                                         activation: .topK(k)))
            }
            transcoders = .perLayer(try TranscoderSet(transcoders: ts, featureInputHook: "ln2.hook_normalized", featureOutputHook: "hook_mlp_out"))
        }
        let rm = try ReplacementModel(model: model, transcoders: transcoders)
        var x: UInt64 = 12345
        var tokens = [model.config.bosTokenId ?? 0]
        while tokens.count < t {
            x = x &* 6364136223846793005 &+ 1442695040888963407
            tokens.append(1 + Int((x >> 33) % UInt64(model.config.dVocab - 1)))
        }
        var opts = AttributionOptions()
        opts.batchSize = int("batch", 64)
        let cap = int("max-feature-nodes", 4096)
        opts.maxFeatureNodes = cap > 0 ? cap : nil
        if let dir = o["save"] { try saveInputs(dir, model: model, transcoders: transcoders, tokens: tokens, options: opts) }
        let t0 = now()
        let g = try Attribution.attribute(tokens, rm, options: opts)
        let total = now() - t0
        func m(_ k: String) -> Double { Double(g.metadata["time_" + k] ?? "") ?? .nan }
        let nFeat = g.indices(of: .feature).count
        let featRows = m("feature_rows")
        var noCone = Double.nan
        if o["reference"] == "1" {
            var ref = opts
            ref.causalCone = false
            ref.sumCheck = false
            let r = try Attribution.attribute(tokens, rm, options: ref)
            noCone = Double(r.metadata["time_feature_rows"] ?? "") ?? .nan
            precondition(r.weights.count == g.weights.count, "the reference must compute the same edges")
        }
        var p0 = now()
        _ = try g.pruneMasks()
        let prune = now() - p0
        p0 = now()
        let json = try g.frontendJSON(slug: "bench", scan: "bench")
        let export = now() - p0
        let (res, scale) = g.sumCheck()
        let n = Double(g.nodes.count)
        let dense = n * n * 4 / 1048576
        // circuit-tracer's edge buffer: one float32 row per visited target over every active feature, error and token.
        let nLogits = g.indices(of: .logit).count, active = Double(g.metadata["active_features"] ?? "") ?? .nan
        let buffer = Double(nFeat + nLogits) * (active + Double((g.nLayers + 1) * g.tokens.count)) * 4 / 1048576
        let rowMiB = (Double(g.metadata["row_bytes"] ?? "") ?? .nan) / 1048576
        if let dir = o["save"] {
            var phases: [String: Double] = [:]
            for k in ["setup", "forward", "logit_rows", "feature_rows", "constants"] { phases[k] = m(k) }
            let threads = try Torch.numThreads()
            let r: [String: Any] = [
                "tokens": t, "threads": threads, "total_s": total, "phases_s": phases,
                "feature_rows": nFeat, "rows_per_s": Double(nFeat) / featRows, "nodes": g.nodes.count,
                "active_features": Int(g.metadata["active_features"] ?? "") ?? -1, "logits": nLogits,
                "edges": g.edgeCount, "peak_rss_mib": peakRSS(),
            ]
            try writeJSON(r, to: dir + "/discern.json")
        }
        print(String(format: "| %d | %@ | %d | %d | %d | %.3f | %.3f | %.3f | %.3f | %.0f | %@ | %@ | %.3f | %.3f | %.3f (%.1f MB) | %.1e / %.1e | %.0f | %.0f | %.0f | %.0f |",
                     t, g.metadata["active_features"] ?? "?", nFeat, g.nodes.count, g.edgeCount, m("setup"), m("forward"), m("logit_rows"),
                     featRows, Double(nFeat) / featRows, noCone.isNaN ? "-" : String(format: "%.3f", noCone),
                     noCone.isNaN ? "-" : String(format: "%.2f×", noCone / featRows), m("constants"), prune, export,
                     Double(json.count) / 1e6, res, scale, peakRSS(), rowMiB, buffer, dense))
    }

    /// Writes what circuit-tracer needs to attribute the same prompt: `model/` (HF GPT-2 layout),
    /// `transcoders/` (circuit-tracer's per-layer layout), `tokens.json` (the token ids) and
    /// `options.json` (`max_n_logits`, `desired_logit_prob`, `batch_size`, `max_feature_nodes`, null for all,
    /// `update_interval`). `discern.json` (Discern's times and graph size) follows after the run.
    static func saveInputs(_ dir: String, model: Transformer, transcoders: Transcoders, tokens: [Int],
                           options: AttributionOptions) throws {
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try model.save(dir + "/model")
        try transcoders.save(to: dir + "/transcoders")
        try writeJSON(tokens, to: dir + "/tokens.json")
        let o: [String: Any] = [
            "max_n_logits": options.maxNLogits, "desired_logit_prob": options.desiredLogitProb,
            "batch_size": options.batchSize, "max_feature_nodes": options.maxFeatureNodes.map { $0 as Any } ?? NSNull(),
            "update_interval": options.updateInterval,
        ]
        try writeJSON(o, to: dir + "/options.json")
    }

    static func writeJSON(_ value: Any, to path: String) throws {
        let data = try JSONSerialization.data(withJSONObject: value, options: [.sortedKeys])
        guard FileManager.default.createFile(atPath: path, contents: data + Data("\n".utf8)) else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path])
        }
    }

    /// VmHWM (peak resident set) in MiB.
    static func peakRSS() -> Double {
        guard let s = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return .nan }
        for line in s.split(separator: "\n") where line.hasPrefix("VmHWM:") {
            let kb = line.split(separator: " ").compactMap { Double($0) }.first ?? .nan
            return kb / 1024
        }
        return .nan
    }
}
