// The public Tokenizer: HF tokenizer.json loading with exact-parity encoding and decoding.

import JSON
import Foundation

/// A Hugging Face `tokenizers` tokenizer loaded from tokenizer.json, encoding and decoding exactly as
/// `tokenizers` 0.19 does.
///
/// Supported components: BPE and WordPiece models; the NFC/NFD/NFKC/NFKD, Lowercase, StripAccents,
/// Strip, Prepend, Replace, BertNormalizer and Sequence normalizers; the ByteLevel, Split, BertPreTokenizer,
/// Whitespace, WhitespaceSplit, Digits, Punctuation, Metaspace and Sequence pre-tokenizers; the ByteLevel,
/// TemplateProcessing, BertProcessing, RobertaProcessing and Sequence post-processors (single sequences);
/// the ByteLevel, WordPiece, Metaspace, BPEDecoder, Replace, Strip, Fuse, ByteFallback and Sequence decoders.
/// Truncation and padding settings are kept when saving but not applied; BPE dropout is not supported.
/// The GPT-2, Llama-3 and Qwen2 split regexes run on hand-written scanners; other Split/Replace regexes
/// run on NSRegularExpression (ICU), whose syntax and character classes are close to, but not exactly,
/// Oniguruma's. Character classes and normalization follow the Unicode versions HF's components use.
///
/// The tokenizer is immutable after creation; its word caches are thread-safe, so one instance can
/// be shared across threads.
public final class Tokenizer: Sendable {
    let normalizer: Normalizer?
    let preTokenizer: PreTokenizer?
    let model: Model
    let postProcessor: PostProcessor?
    let decoder: Decoder?
    let added: AddedVocabulary
    /// The component objects as read (or built), written back verbatim by `jsonData()`.
    let components: JSONObject
    /// Where the tokenizer came from, for messages.
    let source: String

    /// The vocabulary size including added tokens: the largest id plus one.
    public let vocabSize: Int

    /// The ids of the added tokens marked special.
    public let specialTokenIds: Set<Int>

    init(normalizer: Normalizer?, preTokenizer: PreTokenizer?, model: Model, postProcessor: PostProcessor?,
         decoder: Decoder?, added: AddedVocabulary, components: JSONObject, source: String) {
        self.normalizer = normalizer
        self.preTokenizer = preTokenizer
        self.model = model
        self.postProcessor = postProcessor
        self.decoder = decoder
        self.added = added
        self.components = components
        self.source = source
        vocabSize = max(model.maxId, added.byId.keys.max() ?? -1) + 1
        specialTokenIds = Set(added.byId.values.filter(\.special).map(\.id))
    }

    /// Encodes text to token ids.
    /// - Parameters:
    ///   - text: The input text.
    ///   - addSpecialTokens: Whether the post-processor adds its special tokens (for example `[CLS]`/`[SEP]`).
    /// - Returns: The token ids.
    /// - Complexity: Linear in the length of `text` for cached words; BPE merging is O(n log n) per word.
    public func encode(_ text: String, addSpecialTokens: Bool = true) -> [Int] {
        var ids: [Int] = []
        ids.reserveCapacity(text.utf8.count / 3 + 4)
        encodeSequence(scalars(text), into: &ids)
        if addSpecialTokens, let postProcessor { return postProcessor.apply(ids) }
        return ids
    }

    /// Encodes several texts, in parallel.
    /// - Parameters:
    ///   - texts: The inputs.
    ///   - addSpecialTokens: Whether the post-processor adds its special tokens.
    /// - Returns: The token ids of each text, in input order.
    public func encodeBatch(_ texts: [String], addSpecialTokens: Bool = true) -> [[Int]] {
        if texts.count < 2 { return texts.map { encode($0, addSpecialTokens: addSpecialTokens) } }
        let results = ResultSlots<[Int]>(count: texts.count)
        let chunks = min(texts.count, max(1, ProcessInfo.processInfo.activeProcessorCount) * 4)
        DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
            var i = chunk
            while i < texts.count {
                results.set(i, encode(texts[i], addSpecialTokens: addSpecialTokens))
                i += chunks
            }
        }
        return results.values
    }

    /// Decodes token ids to text. Unknown ids are skipped, as HF does.
    /// - Parameters:
    ///   - ids: The token ids.
    ///   - skipSpecialTokens: Whether to drop special added tokens.
    /// - Returns: The text (invalid UTF-8 from byte-level tokens becomes U+FFFD).
    public func decode(_ ids: [Int], skipSpecialTokens: Bool = false) -> String {
        var tokens: [String] = []
        tokens.reserveCapacity(ids.count)
        for id in ids {
            guard let t = idToToken(id) else { continue }
            if skipSpecialTokens, added.specialContents.contains(TokenKey(t)) { continue }
            tokens.append(t)
        }
        guard let decoder else { return tokens.joined(separator: " ") }
        return decoder.decodeChain(tokens).joined()
    }

    /// Applies the post-processor to already-encoded ids of a single sequence (for example
    /// `[CLS] ids [SEP]`); returns `ids` unchanged when there is no post-processor.
    /// - Parameter ids: Ids encoded without special tokens.
    /// - Returns: The ids with the special tokens added.
    public func withSpecialTokens(_ ids: [Int]) -> [Int] {
        postProcessor?.apply(ids) ?? ids
    }

    /// The id of a token (added tokens first, then the model vocabulary), compared byte for byte.
    /// - Parameter token: The token text.
    /// - Returns: Its id, or `nil` if it is not in the vocabulary.
    public func tokenToId(_ token: String) -> Int? {
        added.byContent[TokenKey(token)] ?? model.tokenToId(token)
    }

    /// The token text of an id (added tokens first, then the model vocabulary).
    /// - Parameter id: A token id.
    /// - Returns: The token, or `nil` for an unknown id.
    public func idToToken(_ id: Int) -> String? {
        added.byId[id]?.content ?? model.idToToken(id)
    }

    /// The added tokens (special and not), sorted by id.
    public var addedTokens: [AddedToken] { added.sorted }

    // MARK: - Pipeline

    /// Added-token extraction, normalization, pre-tokenization and the model, for one sequence.
    func encodeSequence(_ s: [UInt32], into ids: inout [Int]) {
        for segment in added.splitRaw(Piece(s: s, atStart: true)) {
            switch segment {
            case .token(let id):
                ids.append(id)
            case .text(var piece):
                if let normalizer { piece.s = normalizer.apply(piece.s) }
                if piece.s.isEmpty { continue }
                for inner in added.splitNormalized(piece) {
                    switch inner {
                    case .token(let id):
                        ids.append(id)
                    case .text(let text):
                        if let preTokenizer {
                            for word in preTokenizer.apply([text]) { model.tokenize(word.s, into: &ids) }
                        } else {
                            model.tokenize(text.s, into: &ids)
                        }
                    }
                }
            }
        }
    }
}

/// Per-index result storage written by concurrent workers (each index is written once).
private final class ResultSlots<T>: @unchecked Sendable {
    private var storage: [T?]
    private let lock = NSLock()

    init(count: Int) { storage = Array(repeating: nil, count: count) }

    func set(_ i: Int, _ value: T) {
        lock.lock()
        storage[i] = value
        lock.unlock()
    }

    var values: [T] { storage.map { $0! } }
}
