// Optional differential test against HF on random strings (run with TOKENIZERS_FUZZ_FILE set).

import Foundation
import Testing
@testable import Tokenizers

/// The file written by `make_tokenizer_fixtures.py --fuzz OUT`, when TOKENIZERS_FUZZ_FILE names it.
private let fuzzFile = ProcessInfo.processInfo.environment["TOKENIZERS_FUZZ_FILE"]

@Suite("Differential fuzzing against HF (optional)")
struct TokenizerFuzzTests {
    struct FuzzFile: Decodable {
        struct Encoded: Decodable {
            let ids: [Int]
            let plain: [Int]
            let decoded: String
            let decoded_skip: String
        }

        struct TokenizerCases: Decodable {
            let path: String
            let cases: [Encoded]
        }

        struct Trained: Decodable {
            let vocab_size: Int
            let min_frequency: Int
            let special_tokens: [String]
            let vocab: [String]
            let merges: [String]
        }

        let texts: [String]
        let tokenizers: [String: TokenizerCases]
        let trainer: [String: Trained]
    }

    @Test("random strings encode and decode as in HF",
          .enabled(if: fuzzFile != nil, "set TOKENIZERS_FUZZ_FILE to the output of make_tokenizer_fixtures.py --fuzz"))
    func fuzz() throws {
        let file = try JSONDecoder().decode(FuzzFile.self, from: Data(contentsOf: URL(fileURLWithPath: try #require(fuzzFile))))
        typealias F = TokenizerFixtures
        for (name, entry) in file.tokenizers.sorted(by: { $0.key < $1.key }) {
            let tok = try Tokenizer.load(entry.path)
            var failures: [String] = []
            for (text, c) in zip(file.texts, entry.cases) {
                let ids = tok.encode(text)
                if ids != c.ids { failures.append("ids for \"\(F.show(text))\": got \(ids), HF \(c.ids)") }
                if tok.encode(text, addSpecialTokens: false) != c.plain { failures.append("plain ids for \"\(F.show(text))\"") }
                let d = tok.decode(c.ids)
                if !F.same(d, c.decoded) {
                    failures.append("decode for \"\(F.show(text))\": got \"\(F.show(d))\", HF \"\(F.show(c.decoded))\"")
                }
                if !F.same(tok.decode(c.ids, skipSpecialTokens: true), c.decoded_skip) {
                    failures.append("decode(skip) for \"\(F.show(text))\"")
                }
            }
            #expect(failures.isEmpty, "\(name): \(failures.count) of \(file.texts.count)\n\(failures.prefix(8).joined(separator: "\n"))")
        }
        for (preset, ref) in file.trainer.sorted(by: { $0.key < $1.key }) {
            let trainer = BPETrainer(vocabSize: ref.vocab_size, minFrequency: ref.min_frequency,
                                     specialTokens: ref.special_tokens,
                                     preTokenizer: try #require(BPETrainer.PreTokenizer(rawValue: preset)))
            let tok = try trainer.train(file.texts)
            guard case .bpe(let model) = tok.model else { continue }
            let merges = model.mergeList.map { "\($0.0) \($0.1)" }
            let firstDiff = zip(merges, ref.merges).enumerated().first { !F.same($0.element.0, $0.element.1) }
            #expect(merges.count == ref.merges.count && firstDiff == nil,
                    "\(preset): \(merges.count) vs \(ref.merges.count) merges, first difference \(String(describing: firstDiff))")
            let vocab = (0..<tok.vocabSize).map { tok.idToToken($0) ?? "" }
            #expect(vocab.count == ref.vocab.count && zip(vocab, ref.vocab).allSatisfy { F.same($0, $1) }, "\(preset) vocabulary")
        }
    }
}
