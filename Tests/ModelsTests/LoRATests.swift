import Foundation
import Testing
import Models
import Tensor
import Tokenizers
import TestSupport

/// Helpers for fine-tuning tests on the tiny GPT-2 fixture (vocab 384, 64 positions, a tokenizer).
enum FineTune {
    static func data(seed: UInt64 = 4) throws -> TokenDataset {
        try TokenDataset.packed(TinyTraining.patternStream(32 * 24, seed: seed).map { $0 + 100 }, blockSize: 32)
    }

    static func config(steps: Int) -> TrainingConfig {
        var c = TrainingConfig(steps: steps)
        c.batchSize = 4
        c.lr = 1e-2
        c.warmupSteps = 1
        return c
    }

    static func logits(_ m: Transformer, _ tokens: Tensor) throws -> Tensor { try Torch.noGrad { try m.forward(tokens) } }

    /// Writes tokens + Discern's logits as a reference file and asks HF transformers to load `dir`
    /// and reproduce them (skipped without the dev venv).
    static func expectHFLoads(_ dir: String, tokens: Tensor, logits: Tensor, _ label: String) throws {
        guard let py = Support.devPython else { return }
        let ref = dir + "/discern-reference.safetensors"
        try SafeTensors.write(["tokens": tokens, "logits": logits], to: ref)
        defer { try? FileManager.default.removeItem(atPath: ref) }
        let r = try Support.run(URL(fileURLWithPath: py), [Support.repoRoot.appendingPathComponent("Scripts/dev/make_model_fixtures.py").path,
                                                           "--check-saved", dir, ref])
        #expect(r.status == 0, "\(label): HF did not reproduce Discern's logits: \(r.stdout) \(r.stderr.suffix(1500))")
    }
}

@Suite("fine-tuning: LoRA and full")
struct LoRATests {
    /// Fresh adapters (B = 0) leave the logits unchanged; training moves only the adapters; the merged
    /// weights (mergeLoRA, or save → load, or HF) give the unmerged model's logits.
    @Test func loraTrainsOnlyAdaptersAndMergesExactly() throws {
        let m = try Transformer.load(Fixture.dir("gpt2"))
        let tokens = try Fixture.reference("gpt2").tensor("tokens")
        let before = try FineTune.logits(m, tokens)
        let base = try m.parameters.mapValues { try $0.clone() }
        let names = try m.addLoRA(LoRAConfig(rank: 4, alpha: 8, targets: ["attn.c_attn", "mlp.c_proj"], seed: 3))
        #expect(names == ["transformer.h.0.attn.c_attn", "transformer.h.0.mlp.c_proj", "transformer.h.1.attn.c_attn", "transformer.h.1.mlp.c_proj"])
        let ad = try #require(m.loraAdapters["transformer.h.0.attn.c_attn"])
        #expect(ad.a.shape == [4, 64] && ad.b.shape == [192, 4] && ad.scale == 2 && ad.fanInFanOut)
        // PEFT's init: A ~ U(-1/√in, 1/√in), B = 0.
        #expect(try ad.a.abs().amax().item() <= 1 / 8.0 && (try ad.a.abs().amax().item()) > 0.1)
        #expect(try ad.b.abs().amax().item() == 0)
        #expect(try Fixture.maxAbsDiff(FineTune.logits(m, tokens), before) == 0)

        let r = try Trainer(model: m, data: try FineTune.data(), config: FineTune.config(steps: 30)).run()
        #expect(r.losses.suffix(3).reduce(0, +) / 3 < 0.7 * r.losses[0], "LoRA loss \(r.losses[0]) → \(r.losses.suffix(3))")
        for (name, w) in base {
            #expect(try Fixture.maxAbsDiff(m.parameters[name]!, w) == 0, "base weight \(name) changed")
        }
        #expect(try m.loraAdapters["transformer.h.1.mlp.c_proj"]!.b.abs().amax().item() > 0)
        let unmerged = try FineTune.logits(m, tokens)
        #expect(try Fixture.maxAbsDiff(unmerged, before) > 1e-3)

        // Saving writes merged plain weights; Discern and HF load them and agree with the adapters.
        let dir = try Support.tempDir("lora")
        defer { try? FileManager.default.removeItem(at: dir) }
        try m.save(dir.path)
        let saved = try SafeTensorsFile(path: dir.path + "/model.safetensors")
        #expect(!saved.names.contains { $0.contains("lora") })
        #expect(!m.loraAdapters.isEmpty)
        let reloaded = try Transformer.load(dir.path)
        #expect(try Fixture.maxAbsDiff(FineTune.logits(reloaded, tokens), unmerged) <= 1e-5)
        try FineTune.expectHFLoads(dir.path, tokens: tokens, logits: unmerged, "merged LoRA")
        // Merging in place gives the same model and drops the adapters.
        try m.mergeLoRA()
        #expect(m.loraAdapters.isEmpty)
        #expect(try Fixture.maxAbsDiff(FineTune.logits(m, tokens), unmerged) <= 1e-5)
        #expect(try Fixture.maxAbsDiff(m.parameters["transformer.h.0.attn.c_attn.weight"]!, reloaded.parameters["transformer.h.0.attn.c_attn.weight"]!) == 0)
    }

    @Test func targetsLayersScalingAndErrors() throws {
        let m = try Transformer.load(Fixture.dir("gpt2"))
        // "c_proj" matches both projections (PEFT's suffix rule); layers restrict.
        let names = try m.addLoRA(LoRAConfig(rank: 2, alpha: 4, targets: ["c_proj"], layers: [1], rsLoRA: true))
        #expect(names == ["transformer.h.1.attn.c_proj", "transformer.h.1.mlp.c_proj"])
        #expect(m.loraAdapters["transformer.h.1.mlp.c_proj"]!.a.shape == [2, 256])
        #expect(abs(m.loraAdapters["transformer.h.1.attn.c_proj"]!.scale - 4 / 2.0.squareRoot()) < 1e-15)
        #expect { try m.addLoRA(LoRAConfig()) } throws: { "\($0)".contains("already has") }
        try m.removeLoRA()
        #expect(m.loraAdapters.isEmpty)
        #expect { try m.addLoRA(LoRAConfig(targets: ["q_proj"])) } throws: { e in
            "\(e)".contains("\"q_proj\" matches no module") && "\(e)".contains("attn.c_attn")
        }
        #expect { try m.addLoRA(LoRAConfig(layers: [5])) } throws: { "\($0)".contains("out of range") }
        #expect { try m.addLoRA(LoRAConfig(rank: 0)) } throws: { "\($0)".contains("rank") }
        // Llama-family names; nn.Linear weights are [out, in].
        let l = try Transformer.load(Fixture.dir("llama"))
        let ln = try l.addLoRA(LoRAConfig(targets: ["q_proj", "v_proj"]))
        #expect(ln.count == 2 * l.config.nLayers && ln.allSatisfy { $0.hasSuffix("q_proj") || $0.hasSuffix("v_proj") })
        let q = l.loraAdapters["model.layers.0.self_attn.q_proj"]!
        #expect(!q.fanInFanOut && q.b.shape[0] == l.config.nHeads * l.config.dHead)
        // A LoRA delta of known factors merges into the weight exactly (W + s·(BA)ᵀ for Conv1D).
        let d = try q.delta()
        #expect(d.shape == l.parameters["model.layers.0.self_attn.q_proj.weight"]!.shape)
    }

    /// Full fine-tuning of a loaded (memory-mapped) model: every weight moves, the saved directory
    /// reloads bit for bit, and HF reproduces the logits.
    @Test func fullFineTuneSavesAndReloads() throws {
        let m = try Transformer.load(Fixture.dir("gpt2"))
        let tokens = try Fixture.reference("gpt2").tensor("tokens")
        let before = try FineTune.logits(m, tokens)
        let r = try Trainer(model: m, data: try FineTune.data(), config: FineTune.config(steps: 8)).run()
        #expect(r.losses.last! < r.losses[0])
        let after = try FineTune.logits(m, tokens)
        #expect(try Fixture.maxAbsDiff(after, before) > 1e-2)
        // The original files are untouched (weights were copied before training).
        #expect(try Fixture.maxAbsDiff(FineTune.logits(try Transformer.load(Fixture.dir("gpt2")), tokens), before) == 0)
        let dir = try Support.tempDir("full")
        defer { try? FileManager.default.removeItem(at: dir) }
        try m.save(dir.path)
        let r2 = try Transformer.load(dir.path)
        #expect(try Fixture.maxAbsDiff(FineTune.logits(r2, tokens), after) == 0)
        #expect(try r2.encode("The cat sees") == m.encode("The cat sees"))
        try FineTune.expectHFLoads(dir.path, tokens: tokens, logits: after, "full fine-tune")
    }

    /// A model trained from scratch with a tokenizer is a complete HF directory.
    @Test func scratchModelWithTokenizerSavesForHF() throws {
        let tok = try Tokenizer.load(Fixture.dir("gpt2") + "/tokenizer.json")
        let cfg = try ModelConfig.gpt2(nLayers: 1, dModel: 32, nHeads: 2, dVocab: 384, nCtx: 32, bosTokenId: 0, eosTokenId: 0)
        let m = try Transformer.initialized(config: cfg, seed: 8, tokenizer: tok)
        _ = try Trainer(model: m, data: try FineTune.data(), config: FineTune.config(steps: 3)).run()
        let dir = try Support.tempDir("scratch")
        defer { try? FileManager.default.removeItem(at: dir) }
        try m.save(dir.path)
        for f in ["config.json", "generation_config.json", "model.safetensors", "tokenizer.json"] {
            #expect(FileManager.default.fileExists(atPath: dir.path + "/" + f), "\(f) missing")
        }
        let ids = try m.encode("The cat sees a big apple.").map(Int64.init)
        let tokens = try Tensor(ids, shape: [1, ids.count])
        let r = try Transformer.load(dir.path)
        #expect(try Fixture.maxAbsDiff(FineTune.logits(r, tokens), FineTune.logits(m, tokens)) == 0)
        try FineTune.expectHFLoads(dir.path, tokens: tokens, logits: try FineTune.logits(m, tokens), "scratch model")
    }
}
