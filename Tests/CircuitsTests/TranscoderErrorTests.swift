import Circuits
import Foundation
import Models
import Tensor
import Testing
import TestSupport

/// Expects `body` to throw a `TranscoderError` whose path ends with `file` and whose message contains `fragment`.
private func expectError(_ file: String, _ fragment: String, _ body: () throws -> Void) {
    do {
        try body()
        Issue.record("expected an error mentioning \(fragment)")
    } catch let e as TranscoderError {
        #expect(e.path.hasSuffix(file), "path \(e.path)")
        #expect(e.message.contains(fragment), "message \(e.message)")
        #expect(e.description.hasPrefix("transcoder file "))
    } catch {
        Issue.record("unexpected error \(error)")
    }
}

private func write(_ text: String, _ url: URL) throws { try Data(text.utf8).write(to: url) }

@Suite("Transcoder file errors")
struct TranscoderErrorTests {
    @Test("malformed config.yaml is reported with file, line and problem")
    func badConfig() throws {
        let dir = try Support.tempDir("circuits")
        defer { try? FileManager.default.removeItem(at: dir) }
        let cfg = dir.appendingPathComponent("config.yaml")
        let good = "model_kind: transcoder_set\nfeature_input_hook: ln2.hook_normalized\nfeature_output_hook: hook_mlp_out\n"
        try write(good, cfg)
        expectError("config.yaml", "no \"transcoders\" list and no layer_0.safetensors") { _ = try TranscoderSet(contentsOf: dir.path) }
        try write(good + "activation: topk\ntranscoders: []\n", cfg)
        expectError("config.yaml", "activation topk needs a positive integer \"k\"") { _ = try TranscoderSet(contentsOf: dir.path) }
        try write("feature_input_hook: a\nfeature_output_hook: b\ntranscoders: []\n", cfg)
        expectError("config.yaml", "missing key \"model_kind\"") { _ = try TranscoderSet(contentsOf: dir.path) }
        try write(good.replacingOccurrences(of: "transcoder_set", with: "sae"), cfg)
        expectError("config.yaml", "model_kind is \"sae\"") { _ = try TranscoderSet(contentsOf: dir.path) }
        try write(good + "transcoders:\n  nested: map\n", cfg)
        expectError("config.yaml", "line 5: unsupported YAML") { _ = try TranscoderSet(contentsOf: dir.path) }
        try write(good + "feature_input_hook: again\n", cfg)
        expectError("config.yaml", "duplicated key(s): 'feature_input_hook'") { _ = try TranscoderSet(contentsOf: dir.path) }
        try write(good + "transcoders:\n  - hf://mntss/x/layer_0.safetensors\n", cfg)
        expectError("config.yaml", "is remote") { _ = try TranscoderSet(contentsOf: dir.path) }
        try write(good + "transcoders:\n  - layer_0.safetensors\n", cfg)
        expectError("config.yaml", "does not exist") { _ = try TranscoderSet(contentsOf: dir.path) }
        try write(good + "transcoders:\n  - \"layer_0.safetensors\n", cfg)
        expectError("config.yaml", "while scanning a quoted scalar in line 5") { _ = try TranscoderSet(contentsOf: dir.path) }
        // Any YAML syntax reads: flow lists, quoting styles, comments, a document marker.
        try write("---\nmodel_kind: 'transcoder_set'  # per layer\nfeature_input_hook: \"ln2.hook_normalized\"\n"
                  + "feature_output_hook: hook_mlp_out\ntranscoders: [\"a.safetensors\", b.safetensors]\nk: 32\n", cfg)
        let parsed = try TranscoderConfig.parse(try String(contentsOf: cfg, encoding: .utf8), path: cfg.path)
        #expect(parsed.transcoders == ["a.safetensors", "b.safetensors"] && parsed.extra["k"] == "32")
        #expect(try TranscoderConfig.parse(parsed.yaml(), path: "round trip") == parsed)
        var odd = parsed
        odd.extra["note"] = "tab\tquote\" hash # nul\u{0} -dash @at"
        #expect(try TranscoderConfig.parse(odd.yaml(), path: "round trip") == odd)
        let crlf = try TranscoderConfig.parse("model_kind: transcoder_set\r\nfeature_input_hook: a\r\nfeature_output_hook: b\r\n",
                                              path: "crlf.yaml")
        #expect(crlf.featureInputHook == "a" && crlf.featureOutputHook == "b")
        try write(good + "k:\n", cfg)
        expectError("config.yaml", "key \"k\" has no value") { _ = try TranscoderSet(contentsOf: dir.path) }
        expectError("nowhere", "no such file") { _ = try TranscoderSet(contentsOf: dir.appendingPathComponent("nowhere").path) }
    }

    @Test("malformed layer safetensors files name the file and the tensor")
    func badLayerFiles() throws {
        let dir = try Support.tempDir("circuits")
        defer { try? FileManager.default.removeItem(at: dir) }
        let f = dir.appendingPathComponent("layer_0.safetensors").path
        let z = { (s: [Int]) in try Tensor.zeros(s) }
        try SafeTensors.write(["W_enc": z([4, 3]), "b_enc": z([4]), "W_dec": z([4, 3])], to: f)
        expectError("layer_0.safetensors", "missing tensor \"b_dec\"") { _ = try Transcoder(contentsOf: f, layer: 0) }
        try SafeTensors.write(["W_enc": z([4, 3]), "b_enc": z([4]), "W_dec": z([4, 3]), "b_dec": z([3]), "W_skip": z([3, 4])], to: f)
        expectError("layer_0.safetensors", "W_skip has shape [3, 4], expected [3, 3]") { _ = try Transcoder(contentsOf: f, layer: 0) }
        try SafeTensors.write(["W_enc": z([4, 3]), "b_enc": z([4]), "W_dec": z([4, 3]), "b_dec": z([3]), "extra": z([1])], to: f)
        expectError("layer_0.safetensors", "unexpected tensor \"extra\"") { _ = try Transcoder(contentsOf: f, layer: 0) }
        try SafeTensors.write(["W_enc": z([4, 3]), "b_enc": z([4]), "W_dec": z([4, 3]), "b_dec": z([3])],
                              metadata: ["k": "zero"], to: f)
        expectError("layer_0.safetensors", "metadata \"k\"") { _ = try Transcoder(contentsOf: f, layer: 0) }
        try SafeTensors.write(["W_enc": z([4, 3]), "b_enc": z([4]), "W_dec": z([4, 3]), "b_dec": z([3]),
                               "activation_function.threshold": z([4])], to: f)
        expectError("layer_0.safetensors", "the set's config asks for ReLU") {
            _ = try Transcoder(contentsOf: f, layer: 0, activation: .relu)
        }
        try Data("not a safetensors file".utf8).write(to: URL(fileURLWithPath: f))
        expectError("layer_0.safetensors", "not a valid safetensors file") { _ = try Transcoder(contentsOf: f, layer: 0) }
    }

    @Test("malformed npz archives name the file and the problem")
    func badNPZ() throws {
        let dir = try Support.tempDir("circuits")
        defer { try? FileManager.default.removeItem(at: dir) }
        let f = dir.appendingPathComponent("params.npz").path
        try Data("PK but not really a zip archive at all".utf8).write(to: URL(fileURLWithPath: f))
        expectError("params.npz", "not a zip archive") { _ = try GemmaScope.load(path: f, layer: 0) }
        try NPZFile.write([("W_enc", Tensor.zeros([3, 4])), ("W_dec", Tensor.zeros([4, 3])), ("b_enc", Tensor.zeros([4])),
                           ("b_dec", Tensor.zeros([3]))], to: f)
        expectError("params.npz", "missing array \"threshold\"") { _ = try GemmaScope.load(path: f, layer: 0) }
        try NPZFile.write([("W_enc", Tensor.zeros([3, 4])), ("W_dec", Tensor.zeros([4, 3])), ("b_enc", Tensor.zeros([4])),
                           ("b_dec", Tensor.zeros([3])), ("threshold", Tensor.zeros([5]))], to: f)
        expectError("params.npz", "activation_function.threshold has shape [5]") { _ = try GemmaScope.load(path: f, layer: 0) }
        try NPZFile.write([("W_enc", Tensor.zeros([3, 4], dtype: .int64))], to: f)
        let npz = try NPZFile(path: f)
        #expect(try npz.shape("W_enc") == [3, 4])
        #expect(try npz.tensor("W_enc").dtype == .int64)
        expectError("params.npz", "has no array named \"nope\"") { _ = try npz.tensor("nope") }
        // A member whose recorded size runs past the end of the file (central directory size field at +20).
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: f)))
        let central = (0..<(bytes.count - 4)).first { bytes[$0] == 0x50 && bytes[$0 + 1] == 0x4b && bytes[$0 + 2] == 1 && bytes[$0 + 3] == 2 }!
        for (k, b) in [UInt8(0xF0), 0xFF, 0xFF, 0x7F].enumerated() { bytes[central + 20 + k] = b }
        try Data(bytes).write(to: URL(fileURLWithPath: f))
        let long = try NPZFile(path: f)
        expectError("params.npz", "W_enc.npy runs past the end of the file") { _ = try long.shape("W_enc") }
        expectError("params.npz", "W_enc.npy runs past the end of the file") { _ = try long.tensor("W_enc") }
    }

    @Test("config.yaml text round-trips, quoting what needs it")
    func configRoundTrip() throws {
        let c = TranscoderConfig(featureInputHook: "mlp.hook_in", featureOutputHook: "mlp.hook_out",
                                 transcoders: ["layer_0.safetensors", "dir with space/layer 1.safetensors"],
                                 extra: ["scan": "a: \"b\" # c", "model_name": "true"])
        let back = try TranscoderConfig.parse(c.yaml(), path: "config.yaml")
        #expect(back == c)
        let flow = try TranscoderConfig.parse("""
            model_kind: cross_layer_transcoder # comment
            feature_input_hook: 'it''s'
            feature_output_hook: "x\\ty"
            transcoders: [a.safetensors, "b.safetensors"]
            """, path: "config.yaml")
        #expect(flow.modelKind == "cross_layer_transcoder" && flow.featureInputHook == "it's" && flow.featureOutputHook == "x\ty")
        #expect(flow.transcoders == ["a.safetensors", "b.safetensors"])
    }
}
