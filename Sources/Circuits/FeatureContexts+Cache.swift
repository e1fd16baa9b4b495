// Feature-context indexes cached in the Discern store, keyed by what they are computed from.
import Models
import Store

extension FeatureContexts {
    /// The store entry kind of a cached index.
    public static let cacheKind = "feature_contexts"
    /// Bumped when the computation or the byte format changes, so old entries are not reused.
    static let cacheVersion: Int64 = 1

    /// The description a cached index is keyed by (its key is `Store.key(for:)` of it): the model's
    /// content fingerprint (config and every weight), the transcoders' content fingerprint, a
    /// fingerprint of the tokenized corpus (so the tokenizer, BOS handling and truncation count),
    /// `k`, the positions left out, and the format version. Batch size and display options are not
    /// part of it: they do not change the result.
    /// - Parameters:
    ///   - model: the model's `fingerprintHex()`.
    ///   - transcoders: the transcoders' `fingerprint()`.
    ///   - tokens: the tokenized corpus.
    ///   - k: contexts kept per feature.
    public static func cacheDescription(model: String, transcoders: String, tokens: [[Int]], k: Int) -> CanonicalValue {
        var f = Fingerprint()
        f.add(tokens.count)
        for t in tokens {
            f.add(t.count)
            f.add(ints: t)
        }
        return .object([
            "kind": .string(cacheKind),
            "version": .int(cacheVersion),
            "model": .string(model),
            "transcoders": .string(transcoders),
            "corpus": .string(f.hex),
            "texts": .int(Int64(tokens.count)),
            "tokens": .int(Int64(tokens.reduce(0) { $0 + $1.count })),
            "k": .int(Int64(k)),
            "zero_positions": .array([.int(0)]),
        ])
    }

    /// The store key of the index of `tokens` (see ``cacheDescription(model:transcoders:tokens:k:)``).
    /// - Complexity: fingerprints every weight of the model and the transcoders.
    /// - Throws: `TorchError` or `TranscoderError` when a weight cannot be read.
    public static func cacheKey(model: Transformer, transcoders: Transcoders, tokens: [[Int]], k: Int) throws -> String {
        try Store.key(for: cacheDescription(model: try model.fingerprintHex(), transcoders: try transcoders.fingerprint(),
                                            tokens: tokens, k: k))
    }

    /// The index of a corpus, read from `store` when it was computed before with the same model,
    /// transcoders, tokenized corpus and `k`; otherwise computed with
    /// ``collect(model:transcoders:tokens:options:progress:)`` and written to the store.
    /// ``isFromCache`` tells which happened; ``cacheKey`` is set either way.
    /// - Parameters:
    ///   - store: where indexes are cached.
    ///   - texts: the corpus (tokenized with ``tokenize(_:model:options:)``).
    ///   - options, progress: as for `collect` (progress is not called on a cache hit).
    /// - Throws: as `collect`; `StoreError` when the store cannot be read or written;
    ///   `FeatureInterpretationError` when a cached entry is unreadable.
    public static func cached(in store: Store, model: Transformer, transcoders: Transcoders, texts: [String],
                              options: FeatureContextOptions = FeatureContextOptions(),
                              progress: ((Int, Int) throws -> Void)? = nil) throws -> FeatureContexts {
        try cached(in: store, model: model, transcoders: transcoders, tokens: try tokenize(texts, model: model, options: options),
                   options: options, progress: progress)
    }

    /// As ``cached(in:model:transcoders:texts:options:progress:)`` for an already tokenized corpus.
    /// - Throws: as `collect`; `StoreError`; `FeatureInterpretationError` for an unreadable entry.
    public static func cached(in store: Store, model: Transformer, transcoders: Transcoders, tokens: [[Int]],
                              options: FeatureContextOptions = FeatureContextOptions(),
                              progress: ((Int, Int) throws -> Void)? = nil) throws -> FeatureContexts {
        guard options.k >= 1 else { throw FeatureInterpretationError("k must be at least 1, got \(options.k)") }
        let key = try cacheKey(model: model, transcoders: transcoders, tokens: tokens, k: options.k)
        if let entry = try store.get(key) {
            guard entry.kind == cacheKind else {
                throw FeatureInterpretationError("store entry \(key) is a \(entry.kind), not a \(cacheKind)", kind: .corruptIndex)
            }
            var r = try FeatureContexts(serialized: entry.bytes)
            r.cacheKey = key
            r.isFromCache = true
            return r
        }
        var r = try collect(model: model, transcoders: transcoders, tokens: tokens, options: options, progress: progress)
        r.cacheKey = key
        let meta = "{\"texts\":\(r.textCount),\"scored_tokens\":\(r.scoredTokenCount),\"k\":\(r.k),\"layers\":\(r.layerCount)}"
        try store.put(key, kind: cacheKind, bytes: r.serialized(), meta: meta)
        return r
    }
}
