import Circuits
import Foundation
import Models
import Tensor
import Testing
import TestSupport

@Suite("Trained transcoders checked in HF transformers")
struct TranscoderTrainingReferenceTests {
    @Test("held-out FVU, L0 and spliced losses agree with HF GPT-2 hooks on the saved files (TopK; BatchTopK → JumpReLU with skip)",
          .enabled(if: Support.devPython != nil, "needs the dev Python (Scripts/setup or $DISCERN_PYTHON)"))
    func metricsMatchHF() throws {
        let py = try #require(Support.devPython)
        let modelDir = Support.repoRoot.appendingPathComponent("Tests/Fixtures/models/gpt2").path
        let model = try Transformer.load(modelDir)
        let dir = try Support.tempDir("tc-hf")
        defer { try? FileManager.default.removeItem(at: dir) }
        var state: UInt64 = 99
        let seqs: [[Int]] = (0..<60).map { i in
            (0..<(8 + i % 40)).map { _ in
                state = state &* 6364136223846793005 &+ 1442695040888963407
                return Int((state >> 33) % 384)
            }
        }
        for (name, activation, skip) in [("topk", TranscoderTrainingConfig.Activation.topK, false), ("batchtopk", .batchTopK, true)] {
            var c = TranscoderTrainingConfig(steps: 10)
            c.expansion = 2
            c.k = 8
            c.batchTokens = 128
            c.bufferTokens = 512
            c.forwardBatch = 8
            c.lr = 2e-3
            c.activation = activation
            c.skip = skip
            c.thresholdStartStep = 2
            let trainer = try TranscoderTrainer(model: model, sequences: seqs, config: c)
            let r = try trainer.run()
            let out = dir.appendingPathComponent(name)
            try r.save(to: out.path)
            let seqFile = dir.appendingPathComponent("\(name).json")
            try JSONSerialization.data(withJSONObject: trainer.heldOut).write(to: seqFile)
            let script = Support.repoRoot.appendingPathComponent("Scripts/dev/check_trained_transcoders.py").path
            let res = try Support.run(URL(fileURLWithPath: py), [script, modelDir, out.path, seqFile.path])
            #expect(res.status == 0, "\(res.stdout)\(res.stderr)")
            let ref = try #require(try JSONSerialization.jsonObject(with: Data(res.stdout.utf8)) as? [String: Any])
            let fvu = ref["fvu"] as? [Double] ?? [], l0 = ref["l0"] as? [Double] ?? []
            #expect(fvu.count == 2 && l0.count == 2)
            for (i, m) in r.metrics.layers.enumerated() where i < fvu.count {
                #expect(abs(m.fvu - fvu[i]) <= 1e-4 * fvu[i], "\(name) layer \(i): FVU \(m.fvu) vs HF \(fvu[i])")
                #expect(abs(m.l0 - l0[i]) <= 1e-3, "\(name) layer \(i): L0 \(m.l0) vs HF \(l0[i])")
            }
            let s = r.metrics.spliced
            #expect(ref["targets"] as? Int == s.targets)
            for (key, mine) in [("clean_loss", s.cleanLoss), ("spliced_loss", s.splicedLoss), ("zero_ablation_loss", s.zeroAblationLoss)] {
                let theirs = ref[key] as? Double ?? .nan
                #expect(abs(mine - theirs) < 1e-4, "\(name) \(key): \(mine) vs HF \(theirs)")
            }
        }
    }
}
