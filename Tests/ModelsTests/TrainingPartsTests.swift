import Foundation
import Testing
import Models
import Tensor
import TestSupport

@Suite("training parts: AdamW, clipping, data, options, initialisation")
struct TrainingPartsTests {
    /// The first AdamW step has a closed form: m̂ = g, v̂ = g², so p₁ = p₀(1 − lr·wd) − lr·g / (|g| + ε).
    @Test(arguments: [DType.float64, .float32])
    func adamWFirstStepClosedForm(_ dtype: DType) throws {
        let p0: [Double] = [1.0, -0.5, 0.25, 2.0]
        let g: [Double] = [0.3, -1e-3, 0, 4.0]
        let lr = 0.1, wd = 0.2, eps = 1e-8
        let p = try Tensor(p0).to(dtype).requiresGrad(true)
        try p.setGrad(try Tensor(g).to(dtype))
        let opt = try AdamW(parameters: [("p", p, wd)], beta1: 0.9, beta2: 0.99, eps: eps)
        try opt.step(lr: lr)
        let got = try p.doubles()
        for i in 0..<4 {
            let want = p0[i] * (1 - lr * wd) - lr * g[i] / (abs(g[i]) + eps)
            #expect(abs(got[i] - want) <= (dtype == .float64 ? 1e-15 : 1e-6), "element \(i): \(got[i]) vs \(want)")
        }
        #expect(opt.stepCount == 1)
    }

    /// The backend's one-pass kernel and the sequence of tensor ops give the same parameters and
    /// moments over several steps with weight decay; a parameter without gradient is skipped.
    @Test(arguments: [DType.float64, .float32])
    func fusedAndOpByOpAdamWAgree(_ dtype: DType) throws {
        let gen = try Generator(seed: 7)
        let start = try Tensor.randn([33, 17], dtype: dtype, generator: gen)
        let grads = try (0..<3).map { _ in try Tensor.randn([33, 17], dtype: dtype, generator: gen) }
        var results: [[Double]] = []
        for fused in [true, false] {
            let p = try start.clone().requiresGrad(true)
            let frozen = try Tensor.ones([3], dtype: dtype).requiresGrad(true)
            let opt = try AdamW(parameters: [("p", p, 0.1), ("frozen", frozen, 0.1)], beta1: 0.8, beta2: 0.95, eps: 1e-6)
            opt.fused = fused
            for g in grads {
                try p.setGrad(try g.clone())
                try opt.step(lr: 0.05)
            }
            #expect(try frozen.doubles() == [1, 1, 1])
            results.append(try p.doubles())
        }
        let d = Support.maxAbsDiff(results[0], results[1])
        #expect(d <= (dtype == .float64 ? 1e-14 : 1e-6), "fused vs op-by-op: \(d)")
        #expect(Support.maxAbsDiff(results[0], try start.doubles()) > 0.05)
    }

    @Test func adamWRejectsBadOptions() throws {
        let p = try Tensor.zeros([2]).requiresGrad(true)
        #expect(throws: TrainingError.self) { try AdamW(parameters: [("p", p, 0)], beta1: 1.0) }
        #expect(throws: TrainingError.self) { try AdamW(parameters: [("p", p, -1)]) }
        #expect(throws: TrainingError.self) { try AdamW(parameters: [("p", p, 0), ("p", p, 0)]) }
    }

    /// clip_grad_norm_: grads [3, 4] and [12] have norm 13; clipping to 6.5 halves them (up to the 1e-6 term).
    @Test(arguments: [DType.float64, .float32])
    func clippingScalesToTheMaximumNorm(_ dtype: DType) throws {
        let a = try Tensor.zeros([2], dtype: dtype).requiresGrad(true)
        let b = try Tensor.zeros([1], dtype: dtype).requiresGrad(true)
        let none = try Tensor.zeros([1], dtype: dtype).requiresGrad(true)
        try a.setGrad(try Tensor([3.0, 4.0]).to(dtype))
        try b.setGrad(try Tensor([12.0]).to(dtype))
        #expect(try GradientClipping.globalNorm([a, b, none]) == 13)
        // Below the limit nothing changes, bit for bit.
        #expect(try GradientClipping.clipGlobalNorm([a, b, none], maxNorm: 20) == 13)
        #expect(try a.grad()!.doubles() == [3, 4])
        #expect(try GradientClipping.clipGlobalNorm([a, b, none], maxNorm: 6.5) == 13)
        let coef = 6.5 / (13 + 1e-6)
        let got = try a.grad()!.doubles() + b.grad()!.doubles()
        let tol = dtype == .float64 ? 1e-15 : 1e-6
        for (x, w) in zip(got, [3 * coef, 4 * coef, 12 * coef]) { #expect(abs(x - w) <= tol * 12) }
        #expect(try GradientClipping.globalNorm([a, b]) < 6.5)
        #expect(try GradientClipping.clipGlobalNorm([none], maxNorm: 1) == 0)
        #expect(throws: TrainingError.self) { try GradientClipping.clipGlobalNorm([a], maxNorm: 0) }
    }

    @Test func packedDataDropsTheRemainder() throws {
        let d = try TokenDataset.packed(Array(0..<25), blockSize: 8)
        #expect(d.count == 3)
        #expect(d.isPacked)
        #expect(d.example(2) == Array(16..<24))
        #expect(d.targetCount == 3 * 7)
        let docs = try TokenDataset.packed(documents: [[1, 2, 3], [4, 5]], separator: 9, blockSize: 3)
        #expect(docs.example(0) == [1, 2, 3] && docs.example(1) == [9, 4, 5])
        #expect(throws: TrainingError.self) { try TokenDataset.packed([1, 2, 3], blockSize: 4) }
        #expect(throws: TrainingError.self) { try TokenDataset.packed([1, 2, 3, 4], blockSize: 1) }
        #expect(throws: TrainingError.self) { try TokenDataset.packed([1, -2, 3, 4], blockSize: 2) }
    }

    @Test func sequencesAreTruncatedAndMasked() throws {
        let d = try TokenDataset.sequences([[1, 2, 3, 4, 5], [6, 7]], scored: [[true, true, false, true, true], [false, true]], blockSize: 4)
        #expect(d.count == 2)
        #expect(d.blockSize == 4)
        #expect(d.example(0) == [1, 2, 3, 4])
        #expect(d.targetCount == 2 + 1)   // tokens 2 and 4 of the first (3 unscored, 5 cut), token 7 of the second
        #expect(throws: TrainingError.self) { try TokenDataset.sequences([[1]], blockSize: 4) }
        #expect(throws: TrainingError.self) { try TokenDataset.sequences([[1, 2]], scored: [[true]], blockSize: 4) }
        #expect(throws: TrainingError.self) { try TokenDataset.sequences([[1, 2]], scored: [[true, false]], blockSize: 4) }
        #expect(throws: TrainingError.self) { try TokenDataset.sequences([], blockSize: 4) }
        let (train, held) = try TokenDataset.packed(Array(0..<40), blockSize: 4).split(heldOut: 3, seed: 5)
        #expect(train.count == 7 && held.count == 3)
        let all = (0..<7).map { train.example($0)[0] } + (0..<3).map { held.example($0)[0] }
        #expect(Set(all) == Set(stride(from: 0, to: 40, by: 4)))
        let (_, again) = try TokenDataset.packed(Array(0..<40), blockSize: 4).split(heldOut: 3, seed: 5)
        #expect((0..<3).map { again.example($0) } == (0..<3).map { held.example($0) })
    }

    /// The model sees each example once per epoch, in an order fixed by the seed.
    @Test func dataOrderIsASeededPermutationPerEpoch() throws {
        let m = try TinyTraining.model()
        let data = try TokenDataset.packed((0..<16).flatMap { Array(repeating: $0, count: 8) }, blockSize: 8)
        #expect(data.count == 16)
        func visited(seed: UInt64, shuffle: Bool) throws -> [Int] {
            var c = TrainingConfig(steps: 8)
            c.batchSize = 4
            c.seed = seed
            c.shuffle = shuffle
            c.lr = 0
            let t = try Trainer(model: m, data: data, config: c)
            return (0..<(8 * 4)).map { t.exampleIndex(at: $0) }
        }
        let a = try visited(seed: 1, shuffle: true)
        #expect(Set(a[0..<16]) == Set(0..<16) && Set(a[16..<32]) == Set(0..<16))
        #expect(Array(a[0..<16]) != Array(a[16..<32]))
        #expect(try visited(seed: 1, shuffle: true) == a)
        #expect(try visited(seed: 2, shuffle: true) != a)
        #expect(try visited(seed: 1, shuffle: false) == Array(0..<16) + Array(0..<16))
    }

    @Test func optionsAreValidatedAndGrouped() throws {
        var c = TrainingConfig(steps: 10)
        #expect(c.decays("transformer.h.0.attn.c_attn.weight"))
        #expect(c.decays("model.layers.1.mlp.down_proj.weight"))
        #expect(c.decays("transformer.h.0.attn.c_attn.lora_A.weight"))
        for n in ["transformer.h.0.attn.c_attn.bias", "transformer.h.0.ln_1.weight", "transformer.ln_f.bias", "transformer.wte.weight",
                  "transformer.wpe.weight", "lm_head.weight", "model.norm.weight", "model.layers.0.input_layernorm.weight",
                  "model.embed_tokens.weight"] {
            #expect(!c.decays(n), "\(n)")
        }
        c.decayEmbeddings = true
        c.decayBiases = true
        #expect(c.decays("transformer.wte.weight") && c.decays("transformer.h.0.mlp.c_fc.bias"))
        #expect(!c.decays("transformer.h.0.ln_2.bias"))
        var bad = TrainingConfig(steps: 0)
        #expect { try bad.validate() } throws: { ($0 as? TrainingError)?.kind == .option && "\($0)".contains("steps") }
        bad = TrainingConfig(steps: 5)
        bad.checkpointEvery = 2
        #expect { try bad.validate() } throws: { "\($0)".contains("checkpoint_dir") }
        bad = TrainingConfig(steps: 5)
        bad.beta2 = 1
        #expect { try bad.validate() } throws: { "\($0)".contains("beta2") }
        // Data that does not fit the model is rejected up front.
        let m = try TinyTraining.model()
        #expect { try Trainer(model: m, data: try TokenDataset.packed(Array(0..<64), blockSize: 8), config: TrainingConfig(steps: 1)) }
            throws: { ($0 as? TrainingError)?.kind == .data && "\($0)".contains("vocabulary") }
        #expect { try Trainer(model: m, data: try TokenDataset.packed(Array(repeating: 1, count: 64), blockSize: 64), config: TrainingConfig(steps: 1)) }
            throws: { "\($0)".contains("context") }
    }

    /// HF's GPT-2 initialisation: σ 0.02, residual projections σ/√(2·n_layer), zero biases, unit LayerNorms,
    /// tied embeddings; the same seed gives the same weights.
    @Test func initialisationFollowsGPT2() throws {
        let cfg = try ModelConfig.gpt2(nLayers: 4, dModel: 64, nHeads: 4, dVocab: 512, nCtx: 64)
        let m = try Transformer.initialized(config: cfg, seed: 11)
        func std(_ name: String) throws -> Double {
            let t = try m.parameters[name]!.to(.float64)
            return try (t - t.mean()).square().mean().item().squareRoot()
        }
        #expect(abs(try std("transformer.wte.weight") - 0.02) < 0.001)
        #expect(abs(try std("transformer.h.1.mlp.c_fc.weight") - 0.02) < 0.001)
        #expect(abs(try std("transformer.h.2.attn.c_proj.weight") - 0.02 / 8.0.squareRoot()) < 0.0006)
        #expect(abs(try std("transformer.h.3.mlp.c_proj.weight") - 0.02 / 8.0.squareRoot()) < 0.0006)
        #expect(try m.parameters["transformer.h.0.attn.c_attn.bias"]!.abs().amax().item() == 0)
        #expect(try m.parameters["transformer.h.0.ln_1.weight"]!.doubles().allSatisfy { $0 == 1 })
        #expect(m.parameters["lm_head.weight"] == nil && m.config.tiedEmbeddings)
        #expect(m.parameters.count == 4 + 4 * 12)
        let again = try Transformer.initialized(config: cfg, seed: 11)
        let other = try Transformer.initialized(config: cfg, seed: 12)
        let w = "transformer.h.1.attn.c_attn.weight"
        #expect(try Fixture.maxAbsDiff(m.parameters[w]!, again.parameters[w]!) == 0)
        #expect(try Fixture.maxAbsDiff(m.parameters[w]!, other.parameters[w]!) > 0.01)
        // A fresh model predicts nearly uniformly: loss ≈ ln(vocab).
        let tokens = try Tensor((0..<64).map { Int64($0 * 7 % 512) }, shape: [1, 64])
        let lp = try m.forward(tokens).logSoftmax(dim: -1)
        #expect(abs(try lp.mean().item() + Foundation.log(512.0)) < 0.05)
        // Llama-family configs initialise too; BERT does not.
        let llama = try ModelConfig.fromHF(Data(#"{"model_type":"llama","hidden_size":32,"num_attention_heads":4,"num_key_value_heads":2,"num_hidden_layers":2,"intermediate_size":64,"vocab_size":50,"max_position_embeddings":32}"#.utf8), source: "test")
        let l = try Transformer.initialized(config: llama, seed: 1)
        #expect(l.parameters["lm_head.weight"] != nil)
        #expect(try l.forward(try Tensor([Int64(1), 2, 3], shape: [1, 3])).shape == [1, 3, 50])
        #expect { try ModelConfig.gpt2(nLayers: 2, dModel: 30, nHeads: 4, dVocab: 10, nCtx: 8) } throws: { "\($0)".contains("divisible") }
    }
}
