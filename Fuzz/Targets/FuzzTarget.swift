// The parsers under fuzzing, each fed raw bytes: shared by the libFuzzer harness (Fuzz/Main) and
// the corpus replay in the test suite (Tests/FuzzTests), so both exercise the same code.
import Circuits
import Foundation
import JSON
import Models
import Tokenizers

/// One parser fed untrusted bytes. Throwing is the expected way to reject an input; a trap, a
/// hang or a failed invariant (`precondition`) is a bug. The npz target stops at the first
/// member that throws.
package enum FuzzTarget: String, CaseIterable, Sendable {
    /// `SafeTensorsHeader.parse` over a whole file.
    case safetensors
    /// `JSONValue.parse`, then render and re-parse (the rendering must be valid and stable).
    case json
    /// `Tokenizer(json:source:)`, then encode, decode and a save/reload round trip.
    case tokenizer
    /// `ModelConfig.fromHF` (config.json), then `hfJSON()` read back.
    case config
    /// `TranscoderConfig.parse` (the config.yaml subset), then `yaml()` read back.
    case yaml
    /// `NPZFile` from bytes: directory, every member's header, shape and data.
    case npz
    /// `AttributionGraph` from safetensors bytes.
    case graph

    /// Whether the target creates tensors (and so needs libCTorch.so).
    package var needsTorch: Bool { self == .npz || self == .graph }

    /// Feeds `bytes` to the parser and checks invariants on what it accepts.
    /// - Throws: whatever the parser throws to reject the input.
    package func run(_ bytes: [UInt8]) throws {
        switch self {
        case .safetensors:
            _ = try bytes.withUnsafeBytes { try SafeTensorsHeader.parse($0, fileSize: $0.count, path: "fuzz.safetensors") }
        case .json:
            let v = try JSONValue.parse(bytes)
            let once = JSONWriter.render(v)
            guard let again = try? JSONValue.parse(once) else {
                preconditionFailure("rendered JSON does not parse: \(String(decoding: once, as: UTF8.self))")
            }
            precondition(JSONWriter.render(again) == once, "rendering is not stable")
        case .tokenizer:
            let t = try Tokenizer(json: Data(bytes), source: "fuzz/tokenizer.json")
            let ids = t.encode("Hello, wörld!  It's 2024 \u{1F600} <s>x</s>\n\ttab")
            _ = t.decode(ids)
            _ = t.decode(ids, skipSpecialTokens: true)
            let saved = try t.jsonData()
            do { _ = try Tokenizer(json: saved, source: "fuzz/saved.json") } catch {
                preconditionFailure("a loaded tokenizer's jsonData() does not load: \(error)")
            }
        case .config:
            let c = try ModelConfig.fromHF(Data(bytes), source: "fuzz/config.json")
            do { _ = try ModelConfig.fromHF(c.hfJSON(), source: "fuzz/saved.json") } catch {
                preconditionFailure("a loaded config's hfJSON() does not load: \(error)")
            }
        case .yaml:
            let c = try TranscoderConfig.parse(String(decoding: bytes, as: UTF8.self), path: "fuzz/config.yaml")
            let text = c.yaml()
            do { _ = try TranscoderConfig.parse(text, path: "fuzz/saved.yaml") } catch {
                preconditionFailure("yaml() of a parsed config does not parse: \(error)\n\(text)")
            }
        case .npz:
            let f = try NPZFile(bytes: bytes, path: "fuzz.npz")
            for e in f.entries {
                _ = try f.shape(e.name)
                _ = try f.tensor(e.name)
            }
        case .graph:
            _ = try AttributionGraph(file: SafeTensorsFile(bytes: bytes, path: "fuzz.graph"))
        }
    }
}
