// The tokenization model of a tokenizer: BPE or WordPiece.

import JSON

/// A tokenizer.json model.
enum Model: Sendable {
    case bpe(BPEModel)
    case wordPiece(WordPieceModel)

    static let supported = ["BPE", "WordPiece"]

    /// Parses the `model` object.
    static func parse(_ value: JSONValue?, _ ctx: ConfigContext) throws(TokenizerError) -> Model {
        let obj = try ctx.object(value, "model")
        let type: String
        if let t = obj["type"] {
            type = try ctx.string(t, "model.type")
        } else if obj["merges"] != nil {
            type = "BPE"
        } else if obj["continuing_subword_prefix"] != nil || obj["max_input_chars_per_word"] != nil {
            type = "WordPiece"
        } else {
            throw ctx.invalid("model.type", "is missing")
        }
        switch type {
        case "BPE": return .bpe(try BPEModel.parse(obj, ctx))
        case "WordPiece": return .wordPiece(try WordPieceModel.parse(obj, ctx))
        default: throw ctx.unsupported("model.type", type, supported: supported)
        }
    }

    /// Appends the ids of one pre-tokenized word.
    @inline(__always)
    func tokenize(_ word: [UInt32], into out: inout [Int]) {
        switch self {
        case .bpe(let m): m.tokenize(word, into: &out)
        case .wordPiece(let m): m.tokenize(word, into: &out)
        }
    }

    func tokenToId(_ token: String) -> Int? {
        switch self {
        case .bpe(let m): m.vocab[TokenKey(token)]
        case .wordPiece(let m): m.vocab[TokenKey(token)]
        }
    }

    func idToToken(_ id: Int) -> String? {
        switch self {
        case .bpe(let m): m.vocabR[id]
        case .wordPiece(let m): m.vocabR[id]
        }
    }

    /// The number of vocabulary entries (HF `get_vocab_size` of the model).
    var count: Int {
        switch self {
        case .bpe(let m): m.vocab.count
        case .wordPiece(let m): m.vocab.count
        }
    }

    /// The largest id, or -1 when the vocabulary is empty.
    var maxId: Int {
        switch self {
        case .bpe(let m): m.vocabR.keys.max() ?? -1
        case .wordPiece(let m): m.vocabR.keys.max() ?? -1
        }
    }

    func json() -> JSONValue {
        switch self {
        case .bpe(let m): m.json()
        case .wordPiece(let m): m.json()
        }
    }
}
