// BPETrainer reproduces HF's BpeTrainer exactly (vocabulary and merge order).

import Foundation
import Testing
@testable import Tokenizers

@Suite("BPE trainer")
struct BPETrainerTests {
    @Test("vocabulary, merges and encodings equal HF's BpeTrainer", arguments: TokenizerFixtures.trainerPresets)
    func parity(_ preset: String) throws {
        let ref = try TokenizerFixtures.trainerReference(preset)
        let trainer = BPETrainer(vocabSize: ref.vocab_size, minFrequency: ref.min_frequency,
                                 specialTokens: ref.special_tokens,
                                 preTokenizer: try #require(BPETrainer.PreTokenizer(rawValue: ref.preset)))
        let tok = try trainer.train(try TokenizerFixtures.corpusLines())
        let vocab = (0..<tok.vocabSize).map { tok.idToToken($0) ?? "<missing \($0)>" }
        #expect(vocab.count == ref.vocab.count)
        let firstVocabDiff = zip(vocab, ref.vocab).enumerated().first { !TokenizerFixtures.same($0.element.0, $0.element.1) }
        #expect(firstVocabDiff == nil, "first vocabulary difference at id \(firstVocabDiff?.offset ?? -1)")
        guard case .bpe(let model) = tok.model else {
            Issue.record("trained model is not BPE")
            return
        }
        let merges = model.mergeList.map { "\($0.0) \($0.1)" }
        #expect(merges.count == ref.merges.count)
        let firstMergeDiff = zip(merges, ref.merges).enumerated().first { !TokenizerFixtures.same($0.element.0, $0.element.1) }
        #expect(firstMergeDiff == nil,
                "first merge difference at rank \(firstMergeDiff?.offset ?? -1): \(firstMergeDiff.map { "\($0.element)" } ?? "")")
        for c in ref.cases {
            #expect(tok.encode(c.text) == c.ids, "\(TokenizerFixtures.show(c.text))")
        }
        #expect(tok.specialTokenIds == Set(0..<ref.special_tokens.count))
        try dumpForHF(tok, "trained-\(preset).json")
    }

    @Test("training is deterministic")
    func deterministic() throws {
        let lines = Array(try TokenizerFixtures.corpusLines().prefix(300))
        let trainer = BPETrainer(vocabSize: 350, specialTokens: ["<|endoftext|>"])
        #expect(try trainer.train(lines).jsonData() == trainer.train(lines).jsonData())
    }

    @Test("unusable settings are training errors")
    func badSettings() {
        #expect(throws: TokenizerError.training(reason: "vocabSize must be positive, not 0")) {
            try BPETrainer(vocabSize: 0).train(["a"])
        }
        #expect(throws: TokenizerError.self) { try BPETrainer(vocabSize: 10, minFrequency: -1).train(["a"]) }
        #expect(throws: TokenizerError.self) { try BPETrainer(vocabSize: 10, specialTokens: [""]).train(["a"]) }
    }

    @Test("a vocabulary smaller than the alphabet keeps the alphabet and learns no merges")
    func tinyVocabulary() throws {
        let tok = try BPETrainer(vocabSize: 5, specialTokens: ["<s>"]).train(["hello hello hello"])
        #expect(tok.vocabSize == 257)
        #expect(tok.encode("hello") == tok.encode("h") + tok.encode("e") + tok.encode("l") + tok.encode("l") + tok.encode("o"))
        #expect(tok.decode(tok.encode("héllo wörld 😀")) == "héllo wörld 😀")
    }

    @Test("the trainer's word merge reports pair count changes like HF")
    func wordMerge() {
        var w: [Int32] = [1, 1, 1, 1]
        let changes = BPETrainer.merge(&w, 1, 1, 9)
        #expect(w == [9, 9])
        let key = { (a: Int32, b: Int32) in UInt64(a) << 32 | UInt64(b) }
        #expect(changes.map(\.0) == [key(1, 1), key(9, 1), key(9, 1), key(9, 9)])
        #expect(changes.map(\.1) == [-1, 1, -1, 1])
    }
}
