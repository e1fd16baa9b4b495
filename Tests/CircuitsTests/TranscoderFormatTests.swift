import Circuits
import Foundation
import Models
import Tensor
import Testing
import TestSupport

private let fixtures = Support.repoRoot.appendingPathComponent("Tests/Fixtures/transcoders").path

private func maxDiff(_ a: Tensor, _ b: Tensor) throws -> Double {
    #expect(a.shape == b.shape)
    return try (a - b).abs().amax().item()
}

private func reference() throws -> SafeTensorsFile {
    try SafeTensorsFile(path: fixtures + "/reference.safetensors")
}

@Suite("Transcoder formats")
struct TranscoderFormatTests {
    @Test("circuit-tracer per-layer set matches numpy (JumpReLU + skip, ReLU)")
    func pltFixture() throws {
        let set = try TranscoderSet(contentsOf: fixtures + "/plt")
        let ref = try reference()
        let x = try ref.tensor("x")
        #expect(set.count == 2)
        #expect(set.inputHook(layer: 1) == "blocks.1.ln2.hook_normalized")
        #expect(set.outputHook(layer: 0) == "blocks.0.hook_mlp_out")
        #expect(set.extra == ["model_name": "tiny-gpt2"])
        #expect(set[0].activation == .jumpReLU && set[0].hasSkip)
        #expect(set[1].activation == .relu && !set[1].hasSkip)
        for l in 0..<2 {
            let t = set[l]
            #expect(t.dModel == 64 && t.dTranscoder == 32 && t.layer == l)
            #expect(try maxDiff(t.preActivations(x), ref.tensor("plt.\(l).pre")) <= 1e-5)
            let a = try t.encode(x)
            #expect(try maxDiff(a, ref.tensor("plt.\(l).features")) <= 1e-5)
            #expect(try maxDiff(t.decode(a), ref.tensor("plt.\(l).decoded")) <= 1e-5)
            #expect(try maxDiff(t(x), ref.tensor("plt.\(l).out")) <= 1e-5)
        }
        // The JumpReLU layer really gates: some positive pre-activations fall below their threshold.
        let pre = try set[0].preActivations(x), a = try set[0].encode(x)
        let gated = try (pre.compare(.gt, 0).to(.float32) - a.compare(.gt, 0).to(.float32)).sum().item()
        #expect(gated > 0)
    }

    @Test("TopK set: config activation/k, layer_*.safetensors discovery, k tensor; matches numpy")
    func topKFixture() throws {
        let set = try TranscoderSet(contentsOf: fixtures + "/topk/config.yaml")
        let ref = try reference()
        let x = try ref.tensor("x")
        for l in 0..<2 {
            #expect(set[l].activation == .topK(5))
            let a = try set[l].encode(x)
            #expect(try maxDiff(a, ref.tensor("topk.\(l).features")) <= 1e-5)
            #expect(try a.compare(.ne, 0).to(.float32).sum(dims: [-1]).amax().item() == 5)
            #expect(try maxDiff(set[l](x), ref.tensor("topk.\(l).out")) <= 1e-5)
        }
        #expect(set[1].hasSkip)
        // The layer file alone (its int64 "k" tensor) gives the same activation.
        #expect(try Transcoder(contentsOf: fixtures + "/topk/layer_0.safetensors", layer: 0).activation == .topK(5))
    }

    @Test("GemmaScope params.npz, stored and deflated, matches numpy", arguments: ["params.npz", "params_compressed.npz"])
    func gemmaScope(file: String) throws {
        let t = try GemmaScope.load(path: fixtures + "/gemmascope/layer_0/" + file, layer: 0)
        let ref = try reference()
        let x = try ref.tensor("x")
        #expect(t.activation == .jumpReLU && !t.hasSkip)
        #expect(try t.wEnc.shape == [32, 64])
        #expect(try maxDiff(t.encode(x), ref.tensor("gemmascope.0.features")) <= 1e-5)
        #expect(try maxDiff(t(x), ref.tensor("gemmascope.0.out")) <= 1e-5)
    }

    @Test("file-backed weights load on first use and can be released")
    func lazyLoading() throws {
        let set = try TranscoderSet(contentsOf: fixtures + "/plt")
        let x = try reference().tensor("x")
        #expect(!set[0].isResident && !set[1].isResident)
        let first = try set[0](x)
        #expect(set[0].isResident && !set[1].isResident)
        set.release()
        #expect(!set[0].isResident)
        #expect(try maxDiff(set[0](x), first) == 0)
        let g = try GemmaScope.load(path: fixtures + "/gemmascope/layer_0/params.npz", layer: 0)
        #expect(!g.isResident)
        _ = try g.encode(x)
        #expect(g.isResident)
        g.release()
        #expect(!g.isResident)
    }

    @Test("write then read a set reproduces weights, activations and config")
    func roundTrip() throws {
        let gen = try Generator(seed: 7)
        func r(_ s: [Int]) throws -> Tensor { try Tensor.randn(s, generator: gen) }
        let t0 = try Transcoder(layer: 0, wEnc: r([16, 8]), bEnc: r([16]), wDec: r([16, 8]), bDec: r([8]),
                                threshold: Tensor.rand([16], generator: gen), wSkip: r([8, 8]), activation: .jumpReLU)
        let t1 = try Transcoder(layer: 1, wEnc: r([16, 8]), bEnc: r([16]), wDec: r([16, 8]), bDec: r([8]), activation: .relu)
        let set = try TranscoderSet(transcoders: [t0, t1], featureInputHook: "mlp.hook_in",
                                    featureOutputHook: "mlp.hook_out", extra: ["scan": "tiny scan: v1"])
        let dir = try Support.tempDir("circuits")
        defer { try? FileManager.default.removeItem(at: dir) }
        try set.save(to: dir.path)
        let back = try TranscoderSet(contentsOf: dir.path)
        #expect(back.featureInputHook == "mlp.hook_in" && back.featureOutputHook == "mlp.hook_out")
        #expect(back.extra == set.extra)
        let x = try r([4, 8])
        for l in 0..<2 {
            #expect(back[l].activation == set[l].activation && back[l].hasSkip == set[l].hasSkip)
            #expect(try maxDiff(back[l].wEnc, set[l].wEnc) == 0)
            #expect(try maxDiff(back[l](x), set[l](x)) == 0)
        }
        // A TopK set records activation/k in config.yaml (where circuit-tracer reads them).
        let k0 = try Transcoder(layer: 0, wEnc: r([16, 8]), bEnc: r([16]), wDec: r([16, 8]), bDec: r([8]), activation: .topK(3))
        let k1 = try Transcoder(layer: 1, wEnc: r([16, 8]), bEnc: r([16]), wDec: r([16, 8]), bDec: r([8]),
                                wSkip: r([8, 8]), activation: .topK(3))
        let kdir = dir.appendingPathComponent("topk").path
        try TranscoderSet(transcoders: [k0, k1], featureInputHook: "a", featureOutputHook: "b").save(to: kdir)
        let kback = try TranscoderSet(contentsOf: kdir)
        #expect(kback.extra == ["activation": "topk", "k": "3"])
        #expect(try maxDiff(kback[1](x), k1(x)) == 0 && kback[0].activation == .topK(3))
        #expect(throws: TranscoderError.self) {
            try TranscoderSet(transcoders: [k0, t1], featureInputHook: "a", featureOutputHook: "b")
                .save(to: dir.appendingPathComponent("mixed").path)
        }
        let t2 = t1
        // GemmaScope round trip (JumpReLU; ReLU becomes zero thresholds with the same features).
        try GemmaScope.save(t2, to: dir.appendingPathComponent("relu.npz").path)
        let g2 = try GemmaScope.load(path: dir.appendingPathComponent("relu.npz").path, layer: 1)
        #expect(try maxDiff(g2(x), t2(x)) == 0)
        let noSkip = try Transcoder(layer: 0, wEnc: t0.wEnc, bEnc: t0.bEnc, wDec: t0.wDec, bDec: t0.bDec,
                                    threshold: t0.threshold, activation: .jumpReLU)
        try GemmaScope.save(noSkip, to: dir.appendingPathComponent("params.npz").path)
        let g0 = try GemmaScope.load(path: dir.appendingPathComponent("params.npz").path, layer: 0)
        #expect(try maxDiff(g0.threshold!, noSkip.threshold!) == 0)
        #expect(try maxDiff(g0(x), noSkip(x)) == 0)
        #expect(throws: TranscoderError.self) { try GemmaScope.save(t0, to: dir.appendingPathComponent("skip.npz").path) }
        #expect(throws: TranscoderError.self) { try GemmaScope.save(k0, to: dir.appendingPathComponent("topk.npz").path) }
    }
}

@Suite("GemmaScope-2 transcoders")
struct GemmaScope2Tests {
    @Test("w_enc/w_dec/affine_skip_connection safetensors load as the transposed circuit-tracer transcoder, also from a set")
    func v2() throws {
        let gen = try Generator(seed: 9)
        func r(_ s: [Int]) throws -> Tensor { try Tensor.randn(s, generator: gen) }
        let t = try Transcoder(layer: 0, wEnc: r([10, 6]), bEnc: r([10]), wDec: r([10, 6]), bDec: r([6]),
                               threshold: Tensor.rand([10], generator: gen), wSkip: r([6, 6]), activation: .jumpReLU)
        let dir = try Support.tempDir("circuits")
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("params.safetensors").path
        try SafeTensors.write([
            "w_enc": t.wEnc.transpose(0, 1).contiguous(), "w_dec": t.wDec, "b_enc": t.bEnc, "b_dec": t.bDec,
            "threshold": t.threshold!, "affine_skip_connection": t.wSkip!.transpose(0, 1).contiguous(),
        ], to: file)
        let g = try GemmaScope.loadV2(path: file, layer: 0)
        #expect(g.activation == .jumpReLU && g.hasSkip && !g.isResident)
        let x = try r([3, 6])
        #expect(try maxDiff(g(x), t(x)) == 0)
        try Data("model_kind: transcoder_set\nfeature_input_hook: a\nfeature_output_hook: b\ntranscoders:\n  - params.safetensors\n".utf8)
            .write(to: dir.appendingPathComponent("config.yaml"))
        let set = try TranscoderSet(contentsOf: dir.path)
        #expect(try maxDiff(set[0](x), t(x)) == 0)
        try SafeTensors.write(["w_enc": r([6, 10]), "w_dec": r([10, 6])], to: file)
        #expect(throws: TranscoderError(file, "missing tensor \"b_enc\" (GemmaScope-2 layout)")) {
            _ = try GemmaScope.loadV2(path: file, layer: 0)
        }
    }
}
