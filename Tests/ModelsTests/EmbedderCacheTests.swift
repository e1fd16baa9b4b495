import Foundation
import Testing
import Models
import Store
import Tensor
import TestSupport

/// An error a progress callback throws to stop `encode` mid-way.
private struct Stop: Error {}

@Suite("sentence embeddings cached in the store")
struct EmbedderCacheTests {
    /// Distinct texts made of words in the tiny BERT's vocabulary (other words are all [UNK]).
    static func sentences(_ n: Int, _ offset: Int = 0) -> [String] {
        let words = ["the", "cat", "dog", "bird", "apple", "bread", "river", "paris", "alice", "bob"]
        return (offset..<offset + n).map { i in
            String(repeating: "\(words[i % 10]) \(words[i / 10 % 10]) \(words[i / 100 % 10]) ", count: 1 + i % 4)
        }
    }

    /// 40 texts, two of them repeats.
    static let texts = sentences(38) + sentences(2)

    /// The number of distinct encoder inputs (cache keys) among `texts`.
    func distinctInputs(_ e: Embedder, _ texts: [String]) -> Int {
        Set(e.tokenizer.encodeBatch(texts, addSpecialTokens: false).map { Array($0.prefix(e.maxSeqLength - 2)) }).count
    }

    func withStoreFile<T>(_ body: (Store) throws -> T) throws -> T {
        let dir = try Support.tempDir("embed-cache")
        defer { try? FileManager.default.removeItem(at: dir) }
        return try body(try Store(path: dir.appendingPathComponent("s.sqlite").path))
    }

    @Test func cachedVectorsAreBitIdenticalAndOnlyNewTextsAreEmbedded() throws {
        let e = try Embedder(directory: Fixture.dir("bert"))
        let texts = Self.texts
        let distinct = distinctInputs(e, texts)
        #expect(distinct == 38)
        try withStoreFile { store in
            let plain = try e.encode(texts, batchSize: 8, cache: nil)
            #expect(plain.cached == 0 && plain.embedded == distinct && plain.cacheError == nil)
            // The old entry point gives the same bytes.
            #expect(try e.encode(texts, batchSize: 8).rawBytes() == plain.embeddings.rawBytes())
            let cold = try e.encode(texts, batchSize: 8, cache: store)
            #expect(cold.cached == 0 && cold.embedded == distinct)
            #expect(try cold.embeddings.rawBytes() == plain.embeddings.rawBytes())
            #expect(try store.stats().kinds.map { "\($0.kind) \($0.entries) \($0.bytes)" } == ["embedding \(distinct) \(distinct * e.dimension * 4)"])
            var reports: [Embedder.EncodeProgress] = []
            let warm = try e.encode(texts, batchSize: 8, cache: store) { reports.append($0) }
            #expect(warm.cached == texts.count && warm.embedded == 0)
            #expect(reports == [.init(done: texts.count, total: texts.count, cached: texts.count)])
            #expect(try warm.embeddings.rawBytes() == plain.embeddings.rawBytes())
            // Another batch size reads the same entries.
            #expect(try e.encode(texts, batchSize: 3, cache: store).cached == texts.count)

            // New texts: only they are embedded; old rows come back byte for byte.
            let fresh = Self.sentences(10, 200)
            let mixed = try e.encode(fresh + texts, batchSize: 8, cache: store)
            #expect(mixed.cached == texts.count && mixed.embedded == 10)
            let row = e.dimension * 4
            #expect(try Array(mixed.embeddings.rawBytes()[(10 * row)...]) == plain.embeddings.rawBytes())
            let freshPlain = try e.encode(fresh, batchSize: 8, cache: nil).embeddings
            #expect(try (mixed.embeddings.narrow(dim: 0, start: 0, length: 10) - freshPlain).abs().amax().item() < 1e-5)
        }
    }

    @Test func anInterruptionKeepsTheFinishedBatchesCached() throws {
        let e = try Embedder(directory: Fixture.dir("bert"))
        let texts = Self.sentences(30)
        #expect(distinctInputs(e, texts) == 30)
        try withStoreFile { store in
            var calls = 0
            #expect(throws: Stop.self) {
                try e.encode(texts, batchSize: 8, cache: store) { _ in
                    calls += 1
                    if calls == 3 { throw Stop() }  // after the second batch
                }
            }
            #expect(try store.count() == 16)
            let resumed = try e.encode(texts, batchSize: 8, cache: store)
            #expect(resumed.cached == 16 && resumed.embedded == 14)
            #expect(try resumed.embeddings.rawBytes() == e.encode(texts, batchSize: 8, cache: nil).embeddings.rawBytes())
        }
    }

    @Test func keysDependOnTheModelAndTheTokensNotTheBatch() throws {
        let e = try Embedder(directory: Fixture.dir("bert"))
        let id = try e.cacheIdentity()
        #expect(try id.count == 64 && id == e.cacheIdentity())
        #expect(try Embedder(directory: Fixture.dir("bert")).cacheIdentity() == id)
        try withStoreFile { store in
            // A wrong-length entry under a text's key is recomputed and overwritten.
            _ = try e.encode(["hello"], batchSize: 1, cache: store)
            let key = try #require(try store.keys().first)
            let good = try #require(try store.get(key)).bytes
            try store.put(key, kind: Embedder.cacheKind, bytes: [1, 2, 3])
            let again = try e.encode(["hello"], batchSize: 1, cache: store)
            #expect(again.cached == 0 && again.embedded == 1)
            #expect(try store.get(key)?.bytes == good)
        }
        #expect(throws: ModelError.self) { try e.encode(["x"], batchSize: 0, cache: nil) }
        #expect(try e.encode([], batchSize: 4, cache: nil).embeddings.shape == [0, e.dimension])
    }
}
