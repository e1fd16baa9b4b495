// Training throughput of Discern's trainer vs PyTorch (Scripts/bench/train_ref.py) in one run.
import Foundation
import Models
import Tensor

/// `discern-bench train [--layers 4] [--d-model 256] [--heads 4] [--ctx 128] [--vocab 4096] [--batch 8]
/// [--steps 20] [--warmup-steps 3] [--threads N] [--python PY] [--reference torch,hf] [--repeats 1]
/// [--profile 1] [--checkpoint-dir D --checkpoint-every N]`
///
/// Trains a random GPT-2-shaped model on random tokens (AdamW lr 3e-4, betas 0.9/0.95, weight decay
/// 0.1 on matrices, clipping at 1.0, cosine schedule with warmup), times the steps after
/// `warmup-steps`, then runs the PyTorch reference(s) with the same shape, recipe and thread count
/// and prints a table of tokens/s with the ratio Discern / reference. `--profile 1` times the phases
/// of a step instead; with `--checkpoint-dir` the run checkpoints (and resumes) and prints a checksum
/// of the final weights, for checking resumption after `kill -9` by hand.
enum TrainBench {
    struct Options {
        var layers = 4, dModel = 256, heads = 4, ctx = 128, vocab = 4096, batch = 8, steps = 20, warmup = 3
        var threads = ProcessInfo.processInfo.activeProcessorCount
        var python: String?
        var references = ["torch", "hf"]
        var repeats = 1
        var profile = false
        var checkpointDir: String?
        var checkpointEvery: Int?
    }

    static func parse(_ args: [String]) -> Options {
        var o = Options()
        var i = 0
        while i + 1 < args.count {
            let k = String(args[i].drop(while: { $0 == "-" })), v = args[i + 1]
            switch k {
            case "layers": o.layers = Int(v) ?? o.layers
            case "d-model": o.dModel = Int(v) ?? o.dModel
            case "heads": o.heads = Int(v) ?? o.heads
            case "ctx": o.ctx = Int(v) ?? o.ctx
            case "vocab": o.vocab = Int(v) ?? o.vocab
            case "batch": o.batch = Int(v) ?? o.batch
            case "steps": o.steps = Int(v) ?? o.steps
            case "warmup-steps": o.warmup = Int(v) ?? o.warmup
            case "threads": o.threads = Int(v) ?? o.threads
            case "python": o.python = v
            case "reference": o.references = v.split(separator: ",").map(String.init).filter { !$0.isEmpty && $0 != "none" }
            case "repeats": o.repeats = Int(v) ?? o.repeats
            case "profile": o.profile = v == "1" || v == "true"
            case "checkpoint-dir": o.checkpointDir = v
            case "checkpoint-every": o.checkpointEvery = Int(v)
            default:
                FileHandle.standardError.write(Data("discern-bench train: unknown option --\(k)\n".utf8))
                exit(2)
            }
            i += 2
        }
        return o
    }

    /// Trains once and returns (tokens/s over the timed steps, first loss, last loss).
    static func measure(_ o: Options) throws -> (tokensPerSecond: Double, msPerStep: Double, first: Double, last: Double) {
        let cfg = try ModelConfig.gpt2(nLayers: o.layers, dModel: o.dModel, nHeads: o.heads, dVocab: o.vocab, nCtx: o.ctx)
        let model = try Transformer.initialized(config: cfg, seed: 0)
        let total = o.steps + o.warmup
        var rng = UInt64(1)
        let stream = (0..<(total * o.batch * o.ctx)).map { _ -> Int in
            rng = rng &* 6364136223846793005 &+ 1442695040888963407
            return Int((rng >> 33) % UInt64(o.vocab))
        }
        var c = TrainingConfig(steps: total)
        c.batchSize = o.batch
        c.lr = 3e-4
        c.minLR = 3e-5
        c.warmupSteps = o.warmup
        c.beta2 = 0.95
        c.weightDecay = 0.1
        c.maxGradNorm = 1.0
        c.shuffle = false
        c.checkpointDir = o.checkpointDir
        c.checkpointEvery = o.checkpointEvery
        let trainer = try Trainer(model: model, data: try TokenDataset.packed(stream, blockSize: o.ctx), config: c)
        var t0 = 0.0, t1 = 0.0
        trainer.onProgress = { p in
            guard p.event == .step else { return }
            if p.step == o.warmup { t0 = now() }
            if p.step == total { t1 = now() }
        }
        let r = try trainer.run()
        if o.checkpointDir != nil {
            // For checking resumption by hand (kill -9 a run, rerun, compare with an uninterrupted run).
            var sum = 0.0, sq = 0.0
            for name in model.parameters.keys.sorted() {
                let p = try model.parameters[name]!.to(.float64)
                sum += try p.sum().item()
                sq += try p.square().sum().item()
            }
            print(String(format: "config %@ resumed from %@ steps %d weights sum %.17g sumsq %.17g", r.configHash,
                         r.resumedFrom.map(String.init) ?? "-", r.steps, sum, sq))
            return (0, 0, r.losses.first ?? .nan, r.losses.last ?? .nan)
        }
        let dt = t1 - t0
        return (Double(o.steps * o.batch * o.ctx) / dt, dt / Double(o.steps) * 1e3, r.losses.first ?? .nan, r.losses.last ?? .nan)
    }

    /// Times the phases of a step (forward + loss, backward, clipping, AdamW, view refresh) with the
    /// trainer's own building blocks.
    static func profile(_ o: Options) throws {
        let cfg = try ModelConfig.gpt2(nLayers: o.layers, dModel: o.dModel, nHeads: o.heads, dVocab: o.vocab, nCtx: o.ctx)
        let model = try Transformer.initialized(config: cfg, seed: 0)
        Torch.keepTensorMemoryInHeap()   // as Trainer.run does
        try model.prepareForTraining()
        let params = model.trainableTensors()
        let adam = try AdamW(parameters: params.map { ($0.name, $0.tensor, 0.1) }, beta2: 0.95)
        var rng = UInt64(1)
        let stream = (0..<(o.batch * o.ctx)).map { _ -> Int in
            rng = rng &* 6364136223846793005 &+ 1442695040888963407
            return Int((rng >> 33) % UInt64(o.vocab))
        }
        let data = try TokenDataset.packed(stream, blockSize: o.ctx)
        var t = [String: Double]()
        let total = o.steps + o.warmup
        for step in 0..<total {
            var marks = [now()]
            try model.reassemble(training: true)
            marks.append(now())
            let b = try data.batch(Array(0..<o.batch), dtype: .float32, device: .cpu)
            let l = try Torch.withGradEnabled(true) { try model.summedNextTokenLoss(tokens: b.inputs, targets: b.targets, weights: nil) }
            let loss = try l / Double(b.targetCount)
            _ = try loss.item()
            marks.append(now())
            try Torch.withGradEnabled(true) { try loss.backward() }
            marks.append(now())
            _ = try GradientClipping.clipGlobalNorm(params.map(\.tensor), maxNorm: 1.0)
            marks.append(now())
            try adam.step(lr: 3e-4)
            try adam.zeroGrad()
            marks.append(now())
            if step >= o.warmup {
                for (i, k) in ["views", "forward", "backward", "clip", "adamw"].enumerated() { t[k, default: 0] += marks[i + 1] - marks[i] }
            }
        }
        for k in ["views", "forward", "backward", "clip", "adamw"] {
            print(String(format: "%-9@ %7.1f ms/step", k as NSString, t[k]! / Double(o.steps) * 1e3))
        }
    }

    static func run(_ args: [String]) throws {
        // This binary links OpenBLAS directly (for the foundation benchmark), so OpenBLAS starts
        // before Discern sets its thread-pool variables; restart with them set, as the PyTorch side
        // gets them.
        if getenv("OPENBLAS_THREAD_TIMEOUT") == nil || getenv("OMP_WAIT_POLICY") == nil {
            setenv("OPENBLAS_THREAD_TIMEOUT", "4", 0)
            setenv("OMP_WAIT_POLICY", "PASSIVE", 0)
            let argv = CommandLine.arguments.map { strdup($0) } + [nil]
            execv("/proc/self/exe", argv)
            FileHandle.standardError.write(Data("discern-bench train: cannot re-execute itself; set OPENBLAS_THREAD_TIMEOUT=4 OMP_WAIT_POLICY=PASSIVE\n".utf8))
            exit(1)
        }
        let o = parse(args)
        try Torch.setNumThreads(o.threads)
        if o.profile { return try profile(o) }
        var discern: (tokensPerSecond: Double, msPerStep: Double, first: Double, last: Double)?
        var refs: [String: [String: Any]] = [:]
        for _ in 0..<o.repeats {
            // Interleaved: Discern, then each reference, once per repeat; the best of each is kept.
            let d = try measure(o)
            if discern == nil || d.tokensPerSecond > discern!.tokensPerSecond { discern = d }
            for impl in o.references {
                guard let py = o.python else { continue }
                if let r = try reference(py, impl: impl, o),
                   (refs[impl]?["tokens_per_s"] as? Double ?? 0) < (r["tokens_per_s"] as? Double ?? 0) {
                    refs[impl] = r
                }
            }
        }
        let d = discern!
        let p = o.layers * 12 * o.dModel * o.dModel + o.vocab * o.dModel
        print("Training throughput, tokens/s: GPT-2 shape \(o.layers) layers, d_model \(o.dModel), \(o.heads) heads, n_ctx \(o.ctx), "
              + "vocab \(o.vocab) (~\(String(format: "%.1f", Double(p) / 1e6))M parameters), batch \(o.batch) × \(o.ctx) tokens, "
              + "\(o.steps) timed steps after \(o.warmup), AdamW + clipping + cosine schedule, \(o.threads) threads, best of \(o.repeats)")
        func pad(_ s: String, _ n: Int) -> String { s + String(repeating: " ", count: Swift.max(0, n - s.count)) }
        func lpad(_ s: String, _ n: Int) -> String { String(repeating: " ", count: Swift.max(0, n - s.count)) + s }
        print("| implementation                | tokens/s | ms/step | Discern / this |")
        print("|-------------------------------|----------|---------|----------------|")
        print("| \(pad("Discern Trainer", 29)) | \(lpad(String(format: "%.0f", d.tokensPerSecond), 8)) | \(lpad(String(format: "%.1f", d.msPerStep), 7)) | \(lpad("-", 14)) |")
        for impl in o.references {
            guard let r = refs[impl], let tps = r["tokens_per_s"] as? Double, let ms = r["ms_per_step"] as? Double else { continue }
            let name = impl == "torch" ? "PyTorch, minimal nn.Module" : "PyTorch, HF GPT2LMHeadModel"
            print("| \(pad(name, 29)) | \(lpad(String(format: "%.0f", tps), 8)) | \(lpad(String(format: "%.1f", ms), 7)) | \(lpad(String(format: "%.3f", d.tokensPerSecond / tps), 14)) |")
        }
        print(String(format: "Discern loss %.4f → %.4f (random tokens: ln V = %.4f)", d.first, d.last, Foundation.log(Double(o.vocab))))
        if o.python == nil { print("(no --python given: PyTorch reference not run)") }
    }

    /// Runs Scripts/bench/train_ref.py and parses its JSON line.
    static func reference(_ python: String, impl: String, _ o: Options) throws -> [String: Any]? {
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Scripts/bench/train_ref.py").path
        let p = Process()
        p.executableURL = URL(fileURLWithPath: python)
        p.arguments = [script, "--impl", impl, "--layers", "\(o.layers)", "--d-model", "\(o.dModel)", "--heads", "\(o.heads)",
                       "--ctx", "\(o.ctx)", "--vocab", "\(o.vocab)", "--batch", "\(o.batch)", "--steps", "\(o.steps)",
                       "--warmup-steps", "\(o.warmup)", "--threads", "\(o.threads)"]
        // The thread-pool settings Discern applies to itself (idle OpenMP/OpenBLAS threads sleep).
        var env = ProcessInfo.processInfo.environment
        env["OMP_WAIT_POLICY"] = env["OMP_WAIT_POLICY"] ?? "PASSIVE"
        env["OPENBLAS_THREAD_TIMEOUT"] = env["OPENBLAS_THREAD_TIMEOUT"] ?? "4"
        p.environment = env
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0,
              let line = String(decoding: data, as: UTF8.self).split(separator: "\n").last,
              let obj = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
            FileHandle.standardError.write(Data("train_ref.py --impl \(impl) failed (status \(p.terminationStatus))\n".utf8))
            return nil
        }
        return obj
    }
}
