import Circuits
import Foundation
import Models
import Testing
import TestSupport

/// Inputs the libFuzzer harness (Scripts/fuzz) found to trap the circuit file parsers, replayed
/// from their minimized copies in Fuzz/corpus: each is now an error naming the file.
@Suite("Parser fuzz regressions (circuits)")
struct ParserFuzzRegressionTests {
    private static func corpus(_ target: String, _ name: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: Support.repoRoot.appendingPathComponent("Fuzz/corpus/\(target)/\(name)")))
    }

    /// The message of the error `body` throws, or a note that it threw none.
    private func message(_ body: () throws -> Void) -> String {
        do {
            try body()
            return "(no error)"
        } catch let e as TranscoderError {
            return e.message
        } catch {
            return "\(error)"
        }
    }

    @Test("a zip64 extra field shorter than the sizes it must hold is an error (it read past the end of the file)")
    func zip64ExtraPastEnd() throws {
        let bytes = try Self.corpus("npz", "crash-zip64-extra-past-end.npz")
        #expect(message { _ = try NPZFile(bytes: bytes, path: "params.npz") }.contains("truncated zip64 extra field"))
    }

    @Test("a graph whose int64 edge_source holds an index past Int32 is an error (it trapped narrowing)")
    func int64EdgeSource() throws {
        let bytes = try Self.corpus("graph", "crash-int64-edge-source.graph")
        let text = message { _ = try AttributionGraph(file: SafeTensorsFile(bytes: bytes, path: "g.graph")) }
        #expect(text == "g.graph: edge arrays are inconsistent with 1 nodes")
    }

    @Test("yaml() of a value holding quotes and \" #\" parses back to the same config (an escaped quote ended the string)")
    func escapedQuoteBeforeHash() throws {
        let text = String(decoding: try Self.corpus("yaml", "crash-escaped-quote-before-hash.yaml"), as: UTF8.self)
        let config = try TranscoderConfig.parse(text, path: "config.yaml")
        // YAML: " #" starts a comment after a plain scalar, so the value is x"a (Yams, as PyYAML).
        #expect(config.featureInputHook == "x\"a")
        #expect(try TranscoderConfig.parse(config.yaml(), path: "saved.yaml") == config)
        let escaped = try TranscoderConfig.parse("model_kind: transcoder_set\nfeature_input_hook: \"a \\\" # b\" # note\nfeature_output_hook: y\n",
                                                 path: "config.yaml")
        #expect(escaped.featureInputHook == "a \" # b")
    }

    @Test("a key that is not a plain name is an error naming the line (a quote in it began a quoted string, and yaml() wrote it back unparseable)")
    func quoteInKey() throws {
        let text = String(decoding: try Self.corpus("yaml", "crash-quote-in-key.yaml"), as: UTF8.self)
        #expect(message { _ = try TranscoderConfig.parse(text, path: "config.yaml") } == #"line 4: key "x"" is not a plain name (letters, digits, _ . -)"#)
    }
}
