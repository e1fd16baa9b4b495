import Foundation
import Testing
import Models
import Tensor
import TestSupport

/// Fixtures written by Scripts/dev/make_model_fixtures.py (reference: HF transformers 4.44).
enum Fixture {
    static func dir(_ name: String) -> String { Support.repoRoot.appendingPathComponent("Tests/Fixtures/models/\(name)").path }

    static func reference(_ name: String) throws -> SafeTensorsFile {
        try SafeTensorsFile(path: dir(name) + "/reference.safetensors")
    }

    static func json(_ name: String) throws -> [String: Any] {
        let d = try Data(contentsOf: URL(fileURLWithPath: dir(name) + "/reference.json"))
        return try JSONSerialization.jsonObject(with: d) as! [String: Any]
    }

    static func maxAbsDiff(_ a: Tensor, _ b: Tensor) throws -> Double {
        try (a.to(.float64) - b.to(.float64)).abs().amax().item()
    }

    /// Rows of an int64 tensor with -1 padding removed.
    static func rows(_ t: Tensor) throws -> [[Int]] {
        let v = try t.toArray(Int64.self).map(Int.init)
        let w = t.shape[1]
        return (0..<t.shape[0]).map { r in Array(v[r * w..<(r + 1) * w]).filter { $0 >= 0 } }
    }
}

@Suite("model parity with HF transformers")
struct ModelParityTests {
    static let causal = ["gpt2", "llama", "qwen2"]

    @Test(arguments: causal) func logitsMatch(_ name: String) throws {
        let m = try Transformer.load(Fixture.dir(name))
        let ref = try Fixture.reference(name)
        let logits = try m.forward(try ref.tensor("tokens"))
        #expect(logits.shape == (try ref.tensor("logits")).shape)
        let d = try Fixture.maxAbsDiff(logits, try ref.tensor("logits"))
        #expect(d <= 1e-4, "\(name): max |Δlogit| = \(d)")
    }

    @Test(arguments: causal) func hookActivationsMatch(_ name: String) throws {
        let m = try Transformer.load(Fixture.dir(name))
        let ref = try Fixture.reference(name)
        let ctx = HookContext()
        ctx.cacheFilter = { _ in true }
        _ = try m.forward(try ref.tensor("tokens"), ForwardOptions(hooks: ctx))
        let names = ref.names.filter { $0.hasPrefix("hook.") }
        #expect(names.count >= 20)
        for key in names {
            let hook = String(key.dropFirst(5))
            guard let got = ctx.cache[hook] else {
                Issue.record("\(name): hook \(hook) was not cached")
                continue
            }
            let want = try ref.tensor(key)
            #expect(got.shape == want.shape, "\(name) \(hook): \(got.shape) vs \(want.shape)")
            if got.shape == want.shape {
                let d = try Fixture.maxAbsDiff(got, want)
                #expect(d <= 1e-4, "\(name) \(hook): max |Δ| = \(d)")
            }
        }
        // Every listed hook point fires exactly under its listed name.
        #expect(Set(ctx.cache.keys) == Set(m.hookNames()))
    }

    @Test(arguments: causal) func greedyGenerationMatches(_ name: String) throws {
        let m = try Transformer.load(Fixture.dir(name))
        let ref = try Fixture.reference(name)
        let info = try Fixture.json(name)
        let prompts = info["prompts"] as! [String]
        let promptIds = info["prompt_ids"] as! [[Int]]
        for (p, ids) in zip(prompts, promptIds) { #expect(try m.encode(p) == ids, "\(name): encoding of \(p)") }
        var o = GenerationOptions()
        o.temperature = 0
        o.maxNewTokens = info["max_new_tokens"] as! Int
        let want = try Fixture.rows(try ref.tensor("gen.greedy"))
        // All prompts in one left-padded batch, and each prompt alone.
        let batched = try m.generate(prompts, o)
        #expect(batched.map(\.tokens) == want, "\(name): batched greedy")
        o.batchSize = 1
        let single = try m.generate(prompts, o)
        #expect(single.map(\.tokens) == want, "\(name): unbatched greedy")
        for s in batched where s.stopReason == "eos" { #expect(m.config.eosTokenIds.contains(s.tokens.last!)) }
    }

    @Test(arguments: causal) func scoresMatch(_ name: String) throws {
        let m = try Transformer.load(Fixture.dir(name))
        let ref = try Fixture.reference(name)
        let info = try Fixture.json(name)
        let r = try m.score(prompts: info["prompts"] as! [String], continuations: info["continuations"] as! [String], batchSize: 3)
        let want = try ref.tensor("score.sums").doubles()
        for (got, w) in zip(r.map(\.sum), want) { #expect(Swift.abs(got - w) <= 1e-3, "\(name): \(got) vs \(w)") }
        #expect(r.allSatisfy { abs($0.logprobs.reduce(0, +) - $0.sum) < 1e-9 })
    }

    @Test func bertHiddenStatesMatch() throws {
        let m = try Transformer.load(Fixture.dir("bert"))
        let ref = try Fixture.reference("bert")
        let h = try m.forward(try ref.tensor("tokens"), ForwardOptions(attentionMask: try ref.tensor("mask")))
        let d = try Fixture.maxAbsDiff(h, try ref.tensor("last_hidden"))
        #expect(d <= 1e-4, "bert: max |Δ| = \(d)")
    }

    @Test func float64AndBFloat16Load() throws {
        let ref = try Fixture.reference("llama")
        let m64 = try Transformer.load(Fixture.dir("llama"), dtype: .float64)
        let l64 = try m64.forward(try ref.tensor("tokens"))
        #expect(l64.dtype == .float64)
        #expect(try Fixture.maxAbsDiff(l64, try ref.tensor("logits")) <= 1e-4)
        let mb = try Transformer.load(Fixture.dir("llama"), dtype: .bfloat16)
        let lb = try mb.forward(try ref.tensor("tokens"))
        #expect(lb.dtype == .bfloat16)
        #expect(try Fixture.maxAbsDiff(lb, try ref.tensor("logits")) < 0.5)
    }
}
