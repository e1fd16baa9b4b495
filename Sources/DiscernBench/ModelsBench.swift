// Generation and scoring throughput of Discern's models (the HF side is Scripts/bench/hf_models.py).
import Foundation
import Models
import Tensor

/// `discern-bench models --dir D --batches 1,8,64 --prompt-len 16 --new-tokens 32 --threads 2`
/// prints one JSON object per measurement on stdout.
enum ModelsBench {
    static func run(_ args: [String]) throws {
        var opts: [String: String] = [:]
        var i = 0
        while i + 1 < args.count {
            opts[String(args[i].drop(while: { $0 == "-" }))] = args[i + 1]
            i += 2
        }
        guard let dir = opts["dir"] else {
            FileHandle.standardError.write(Data("usage: discern-bench models --dir MODEL_DIR [--batches 1,8,64] [--prompt-len 16] [--new-tokens 32] [--threads N] [--label NAME] [--device cpu|cuda]\n".utf8))
            exit(2)
        }
        let batches = (opts["batches"] ?? "1,8,64").split(separator: ",").compactMap { Int($0) }
        let promptLen = Int(opts["prompt-len"] ?? "") ?? 16
        let newTokens = Int(opts["new-tokens"] ?? "") ?? 32
        let scoreLen = Int(opts["score-len"] ?? "") ?? 128
        let scoreBatch = Int(opts["score-batch"] ?? "") ?? 8
        let label = opts["label"] ?? dir
        if let t = opts["threads"].flatMap(Int.init) { try Torch.setNumThreads(t) }
        let model = try Transformer.load(dir, device: try Device.parse(opts["device"] ?? "cpu"))
        let v = model.config.dVocab
        var rng = UInt64(12345)
        func nextId() -> Int {
            rng = rng &* 6364136223846793005 &+ 1442695040888963407
            return Int((rng >> 33) % UInt64(v))
        }
        func emit(_ o: [String: Any]) {
            var o = o
            o["model"] = label
            let d = try! JSONSerialization.data(withJSONObject: o, options: [.sortedKeys])
            print(String(decoding: d, as: UTF8.self))
            FileHandle.standardOutput.synchronizeFile()
        }
        for b in batches {
            let prompts = (0..<b).map { _ in (0..<promptLen).map { _ in nextId() } }
            var g = GenerationOptions()
            g.maxNewTokens = newTokens
            g.topK = 50
            g.stopAtEOS = false
            g.batchSize = b
            g.seed = 1
            // Warm-up at a short length, then the best of two timed runs.
            var w = g
            w.maxNewTokens = 2
            _ = try model.generate(tokenPrompts: prompts, w)
            var best = Double.infinity
            for _ in 0..<2 {
                let t0 = Date()
                let out = try model.generate(tokenPrompts: prompts, g)
                let dt = Date().timeIntervalSince(t0)
                precondition(out.allSatisfy { $0.tokens.count == newTokens })
                best = Swift.min(best, dt)
            }
            emit(["kind": "generate", "batch": b, "new_tokens_per_s": Double(b * newTokens) / best, "seconds": best])
        }
        // Scoring: log-probabilities of whole sequences.
        let seqs = (0..<scoreBatch).map { _ in (0..<Swift.min(scoreLen, model.config.nCtx)).map { _ in nextId() } }
        _ = try model.scoreTokens(seqs, starts: seqs.map { _ in 1 }, batchSize: scoreBatch)
        var best = Double.infinity
        for _ in 0..<2 {
            let t0 = Date()
            _ = try model.scoreTokens(seqs, starts: seqs.map { _ in 1 }, batchSize: scoreBatch)
            best = Swift.min(best, Date().timeIntervalSince(t0))
        }
        emit(["kind": "score", "tokens_per_s": Double(seqs.count * seqs[0].count) / best, "seconds": best])
        // Memory bandwidth from a large copy (read + write).
        let n = 64 << 20
        let src = try Tensor.ones([n], device: model.device)
        let dst = try Tensor.zeros([n], device: model.device)
        try dst.copyInPlace(from: src)
        var bw = 0.0
        for _ in 0..<5 {
            let t0 = Date()
            try dst.copyInPlace(from: src)
            _ = try dst.narrow(dim: 0, start: 0, length: 1).item()  // waits for the device
            bw = Swift.max(bw, Double(2 * n * 4) / Date().timeIntervalSince(t0))
        }
        let weightBytes = model.parameters.values.reduce(0) { $0 + $1.numel * $1.dtype.byteSize }
        emit(["kind": "bandwidth", "bytes_per_s": bw, "weight_bytes": weightBytes])
    }
}
