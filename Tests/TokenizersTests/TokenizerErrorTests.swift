// Malformed or unsupported tokenizer.json files give TokenizerErrors naming the file and problem.

import Foundation
import Testing
import TestSupport
@testable import Tokenizers

@Suite("Malformed tokenizer.json")
struct TokenizerErrorTests {
    private func error(_ json: String, source: String = "/x/tokenizer.json") -> TokenizerError? {
        #expect(throws: TokenizerError.self) { try Tokenizer(json: Data(json.utf8), source: source) }
    }

    private let vocab = #""vocab": {"a": 0, "b": 1, "ab": 2}"#

    @Test("an unsupported model type names the file, the type and the supported ones")
    func unsupportedModel() {
        let e = error(#"{"model": {"type": "Unigram", "vocab": []}}"#)
        #expect(e?.description
            == #"tokenizer.json at /x/tokenizer.json: model.type "Unigram" is not supported (supported: BPE, WordPiece)"#)
    }

    @Test("a missing vocabulary is reported")
    func missingVocab() {
        let e = error(#"{"model": {"type": "BPE", "merges": []}}"#)
        #expect(e?.description == "tokenizer.json at /x/tokenizer.json: model.vocab is missing")
    }

    @Test("a merge that references an unknown token is reported")
    func unknownMerge() {
        let e = error(#"{"model": {"type": "BPE", \#(vocab), "merges": ["a b", "a c"]}}"#)
        #expect(e?.description
            == #"tokenizer.json at /x/tokenizer.json: model.merges[1] references "c", which is not in the vocabulary"#)
        let e2 = error(#"{"model": {"type": "BPE", "vocab": {"a": 0, "b": 1}, "merges": [["a", "b"]]}}"#)
        #expect(e2?.description.contains(#"makes "ab", which is not in the vocabulary"#) == true)
        let e3 = error(#"{"model": {"type": "BPE", \#(vocab), "merges": ["a b c"]}}"#)
        #expect(e3?.description.contains("model.merges[0]") == true)
    }

    @Test("bad JSON is reported with a position")
    func badJSON() {
        for text in [#"{"model": "#, "", "[1, 2", #"{"a": tru}"#, #"{"a": "\x"}"#, "{} extra", #"{"a": 01x}"#] {
            let e = error(text)
            guard case .invalidJSON(let source, let reason) = e else {
                Issue.record("expected invalidJSON for \(text), got \(String(describing: e))")
                continue
            }
            #expect(source == "/x/tokenizer.json")
            #expect(reason.contains("at byte"))
        }
        let deep = String(repeating: "[", count: 100_000)
        #expect(error(deep)?.description.contains("nesting deeper") == true)
    }

    @Test("wrong types and unsupported components are reported")
    func wrongTypes() {
        #expect(error("[]")?.description.contains("the top level must be an object") == true)
        #expect(error(#"{"model": 3}"#)?.description.contains("model must be an object, not a number") == true)
        #expect(error(#"{"model": {"type": "BPE", "vocab": {"a": "x"}, "merges": []}}"#)?.description
            .contains(#"model.vocab["a"] must be a token id"#) == true)
        let precompiled = error(#"{"normalizer": {"type": "Precompiled"}, "model": {"type": "BPE", \#(vocab), "merges": []}}"#)
        #expect(precompiled?.description.contains(#"normalizer.type "Precompiled" is not supported (supported: BertNormalizer"#) == true)
        let nested = error(#"{"pre_tokenizer": {"type": "Sequence", "pretokenizers": [{"type": "UnicodeScripts"}]}, "model": {"type": "BPE", \#(vocab), "merges": []}}"#)
        #expect(nested?.description.contains(#"pre_tokenizer.pretokenizers[0].type "UnicodeScripts" is not supported"#) == true)
        let dropout = error(#"{"model": {"type": "BPE", "dropout": 0.1, \#(vocab), "merges": []}}"#)
        #expect(dropout?.description.contains("dropout") == true)
        let template = error(#"{"post_processor": {"type": "TemplateProcessing", "single": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}}], "special_tokens": {}}, "model": {"type": "BPE", \#(vocab), "merges": []}}"#)
        #expect(template?.description.contains(#"uses special token "[CLS]""#) == true)
        let unk = error(#"{"model": {"type": "WordPiece", "unk_token": "[UNK]", "vocab": {"a": 0}}}"#)
        #expect(unk?.description.contains(#"model.unk_token "[UNK]" is not in the vocabulary"#) == true)
        #expect(error(#"{"version": "2.0", "model": {"type": "BPE", \#(vocab), "merges": []}}"#)?.description
            .contains(#"version "2.0" is not supported"#) == true)
        let regex = error(#"{"pre_tokenizer": {"type": "Split", "pattern": {"Regex": "(unclosed"}, "behavior": "Isolated", "invert": false}, "model": {"type": "BPE", \#(vocab), "merges": []}}"#)
        #expect(regex?.description.contains("pre_tokenizer.pattern.Regex is not a valid regex") == true)
        let behavior = error(#"{"pre_tokenizer": {"type": "Split", "pattern": {"String": " "}, "behavior": "Sideways", "invert": false}, "model": {"type": "BPE", \#(vocab), "merges": []}}"#)
        #expect(behavior?.description.contains(#"pre_tokenizer.behavior "Sideways" is not supported"#) == true)
    }

    @Test("missing files and directories without tokenizer.json are I/O errors naming the path")
    func files() throws {
        #expect(throws: TokenizerError.io(path: "/nonexistent/tok.json", reason: "no such file or directory")) {
            try Tokenizer.load("/nonexistent/tok.json")
        }
        let dir = try Support.tempDir("tokenizers")
        defer { try? FileManager.default.removeItem(at: dir) }
        let e = #expect(throws: TokenizerError.self) { try Tokenizer.load(dir.path) }
        #expect(e?.description.contains(dir.appendingPathComponent("tokenizer.json").path) == true)
        let bad = dir.appendingPathComponent("bad.json")
        try Data("{\"model\": {\"type\": \"Unigram\"}}".utf8).write(to: bad)
        let e2 = #expect(throws: TokenizerError.self) { try Tokenizer.load(bad.path) }
        #expect(e2?.description.hasPrefix("tokenizer.json at \(bad.path): model.type") == true)
        let tok = try TokenizerFixtures.tokenizer("gpt2")
        #expect(throws: TokenizerError.self) { try tok.save("/nonexistent-dir/sub/tokenizer.json") }
    }
}
