import Circuits
import Foundation
import Models
import Tensor
import Testing
import TestSupport

private let root = Support.repoRoot.appendingPathComponent("Tests/Fixtures").path

@Suite("Transcoders on the tiny GPT-2")
struct TranscoderModelTests {
    @Test("fixture sets fit the model; transcoders run on cached hook activations")
    func onModel() throws {
        let model = try Transformer.load(root + "/models/gpt2")
        let set = try TranscoderSet(contentsOf: root + "/transcoders/plt")
        try set.validate(for: model)
        try CrossLayerTranscoder(contentsOf: root + "/transcoders/clt").validate(for: model)
        let ref = try SafeTensorsFile(path: root + "/models/gpt2/reference.safetensors")
        let hooks = HookContext()
        let wanted = Set((0..<2).flatMap { [set.inputHook(layer: $0), set.outputHook(layer: $0)] })
        hooks.cacheFilter = { wanted.contains($0) }
        _ = try model.forward(try ref.tensor("tokens"), ForwardOptions(hooks: hooks))
        for l in 0..<2 {
            let x = try #require(hooks.cache[set.inputHook(layer: l)])
            let mlpOut = try #require(hooks.cache[set.outputHook(layer: l)])
            let y = try set[l](x)
            #expect(y.shape == mlpOut.shape)
            #expect(try y.isnan().to(.float32).sum().item() == 0)
        }
    }

    @Test("mismatched sets are rejected with the reason")
    func mismatch() throws {
        let model = try Transformer.load(root + "/models/gpt2")
        let t = try Transcoder(layer: 0, wEnc: Tensor.zeros([4, 64]), bEnc: Tensor.zeros([4]), wDec: Tensor.zeros([4, 64]),
                               bDec: Tensor.zeros([64]), activation: .relu)
        let one = try TranscoderSet(transcoders: [t], featureInputHook: "ln2.hook_normalized", featureOutputHook: "hook_mlp_out")
        #expect(throws: TranscoderError("<transcoder set>", "has 1 layers, the model has 2")) { try one.validate(for: model) }
        let t1 = try Transcoder(layer: 1, wEnc: Tensor.zeros([4, 64]), bEnc: Tensor.zeros([4]), wDec: Tensor.zeros([4, 64]),
                                bDec: Tensor.zeros([64]), activation: .relu)
        let badHook = try TranscoderSet(transcoders: [t, t1], featureInputHook: "mlp.hook_in", featureOutputHook: "hook_mlp_out")
        #expect(throws: TranscoderError("<transcoder set>", "hook blocks.0.mlp.hook_in does not exist in this gpt2 model")) {
            try badHook.validate(for: model)
        }
    }
}
