import Foundation
import Testing
import Models
import Tensor
import TestSupport

/// Fixtures written by Scripts/dev/make_training_fixtures.py (reference: PyTorch 1.13 AdamW and
/// clip_grad_norm_, HF transformers 4.44 GPT2LMHeadModel and LR schedules).
enum TrainingFixture {
    static let dir = Support.repoRoot.appendingPathComponent("Tests/Fixtures/training").path
    static var modelDir: String { dir + "/gpt2-tiny" }

    static func reference() throws -> SafeTensorsFile { try SafeTensorsFile(path: dir + "/reference.safetensors") }

    static func json() throws -> [String: Any] {
        let d = try Data(contentsOf: URL(fileURLWithPath: dir + "/reference.json"))
        return try JSONSerialization.jsonObject(with: d) as! [String: Any]
    }

    /// The fixture's recipe as a TrainingConfig (the schedule runs for 6 steps; tests stop earlier).
    static func config() throws -> TrainingConfig {
        let j = try json()
        var c = TrainingConfig(steps: j["total_steps"] as! Int)
        c.lr = j["lr"] as! Double
        c.minLR = j["min_lr"] as! Double
        c.warmupSteps = j["warmup_steps"] as! Int
        let betas = j["betas"] as! [Double]
        c.beta1 = betas[0]
        c.beta2 = betas[1]
        c.eps = j["eps"] as! Double
        c.weightDecay = j["weight_decay"] as! Double
        c.maxGradNorm = j["max_grad_norm"] as! Double
        c.schedule = .cosine
        c.shuffle = false
        c.batchSize = 4
        return c
    }

    static func rows(_ t: Tensor) throws -> [[Int]] {
        let v = try t.toArray(Int64.self).map(Int.init)
        let w = t.shape[1]
        return (0..<t.shape[0]).map { Array(v[$0 * w..<($0 + 1) * w]) }
    }

    /// Runs `steps` steps with `config`, recording the loss, pre-clip gradient norm and lr of each.
    static func train(_ m: Transformer, _ data: TokenDataset, _ config: TrainingConfig, steps: Int) throws
        -> (losses: [Double], norms: [Double], lrs: [Double]) {
        let t = try Trainer(model: m, data: data, config: config)
        var norms: [Double] = [], lrs: [Double] = []
        t.onProgress = { p in
            if p.event == .step { norms.append(p.gradNorm ?? .nan); lrs.append(p.lr) }
        }
        t.shouldStop = { $0.step >= steps }
        let r = try t.run()
        #expect(r.steps == steps)
        return (r.losses, norms, lrs)
    }

    /// max over elements of |a − b| / (atol + rtol·|b|); ≤ 1 means within tolerance.
    static func closeness(_ a: Tensor, _ b: Tensor, atol: Double, rtol: Double) throws -> Double {
        let x = try a.to(.float64), y = try b.to(.float64)
        return try ((x - y).abs() / (y.abs() * rtol + atol)).amax().item()
    }
}

@Suite("training against PyTorch")
struct TrainingReferenceTests {
    /// AdamW + clipping + cosine schedule with warmup, 4 steps, against the same run in PyTorch
    /// (float64: to 1e-9; float32: losses and norms to 1e-5, weights to 1e-4 of their scale).
    /// Batch 2 × accumulation 2 must equal the single batch of 4.
    @Test(arguments: [(DType.float64, 4, 1), (.float64, 2, 2), (.float32, 4, 1)])
    func adamWStepsMatchPyTorch(_ dtype: DType, _ batch: Int, _ accumulation: Int) throws {
        let ref = try TrainingFixture.reference()
        let tag = dtype == .float64 ? "f64" : "f32"
        let m = try Transformer.load(TrainingFixture.modelDir, dtype: dtype)
        let tokens = try TrainingFixture.rows(try ref.tensor("packed.tokens"))
        let data = try TokenDataset.packed(tokens.flatMap { $0 }, blockSize: 16)
        var c = try TrainingFixture.config()
        c.batchSize = batch
        c.gradAccumulation = accumulation
        let run = try TrainingFixture.train(m, data, c, steps: 4)
        let tol = dtype == .float64 ? 1e-10 : 1e-5
        let wantLoss = try ref.tensor("\(tag).loss").doubles()
        let wantNorm = try ref.tensor("\(tag).grad_norm").doubles()
        let wantLR = try ref.tensor("\(tag).lr").doubles()
        for k in 0..<4 {
            #expect(abs(run.losses[k] - wantLoss[k]) <= tol * wantLoss[k], "step \(k): loss \(run.losses[k]) vs \(wantLoss[k])")
            #expect(abs(run.norms[k] - wantNorm[k]) <= tol * wantNorm[k], "step \(k): grad norm \(run.norms[k]) vs \(wantNorm[k])")
            #expect(abs(run.lrs[k] - wantLR[k]) <= 1e-15, "step \(k): lr \(run.lrs[k]) vs \(wantLR[k])")
        }
        let names = ref.names.filter { $0.hasPrefix("\(tag).after.") }
        #expect(names.count == 2 * 12 + 4)
        var worst = (0.0, "")
        for key in names {
            let name = String(key.dropFirst("\(tag).after.".count))
            let got = try #require(m.parameters[name], "no parameter \(name)")
            let want = try ref.tensor(key)
            #expect(got.shape == want.shape)
            let c = dtype == .float64 ? try TrainingFixture.closeness(got, want, atol: 1e-10, rtol: 1e-9)
                : try TrainingFixture.closeness(got, want, atol: 1e-5, rtol: 1e-4)
            if c > worst.0 { worst = (c, name) }
        }
        #expect(worst.0 <= 1, "worst parameter \(worst.1): \(worst.0)× the tolerance")
        // The weights moved: this is not trivially equal to the initial model.
        let initial = try Transformer.load(TrainingFixture.modelDir, dtype: dtype)
        let w = "transformer.h.0.attn.c_attn.weight"
        #expect(try Fixture.maxAbsDiff(initial.parameters[w]!, m.parameters[w]!) > 1e-3)
    }

    /// Right-padded sequences with an unscored prompt (HF labels = -100) against PyTorch, float64.
    @Test func paddedAndMaskedSequencesMatchPyTorch() throws {
        let ref = try TrainingFixture.reference()
        let j = try TrainingFixture.json()
        let masked = j["masked"] as! [String: Any]
        let seqs = masked["sequences"] as! [[Int]]
        let scored = masked["scored"] as! [[Bool]]
        let data = try TokenDataset.sequences(seqs, scored: scored, blockSize: 16)
        #expect(data.count == 4)
        #expect(!data.isPacked)
        let m = try Transformer.load(TrainingFixture.modelDir, dtype: .float64)
        let run = try TrainingFixture.train(m, data, try TrainingFixture.config(), steps: 3)
        let want = try ref.tensor("masked.loss").doubles()
        for k in 0..<3 { #expect(abs(run.losses[k] - want[k]) <= 1e-10 * want[k], "step \(k): \(run.losses[k]) vs \(want[k])") }
        var worst = 0.0
        for key in ref.names where key.hasPrefix("masked.after.") {
            let name = String(key.dropFirst("masked.after.".count))
            worst = max(worst, try TrainingFixture.closeness(m.parameters[name]!, try ref.tensor(key), atol: 1e-10, rtol: 1e-9))
        }
        #expect(worst <= 1, "worst parameter: \(worst)× the tolerance")
    }

    /// HF's schedule functions, step by step.
    @Test func scheduleValuesMatchHF() throws {
        let ref = try TrainingFixture.reference()
        let cases: [(String, LRSchedule)] = [
            ("lr.cosine", LRSchedule(shape: .cosine, peak: 1e-3, minLR: 1e-4, warmupSteps: 3, totalSteps: 20)),
            ("lr.linear", LRSchedule(shape: .linear, peak: 1e-3, minLR: 0, warmupSteps: 3, totalSteps: 20)),
            ("lr.constant", LRSchedule(shape: .constant, peak: 1e-3, minLR: 0, warmupSteps: 3, totalSteps: 20)),
        ]
        for (key, s) in cases {
            let want = try ref.tensor(key).doubles()
            for (step, w) in want.enumerated() {
                #expect(abs(s.lr(at: step) - w) <= 1e-18 + 1e-15 * w, "\(key) step \(step): \(s.lr(at: step)) vs \(w)")
            }
        }
        // Past the end the cosine schedule stays at its floor (HF's would rise again).
        let s = LRSchedule(shape: .cosine, peak: 1e-3, minLR: 1e-4, warmupSteps: 3, totalSteps: 20)
        #expect(s.lr(at: 20) == s.lr(at: 30))
        #expect(abs(s.lr(at: 20) - 1e-4) < 1e-18)
        #expect(throws: TrainingError.self) { try LRSchedule(peak: 1e-3, minLR: 2e-3, totalSteps: 5).validate() }
    }
}
