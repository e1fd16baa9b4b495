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

@Suite("Cross-layer transcoders")
struct CrossLayerTranscoderTests {
    @Test("circuit-tracer CLT directory matches numpy, loads lazily")
    func fixture() throws {
        let clt = try CrossLayerTranscoder(contentsOf: fixtures + "/clt")
        let ref = try SafeTensorsFile(path: fixtures + "/reference.safetensors")
        #expect(clt.nLayers == 2 && clt.dModel == 64 && clt.dTranscoder == 32 && clt.activation == .jumpReLU)
        #expect(clt.inputHook(layer: 1) == "blocks.1.hook_resid_mid" && clt.outputHook(layer: 0) == "blocks.0.hook_mlp_out")
        #expect(!clt.isResident)
        #expect(try clt.wDec(layer: 1).shape == [32, 1, 64])
        #expect(clt.isResident)
        clt.release()
        #expect(!clt.isResident)
        let xs = [try ref.tensor("x"), try ref.tensor("x1")]
        for l in 0..<2 {
            #expect(try maxDiff(clt.encode(xs[l], layer: l), ref.tensor("clt.\(l).features")) <= 1e-5)
        }
        let outs = try clt(xs)
        for l in 0..<2 { #expect(try maxDiff(outs[l], ref.tensor("clt.\(l).out")) <= 1e-5) }
        #expect(throws: TranscoderError.self) { _ = try clt([xs[0]]) }
    }

    @Test("write then read a CLT reproduces it; a per-layer loader refuses it")
    func roundTrip() throws {
        let gen = try Generator(seed: 3)
        func r(_ s: [Int]) throws -> Tensor { try Tensor.randn(s, generator: gen) }
        let clt = try CrossLayerTranscoder(wEnc: [r([6, 4]), r([6, 4]), r([6, 4])], bEnc: [r([6]), r([6]), r([6])],
                                           bDec: [r([4]), r([4]), r([4])], wDec: [r([6, 3, 4]), r([6, 2, 4]), r([6, 1, 4])],
                                           extra: ["scan": "x"])
        #expect(clt.activation == .relu)
        let dir = try Support.tempDir("circuits")
        defer { try? FileManager.default.removeItem(at: dir) }
        try clt.save(to: dir.path)
        let back = try CrossLayerTranscoder(contentsOf: dir.path)
        #expect(back.activation == .relu && back.extra == ["scan": "x"] && back.nLayers == 3)
        let xs = try (0..<3).map { _ in try r([5, 4]) }
        for (a, b) in zip(try back(xs), try clt(xs)) { #expect(try maxDiff(a, b) == 0) }
        do {
            _ = try TranscoderSet(contentsOf: dir.path)
            Issue.record("expected an error")
        } catch let e as TranscoderError {
            #expect(e.message.contains("cross_layer_transcoder"))
        }
    }

    @Test("malformed CLT files name the file and the problem")
    func errors() throws {
        let dir = try Support.tempDir("circuits")
        defer { try? FileManager.default.removeItem(at: dir) }
        let z = { (s: [Int]) in try Tensor.zeros(s) }
        func enc(_ i: Int, _ extra: [String: Tensor] = [:]) throws {
            var t = ["W_enc_\(i)": try z([6, 4]), "b_enc_\(i)": try z([6]), "b_dec_\(i)": try z([4])]
            t.merge(extra) { $1 }
            try SafeTensors.write(t, to: dir.appendingPathComponent("W_enc_\(i).safetensors").path)
        }
        func dec(_ i: Int, _ shape: [Int]) throws {
            try SafeTensors.write(["W_dec_\(i)": try z(shape)], to: dir.appendingPathComponent("W_dec_\(i).safetensors").path)
        }
        #expect(throws: TranscoderError.self) { _ = try CrossLayerTranscoder(contentsOf: dir.path) }
        try enc(0); try enc(1)
        try dec(0, [6, 2, 4])
        do { _ = try CrossLayerTranscoder(contentsOf: dir.path); Issue.record("expected an error") } catch let e as TranscoderError {
            #expect(e.path.hasSuffix("W_dec_1.safetensors") && e.message.contains("missing"))
        }
        try dec(1, [6, 2, 4])
        do { _ = try CrossLayerTranscoder(contentsOf: dir.path); Issue.record("expected an error") } catch let e as TranscoderError {
            #expect(e.message.contains("W_dec_1 has shape [6, 2, 4], expected [6, 1, 4]"))
        }
        try dec(1, [6, 1, 4])
        try enc(1, ["bogus": try z([1])])
        do { _ = try CrossLayerTranscoder(contentsOf: dir.path); Issue.record("expected an error") } catch let e as TranscoderError {
            #expect(e.path.hasSuffix("W_enc_1.safetensors") && e.message.contains("unexpected tensor \"bogus\""))
        }
        try enc(1)
        #expect(try CrossLayerTranscoder(contentsOf: dir.path).nLayers == 2)
        try Data("model_kind: transcoder_set\nfeature_input_hook: a\nfeature_output_hook: b\n".utf8)
            .write(to: dir.appendingPathComponent("config.yaml"))
        do { _ = try CrossLayerTranscoder(contentsOf: dir.path); Issue.record("expected an error") } catch let e as TranscoderError {
            #expect(e.path.hasSuffix("config.yaml") && e.message.contains("open it with TranscoderSet"))
        }
    }
}

@Suite("Transcoder summaries")
struct TranscoderSummaryTests {
    @Test("one-line descriptions of what users see")
    func summaries() throws {
        let set = try TranscoderSet(contentsOf: fixtures + "/plt")
        #expect(set.description == "TranscoderSet(2 layers, d_model 64, 32 features, ln2.hook_normalized → hook_mlp_out)")
        #expect(set[0].description == "Transcoder(layer 0, d_model 64, 32 features, JumpReLU, skip)")
        #expect(try TranscoderSet(contentsOf: fixtures + "/topk")[0].description == "Transcoder(layer 0, d_model 64, 32 features, TopK(5))")
        #expect(try CrossLayerTranscoder(contentsOf: fixtures + "/clt").description
            == "CrossLayerTranscoder(2 layers, d_model 64, 32 features per layer, JumpReLU, hook_resid_mid → hook_mlp_out)")
    }
}
