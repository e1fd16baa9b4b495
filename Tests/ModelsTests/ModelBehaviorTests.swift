import Foundation
import Testing
import Models
import Tensor
import TestSupport

@Suite("model hooks, generation, scoring, loading")
struct ModelBehaviorTests {
    @Test func replacingAHookChangesDownstreamOnly() throws {
        let m = try Transformer.load(Fixture.dir("gpt2"))
        let tokens = try Fixture.reference("gpt2").tensor("tokens")
        let base = try m.forward(tokens)
        let ctx = HookContext()
        var seen: [String] = []
        ctx.add("blocks.1.hook_mlp_out") { x, name in seen.append(name); return try x * 0.0 }
        ctx.cacheFilter = { $0 == "blocks.1.hook_resid_post" || $0 == "blocks.1.hook_resid_mid" }
        let zeroed = try m.forward(tokens, ForwardOptions(hooks: ctx))
        #expect(seen == ["blocks.1.hook_mlp_out"])
        #expect(try Fixture.maxAbsDiff(base, zeroed) > 1e-2)
        // With the MLP output zeroed, resid_post equals resid_mid exactly.
        #expect(try Fixture.maxAbsDiff(ctx.cache["blocks.1.hook_resid_post"]!, ctx.cache["blocks.1.hook_resid_mid"]!) == 0)
        // A replacement of the wrong shape is an error naming the hook.
        let bad = HookContext()
        bad.add("blocks.0.hook_attn_out") { _, _ in try Tensor.zeros([1]) }
        #expect { try m.forward(tokens, ForwardOptions(hooks: bad)) } throws: { "\($0)".contains("blocks.0.hook_attn_out") }
    }

    @Test func filterHooksAndFrozenValues() throws {
        let m = try Transformer.load(Fixture.dir("llama"))
        let tokens = try Fixture.reference("llama").tensor("tokens")
        let first = HookContext()
        first.cacheFilter = { $0.hasSuffix("hook_pattern") }
        let base = try m.forward(tokens, ForwardOptions(hooks: first))
        #expect(first.cache.count == m.config.nLayers)
        // Freezing every pattern to its own value reproduces the logits.
        let frozen = HookContext()
        for (k, v) in first.cache { frozen.freeze(k, to: v) }
        #expect(try Fixture.maxAbsDiff(try m.forward(tokens, ForwardOptions(hooks: frozen)), base) == 0)
        var count = 0
        let counting = HookContext()
        counting.add(where: { $0.hasPrefix("blocks.0.") }) { _, _ in count += 1; return nil }
        _ = try m.forward(tokens, ForwardOptions(hooks: counting))
        #expect(count == m.hookNames().filter { $0.hasPrefix("blocks.0.") }.count)
    }

    /// The gradient read at a hook equals a central finite difference through that hook (float64).
    @Test func gradientAtHookMatchesFiniteDifference() throws {
        let m = try Transformer.load(Fixture.dir("qwen2"), dtype: .float64)
        let tokens = try Fixture.reference("qwen2").tensor("tokens").narrow(dim: 0, start: 0, length: 1)
        let hook = "blocks.1.hook_resid_pre"
        let target = (pos: 9, vocab: 17)
        func objective(_ logits: Tensor) throws -> Tensor {
            try logits.select(dim: 0, index: 0).select(dim: 0, index: target.pos).select(dim: 0, index: target.vocab)
        }
        let ctx = HookContext()
        ctx.cacheFilter = { $0 == hook }
        ctx.retainGrad = true
        let out = try Torch.withGradEnabled(true) { try m.forward(tokens, ForwardOptions(hooks: ctx)) }
        try objective(out).backward()
        let g = try #require(try ctx.cache[hook]!.grad())
        #expect(g.shape == [1, 11, m.config.dModel])
        let gv = try g.doubles()
        // Causality: positions after the target get no gradient.
        #expect(gv[(10 * m.config.dModel)..<(11 * m.config.dModel)].allSatisfy { $0 == 0 })
        let eps = 1e-6
        for (pos, dim) in [(3, 5), (9, 0), (0, 63)] {
            func shifted(_ delta: Double) throws -> Double {
                let c = HookContext()
                c.add(hook) { x, _ in
                    var d = [Double](repeating: 0, count: x.numel)
                    d[pos * m.config.dModel + dim] = delta
                    return try x + Tensor(d, shape: x.shape)
                }
                return try objective(try m.forward(tokens, ForwardOptions(hooks: c))).item()
            }
            let fd = (try shifted(eps) - shifted(-eps)) / (2 * eps)
            let an = gv[pos * m.config.dModel + dim]
            #expect(Swift.abs(fd - an) <= 1e-6 * Swift.max(1, Swift.abs(an)), "pos \(pos) dim \(dim): fd \(fd) vs grad \(an)")
        }
    }

    @Test func samplingIsSeededPerSampleNotPerBatch() throws {
        let m = try Transformer.load(Fixture.dir("gpt2"))
        var o = GenerationOptions()
        o.maxNewTokens = 8
        o.seed = 42
        o.topK = 50
        let alone = try m.generate(["The cat"], o)
        let mixed = try m.generate(["Alice says the weather is", "The cat", "42"], o)
        #expect(alone[0].tokens == mixed[1].tokens)
        #expect(alone[0].logprobs.count == mixed[1].logprobs.count)
        for (a, b) in zip(alone[0].logprobs, mixed[1].logprobs) { #expect(Swift.abs(a - b) < 1e-4) }
        o.batchSize = 1
        #expect(try m.generate(["Alice says the weather is", "The cat", "42"], o).map(\.tokens) == mixed.map(\.tokens))
        o.seed = 43
        let other = try m.generate(["The cat"], o)
        o.seed = 42
        o.n = 4
        let many = try m.generate(["The cat"], o)
        #expect(many.count == 4 && many.map(\.sampleIndex) == [0, 1, 2, 3])
        #expect(many[0].tokens == alone[0].tokens)
        #expect(Set(many.map(\.tokens)).count > 1)
        #expect(other[0].tokens != alone[0].tokens)
        // Equal prompts in one call get different streams.
        let dup = try m.generate(["The cat", "The cat"], { var p = o; p.n = 1; return p }())
        #expect(dup[0].tokens == alone[0].tokens)
        #expect(dup[1].tokens != dup[0].tokens)
    }

    @Test func logprobsEqualScoring() throws {
        let m = try Transformer.load(Fixture.dir("llama"))
        var o = GenerationOptions()
        o.maxNewTokens = 6
        o.seed = 7
        o.stopAtEOS = false
        let s = try m.generate(["The cat", "we bake"], o)
        for (i, p) in ["The cat", "we bake"].enumerated() {
            let pi = try m.encode(p)
            let r = try m.scoreTokens([pi + s[i].tokens], starts: [pi.count])[0]
            for (a, b) in zip(r.logprobs, s[i].logprobs) { #expect(Swift.abs(a - b) < 1e-4) }
        }
    }

    @Test func topKOneAndTinyTopPAreGreedy() throws {
        let m = try Transformer.load(Fixture.dir("qwen2"))
        var o = GenerationOptions()
        o.maxNewTokens = 6
        o.stopAtEOS = false
        o.temperature = 0
        let greedy = try m.generate(["The cat", "42"], o).map(\.tokens)
        o.temperature = 0.8
        o.topK = 1
        #expect(try m.generate(["The cat", "42"], o).map(\.tokens) == greedy)
        o.topK = nil
        o.topP = 1e-6
        #expect(try m.generate(["The cat", "42"], o).map(\.tokens) == greedy)
    }

    @Test func stopStringsAndLength() throws {
        let m = try Transformer.load(Fixture.dir("gpt2"))
        var o = GenerationOptions()
        o.maxNewTokens = 12
        o.temperature = 0
        o.stopAtEOS = false
        let full = try m.generate(["Alice"], o)[0]
        #expect(full.stopReason == "length" && full.tokens.count == 12)
        #expect(full.text == (try m.decode(full.tokens)))
        // Stop at a substring that appears in the greedy continuation.
        let text = full.text
        try #require(text.count >= 4)
        let cut = text.index(text.startIndex, offsetBy: text.count / 2)
        let stop = String(text[cut...].prefix(2))
        o.stop = [stop]
        let stopped = try m.generate(["Alice"], o)[0]
        #expect(stopped.stopReason == "stop")
        #expect(!stopped.text.contains(stop))
        #expect(text.hasPrefix(stopped.text))
        #expect(stopped.tokens.count <= full.tokens.count)
        o.maxNewTokens = 0
        #expect(try m.generate(["Alice"], o)[0].tokens.isEmpty)
    }

    @Test func saveAndReload() throws {
        let dir = try Support.tempDir("model")
        defer { try? FileManager.default.removeItem(at: dir) }
        for name in ["gpt2", "llama", "qwen2"] {
            let m = try Transformer.load(Fixture.dir(name))
            let out = dir.appendingPathComponent(name).path
            try m.save(out)
            let r = try Transformer.load(out)
            let tokens = try Fixture.reference(name).tensor("tokens")
            #expect(try Fixture.maxAbsDiff(m.forward(tokens), r.forward(tokens)) == 0)
            #expect(Set(r.parameters.keys) == Set(m.parameters.keys))
            #expect(try r.encode("The cat sees") == m.encode("The cat sees"))
            // HF transformers loads the saved directory unchanged (when the dev venv exists).
            if let py = Support.devPython {
                let res = try Support.run(URL(fileURLWithPath: py),
                                          [Support.repoRoot.appendingPathComponent("Scripts/dev/make_model_fixtures.py").path,
                                           "--check-saved", out, Fixture.dir(name) + "/reference.safetensors"])
                #expect(res.status == 0, "\(name): HF could not load the saved model: \(res.stdout) \(res.stderr.suffix(2000))")
            }
        }
    }

    @Test func configErrorsAreClear() throws {
        let bad = try ModelConfigFixtures.error(#"{"model_type": "mamba"}"#)
        #expect(bad.contains("mamba") && bad.contains("gpt2, llama, qwen2, mistral, bert"))
        #expect(try ModelConfigFixtures.error(#"{"model_type": "gpt2", "n_embd": 64}"#).contains("missing required field \"n_head\""))
        #expect(try ModelConfigFixtures.error(#"{"model_type": "llama", "hidden_size": 64, "num_attention_heads": 4, "num_key_value_heads": 3}"#).contains("multiple"))
        #expect(try ModelConfigFixtures.error("not json").contains("invalid JSON"))
        #expect(try ModelConfigFixtures.error(#"{"model_type":"llama","hidden_size":8,"num_attention_heads":2,"num_hidden_layers":1,"intermediate_size":8,"vocab_size":4,"max_position_embeddings":8,"rope_scaling":{"rope_type":"yarn","factor":2}}"#).contains("yarn"))
        #expect { try Transformer.load("/nonexistent/model") } throws: { "\($0)".contains("does not exist") }
        // Missing weights name the weight.
        let dir = try Support.tempDir("model")
        defer { try? FileManager.default.removeItem(at: dir) }
        try FileManager.default.copyItem(atPath: Fixture.dir("gpt2") + "/config.json", toPath: dir.path + "/config.json")
        try SafeTensors.write(["transformer.wte.weight": try Tensor.zeros([384, 64])], to: dir.path + "/model.safetensors")
        #expect { try Transformer.load(dir.path) } throws: { "\($0)".contains("missing weight \"transformer.wpe.weight\"") }
        try SafeTensors.write(["transformer.wte.weight": try Tensor.zeros([384, 32])], to: dir.path + "/model.safetensors")
        #expect { try Transformer.load(dir.path) } throws: { "\($0)".contains("has shape [384, 32]") }
    }

    @Test func forwardRejectsBadInput() throws {
        let m = try Transformer.load(Fixture.dir("gpt2"))
        #expect { try m.forward(try Tensor([1, 2, 3] as [Int64])) } throws: { "\($0)".contains("[batch, seq]") }
        #expect { try m.forward(try Tensor([1, 999] as [Int64], shape: [1, 2])) } throws: { "\($0)".contains("outside the vocabulary") }
        #expect { try m.forward(try Tensor.zeros([1, 65], dtype: .int64)) } throws: { "\($0)".contains("context of 64") }
        #expect { try m.generate(["x"], { var o = GenerationOptions(); o.topP = 2; return o }()) } throws: { "\($0)".contains("top_p") }
    }

    @Test func hookNamesFollowTransformerLens() throws {
        let m = try Transformer.load(Fixture.dir("gpt2"))
        let names = m.hookNames()
        for n in ["hook_embed", "hook_pos_embed", "blocks.0.hook_resid_pre", "blocks.0.ln1.hook_scale", "blocks.0.ln1.hook_normalized",
                  "blocks.1.attn.hook_q", "blocks.1.attn.hook_attn_scores", "blocks.1.attn.hook_pattern", "blocks.1.attn.hook_z",
                  "blocks.1.hook_attn_out", "blocks.1.hook_resid_mid", "blocks.1.ln2.hook_scale", "blocks.1.mlp.hook_pre",
                  "blocks.1.mlp.hook_post", "blocks.1.hook_mlp_out", "blocks.1.hook_resid_post", "ln_final.hook_scale",
                  "ln_final.hook_normalized"] {
            #expect(names.contains(n), "\(n)")
        }
        let c = HookContext()
        c.cacheFilter = { _ in true }
        let tokens = try Fixture.reference("gpt2").tensor("tokens")
        _ = try m.forward(tokens, ForwardOptions(hooks: c))
        #expect(c.cache["blocks.0.attn.hook_pattern"]!.shape == [2, 4, 11, 11])
        #expect(c.cache["blocks.0.attn.hook_q"]!.shape == [2, 11, 4, 16])
        #expect(c.cache["blocks.0.ln1.hook_scale"]!.shape == [2, 11, 1])
        // Patterns are causal and rows sum to one.
        let p = try c.cache["blocks.0.attn.hook_pattern"]!.doubles()
        #expect(p[1] == 0)
        #expect(Swift.abs(p[0..<11].reduce(0, +) - 1) < 1e-6)
    }
}

enum ModelConfigFixtures {
    static func error(_ json: String) throws -> String {
        do {
            _ = try ModelConfig.fromHF(Data(json.utf8), source: "cfg.json")
            return "(no error)"
        } catch {
            return "\(error)"
        }
    }
}
