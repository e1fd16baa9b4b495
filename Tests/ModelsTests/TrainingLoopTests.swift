import Foundation
import Testing
import Models
import Tensor
import TestSupport

/// Tiny models and corpora shared by the training suites.
enum TinyTraining {
    /// A 2-layer GPT-2 with d_model 32 over a 48-token vocabulary and 32 positions.
    static func config(vocab: Int = 48, ctx: Int = 32) throws -> ModelConfig {
        try ModelConfig.gpt2(nLayers: 2, dModel: 32, nHeads: 4, dVocab: vocab, nCtx: ctx, eosTokenId: vocab - 1)
    }

    static func model(seed: UInt64 = 1, dtype: DType = .float32) throws -> Transformer {
        try Transformer.initialized(config: config(), seed: seed, dtype: dtype)
    }

    /// A repeated pattern of period 7 with a little noise: easy to memorise.
    static func patternStream(_ n: Int, seed: UInt64 = 3) -> [Int] {
        var s = seed
        return (0..<n).map { i in
            s = s &* 6364136223846793005 &+ 1442695040888963407
            return (s >> 60) == 0 ? Int((s >> 33) % 40) : [3, 11, 5, 20, 7, 30, 9][i % 7]
        }
    }
}

@Suite("training loop")
struct TrainingLoopTests {
    @Test func lossDropsOnARepeatedPattern() throws {
        let m = try TinyTraining.model()
        let data = try TokenDataset.packed(TinyTraining.patternStream(32 * 64), blockSize: 32)
        var c = TrainingConfig(steps: 120)
        c.batchSize = 8
        c.lr = 1e-2
        c.warmupSteps = 5
        c.minLR = 1e-3
        let t = try Trainer(model: m, data: data, config: c)
        var seen = 0
        t.onProgress = { p in if p.event == .step { seen += 1 } }
        let r = try t.run()
        #expect(seen == 120)
        #expect(r.completed)
        #expect(r.losses.count == 120)
        let first = r.losses[0], last = r.losses.suffix(5).reduce(0, +) / 5
        // ln(48) ≈ 3.87 at initialisation; the pattern is ~94% predictable.
        #expect(abs(first - Foundation.log(48.0)) < 0.3, "initial loss \(first)")
        #expect(last < 0.25 * first, "loss \(first) → \(last)")
        #expect(!m.isTraining)
        // The trained model is an ordinary inference model again and agrees with the loss.
        let eval = try t.evaluate(data, maxExamples: 8)
        #expect(eval < 0.3 * first)
        #expect(try m.meanNextTokenLoss(data, batchSize: 3, maxExamples: 8) == eval || abs(try m.meanNextTokenLoss(data, maxExamples: 8) - eval) < 1e-6)
    }

    /// Question → answer pairs where only the answer is scored: the held-out loss on the answers falls,
    /// and padding never counts (the reported loss is over answer tokens only).
    @Test func maskedSequencesLearnTheAnswers() throws {
        // "a b ? c" where the answer c = a + 20 (b is a distractor); scored: only c.
        var seqs: [[Int]] = [], masks: [[Bool]] = []
        for a in 0..<10 {
            for b in 0..<10 {
                let pad = Array(repeating: 40, count: (a + b) % 3)   // varying lengths
                seqs.append(pad + [a, b + 10, 45, a + 20])
                masks.append(Array(repeating: false, count: pad.count + 3) + [true])
            }
        }
        let all = try TokenDataset.sequences(seqs, scored: masks, blockSize: 16)
        #expect(all.targetCount == 100)
        let (train, held) = try all.split(heldOut: 10, seed: 3)
        var c = TrainingConfig(steps: 60)
        c.batchSize = 16
        c.lr = 1e-2
        c.evalEvery = 20
        let m = try TinyTraining.model(seed: 4)
        let t = try Trainer(model: m, data: train, evalData: held, config: c)
        let before = try t.evaluate()
        let r = try t.run()
        #expect(abs(before - Foundation.log(48.0)) < 0.5, "initial answer loss \(before)")
        #expect(r.evalLosses.count == 3)
        #expect(r.losses.suffix(10).reduce(0, +) / 10 < 0.4 * r.losses[0], "train loss \(r.losses[0]) → \(r.losses.suffix(3))")
        #expect(r.evalLosses.last!.loss < 0.45 * before, "held-out \(before) → \(r.evalLosses)")
    }
}
