// Embeddings cached per text in a Store, so a second pass over a large corpus embeds only new texts.
import Foundation
import Store
import Tensor

extension Embedder {
    /// The cache kind of embedding entries.
    public static let cacheKind = "embedding"

    /// How far an `encode` call has got.
    public struct EncodeProgress: Sendable, Equatable {
        /// Texts whose vectors are ready (found in the cache or embedded).
        public let done: Int
        /// Texts in the call.
        public let total: Int
        /// Texts found in the cache.
        public let cached: Int

        /// Creates a progress value from its fields.
        /// - Parameters:
        ///   - done: Texts whose vectors are ready.
        ///   - total: Texts in the call.
        ///   - cached: Texts found in the cache.
        public init(done: Int, total: Int, cached: Int) {
            self.done = done
            self.total = total
            self.cached = cached
        }
    }

    /// The outcome of an `encode` call.
    public struct EncodeResult {
        /// The embeddings, float32 [n, dimension], rows L2-normalised, on the CPU.
        public let embeddings: Tensor
        /// Texts whose vectors came from the cache.
        public let cached: Int
        /// Distinct token sequences embedded by this call.
        public let embedded: Int
        /// The first failure to write the cache, if any: the vectors are complete, but the ones
        /// computed after it were not cached.
        public let cacheError: (any Error)?
    }

    /// A content identity of the embedding function: a SHA-256 (hex) over the encoder's config and
    /// weights fingerprint, the pooling mode, the normalisation (L2), the output dtype (float32) and
    /// `maxSeqLength`. Computed once per embedder.
    /// - Throws: `TorchError` when a weight cannot be read.
    /// - Complexity: reads every weight once, on the first call.
    public func cacheIdentity() throws -> String {
        if let identity { return identity }
        let description = "discern.embedding.v1\u{0}\(try model.fingerprintHex())\u{0}pooling=\(pooling.rawValue)"
            + "\u{0}normalize=l2\u{0}dtype=float32\u{0}max_seq_length=\(maxSeqLength)"
        let id = ContentHash.hex(description)
        identity = id
        return id
    }

    /// The cache key of one encoder input: SHA-256 (hex) over ``cacheIdentity()`` and the token ids the
    /// encoder sees (after truncation, with [CLS] and [SEP]). Keying by token ids rather than by text
    /// makes a change of tokenizer a different key, and texts that truncate alike share one entry.
    func cacheKey(_ identity: String, _ ids: [Int]) -> String {
        var bytes = Array(identity.utf8)
        bytes.reserveCapacity(bytes.count + 4 * ids.count)
        for id in ids { withUnsafeBytes(of: UInt32(truncatingIfNeeded: id).littleEndian) { bytes.append(contentsOf: $0) } }
        return ContentHash.hex(bytes)
    }

    /// Encodes texts into L2-normalised float32 embeddings [n, dimension], reusing and filling a
    /// per-text cache in `cache` (kind `embedding`, value the vector's float32 little-endian bytes).
    ///
    /// Texts are truncated to `maxSeqLength` tokens; the ones whose vector is not cached are
    /// deduplicated, batched by length and embedded, and each batch's vectors are written to the
    /// cache in one transaction before `progress` is called, so an error or interruption raised
    /// mid-way (by `progress` itself, say) keeps every finished batch cached. A cached vector is
    /// returned byte for byte; a fresh one may differ from the vector the same text gets in a
    /// differently composed batch by float rounding (about 1e-7), as without a cache. A cache
    /// entry of the wrong length is recomputed and overwritten. A failed cache write does not fail
    /// the call: caching stops and the error is returned in `cacheError`.
    /// - Parameters:
    ///   - texts: The texts.
    ///   - batchSize: Texts per forward pass (at least 1).
    ///   - cache: The store to read and fill, or nil for no caching.
    ///   - progress: Called once the cache was read and after each batch; what it throws ends the call.
    /// - Throws: `ModelError` for a bad batch size, `StoreError` when the cache cannot be read,
    ///   `TorchError`, or the error `progress` throws.
    /// - Returns: The embeddings and how many came from the cache.
    /// - Complexity: one tokenisation and one SHA-256 per text, one indexed read per distinct key.
    public func encode(_ texts: [String], batchSize: Int, cache: Store?,
                       progress: ((EncodeProgress) throws -> Void)? = nil) throws -> EncodeResult {
        guard batchSize >= 1 else { throw ModelError("embed: batch_size must be ≥ 1, got \(batchSize)") }
        let n = texts.count
        let row = dimension * 4
        if n == 0 { return EncodeResult(embeddings: try Tensor.zeros([0, dimension]), cached: 0, embedded: 0, cacheError: nil) }
        let seqs = encoderInputs(texts)
        var rows = [[UInt8]?](repeating: nil, count: n)
        var keys: [String] = []
        if let cache {
            let identity = try cacheIdentity()
            keys = seqs.map { cacheKey(identity, $0) }
            let found = try cache.entries(keys)
            for i in 0..<n {
                if let e = found[keys[i]], e.bytes.count == row { rows[i] = e.bytes }
            }
        }
        let cached = rows.reduce(0) { $0 + ($1 == nil ? 0 : 1) }
        // One forward pass per distinct missing input: `owners[j]` are the texts sharing input j.
        var firstOf: [[Int]: Int] = [:]
        var inputs: [[Int]] = []
        var owners: [[Int]] = []
        for i in 0..<n where rows[i] == nil {
            if let j = firstOf[seqs[i]] {
                owners[j].append(i)
            } else {
                firstOf[seqs[i]] = inputs.count
                inputs.append(seqs[i])
                owners.append([i])
            }
        }
        var done = cached
        try progress?(EncodeProgress(done: done, total: n, cached: cached))
        var cacheError: (any Error)?
        for batch in lengthBatches(inputs.map(\.count), size: batchSize) {
            let vectors = try embedBatch(batch.map { inputs[$0] })
            for (k, j) in batch.enumerated() {
                for i in owners[j] { rows[i] = vectors[k] }
                done += owners[j].count
            }
            if let cache, cacheError == nil {
                do {
                    try cache.put(batch.enumerated().map { k, j in
                        (key: keys[owners[j][0]], kind: Self.cacheKind, bytes: vectors[k], meta: nil as String?)
                    })
                } catch {
                    cacheError = error
                }
            }
            try progress?(EncodeProgress(done: done, total: n, cached: cached))
        }
        var all = [UInt8]()
        all.reserveCapacity(n * row)
        for r in rows {
            guard let r else { throw ModelError("embed: internal error: a text got no vector") }
            all.append(contentsOf: r)
        }
        let embeddings = try Tensor(rawBytes: all, dtype: .float32, shape: [n, dimension])
        return EncodeResult(embeddings: embeddings, cached: cached, embedded: inputs.count, cacheError: cacheError)
    }
}
