// Saving and reloading tokenizers keeps their behaviour; trained tokenizers reload.

import Foundation
import Testing
import TestSupport
@testable import Tokenizers

@Suite("Save and load round trips")
struct TokenizerRoundTripTests {
    @Test("jsonData reloads to a tokenizer with identical encodings", arguments: TokenizerFixtures.names)
    func roundTrip(_ name: String) throws {
        let tok = try TokenizerFixtures.tokenizer(name)
        let data = try tok.jsonData()
        let again = try Tokenizer(json: data, source: "\(name) (saved)")
        for c in try TokenizerFixtures.cases(name).cases {
            #expect(again.encode(c.text) == tok.encode(c.text), "\(TokenizerFixtures.show(c.text))")
            #expect(TokenizerFixtures.same(again.decode(c.expectedIds), tok.decode(c.expectedIds)))
        }
        #expect(try again.jsonData() == data, "serialization is stable")
        #expect(again.addedTokens == tok.addedTokens)
        #expect(again.vocabSize == tok.vocabSize)
        try dumpForHF(tok, "\(name).json")
    }

    @Test("save writes tokenizer.json into a directory and load reads it back")
    func saveToDirectory() throws {
        let dir = try Support.tempDir("tokenizers")
        defer { try? FileManager.default.removeItem(at: dir) }
        let tok = try TokenizerFixtures.tokenizer("llama3")
        try tok.save(dir.path)
        #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("tokenizer.json").path))
        let again = try Tokenizer.load(dir.path)
        #expect(again.encode("Hello <|start_header_id|> world 12345") == tok.encode("Hello <|start_header_id|> world 12345"))

        let file = dir.appendingPathComponent("other.json").path
        try tok.save(file)
        #expect(try Tokenizer.load(file).encode("xyz 99") == tok.encode("xyz 99"))
    }

    @Test("a trained tokenizer saves, reloads and encodes the same", arguments: ["gpt2", "llama3", "qwen2"])
    func trained(_ preset: String) throws {
        let lines = try TokenizerFixtures.corpusLines()
        let trainer = BPETrainer(vocabSize: 400, minFrequency: 2, specialTokens: ["<|endoftext|>", "<|begin_of_text|>"],
                                 preTokenizer: try #require(BPETrainer.PreTokenizer(rawValue: preset)))
        let tok = try trainer.train(lines)
        let data = try tok.jsonData()
        let again = try Tokenizer(json: data, source: "trained \(preset)")
        for text in lines.prefix(200) {
            #expect(again.encode(text) == tok.encode(text))
            #expect(TokenizerFixtures.same(tok.decode(tok.encode(text, addSpecialTokens: false)), preset == "qwen2"
                ? String(text.precomposedStringWithCanonicalMapping) : text))
        }
        try dumpForHF(tok, "small-\(preset).json")
    }
}

/// Saves a tokenizer under TOKENIZERS_DUMP_DIR, when set, for `make_tokenizer_fixtures.py --check-dir`.
func dumpForHF(_ tok: Tokenizer, _ file: String) throws {
    guard let dump = ProcessInfo.processInfo.environment["TOKENIZERS_DUMP_DIR"] else { return }
    try FileManager.default.createDirectory(atPath: dump, withIntermediateDirectories: true)
    try tok.save("\(dump)/\(file)")
}
