// Hostile tokenizer.json files found by fuzzing: a clear TokenizerError, quickly, never a hang.

import Foundation
import Testing
import TestSupport
@testable import Tokenizers

@Suite("tokenizer.json validation")
struct TokenizerValidationTests {
    private let model = #""model": {"type": "BPE", "vocab": {"a": 0, "b": 1, "!": 2, "ab": 3}, "merges": ["a b"]}"#

    private func split(_ regex: String) -> String {
        let escaped = regex.replacingOccurrences(of: "\\", with: "\\\\")
        return #"{"pre_tokenizer": {"type": "Split", "pattern": {"Regex": "\#(escaped)"}, "behavior": "Isolated", "invert": false}, \#(model)}"#
    }

    @Test("a regex that backtracks catastrophically is rejected at load, naming the pattern, in well under a second")
    func catastrophicRegex() throws {
        let start = Date()
        let e = #expect(throws: TokenizerError.self) { try Tokenizer(json: Data(split("(a+)+$").utf8), source: "/x/tokenizer.json") }
        #expect(Date().timeIntervalSince(start) < 0.5)
        #expect(e?.description.contains(#"pre_tokenizer.pattern.Regex "(a+)+$" backtracks catastrophically"#) == true, "\(String(describing: e))")
        // The same in a Replace normalizer.
        let norm = #"{"normalizer": {"type": "Replace", "pattern": {"Regex": "(x|x)*y"}, "content": ""}, \#(model)}"#
        let e2 = #expect(throws: TokenizerError.self) { try Tokenizer(json: Data(norm.utf8), source: "/x/tokenizer.json") }
        #expect(e2?.description.contains(#"normalizer.pattern.Regex "(x|x)*y" backtracks"#) == true, "\(String(describing: e2))")
        // Ordinary patterns load and split as before.
        let ok = try Tokenizer(json: Data(split(#"\s+|[^\s]+"#).utf8), source: "/x/tokenizer.json")
        #expect(ok.encode("ab a") != [])
    }

    @Test("matching a regex stops at its time limit")
    func regexTimeLimit() throws {
        let re = try NSRegularExpression(pattern: "(a+)+$")
        let s = Array(repeating: UInt32(0x61), count: 60) + [0x21]
        let start = Date()
        let r = SplitPattern.regexMatches(re, in: s, timeLimit: 0.05)
        #expect(r.timedOut)
        #expect(Date().timeIntervalSince(start) < 0.5)
        let fine = SplitPattern.regexMatches(try NSRegularExpression(pattern: "a+"), in: s, timeLimit: 0.05)
        #expect(!fine.timedOut && fine.ranges == [0..<60])
    }

    @Test("an unknown top-level key is an error naming it")
    func unknownTopLevelKey() throws {
        let base = #"{"normalizer": {"type": "Lowercase"}, \#(model)"#
        let tok = try Tokenizer(json: Data((base + "}").utf8), source: "/x/tokenizer.json")
        #expect(tok.encode("AB") == [3])
        let e = #expect(throws: TokenizerError.self) {
            try Tokenizer(json: Data((base + #", "normaliser": {"type": "NFC"}}"#).utf8), source: "/x/tokenizer.json")
        }
        #expect(e?.description == #"tokenizer.json at /x/tokenizer.json: the top level has unknown key "normaliser" (known: version, truncation, padding, added_tokens, normalizer, pre_tokenizer, post_processor, decoder, model)"#)
    }
}

@Suite("tokenizer.json validation: fuzz regressions")
struct TokenizerFuzzRegressionTests {
    @Test("two vocabulary tokens with one id are rejected (jsonData() kept only one of them, so a saved tokenizer could lose its unk_token)")
    func duplicateVocabId() throws {
        let url = Support.repoRoot.appendingPathComponent("Fuzz/corpus/tokenizer/crash-duplicate-vocab-id.json")
        let e = #expect(throws: TokenizerError.self) { try Tokenizer(json: try Data(contentsOf: url), source: "/x/tokenizer.json") }
        #expect(e?.description.contains(#"model.vocab["a"] has id 1, which "<s>" has too (ids must be unique)"#) == true,
                "\(String(describing: e))")
        let wordPiece = #"{"model": {"type": "WordPiece", "vocab": {"[UNK]": 0, "x": 0}}}"#
        let e2 = #expect(throws: TokenizerError.self) { try Tokenizer(json: Data(wordPiece.utf8), source: "/x/tokenizer.json") }
        #expect(e2?.description.contains(#"model.vocab["x"] has id 0, which "[UNK]" has too"#) == true, "\(String(describing: e2))")
    }
}
