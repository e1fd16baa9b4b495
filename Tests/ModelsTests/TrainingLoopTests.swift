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
    }
}
