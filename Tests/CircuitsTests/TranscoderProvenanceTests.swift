@testable import Circuits
import Foundation
import Models
import Tensor
import Testing
import TestSupport

private let fixtures = Support.repoRoot.appendingPathComponent("Tests/Fixtures").path

@Suite("Transcoder provenance: the model a set was made for")
struct TranscoderProvenanceTests {
    /// A fixture set whose config.yaml gets `keys` appended (layer files by absolute path).
    private func fixtureSet(_ keys: [String: String]) throws -> Transcoders {
        let dir = try Support.tempDir("tc-provenance")
        var yaml = "model_kind: transcoder_set\nfeature_input_hook: ln2.hook_normalized\nfeature_output_hook: hook_mlp_out\n"
        for k in keys.keys.sorted() { yaml += "\(k): \(keys[k]!)\n" }
        yaml += "transcoders:\n  - \(fixtures)/transcoders/plt/layer_0.safetensors\n  - \(fixtures)/transcoders/plt/layer_1.safetensors\n"
        try yaml.write(to: dir.appendingPathComponent("config.yaml"), atomically: true, encoding: .utf8)
        return try Transcoders(contentsOf: dir.path)
    }

    @Test("training output records the model; the set pairs with it silently, warns on other weights, refuses another model type")
    func trainedSetRecordsItsModel() throws {
        let gpt2 = try Transformer.load(fixtures + "/models/gpt2")
        var state: UInt64 = 7
        let seqs: [[Int]] = (0..<24).map { _ in
            (0..<12).map { _ in
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                return Int((state >> 33) % 384)
            }
        }
        var c = TranscoderTrainingConfig(steps: 2)
        c.expansion = 2
        c.k = 4
        c.batchTokens = 64
        c.bufferTokens = 128
        c.forwardBatch = 8
        let r = try TranscoderTrainer(model: gpt2, sequences: seqs, config: c).run()
        let print = try gpt2.fingerprintHex()
        #expect(r.provenance.modelType == "gpt2" && r.provenance.nLayers == 2 && r.provenance.dModel == 64)
        #expect(r.provenance.fingerprint == print && print.count == 16)
        let dir = try Support.tempDir("tc-trained")
        defer { try? FileManager.default.removeItem(at: dir) }
        try r.save(to: dir.path)
        let yaml = try String(contentsOf: dir.appendingPathComponent("config.yaml"), encoding: .utf8)
        for line in ["model_type: gpt2", "n_layers: 2", "d_model: 64", "model_fingerprint: \(print)", "model_kind: transcoder_set"] {
            #expect(yaml.contains(line + "\n"), "config.yaml lacks \(line):\n\(yaml)")
        }
        let set = try Transcoders(contentsOf: dir.path)
        #expect(try ReplacementModel(model: gpt2, transcoders: set).provenanceWarning == nil)
        // The same architecture with other weights (here: another dtype) is allowed, with a warning.
        let wide = try Transformer.load(fixtures + "/models/gpt2", dtype: .float64)
        let warning = try #require(try ReplacementModel(model: wide, transcoders: set).provenanceWarning)
        let widePrint = try wide.fingerprintHex()
        #expect(warning.contains("fingerprint \(print)") && warning.contains(widePrint))
        // The tiny Llama has the same shapes and hook names, but it is another model.
        let llama = try Transformer.load(fixtures + "/models/llama")
        #expect(throws: TranscoderError("<transcoder set>", "was made for a gpt2 model (model_type in its config.yaml), not this llama model")) {
            _ = try ReplacementModel(model: llama, transcoders: set)
        }
    }

    @Test("stated sizes must be the model's; sets without provenance keys (circuit-tracer's) are checked by shape and hooks only")
    func statedSizesAndPlainSets() throws {
        let gpt2 = try Transformer.load(fixtures + "/models/gpt2")
        let plain = try Transcoders(contentsOf: fixtures + "/transcoders/plt")
        #expect(try plain.checkProvenance(for: gpt2) == nil)
        #expect(try plain.checkProvenance(for: try Transformer.load(fixtures + "/models/llama")) == nil)
        let typed = try fixtureSet(["model_type": "llama"])
        #expect(throws: TranscoderError("<transcoder set>", "was made for a llama model (model_type in its config.yaml), not this gpt2 model")) {
            _ = try typed.checkProvenance(for: gpt2)
        }
        let odd = try fixtureSet(["model_fingerprint": "0123456789abcdef"])
        #expect(try odd.checkProvenance(for: gpt2)?.contains("fingerprint 0123456789abcdef") == true)
        let t = try Transcoder(layer: 0, wEnc: Tensor.zeros([4, 64]), bEnc: Tensor.zeros([4]), wDec: Tensor.zeros([4, 64]),
                               bDec: Tensor.zeros([64]), activation: .relu)
        let t1 = try Transcoder(layer: 1, wEnc: Tensor.zeros([4, 64]), bEnc: Tensor.zeros([4]), wDec: Tensor.zeros([4, 64]),
                                bDec: Tensor.zeros([64]), activation: .relu)
        let memory = Transcoders.perLayer(try TranscoderSet(transcoders: [t, t1], featureInputHook: "ln2.hook_normalized",
                                                            featureOutputHook: "hook_mlp_out", extra: ["d_model": "128"]))
        #expect(throws: TranscoderError("<transcoder set>", "was made for a model with d_model 128 (its config.yaml), this model has 64")) {
            _ = try memory.checkProvenance(for: gpt2)
        }
        // Hook names are always checked: blocks.L.mlp.hook_in does not exist in Discern's models.
        let hooks = Transcoders.perLayer(try TranscoderSet(transcoders: [t, t1], featureInputHook: "mlp.hook_in", featureOutputHook: "hook_mlp_out"))
        #expect(throws: TranscoderError.self) { _ = try ReplacementModel(model: gpt2, transcoders: hooks) }
    }
}
