import Circuits
import Foundation
import Models
import Tensor
import Testing

/// A small GPT-2 with fresh weights and random transcoders that fit it.
struct TracingFixture {
    let model: Transformer
    let transcoders: Transcoders
    let rm: ReplacementModel
    let tokens: [Int]

    static let nLayers = 3, dModel = 32, dTC = 48, vocab = 61

    /// `kind`: "plt" (ReLU with skip at layer 0 and 2, JumpReLU at 1), "clt" (cross-layer, ReLU, reading
    /// hook_resid_mid), "llama" (the PLT set on a Llama: RMSNorm, RoPE, grouped-query attention with 2 KV heads).
    init(kind: String = "plt", seed: UInt64 = 7, length: Int = 9) throws {
        let config: ModelConfig
        if kind == "llama" {
            let json = """
                {"model_type": "llama", "architectures": ["LlamaForCausalLM"], "hidden_size": \(Self.dModel),
                 "intermediate_size": 80, "num_attention_heads": 4, "num_key_value_heads": 2,
                 "num_hidden_layers": \(Self.nLayers), "vocab_size": \(Self.vocab), "max_position_embeddings": 64,
                 "rms_norm_eps": 1e-5, "rope_theta": 10000.0, "hidden_act": "silu", "initializer_range": 0.2,
                 "tie_word_embeddings": false, "bos_token_id": 0}
                """
            config = try ModelConfig.fromHF(Data(json.utf8), source: "llama fixture")
        } else {
            config = try ModelConfig.gpt2(nLayers: Self.nLayers, dModel: Self.dModel, nHeads: 4, dVocab: Self.vocab, nCtx: 64,
                                          bosTokenId: 0)
        }
        model = try Transformer.initialized(config: config, seed: seed)
        // Larger residual weights so attention and MLPs do something visible.
        let gen = try Generator(seed: seed + 100)
        func r(_ s: [Int], _ scale: Double) throws -> Tensor { try Tensor.randn(s, generator: gen) * scale }
        let d = Self.dModel, n = Self.dTC
        if kind == "clt" {
            let clt = try CrossLayerTranscoder(
                wEnc: try (0..<Self.nLayers).map { _ in try r([n, d], 8) },
                bEnc: try (0..<Self.nLayers).map { _ in try r([n], 0.1) - 0.4 },
                bDec: try (0..<Self.nLayers).map { _ in try r([d], 0.05) },
                wDec: try (0..<Self.nLayers).map { l in try r([n, Self.nLayers - l, d], 0.1) },
                threshold: nil, featureInputHook: "hook_resid_mid", featureOutputHook: "hook_mlp_out")
            transcoders = .crossLayer(clt)
        } else {
            // "plt-bf16": the same set with bfloat16 weights.
            let dtype: DType = kind == "plt-bf16" ? .bfloat16 : .float32
            func w(_ s: [Int], _ scale: Double) throws -> Tensor { try r(s, scale).to(dtype) }
            var ts: [Transcoder] = []
            for l in 0..<Self.nLayers {
                let jump = l == 1
                ts.append(try Transcoder(layer: l, wEnc: try w([n, d], 0.4), bEnc: try (r([n], 0.1) - 0.3).to(dtype), wDec: try w([n, d], 0.1),
                                         bDec: try w([d], 0.05), threshold: jump ? try Tensor.full([n], 0.2, dtype: dtype) : nil,
                                         wSkip: l != 1 ? try w([d, d], 0.1) : nil, activation: jump ? .jumpReLU : .relu))
            }
            transcoders = .perLayer(try TranscoderSet(transcoders: ts, featureInputHook: "ln2.hook_normalized",
                                                      featureOutputHook: "hook_mlp_out"))
        }
        rm = try ReplacementModel(model: model, transcoders: transcoders)
        var ids = [0]
        var x = seed
        for _ in 1..<length {
            x = x &* 6364136223846793005 &+ 1442695040888963407
            ids.append(1 + Int((x >> 33) % UInt64(Self.vocab - 1)))
        }
        tokens = ids
    }
}

/// Dense adjacency [target][source] of a graph (for small test graphs).
func denseAdjacency(_ g: AttributionGraph) -> [[Double]] {
    var a = [[Double]](repeating: [Double](repeating: 0, count: g.nodes.count), count: g.nodes.count)
    for t in g.nodes.indices { for (s, w) in g.edges(into: t) { a[t][s] = Double(w) } }
    return a
}

@Suite("Replacement model and attribution", .serialized)
struct AttributionTests {
    @Test("the replacement model reproduces the model's logits; splicing the transcoders in changes them")
    func exactReconstruction() throws {
        for kind in ["plt", "clt", "llama"] {
            let f = try TracingFixture(kind: kind)
            let ref = try f.model.forward(try Tensor(f.tokens.map(Int64.init), shape: [1, f.tokens.count])).select(dim: 0, index: 0)
            let rep = try f.rm.forward(f.tokens)
            #expect(try (rep - ref).abs().amax().item() <= 1e-5, "\(kind)")
            let spliced = try f.rm.forward(f.tokens, errors: false)
            #expect(try (spliced - ref).abs().amax().item() > 1e-3, "\(kind): random transcoders must not reconstruct exactly")
            let run = try f.rm.run(f.tokens)
            for l in 0..<TracingFixture.nLayers {
                // Reconstruction + error = MLP output away from the zeroed position.
                let sum = try (run.reconstructions[l] + run.errors[l]).narrow(dim: 0, start: 1, length: f.tokens.count - 1)
                #expect(try (sum - run.mlpOutputs[l].narrow(dim: 0, start: 1, length: f.tokens.count - 1)).abs().amax().item() <= 1e-5)
                #expect(try run.activations[l].select(dim: 0, index: 0).abs().amax().item() == 0)
            }
        }
    }

    @Test("bfloat16 transcoders: the replacement model still reproduces the logits and attribution runs")
    func bfloat16Transcoders() throws {
        let f = try TracingFixture(kind: "plt-bf16")
        let ref = try f.model.forward(try Tensor(f.tokens.map(Int64.init), shape: [1, f.tokens.count])).select(dim: 0, index: 0)
        #expect(try (f.rm.forward(f.tokens) - ref).abs().amax().item() <= 1e-5)
        let g = try Attribution.attribute(f.tokens, f.rm)
        #expect(g.indices(of: .feature).count > 20)
        // Readouts, reconstructions and errors are float32 math on the bfloat16 weights, as the sweep is,
        // so the sum check holds to float32 rounding.
        let (res, scale) = g.sumCheck()
        #expect(res <= 1e-4 * Swift.max(1, scale), "residual \(res) of \(scale)")
    }

    @Test("every target's incoming edges plus its constant term equal its value (sum check)")
    func sumCheck() throws {
        for kind in ["plt", "clt", "llama"] {
            let f = try TracingFixture(kind: kind)
            let g = try Attribution.attribute(f.tokens, f.rm)
            #expect(g.indices(of: .feature).count > 20, "\(kind): the fixture should have active features")
            let (res, scale) = g.sumCheck()
            #expect(scale > 0.1)
            #expect(res <= 1e-4 * Swift.max(1, scale), "\(kind): residual \(res)")
            #expect(g.droppedFraction() == 0)
            #expect(g.indices(of: .logit).count >= 1 && g.indices(of: .logit).count <= 10)
        }
    }

    @Test("edge = intervention: adding a source's vector in the frozen model moves each target by that edge")
    func edgeEqualsIntervention() throws {
        for kind in ["plt", "clt", "llama"] {
            let f = try TracingFixture(kind: kind)
            let g = try Attribution.attribute(f.tokens, f.rm)
            let a = denseAdjacency(g)
            let run = try f.rm.run(f.tokens)
            let t = f.tokens.count, d = TracingFixture.dModel
            let base = try f.rm.frozenForward(run)
            let logitNodes = g.indices(of: .logit)
            let wu = try f.model.unembeddingMatrix()
            let targets = g.nodes.indices.filter { g.nodes[$0].kind == .feature || g.nodes[$0].kind == .logit }
            // Target readouts: feature pre-activations and demeaned logits.
            func readouts(_ out: ReplacementModel.FrozenOutputs) throws -> [Double] {
                var r: [Double] = []
                for i in targets {
                    let n = g.nodes[i]
                    if n.kind == .logit {
                        let logits = try out.finalHidden.select(dim: 0, index: t - 1).unsqueeze(0).matmul(wu).squeeze(dim: 0)
                        r.append(try logits.select(dim: 0, index: n.index).item() - logits.mean().item())
                    } else {
                        let pre = try f.transcoders.preActivations(out.inputs[n.layer], layer: n.layer)
                        r.append(try pre.select(dim: 0, index: n.position).select(dim: 0, index: n.index).item())
                    }
                }
                return r
            }
            let before = try readouts(base)
            func check(source s: Int, embedDelta: Tensor?, outputDeltas: [Int: Tensor]) throws {
                let after = try readouts(try f.rm.frozenForward(run, embedDelta: embedDelta, outputDeltas: outputDeltas))
                for (k, ti) in targets.enumerated() {
                    let change = after[k] - before[k]
                    #expect(Swift.abs(change - a[ti][s]) <= 1e-4 + 1e-3 * Swift.abs(change),
                            "\(kind): \(g.id(s)) → \(g.id(ti)): intervention \(change), edge \(a[ti][s])")
                }
            }
            func rowDelta(_ p: Int, _ v: Tensor) throws -> Tensor {
                let z = try Tensor.zeros([t, d])
                try z.select(dim: 0, index: p).copyInPlace(from: v)
                return z
            }
            // A sample of features (every 3rd), all error nodes, all token nodes.
            let features = g.indices(of: .feature)
            for s in stride(from: 0, to: features.count, by: Swift.max(1, features.count / 15)).map({ features[$0] }) {
                let n = g.nodes[s]
                var deltas: [Int: Tensor] = [:]
                let fid = try Tensor([Int64(n.index)], shape: [1])
                for out in f.transcoders.outputLayers(of: n.layer) {
                    let v = try f.transcoders.decoderVectors(sourceLayer: n.layer, fid, outputLayer: out).squeeze(dim: 0) * Double(n.value)
                    deltas[out] = try rowDelta(n.position, v)
                }
                try check(source: s, embedDelta: nil, outputDeltas: deltas)
            }
            for s in g.indices(of: .error) {
                let n = g.nodes[s]
                try check(source: s, embedDelta: nil, outputDeltas: [n.layer: try rowDelta(n.position, run.errors[n.layer].select(dim: 0, index: n.position))])
            }
            let emb = try f.model.tokenEmbeddingMatrix
            for s in g.indices(of: .token) {
                let n = g.nodes[s]
                try check(source: s, embedDelta: try rowDelta(n.position, emb.select(dim: 0, index: n.index)), outputDeltas: [:])
            }
            #expect(!logitNodes.isEmpty)
        }
    }

    @Test("the frozen model is linear: swapping non-BOS tokens adds up (no hidden nonlinearity)")
    func frozenLinearity() throws {
        let f = try TracingFixture()
        let run = try f.rm.run(f.tokens)
        let emb = try f.model.tokenEmbeddingMatrix
        let t = f.tokens.count
        func swapDelta(_ p: Int, to id: Int) throws -> Tensor {
            let z = try Tensor.zeros([t, TracingFixture.dModel])
            try z.select(dim: 0, index: p).copyInPlace(from: emb.select(dim: 0, index: id) - emb.select(dim: 0, index: f.tokens[p]))
            return z
        }
        let d1 = try swapDelta(2, to: 5), d2 = try swapDelta(6, to: 11)
        let f0 = try f.rm.frozenForward(run)
        let f1 = try f.rm.frozenForward(run, embedDelta: d1)
        let f2 = try f.rm.frozenForward(run, embedDelta: d2)
        let f12 = try f.rm.frozenForward(run, embedDelta: try d1 + d2)
        let lhs = try f12.finalHidden - f0.finalHidden
        let rhs = try (f1.finalHidden - f0.finalHidden) + (f2.finalHidden - f0.finalHidden)
        let gap = try (lhs - rhs).abs().amax().item(), size = try lhs.abs().amax().item()
        #expect(gap <= 1e-5 * Swift.max(1, size), "\(gap) vs \(size)")
        #expect(try lhs.abs().amax().item() > 1e-2, "the swaps must change something")
        // The real (unfrozen) model is not linear in the same swaps.
        let ids = { (swaps: [(Int, Int)]) -> Tensor in
            var t = f.tokens
            for (p, v) in swaps { t[p] = v }
            return try! f.model.forward(try Tensor(t.map(Int64.init), shape: [1, t.count])).select(dim: 0, index: 0)
        }
        let r0 = ids([]), r1 = ids([(2, 5)]), r2 = ids([(6, 11)]), r12 = ids([(2, 5), (6, 11)])
        #expect(try ((r12 - r0) - ((r1 - r0) + (r2 - r0))).abs().amax().item() > 1e-4)
    }

    @Test("rows do not depend on batch composition (causal-cone sweeps), and capped graphs report dropped mass")
    func batchingAndCap() throws {
        let f = try TracingFixture()
        var o = AttributionOptions()
        let full = try Attribution.attribute(f.tokens, f.rm, options: o)
        o.batchSize = 1
        let single = try Attribution.attribute(f.tokens, f.rm, options: o)
        #expect(full.nodes == single.nodes)
        #expect(full.rowStart == single.rowStart && full.sources == single.sources)
        let worst = zip(full.weights, single.weights).map { Swift.abs($0 - $1) }.max() ?? 0
        let largest = Double(full.weights.map { Swift.abs($0) }.max() ?? 1)
        #expect(Double(worst) <= 1e-5 * Swift.max(1, largest), "\(worst) vs \(largest)")

        // The blocked attention transpose (long cones) computes the same rows, with and without cones.
        for cone in [true, false] {
            var b = AttributionOptions()
            b.attentionBlock = 2
            b.causalCone = cone
            let blocked = try Attribution.attribute(f.tokens, f.rm, options: b)
            #expect(blocked.sources == full.sources)
            let gap = zip(full.weights, blocked.weights).map { Swift.abs($0 - $1) }.max() ?? 0
            #expect(Double(gap) <= 1e-5 * Swift.max(1, largest), "blocked (cone \(cone)): \(gap) vs \(largest)")
        }

        o.batchSize = 4
        o.maxFeatureNodes = 10
        let capped = try Attribution.attribute(f.tokens, f.rm, options: o)
        #expect(capped.indices(of: .feature).count == 10)
        #expect(capped.droppedFraction() > 0)
        let (res, scale) = capped.sumCheck()
        #expect(res <= 1e-4 * Swift.max(1, scale))
        // The visited features are the influential ones: the capped set's logit influence share is high.
        #expect(capped.indices(of: .error).count == TracingFixture.nLayers * f.tokens.count)
    }

    @Test("bad options and bad inputs are reported")
    func errors() throws {
        let f = try TracingFixture()
        var o = AttributionOptions()
        o.batchSize = 0
        #expect(throws: ModelError.self) { _ = try Attribution.attribute(f.tokens, f.rm, options: o) }
        o = AttributionOptions()
        o.targetTokens = [TracingFixture.vocab + 3]
        #expect(throws: ModelError.self) { _ = try Attribution.attribute(f.tokens, f.rm, options: o) }
        #expect(throws: ModelError.self) {
            _ = try f.rm.featureIntervention(f.tokens, [FeatureIntervention(layer: 9, position: 1, feature: 0, value: 1)])
        }
        #expect(throws: ModelError.self) {
            _ = try f.rm.featureIntervention(f.tokens, [FeatureIntervention(layer: 0, position: 99, feature: 0, value: 1)])
        }
        // Transcoders for another width do not fit.
        let other = try TracingFixture(kind: "plt")
        let config = try ModelConfig.gpt2(nLayers: 3, dModel: 16, nHeads: 4, dVocab: 61, nCtx: 64)
        let small = try Transformer.initialized(config: config, seed: 1)
        #expect(throws: TranscoderError.self) { _ = try ReplacementModel(model: small, transcoders: other.transcoders) }
    }

    @Test("interventions: setting a feature to its own value changes nothing; zeroing it matches the decoder's direct effect")
    func interventions() throws {
        let f = try TracingFixture()
        let run = try f.rm.run(f.tokens)
        // The last layer's most active feature at the last position.
        let l = TracingFixture.nLayers - 1, p = f.tokens.count - 1
        let (vals, idx) = try run.activations[l].select(dim: 0, index: p).max(dim: 0)
        let a = try vals.item(), fi = Int(try idx.itemInt())
        #expect(a > 0)
        let same = try f.rm.featureIntervention(f.tokens, [FeatureIntervention(layer: l, position: p, feature: fi, value: a)])
        #expect(try (same.logits - run.logits).abs().amax().item() <= 1e-5)
        let off = try f.rm.featureIntervention(f.tokens, [FeatureIntervention(layer: l, position: p, feature: fi, value: 0)])
        #expect(try off.activations[l].select(dim: 0, index: p).select(dim: 0, index: fi).item() == 0)
        #expect(try (off.logits - run.logits).abs().amax().item() > 1e-4)
        // Earlier positions are untouched (causality).
        #expect(try (off.logits.narrow(dim: 0, start: 0, length: p) - run.logits.narrow(dim: 0, start: 0, length: p)).abs().amax().item() <= 1e-6)
        // Steering at every position changes every position after BOS.
        let steer = try f.rm.featureIntervention(f.tokens, [FeatureIntervention(layer: 0, position: nil, feature: 0, value: 5)])
        let acts0 = try steer.activations[0].select(dim: 1, index: 0).floats()
        #expect(acts0[0] == 0 && acts0.dropFirst().allSatisfy { $0 == 5 })
    }
}
