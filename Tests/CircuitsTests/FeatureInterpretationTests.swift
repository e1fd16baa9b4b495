import Circuits
import Foundation
import Models
import Store
import Tensor
import Testing
import TestSupport

private let modelDir = Support.repoRoot.appendingPathComponent("Tests/Fixtures/models/gpt2").path
private let llamaDir = Support.repoRoot.appendingPathComponent("Tests/Fixtures/models/llama").path

private let corpus = [
    "The cat sees a big apple.",
    "Alice says the weather is rain today",
    "42 birds",
    "we bake bread and butter. They write new ideas",
    "The dog and the cat eat bread.",
    "Bob says the apple is big",
    "They see 42 new birds today",
    "a",
    "The weather is rain and the cat is wet.",
    "we write",
    "The cat sees a big apple.",  // a duplicate: its activations tie with text 0's
]

/// Random ReLU transcoders for the 2-layer, d_model 64 fixture GPT-2: biases spread so that some
/// features are frequent, some rare, and feature 0 of each layer is dead.
private func randomTranscoders(seed: UInt64, width: Int = 24, crossLayer: Bool = false) throws -> Transcoders {
    let gen = try Generator(seed: seed)
    func r(_ s: [Int], _ scale: Double) throws -> Tensor { try Tensor.randn(s, generator: gen) * scale }
    func bias() throws -> Tensor {
        var b = try (Tensor.rand([width], generator: gen) * -3.0).floats()
        b[0] = -1000
        return try Tensor(b, shape: [width])
    }
    if crossLayer {
        let clt = try CrossLayerTranscoder(wEnc: [r([width, 64], 0.4), r([width, 64], 0.4)], bEnc: [bias(), bias()],
                                           bDec: [r([64], 0.1), r([64], 0.1)],
                                           wDec: [r([width, 2, 64], 0.2), r([width, 1, 64], 0.2)],
                                           featureInputHook: "hook_resid_mid", featureOutputHook: "hook_mlp_out")
        return .crossLayer(clt)
    }
    let ts = try (0..<2).map { l in
        try Transcoder(layer: l, wEnc: r([width, 64], 0.4), bEnc: bias(), wDec: r([width, 64], 0.2), bDec: r([64], 0.1),
                       activation: .relu)
    }
    return .perLayer(try TranscoderSet(transcoders: ts, featureInputHook: "ln2.hook_normalized", featureOutputHook: "hook_mlp_out"))
}

/// Every (activation, text, position) of every feature, computed text by text without batching.
private func denseScan(_ model: Transformer, _ tc: Transcoders, _ tokens: [[Int]]) throws -> [[[(Float, Int, Int)]]] {
    var out = (0..<tc.nLayers).map { l in [[(Float, Int, Int)]](repeating: [], count: tc.dTranscoder(layer: l)) }
    for (t, ids) in tokens.enumerated() {
        let hooks = HookContext()
        hooks.cacheFilter = { $0.hasSuffix(tc.featureInputHook) }
        _ = try Torch.noGrad { try model.forward(try Tensor(ids.map { Int64($0) }, shape: [1, ids.count]), ForwardOptions(hooks: hooks)) }
        for l in 0..<tc.nLayers {
            let x = try #require(hooks.cache["blocks.\(l).\(tc.featureInputHook)"])
            let a = try tc.encode(x, layer: l).reshape([ids.count, -1]).floats()
            let w = tc.dTranscoder(layer: l)
            for p in 1..<ids.count {
                for f in 0..<w where a[p * w + f] != 0 { out[l][f].append((a[p * w + f], t, p)) }
            }
        }
    }
    return out
}

@Suite("Feature interpretation")
struct FeatureInterpretationTests {
    let model: Transformer

    init() throws { model = try Transformer.load(modelDir) }

    @Test("logit lens equals an explicit decoder · W_U product, raw and through the final norm, PLT and CLT")
    func logitLens() throws {
        let wte = try #require(model.parameters.first { $0.key.hasSuffix("wte.weight") }?.value)
        let lnf = try #require(model.parameters.first { $0.key.hasSuffix("ln_f.weight") }?.value)
        let wu = try wte.transpose(0, 1)  // tied embeddings: W_U = W_Eᵀ
        for crossLayer in [false, true] {
            let tc = try randomTranscoders(seed: 5, crossLayer: crossLayer)
            for finalNorm in [false, true] {
                let lenses = try FeatureLogitLens.compute(model: model, transcoders: tc, layer: 0, features: [3, 7, 3], k: 6,
                                                          finalNorm: finalNorm)
                // The same feature twice: the same tokens; scores equal to float32 rounding (rows of one matrix
                // product may go through different BLAS micro-kernels).
                #expect(lenses.count == 3)
                #expect(lenses[0].promoted.map(\.id) == lenses[2].promoted.map(\.id))
                #expect(lenses[0].suppressed.map(\.id) == lenses[2].suppressed.map(\.id))
                for (a, b) in zip(lenses[0].promoted + lenses[0].suppressed, lenses[2].promoted + lenses[2].suppressed) {
                    #expect(Swift.abs(a.score - b.score) <= 1e-5)
                }
                for lens in lenses {
                    var d: Tensor
                    switch tc {
                    case .perLayer(let s): d = try s[0].wDec.select(dim: 0, index: lens.feature)
                    case .crossLayer(let c):
                        let w = try c.wDec(layer: 0).select(dim: 0, index: lens.feature)  // [2, 64]
                        d = try w.select(dim: 0, index: 0) + w.select(dim: 0, index: 1)
                    }
                    if finalNorm { d = try (d - d.mean()) * lnf }
                    let scores = try d.unsqueeze(0).matmul(wu).reshape([-1]).doubles()
                    let order = scores.indices.sorted { scores[$0] > scores[$1] }
                    #expect(lens.promoted.map(\.id) == Array(order.prefix(6)))
                    #expect(lens.suppressed.map(\.id) == Array(order.reversed().prefix(6)))
                    for e in lens.promoted + lens.suppressed {
                        #expect(Swift.abs(e.score - scores[e.id]) <= 1e-5)
                        #expect(e.token == model.tokenizer!.decode([e.id]))
                    }
                }
            }
        }
        let tc = try randomTranscoders(seed: 5)
        #expect(throws: FeatureInterpretationError("feature 24 is outside 0..<24 at layer 1")) {
            _ = try FeatureLogitLens.compute(model: model, transcoders: tc, layer: 1, features: [24])
        }
        #expect(throws: FeatureInterpretationError("layer 2 is outside 0..<2")) {
            _ = try FeatureLogitLens.compute(model: model, transcoders: tc, layer: 2, features: [0])
        }
        #expect(throws: FeatureInterpretationError("k must be in 1...384, got 0")) {
            _ = try FeatureLogitLens.compute(model: model, transcoders: tc, layer: 0, features: [0], k: 0)
        }
    }

    @Test("logit lens of a Llama (untied W_U, RMSNorm: γ without centring)")
    func logitLensLlama() throws {
        let llama = try Transformer.load(llamaDir)
        let wu = try #require(llama.parameters["lm_head.weight"]).transpose(0, 1)
        let gamma = try #require(llama.parameters.first { $0.key.hasSuffix("norm.weight") && !$0.key.contains("layers.") }?.value)
        let tc = try randomTranscoders(seed: 8, crossLayer: true)
        guard case .crossLayer(let c) = tc else { return }
        for finalNorm in [false, true] {
            let lens = try FeatureLogitLens.compute(model: llama, transcoders: tc, layer: 1, features: [9], k: 4, finalNorm: finalNorm)[0]
            var d = try c.wDec(layer: 1).select(dim: 0, index: 9).select(dim: 0, index: 0)
            if finalNorm { d = try d * gamma }
            let scores = try d.unsqueeze(0).matmul(wu).reshape([-1]).doubles()
            let order = scores.indices.sorted { scores[$0] > scores[$1] }
            #expect(lens.promoted.map(\.id) == Array(order.prefix(4)))
            #expect(lens.suppressed.map(\.id) == Array(order.reversed().prefix(4)))
            for e in lens.promoted + lens.suppressed { #expect(Swift.abs(e.score - scores[e.id]) <= 1e-5) }
        }
    }

    @Test("top contexts, counts and sums equal a dense scan, batched or not, PLT and CLT, GPT-2 and Llama",
          arguments: [("gpt2", false), ("gpt2", true), ("llama", true)])
    func bruteForce(modelName: String, crossLayer: Bool) throws {
        let model = modelName == "gpt2" ? self.model : try Transformer.load(llamaDir)
        let tc = try randomTranscoders(seed: 11, crossLayer: crossLayer)
        let tokens = try FeatureContexts.tokenize(corpus, model: model, options: FeatureContextOptions())
        #expect(tokens.allSatisfy { $0.first == 0 })  // BOS prepended
        let dense = try denseScan(model, tc, tokens)
        let k = 4
        let exact = try FeatureContexts.collect(model: model, transcoders: tc, tokens: tokens,
                                                options: FeatureContextOptions(k: k, batchSize: 1))
        let batched = try FeatureContexts.collect(model: model, transcoders: tc, tokens: tokens,
                                                  options: FeatureContextOptions(k: k, batchSize: 3))
        #expect(exact.forwardPasses == corpus.count && batched.forwardPasses == 4)
        // Text 10 repeats text 0: equal activations, kept in corpus order.
        var ties = 0
        #expect(exact.scoredTokenCount == tokens.reduce(0) { $0 + $1.count - 1 })
        var live = 0
        for l in 0..<2 {
            for f in 0..<24 {
                let all = dense[l][f].sorted { $0.0 != $1.0 ? $0.0 > $1.0 : ($0.1, $0.2) < ($1.1, $1.2) }
                let want = all.prefix(k)
                let got = try exact.top(layer: l, feature: f)
                #expect(got.map(\.activation) == want.map(\.0), "layer \(l) feature \(f)")
                #expect(got.map { [$0.textIndex, $0.position] } == want.map { [$0.1, $0.2] }, "layer \(l) feature \(f)")
                #expect(try exact.activeCount(layer: l, feature: f) == all.count)
                #expect(try exact.maxActivation(layer: l, feature: f) == all.first?.0)
                let mean = all.isEmpty ? nil : all.reduce(0.0) { $0 + Double($1.0) } / Double(all.count)
                let gotMean = try exact.meanActivation(layer: l, feature: f)
                #expect((mean == nil) == (gotMean == nil))
                if let mean, let gotMean { #expect(Swift.abs(mean - gotMean) <= 1e-5 * Swift.max(1, Swift.abs(mean))) }
                #expect(try exact.density(layer: l, feature: f) == Double(all.count) / Double(exact.scoredTokenCount))
                // Batched (padded) passes: the same up to float rounding.
                let b = try batched.top(layer: l, feature: f)
                #expect(b.count == got.count)
                for (x, y) in zip(b, got) { #expect(Swift.abs(x.activation - y.activation) <= 1e-5) }
                #expect(try batched.activeCount(layer: l, feature: f) == all.count)
                if !all.isEmpty { live += 1 }
                for (x, y) in zip(got, got.dropFirst()) where x.activation == y.activation {
                    #expect((x.textIndex, x.position) < (y.textIndex, y.position))
                    ties += 1
                }
            }
        }
        #expect(live > 30)  // the test exercises real contexts
        #expect(ties > 0)  // and equal activations
        #expect(try exact.top(layer: 0, feature: 0).isEmpty && exact.maxActivation(layer: 0, feature: 0) == nil)
    }

    @Test("k larger than the occurrences keeps them all; dead features have none")
    func largeK() throws {
        let tc = try randomTranscoders(seed: 11)
        let tokens = try FeatureContexts.tokenize(Array(corpus.prefix(3)), model: model, options: FeatureContextOptions())
        let scored = tokens.reduce(0) { $0 + $1.count - 1 }
        let r = try FeatureContexts.collect(model: model, transcoders: tc, tokens: tokens, options: FeatureContextOptions(k: 100))
        #expect(r.k == 100 && scored < 100)
        for l in 0..<2 {
            for f in 0..<24 {
                let top = try r.top(layer: l, feature: f)
                #expect(top.count == (try r.activeCount(layer: l, feature: f)))
                #expect(zip(top, top.dropFirst()).allSatisfy { $0.activation >= $1.activation })
                #expect(top.allSatisfy { $0.position >= 1 && $0.activation > 0 })
            }
            #expect(try r.density(layer: l, feature: 0) == 0)
        }
    }

    @Test("context windows show the tokens around the position, the BOS left out; describe summarises")
    func windows() throws {
        let tc = try randomTranscoders(seed: 11)
        let tokens = try FeatureContexts.tokenize(corpus, model: model, options: FeatureContextOptions())
        let r = try FeatureContexts.collect(model: model, transcoders: tc, tokens: tokens, options: FeatureContextOptions(k: 3))
        #expect(r.firstTokenIsSpecial)
        let tok = try #require(model.tokenizer)
        var checked = 0
        for f in 0..<24 {
            for c in try r.top(layer: 1, feature: f) {
                let ids = try #require(r.tokens(text: c.textIndex))
                #expect(ids == tokens[c.textIndex])
                let w = try r.window(c, radius: 2)
                #expect(w.tokenId == ids[c.position] && w.token == tok.decode([ids[c.position]]))
                #expect(w.left == (Swift.max(1, c.position - 2)..<c.position).map { tok.decode([ids[$0]]) })
                #expect(w.right == ((c.position + 1)..<Swift.min(ids.count, c.position + 3)).map { tok.decode([ids[$0]]) })
                #expect(w.marked == w.left.joined() + "«" + w.token + "»" + w.right.joined())
                checked += 1
            }
        }
        #expect(checked > 10)
        let busiest = try (0..<24).max { try r.activeCount(layer: 1, feature: $0) < r.activeCount(layer: 1, feature: $1) }!
        let c = try #require(try r.top(layer: 1, feature: busiest).first)
        let whole = try r.window(c, radius: 1000)
        #expect((whole.left + [whole.token] + whole.right).joined() == tok.decode(Array(tokens[c.textIndex].dropFirst())))
        let lens = try FeatureLogitLens.compute(model: model, transcoders: tc, layer: 1, features: [busiest], k: 3)[0]
        let line = try r.describe(layer: 1, feature: busiest, lens: lens, tokens: 3)
        #expect(line.hasPrefix("layer 1 feature \(busiest): active on "))
        #expect(line.contains("; top tokens «") && line.contains("; promotes '") && line.contains("; suppresses '"))
        #expect(try r.describe(layer: 0, feature: 0) == "layer 0 feature 0: never active on \(r.scoredTokenCount) tokens")
        #expect(throws: FeatureInterpretationError("feature 24 is outside 0..<24 at layer 0")) { _ = try r.top(layer: 0, feature: 24) }
        #expect(throws: FeatureInterpretationError("layer -1 is outside 0..<2")) { _ = try r.density(layer: -1, feature: 0) }
    }

    @Test("the index survives serialization; corrupt bytes are rejected")
    func serialization() throws {
        let tc = try randomTranscoders(seed: 2, crossLayer: true)
        let r = try FeatureContexts.collect(model: model, transcoders: tc, tokens: try FeatureContexts.tokenize(corpus, model: model,
                                            options: FeatureContextOptions()), options: FeatureContextOptions(k: 5))
        let bytes = r.serialized()
        let back = try FeatureContexts(serialized: bytes)
        #expect(back == r && back.serialized() == bytes)
        #expect(throws: FeatureInterpretationError("feature-context index is truncated", kind: .corruptIndex)) {
            _ = try FeatureContexts(serialized: Array(bytes.dropLast(3)))
        }
        #expect(throws: FeatureInterpretationError("not a feature-context index of this version (bad magic)", kind: .corruptIndex)) {
            _ = try FeatureContexts(serialized: [1, 2, 3, 4, 5, 6, 7, 8, 9])
        }
    }

    @Test("a second call with the same inputs reads the store instead of running the model")
    func cacheHit() throws {
        let dir = try Support.tempDir("feature-contexts")
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = try Store(path: dir.appendingPathComponent("store.sqlite").path)
        let tc = try randomTranscoders(seed: 11)
        var calls = 0
        let first = try FeatureContexts.cached(in: store, model: model, transcoders: tc, texts: corpus,
                                               options: FeatureContextOptions(k: 4, batchSize: 4)) { _, _ in calls += 1 }
        #expect(!first.isFromCache && first.forwardPasses == 3 && calls == 3)
        #expect(try store.count() == 1 && store.get(try #require(first.cacheKey))?.kind == "feature_contexts")
        // Another batch size gives the same key: it does not change the result.
        let second = try FeatureContexts.cached(in: store, model: model, transcoders: tc, texts: corpus,
                                                options: FeatureContextOptions(k: 4, batchSize: 2)) { _, _ in calls += 1 }
        #expect(second.isFromCache && second.forwardPasses == 0 && calls == 3)
        #expect(second == first && second.cacheKey == first.cacheKey)
        // The same weights loaded afresh (a new object) hit too.
        let again = try FeatureContexts.cached(in: store, model: try Transformer.load(modelDir), transcoders: try randomTranscoders(seed: 11),
                                               texts: corpus, options: FeatureContextOptions(k: 4))
        #expect(again.isFromCache && again == first)
        // A different corpus is computed and stored under its own key.
        let other = try FeatureContexts.cached(in: store, model: model, transcoders: tc, texts: Array(corpus.dropLast()),
                                               options: FeatureContextOptions(k: 4))
        #expect(!other.isFromCache && other.cacheKey != first.cacheKey && other.textCount == corpus.count - 1)
        #expect(try store.count() == 2)
    }

    @Test("cache keys change with the corpus, its tokenization, k, the transcoders and the model")
    func keys() throws {
        let tc = try randomTranscoders(seed: 11)
        let opts = FeatureContextOptions()
        let tokens = try FeatureContexts.tokenize(corpus, model: model, options: opts)
        let key = try FeatureContexts.cacheKey(model: model, transcoders: tc, tokens: tokens, k: 10)
        #expect(try FeatureContexts.cacheKey(model: model, transcoders: try randomTranscoders(seed: 11), tokens: tokens, k: 10) == key)
        var others: [String] = []
        var changed = corpus
        changed[3] += "!"
        others.append(try FeatureContexts.cacheKey(model: model, transcoders: tc, tokens: try FeatureContexts.tokenize(changed, model: model,
                                                   options: opts), k: 10))
        others.append(try FeatureContexts.cacheKey(model: model, transcoders: tc, tokens: Array(tokens.reversed()), k: 10))
        others.append(try FeatureContexts.cacheKey(model: model, transcoders: tc, tokens: try FeatureContexts.tokenize(corpus, model: model,
                                                   options: FeatureContextOptions(prependBOS: false)), k: 10))
        others.append(try FeatureContexts.cacheKey(model: model, transcoders: tc, tokens: try FeatureContexts.tokenize(corpus, model: model,
                                                   options: FeatureContextOptions(maxTokens: 5)), k: 10))
        others.append(try FeatureContexts.cacheKey(model: model, transcoders: tc, tokens: tokens, k: 11))
        others.append(try FeatureContexts.cacheKey(model: model, transcoders: try randomTranscoders(seed: 12), tokens: tokens, k: 10))
        others.append(try FeatureContexts.cacheKey(model: model, transcoders: try randomTranscoders(seed: 11, crossLayer: true),
                                                   tokens: tokens, k: 10))
        let other = try Transformer.initialized(config: model.config, seed: 1, tokenizer: model.tokenizer)
        others.append(try FeatureContexts.cacheKey(model: other, transcoders: tc, tokens: tokens, k: 10))
        #expect(Set(others + [key]).count == others.count + 1)
    }

    @Test("bad inputs are rejected with the reason")
    func errors() throws {
        let tc = try randomTranscoders(seed: 11)
        let opts = FeatureContextOptions()
        #expect(throws: FeatureInterpretationError("the corpus is empty")) {
            _ = try FeatureContexts.collect(model: model, transcoders: tc, tokens: [], options: opts)
        }
        #expect(throws: FeatureInterpretationError("k must be at least 1, got 0")) {
            _ = try FeatureContexts.collect(model: model, transcoders: tc, tokens: [[0, 5]], options: FeatureContextOptions(k: 0))
        }
        #expect(throws: FeatureInterpretationError("batch_size must be at least 1, got 0")) {
            _ = try FeatureContexts.collect(model: model, transcoders: tc, tokens: [[0, 5]], options: FeatureContextOptions(batchSize: 0))
        }
        #expect(throws: FeatureInterpretationError("max_tokens must be in 1...64 (the model's context), got 65")) {
            _ = try FeatureContexts.tokenize(corpus, model: model, options: FeatureContextOptions(maxTokens: 65))
        }
        #expect(throws: FeatureInterpretationError("text 1 has token id 384, outside the vocabulary [0, 384)")) {
            _ = try FeatureContexts.collect(model: model, transcoders: tc, tokens: [[0, 5], [0, 384]], options: opts)
        }
        #expect(throws: FeatureInterpretationError("text 0 has no tokens")) {
            _ = try FeatureContexts.collect(model: model, transcoders: tc, tokens: [[]], options: opts)
        }
        let truncated = try FeatureContexts.tokenize([String(repeating: "The cat sees a big apple. ", count: 20)], model: model,
                                                     options: FeatureContextOptions(maxTokens: 7))
        #expect(truncated[0].count == 7)
    }
}
