// The WordPiece model: greedy longest-match-first subwords with a continuation prefix.

import JSON

/// A WordPiece model as in HF `tokenizers` (`models::wordpiece::WordPiece`).
final class WordPieceModel: Sendable {
    let vocab: [TokenKey: Int]
    let vocabR: [Int: String]
    let unkToken: String
    let continuingSubwordPrefix: String
    let maxInputCharsPerWord: Int
    private let unkId: Int
    /// The longest token, in scalars, ignoring the prefix: no longer candidate can match.
    private let maxTokenScalars: Int
    private let cache = WordCache(capacity: 100_000)

    init(vocab: [TokenKey: Int], unkToken: String, continuingSubwordPrefix: String, maxInputCharsPerWord: Int,
         ctx: ConfigContext) throws(TokenizerError) {
        guard let unkId = vocab[TokenKey(unkToken)] else {
            throw ctx.invalid("model.unk_token", "\"\(unkToken)\" is not in the vocabulary")
        }
        self.vocab = vocab
        var r: [Int: String] = [:]
        r.reserveCapacity(vocab.count)
        var longest = 0
        for (key, v) in vocab {
            r[v] = key.string
            longest = max(longest, key.string.unicodeScalars.count)
        }
        vocabR = r
        self.unkToken = unkToken
        self.unkId = unkId
        self.continuingSubwordPrefix = continuingSubwordPrefix
        self.maxInputCharsPerWord = maxInputCharsPerWord
        maxTokenScalars = longest
    }

    /// Parses a `model` object of type WordPiece.
    static func parse(_ obj: JSONObject, _ ctx: ConfigContext) throws(TokenizerError) -> WordPieceModel {
        let vocab = try ctx.vocab(obj["vocab"])
        return try WordPieceModel(
            vocab: vocab,
            unkToken: try ctx.optionalString(obj["unk_token"], "model.unk_token") ?? "[UNK]",
            continuingSubwordPrefix: try ctx.optionalString(obj["continuing_subword_prefix"],
                                                            "model.continuing_subword_prefix") ?? "##",
            maxInputCharsPerWord: try ctx.int(obj["max_input_chars_per_word"], "model.max_input_chars_per_word",
                                              default: 100),
            ctx: ctx)
    }

    /// The model as tokenizer.json.
    func json() -> JSONValue {
        var o = JSONObject()
        o["type"] = .string("WordPiece")
        o["unk_token"] = .string(unkToken)
        o["continuing_subword_prefix"] = .string(continuingSubwordPrefix)
        o["max_input_chars_per_word"] = .int(maxInputCharsPerWord)
        o["vocab"] = .object(orderedVocab(vocabR))
        return .object(o)
    }

    /// Appends the ids of one pre-tokenized word.
    func tokenize(_ word: [UInt32], into out: inout [Int]) {
        if word.isEmpty { return }
        if word.count > maxInputCharsPerWord {
            out.append(unkId)
            return
        }
        if let hit = cache.get(word) {
            for id in hit { out.append(Int(id)) }
            return
        }
        var ids: [Int32] = []
        var start = 0
        while start < word.count {
            var end = min(word.count, start + maxTokenScalars)
            var found: Int? = nil
            while start < end {
                var sub = string(word[start..<end])
                if start > 0 { sub = continuingSubwordPrefix + sub }
                if let id = vocab[TokenKey(sub)] { found = id; break }
                end -= 1
            }
            guard let id = found else {
                ids = [Int32(unkId)]
                break
            }
            ids.append(Int32(id))
            start = end
        }
        cache.set(word, ids)
        for id in ids { out.append(Int(id)) }
    }
}
