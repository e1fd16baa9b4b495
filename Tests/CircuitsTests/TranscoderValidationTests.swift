import Circuits
import Foundation
import Models
import Tensor
import Testing
import TestSupport

/// Transcoder sets found by fuzzing that loaded wrongly or hung: each is now a `TranscoderError`
/// naming the file and both sides of the contradiction.
@Suite("Transcoder config validation")
struct TranscoderValidationTests {
    private static let header = "model_kind: transcoder_set\nfeature_input_hook: ln2.hook_normalized\nfeature_output_hook: hook_mlp_out\n"

    /// The message of the `TranscoderError` `body` throws, after checking its path ends with `file`.
    private func message(_ file: String, _ body: () throws -> Void) -> String {
        do {
            try body()
            return "(no error)"
        } catch let e as TranscoderError {
            #expect(e.path.hasSuffix(file), "path \(e.path)")
            return e.message
        } catch {
            return "unexpected error \(error)"
        }
    }

    /// A directory with `config.yaml` = header + `config` and one ReLU layer file (d_tc 4, d_model 3).
    private func set(_ config: String, layers: Int = 1) throws -> URL {
        let dir = try Support.tempDir("circuits")
        let z = { (s: [Int]) in try Tensor.zeros(s) }
        var list = "transcoders:\n"
        for l in 0..<layers {
            try SafeTensors.write(["W_enc": z([4, 3]), "b_enc": z([4]), "W_dec": z([4, 3]), "b_dec": z([3])],
                                  to: dir.appendingPathComponent("layer_\(l).safetensors").path)
            list += "  - layer_\(l).safetensors\n"
        }
        try Data((Self.header + config + list).utf8).write(to: dir.appendingPathComponent("config.yaml"))
        return dir
    }

    @Test("an unknown activation is rejected, listing the known ones")
    func unknownActivation() throws {
        let dir = try set("activation: swish\n")
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect(message("config.yaml") { _ = try TranscoderSet(contentsOf: dir.path) }
            == #"activation "swish" is not supported (supported: jump_relu, relu, topk)"#)
        let ok = try set("activation: relu\n")
        defer { try? FileManager.default.removeItem(at: ok) }
        #expect(try TranscoderSet(contentsOf: ok.path).count == 1)
        // A ReLU file under jump_relu has no thresholds.
        let jump = try set("activation: jump_relu\n")
        defer { try? FileManager.default.removeItem(at: jump) }
        #expect(message("layer_0.safetensors") { _ = try TranscoderSet(contentsOf: jump.path) }.contains("JumpReLU needs tensor"))
    }

    @Test("TopK k larger than the width is rejected")
    func kLargerThanWidth() throws {
        let dir = try set("activation: topk\nk: 5\n")
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect(message("config.yaml") { _ = try TranscoderSet(contentsOf: dir.path) }
            == "k is 5, larger than the width d_tc 4 of transcoder 0 (\(dir.path)/layer_0.safetensors)")
        let z = { (s: [Int]) in try Tensor.zeros(s) }
        let f = dir.appendingPathComponent("layer_0.safetensors").path
        try SafeTensors.write(["W_enc": z([4, 3]), "b_enc": z([4]), "W_dec": z([4, 3]), "b_dec": z([3])], metadata: ["k": "9"], to: f)
        #expect(message("layer_0.safetensors") { _ = try Transcoder(contentsOf: f, layer: 0) }.contains("TopK k is 9, larger than"))
        #expect(throws: TranscoderError.self) {
            _ = try Transcoder(layer: 0, wEnc: z([4, 3]), bEnc: z([4]), wDec: z([4, 3]), bDec: z([3]), activation: .topK(5))
        }
        let exact = try set("activation: topk\nk: 4\n")
        defer { try? FileManager.default.removeItem(at: exact) }
        #expect(try TranscoderSet(contentsOf: exact.path)[0].activation == .topK(4))
    }

    @Test("config.yaml sizes that contradict the layer files name both")
    func sizesContradictFiles() throws {
        for (line, expected) in [("d_model: 5\n", "d_model is 5, but the layer files have d_model 3"),
                                 ("width: 8\n", "width is 8, but the layer files have width 4"),
                                 ("d_transcoder: 2\n", "d_transcoder is 2, but the layer files have d_transcoder 4"),
                                 ("n_layers: 3\n", "n_layers is 3, but the layer files hold 2 layers"),
                                 ("n_layers: many\n", #"n_layers is "many", expected a positive integer"#)] {
            let dir = try set(line, layers: 2)
            defer { try? FileManager.default.removeItem(at: dir) }
            #expect(message("config.yaml") { _ = try TranscoderSet(contentsOf: dir.path) } == expected)
        }
        let dir = try set("d_model: 3\nwidth: 4\nn_layers: 2\n", layers: 2)
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect(try TranscoderSet(contentsOf: dir.path).count == 2)
    }

    @Test("a cross-layer transcoder's config is checked against its files too")
    func crossLayerConfig() throws {
        let fixture = Support.repoRoot.appendingPathComponent("Tests/Fixtures/transcoders/clt")
        let dir = try Support.tempDir("circuits")
        defer { try? FileManager.default.removeItem(at: dir) }
        for f in try FileManager.default.contentsOfDirectory(atPath: fixture.path) where f.hasSuffix(".safetensors") {
            try FileManager.default.copyItem(at: fixture.appendingPathComponent(f), to: dir.appendingPathComponent(f))
        }
        let clt = try CrossLayerTranscoder(contentsOf: fixture.path)
        let cfg = dir.appendingPathComponent("config.yaml")
        let head = "model_kind: cross_layer_transcoder\nfeature_input_hook: hook_resid_mid\nfeature_output_hook: hook_mlp_out\n"
        try Data((head + "activation: swish\n").utf8).write(to: cfg)
        #expect(message("config.yaml") { _ = try CrossLayerTranscoder(contentsOf: dir.path) }.contains(#"activation "swish" is not supported"#))
        try Data((head + "d_model: \(clt.dModel + 1)\n").utf8).write(to: cfg)
        #expect(message("config.yaml") { _ = try CrossLayerTranscoder(contentsOf: dir.path) }
            == "d_model is \(clt.dModel + 1), but the W_enc/W_dec files have d_model \(clt.dModel)")
        try Data((head + "n_layers: \(clt.nLayers)\nd_model: \(clt.dModel)\n").utf8).write(to: cfg)
        #expect(try CrossLayerTranscoder(contentsOf: dir.path).nLayers == clt.nLayers)
    }

    @Test("a layer path or config.yaml that is a FIFO is an error, not a hang")
    func fifoIsNotOpened() throws {
        let dir = try set("")
        defer { try? FileManager.default.removeItem(at: dir) }
        let layer = dir.appendingPathComponent("layer_0.safetensors").path
        try FileManager.default.removeItem(atPath: layer)
        #expect(mkfifo(layer, 0o600) == 0)
        #expect(message("config.yaml") { _ = try TranscoderSet(contentsOf: dir.path) }.contains("is not a regular file (a FIFO)"))
        #expect(message("layer_0.safetensors") { _ = try Transcoder(contentsOf: layer, layer: 0) }.contains("is not a regular file (a FIFO)"))
        #expect(throws: TranscoderError.self) { _ = try GemmaScope.load(path: layer, layer: 0) }
        #expect { _ = try SafeTensorsFile(path: layer) } throws: { "\($0)".contains("is not a regular file (a FIFO)") }
        let cfg = dir.appendingPathComponent("config.yaml").path
        try FileManager.default.removeItem(atPath: cfg)
        #expect(mkfifo(cfg, 0o600) == 0)
        #expect(message("config.yaml") { _ = try TranscoderSet(contentsOf: dir.path) }.contains("is not a regular file (a FIFO)"))
    }

    /// A zip archive with one member `name` holding `data`, its sizes as given (CRC unchecked).
    private static func zip(_ name: String, _ data: [UInt8], method: Int = 0, usize: Int? = nil) -> Data {
        func le(_ v: Int, _ n: Int) -> [UInt8] { (0..<n).map { UInt8((v >> (8 * $0)) & 0xFF) } }
        let nb = Array(name.utf8)
        var out: [UInt8] = [0x50, 0x4B, 0x03, 0x04] + le(20, 2) + le(0, 2) + le(method, 2) + le(0, 4) + le(0, 4)
            + le(data.count, 4) + le(usize ?? data.count, 4) + le(nb.count, 2) + le(0, 2) + nb + data
        let cd = out.count
        out += [0x50, 0x4B, 0x01, 0x02] + le(20, 2) + le(20, 2) + le(0, 2) + le(method, 2) + le(0, 4) + le(0, 4)
            + le(data.count, 4) + le(usize ?? data.count, 4) + le(nb.count, 2) + le(0, 2) + le(0, 2) + le(0, 2) + le(0, 2)
            + le(0, 4) + le(0, 4) + nb
        let cdSize = out.count - cd
        out += [0x50, 0x4B, 0x05, 0x06] + le(0, 2) + le(0, 2) + le(1, 2) + le(1, 2) + le(cdSize, 4) + le(cd, 4) + le(0, 2)
        return Data(out)
    }

    @Test("npz headers with impossible shapes or sizes are errors, not traps or huge allocations")
    func hostileNPZ() throws {
        let dir = try Support.tempDir("circuits")
        defer { try? FileManager.default.removeItem(at: dir) }
        let f = dir.appendingPathComponent("params.npz")
        var header = "{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296, 4294967296), }"
        while (10 + header.utf8.count + 1) % 64 != 0 { header += " " }
        let npy: [UInt8] = [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(header.utf8.count + 1), 0] + Array(header.utf8) + [0x0A]
        try Self.zip("W_enc.npy", npy).write(to: f)
        let npz = try NPZFile(path: f.path)
        #expect(message("params.npz") { _ = try npz.tensor("W_enc") }.contains("is too large"))
        // A deflated member claiming 4 GB from a few bytes is refused before anything is allocated.
        try Self.zip("W_enc.npy", [0x03, 0x00], method: 8, usize: 0xFFFF_FF00).write(to: f)
        #expect(message("params.npz") { _ = try NPZFile(path: f.path) }.contains("claims 4294967040 bytes uncompressed from 2"))
    }
}
