@testable import Circuits
import Foundation
import Models
import Tensor
import Testing
import TestSupport

private let fixtures = Support.repoRoot.appendingPathComponent("Tests/Fixtures").path

/// Synthetic transcoder data with a planted sparse dictionary: each token activates 3 of `features`
/// latents with magnitudes in [1, 2); the input is their sum over input directions, the target over
/// output directions (random unit vectors), so a transcoder of width ≥ `features` can be exact.
private struct Planted {
    let enc: Tensor, dec: Tensor
    let gen: Generator
    let features: Int

    init(dModel: Int, features: Int, seed: UInt64) throws {
        let g = try Generator(seed: seed)
        func directions() throws -> Tensor {
            let d = try Tensor.randn([features, dModel], generator: g)
            return try d / d.square().sum(dims: [1], keepdim: true).sqrt()
        }
        enc = try directions()
        dec = try directions()
        gen = g
        self.features = features
    }

    func batch(_ n: Int, active: Int = 3) throws -> (x: Tensor, y: Tensor) {
        let (_, idx) = try Tensor.rand([n, features], generator: gen).topk(active, dim: -1)
        let mags = try Tensor.rand([n, active], generator: gen) + 1
        let a = try Tensor.zeros([n, features]).scatterAdd(dim: 1, index: idx, src: mags)
        return (try a.matmul(enc), try a.matmul(dec))
    }
}

private func fvu(_ yhat: Tensor, _ y: Tensor) throws -> Double {
    let v = try (y - y.mean(dims: [0], keepdim: true)).square().sum().item()
    return try (yhat - y).square().sum().item() / v
}

/// Random token sequences for the fixture GPT-2 (vocabulary 384, context 64).
private func randomSequences(_ count: Int, length: ClosedRange<Int>, seed: UInt64) -> [[Int]] {
    var state = seed &+ 0x9E37_79B9_7F4A_7C15
    func next() -> UInt64 {
        state = state &+ 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    return (0..<count).map { _ in
        let n = length.lowerBound + Int(next() % UInt64(length.count))
        return (0..<n).map { _ in Int(next() % 384) }
    }
}

@Suite("Transcoder training")
struct TranscoderTrainingTests {
    @Test("a planted sparse dictionary is learned: held-out FVU well below 0.1")
    func plantedDictionary() throws {
        let data = try Planted(dModel: 64, features: 32, seed: 7)
        var c = TranscoderTrainingConfig(steps: 300)
        c.width = 64
        c.k = 4
        c.lr = 1e-2
        c.seed = 3
        let opt = try TranscoderOptimizer(layers: [0], dModel: 64, config: c, device: .cpu)
        let first = try data.batch(2048)
        try opt.prepare(inputs: [first.x], targets: [first.y])
        var fvus: [Double] = []
        for s in 0..<c.steps {
            let b = try data.batch(256)
            fvus.append(try opt.step(inputs: [b.x], targets: [b.y], step: s).stats[0].fvu)
        }
        #expect(fvus[0] > 0.5, "the first batch's FVU \(fvus[0]) is not that of an untrained transcoder")
        let held = try data.batch(2048)
        let t = try opt.transcoders[0].export(as: .topK, k: c.k, threshold: 0)
        let f = try fvu(try t(held.x), held.y)
        #expect(f < 0.02, "held-out FVU \(f)")
    }

    @Test("AuxK revives latents that start dead; without it they stay dead")
    func auxKRevives() throws {
        func deadAfterTraining(auxAlpha: Double) throws -> Double {
            let data = try Planted(dModel: 32, features: 48, seed: 11)
            var c = TranscoderTrainingConfig(steps: 300)
            c.width = 96
            c.k = 4
            c.lr = 4e-3
            c.seed = 5
            c.auxAlpha = auxAlpha
            c.deadTokens = 512
            let opt = try TranscoderOptimizer(layers: [0], dModel: 32, config: c, device: .cpu)
            let first = try data.batch(2048)
            try opt.prepare(inputs: [first.x], targets: [first.y])
            // Half the latents start far below the others: TopK never selects them.
            let tc = opt.transcoders[0]
            let offset = try Tensor((0..<96).map { $0 % 2 == 0 ? Float(-0.5) : 0 }, shape: [96])
            try Torch.noGrad { try tc.bEnc.addInPlace(offset) }
            var last = LayerStepStats(fvu: 0, auxLoss: 0, l0: 0, deadFraction: 0)
            for s in 0..<c.steps {
                let b = try data.batch(256)
                last = try opt.step(inputs: [b.x], targets: [b.y], step: s).stats[0]
            }
            return last.deadFraction
        }
        let without = try deadAfterTraining(auxAlpha: 0)
        let with = try deadAfterTraining(auxAlpha: 1.0 / 32)
        #expect(without >= 0.45, "dead fraction without AuxK: \(without)")
        #expect(with < without - 0.2, "dead fraction with AuxK \(with), without \(without)")
    }

    @Test("BatchTopK's learned threshold, exported as JumpReLU, gives the trainer's inference activations")
    func batchTopKToJumpReLU() throws {
        let data = try Planted(dModel: 64, features: 32, seed: 13)
        var c = TranscoderTrainingConfig(steps: 300)
        c.width = 64
        c.k = 4
        c.lr = 1e-2
        c.activation = .batchTopK
        c.thresholdStartStep = 50
        let opt = try TranscoderOptimizer(layers: [0], dModel: 64, config: c, device: .cpu)
        let first = try data.batch(2048)
        try opt.prepare(inputs: [first.x], targets: [first.y])
        for s in 0..<c.steps {
            let b = try data.batch(256)
            _ = try opt.step(inputs: [b.x], targets: [b.y], step: s)
        }
        let tc = opt.transcoders[0]
        #expect(tc.threshold > 0)
        let t = try tc.export(as: .jumpReLU, k: c.k, threshold: tc.threshold)
        #expect(t.activation == .jumpReLU)
        let held = try data.batch(1024)
        let mine = try tc.inferenceActivations(try held.x / tc.inputScale, config: c)
        let theirs = try t.encode(held.x)
        // Away from the threshold the two agree to rounding; entries within 1e-4 of it may flip.
        let z = try held.x.linear(try t.wEnc, bias: try t.bEnc)
        let nearBoundary = try (z - tc.threshold).abs().compare(.lt, 1e-4)
        let diff = try (mine - theirs).abs().maskedFill(nearBoundary, 0).amax().item()
        #expect(diff < 1e-4, "max difference away from the threshold \(diff)")
        let l0 = try theirs.compare(.ne, 0).to(.float64).sum().item() / 1024
        #expect(l0 > 2 && l0 < 6, "inference L0 \(l0) for k = 4")
        let f = try fvu(try t(held.x), held.y)
        #expect(f < 0.1, "held-out FVU with the threshold \(f)")
    }

    @Test("normalisation folded into the saved weights gives the same outputs on raw activations")
    func normalisationFolding() throws {
        var c = TranscoderTrainingConfig(steps: 1)
        c.width = 40
        c.k = 5
        c.skip = true
        for export in [TranscoderTrainingConfig.Export.topK, .jumpReLU] {
            c.activation = export == .topK ? .topK : .batchTopK
            let opt = try TranscoderOptimizer(layers: [2], dModel: 16, config: c, device: .cpu)
            let tc = opt.transcoders[0]
            tc.inputScale = 3.7
            tc.outputScale = 0.42
            tc.threshold = 0.05
            try Torch.noGrad {
                try tc.wSkip!.copyInPlace(from: try Tensor.randn([16, 16], generator: try Generator(seed: 1)) * 0.1)
                try tc.bDec.copyInPlace(from: try Tensor.randn([16], generator: try Generator(seed: 2)))
                try tc.bEnc.copyInPlace(from: try Tensor.randn([40], generator: try Generator(seed: 3)) * 0.1)
            }
            let x = try Tensor.randn([64, 16], generator: try Generator(seed: 4)) * 3.7
            let xn = try x / tc.inputScale
            let acts = try tc.inferenceActivations(xn, config: c)
            let expected = try (acts.matmul(tc.wDec) + tc.bDec + xn.linear(tc.wSkip!)) * tc.outputScale
            let t = try tc.export(as: export, k: c.k, threshold: tc.threshold)
            #expect(t.layer == 2)
            let got = try t(x)
            let rel = try (got - expected).abs().amax().item() / expected.abs().amax().item()
            #expect(rel < 1e-5, "\(export): relative difference \(rel)")
            let featureDiff = try (t.encode(x) - acts).abs().amax().item()
            #expect(featureDiff < 1e-4, "\(export): feature activations differ by \(featureDiff)")
        }
    }

    private func smallConfig(steps: Int) -> TranscoderTrainingConfig {
        var c = TranscoderTrainingConfig(steps: steps)
        c.expansion = 2
        c.k = 8
        c.batchTokens = 128
        c.bufferTokens = 512
        c.forwardBatch = 8
        c.lr = 2e-3
        c.seed = 9
        return c
    }

    @Test("training on a model: checkpoints resume bit-identically; a foreign checkpoint is an error")
    func resumeIsBitIdentical() throws {
        let model = try Transformer.load(fixtures + "/models/gpt2")
        let seqs = randomSequences(80, length: 10...70, seed: 1)
        var c = smallConfig(steps: 14)
        c.activation = .batchTopK
        c.thresholdStartStep = 3
        let full = try TranscoderTrainer(model: model, sequences: seqs, config: c).run()
        #expect(full.completed && full.steps == 14)

        let dir = try Support.tempDir("tc-resume")
        defer { try? FileManager.default.removeItem(at: dir) }
        c.checkpointDir = dir.path
        c.checkpointEvery = 4
        let first = try TranscoderTrainer(model: model, sequences: seqs, config: c)
        first.shouldStop = { $0.step == 6 }
        var events: [String] = []
        first.onProgress = { if $0.event != .step { events.append("\($0.event.rawValue)@\($0.step)") } }
        let stopped = try first.run()
        #expect(stopped.stopReason == "stopped" && stopped.steps == 6)
        #expect(events == ["checkpoint@4", "checkpoint@6", "evaluated@6"])
        let second = try TranscoderTrainer(model: model, sequences: seqs, config: c)
        let resumed = try second.run()
        #expect(resumed.resumedFrom == 6 && resumed.completed)
        #expect(resumed.fvuHistory == full.fvuHistory)
        #expect(resumed.l0History == full.l0History)
        // The weights below are compared bit for bit. The held-out metrics are computed from them by BLAS
        // reductions whose summation order can vary with memory placement between runs (seen once in ~10
        // fresh-clone runs as a 1e-10 relative difference), so they are compared to 1e-9.
        func close(_ a: Double, _ b: Double) -> Bool { Swift.abs(a - b) <= 1e-9 * Swift.max(1, Swift.abs(a)) }
        #expect(resumed.metrics.tokens == full.metrics.tokens && resumed.metrics.layers.count == full.metrics.layers.count)
        for (a, b) in zip(resumed.metrics.layers, full.metrics.layers) {
            #expect(a.layer == b.layer && close(a.fvu, b.fvu) && close(a.l0, b.l0) && close(a.inactiveFraction, b.inactiveFraction)
                    && a.deadFraction == b.deadFraction, "\(a) vs \(b)")
        }
        let (rs, fs) = (resumed.metrics.spliced, full.metrics.spliced)
        #expect(close(rs.cleanLoss, fs.cleanLoss) && close(rs.splicedLoss, fs.splicedLoss)
                && close(rs.zeroAblationLoss, fs.zeroAblationLoss) && rs.targets == fs.targets, "\(rs) vs \(fs)")
        for (a, b) in zip(full.transcoders, resumed.transcoders) {
            for (ta, tb) in [(try a.wEnc, try b.wEnc), (try a.bEnc, try b.bEnc), (try a.wDec, try b.wDec), (try a.bDec, try b.bDec),
                             (try a.threshold!, try b.threshold!)] {
                #expect(try ta.rawBytes() == tb.rawBytes())
            }
        }
        var other = c
        other.k = 4
        #expect(throws: TrainingError.self) { try TranscoderTrainer(model: model, sequences: seqs, config: other).run() }
    }

    @Test("the saved set loads back with TranscoderSet(contentsOf:) and gives identical outputs; metrics.json is written")
    func saveAndLoad() throws {
        let model = try Transformer.load(fixtures + "/models/gpt2")
        let seqs = randomSequences(60, length: 8...40, seed: 2)
        var c = smallConfig(steps: 6)
        c.skip = true
        let r = try TranscoderTrainer(model: model, sequences: seqs, config: c).run()
        #expect(r.layers == [0, 1])
        let m = r.metrics
        #expect(m.layers.count == 2 && m.tokens > 0)
        for l in m.layers {
            #expect(l.fvu.isFinite && l.fvu > 0)
            #expect(abs(l.l0 - 8) < 1e-9)  // TopK: exactly k active features per token
            #expect(l.deadFraction != nil)
        }
        #expect(m.spliced.cleanLoss.isFinite && m.spliced.splicedLoss.isFinite && m.spliced.zeroAblationLoss.isFinite)
        let dir = try Support.tempDir("tc-save")
        defer { try? FileManager.default.removeItem(at: dir) }
        try r.save(to: dir.path)
        let yaml = try String(contentsOf: dir.appendingPathComponent("config.yaml"), encoding: .utf8)
        #expect(yaml.contains("activation: topk") && yaml.contains("k: 8") && yaml.contains("feature_input_hook: ln2.hook_normalized"))
        let metrics = try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("metrics.json"))) as? [String: Any]
        #expect((metrics?["layers"] as? [[String: Any]])?.count == 2)
        #expect((metrics?["spliced"] as? [String: Any])?["loss_increase"] is Double)
        let set = try TranscoderSet(contentsOf: dir.path)
        try set.validate(for: model)
        let x = try Tensor.randn([5, 64], generator: try Generator(seed: 1))
        for (i, t) in r.transcoders.enumerated() {
            #expect(set[i].activation == .topK(8) && set[i].hasSkip)
            #expect(try set[i](x).rawBytes() == t(x).rawBytes())
        }
        // A subset of layers is saved as layer files without config.yaml.
        var sub = c
        sub.layers = [1]
        let one = try TranscoderTrainer(model: model, sequences: seqs, config: sub).run()
        #expect(try one.transcoderSet() == nil)
        let dir2 = dir.appendingPathComponent("subset")
        try one.save(to: dir2.path)
        #expect(FileManager.default.fileExists(atPath: dir2.appendingPathComponent("layer_1.safetensors").path))
        #expect(!FileManager.default.fileExists(atPath: dir2.appendingPathComponent("config.yaml").path))
        let back = try Transcoder(contentsOf: dir2.appendingPathComponent("layer_1.safetensors").path, layer: 1)
        #expect(try back(x).rawBytes() == one.transcoders[0](x).rawBytes())
    }

    @Test("spliced loss: a transcoder that is the MLP itself changes nothing; zero ablation does")
    func splicedLossOfExactTranscoder() throws {
        let config = try ModelConfig.gpt2(nLayers: 2, dModel: 32, nHeads: 4, dVocab: 384, nCtx: 64, activation: "relu",
                                          initializerRange: 0.2)
        let model = try Transformer.initialized(config: config, seed: 3)
        var tcs: [Transcoder] = []
        for l in 0..<2 {
            let p = "transformer.h.\(l).mlp."
            let fc = try #require(model.parameters[p + "c_fc.weight"]), fcb = try #require(model.parameters[p + "c_fc.bias"])
            let proj = try #require(model.parameters[p + "c_proj.weight"]), projb = try #require(model.parameters[p + "c_proj.bias"])
            tcs.append(try Transcoder(layer: l, wEnc: fc.transpose(0, 1).contiguous(), bEnc: fcb, wDec: proj, bDec: projb, activation: .relu))
        }
        let seqs = randomSequences(12, length: 5...30, seed: 4)
        let s = try TranscoderEvaluation.splicedLoss(model: model, transcoders: tcs, sequences: seqs, forwardBatch: 5)
        #expect(s.targets == seqs.reduce(0) { $0 + $1.count - 1 })
        #expect(abs(s.increase) < 1e-5, "loss increase \(s.increase)")
        #expect(abs(s.zeroAblationLoss - s.cleanLoss) > 1e-3, "zero ablation \(s.zeroAblationLoss) vs clean \(s.cleanLoss)")
        #expect(abs(s.fractionRecovered - 1) < 1e-3)
        let (m, n) = try TranscoderEvaluation.layerMetrics(model: model, transcoders: tcs, sequences: seqs)
        #expect(n == s.targets)
        for row in m { #expect(row.fvu < 1e-8, "layer \(row.layer) FVU \(row.fvu)") }
    }

    @Test("bad options and data are rejected with the reason")
    func badInput() throws {
        let model = try Transformer.load(fixtures + "/models/gpt2")
        let seqs = randomSequences(10, length: 5...10, seed: 5)
        func message(_ edit: (inout TranscoderTrainingConfig) -> Void, _ s: [[Int]]? = nil) -> String {
            var c = smallConfig(steps: 2)
            edit(&c)
            do {
                _ = try TranscoderTrainer(model: model, sequences: s ?? seqs, config: c)
                return "no error"
            } catch { return "\(error)" }
        }
        #expect(message { $0.layers = [2] } == "layer 2 is out of range: the model has layers 0..<2 (0-based)")
        #expect(message { $0.k = 1000 } == "k must be in 1...128 (the width), got 1000")
        #expect(message { $0.export = .jumpReLU } == "export \"jumprelu\" needs activation \"batchtopk\" (TopK learns no threshold)")
        #expect(message { $0.inputHook = "mlp.hook_in" } == "hook blocks.0.mlp.hook_in does not exist in this gpt2 model")
        #expect(message({ _ in }, [[1, 2, 999]]) == "training sequence 0 holds token id 999, outside the vocabulary [0, 384)")
        #expect(message({ _ in }, [[1, 2, 3]]) == "the corpus gives 1 window(s) of 2 or more tokens; at least 2 are needed (one is held out)")
    }
}
