import Circuits
import Foundation
import Models
import Tensor
import Testing
import TestSupport

@Suite("Transcoder files read back by numpy")
struct TranscoderPythonCheckTests {
    @Test("numpy/safetensors read Discern's sets, params.npz and CLT and agree on outputs",
          .enabled(if: Support.devPython != nil, "needs the dev Python (Scripts/setup or $DISCERN_PYTHON)"))
    func numpyReadsWhatWeWrite() throws {
        let py = try #require(Support.devPython)
        let gen = try Generator(seed: 11)
        func r(_ s: [Int], _ scale: Double = 0.3) throws -> Tensor { try Tensor.randn(s, generator: gen) * scale }
        let dir = try Support.tempDir("circuits")
        defer { try? FileManager.default.removeItem(at: dir) }
        let x = try Tensor.randn([3, 5, 8], generator: gen)
        var outputs: [String: Tensor] = ["x": x]
        let plt = try TranscoderSet(transcoders: [
            Transcoder(layer: 0, wEnc: r([12, 8]), bEnc: r([12]), wDec: r([12, 8]), bDec: r([8]),
                       threshold: Tensor.rand([12], generator: gen) * 0.3, wSkip: r([8, 8]), activation: .jumpReLU),
            Transcoder(layer: 1, wEnc: r([12, 8]), bEnc: r([12]), wDec: r([12, 8]), bDec: r([8]), activation: .relu),
        ], featureInputHook: "ln2.hook_normalized", featureOutputHook: "hook_mlp_out")
        let topk = try TranscoderSet(transcoders: [
            Transcoder(layer: 0, wEnc: r([12, 8]), bEnc: r([12]), wDec: r([12, 8]), bDec: r([8]), activation: .topK(4)),
            Transcoder(layer: 1, wEnc: r([12, 8]), bEnc: r([12]), wDec: r([12, 8]), bDec: r([8]), wSkip: r([8, 8]), activation: .topK(4)),
        ], featureInputHook: "ln2.hook_normalized", featureOutputHook: "hook_mlp_out")
        for (name, set) in [("plt", plt), ("topk", topk)] {
            try set.save(to: dir.appendingPathComponent(name).path)
            for l in 0..<2 { outputs["\(name).\(l)"] = try set[l](x) }
        }
        let g = try Transcoder(layer: 0, wEnc: r([12, 8]), bEnc: r([12]), wDec: r([12, 8]), bDec: r([8]),
                               threshold: Tensor.rand([12], generator: gen) * 0.3, activation: .jumpReLU)
        try GemmaScope.save(g, to: dir.appendingPathComponent("params.npz").path)
        outputs["gemmascope.0"] = try g(x)
        let clt = try CrossLayerTranscoder(wEnc: [r([12, 8]), r([12, 8])], bEnc: [r([12]), r([12])], bDec: [r([8]), r([8])],
                                           wDec: [r([12, 2, 8]), r([12, 1, 8])],
                                           threshold: [Tensor.rand([12], generator: gen) * 0.3, Tensor.rand([12], generator: gen) * 0.3])
        try clt.save(to: dir.appendingPathComponent("clt").path)
        for (l, y) in try clt([x, x]).enumerated() { outputs["clt.\(l)"] = y }
        try SafeTensors.write(outputs, to: dir.appendingPathComponent("outputs.safetensors").path)
        let script = Support.repoRoot.appendingPathComponent("Scripts/dev/make_transcoder_fixtures.py").path
        let res = try Support.run(URL(fileURLWithPath: py), [script, "--check-saved", dir.path])
        #expect(res.status == 0, "\(res.stdout)\(res.stderr)")
    }
}
