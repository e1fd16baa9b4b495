import Foundation
import Testing
import Models
import Tensor
import TestSupport

@Suite("sentence embeddings")
struct EmbedderTests {
    /// all-MiniLM-L6-v2 matches sentence-transformers (fixture from Scripts/dev/make_model_fixtures.py).
    @Test func miniLMMatchesSentenceTransformers() throws {
        let dir: String
        do {
            dir = try Embedder.findMiniLM()
        } catch {
            // Scripts/setup installs the package; without it there is nothing to compare.
            Issue.record("all-MiniLM-L6-v2 is not installed (run Scripts/setup): \(error)")
            return
        }
        let e = try Embedder(directory: dir)
        #expect(e.dimension == 384 && e.pooling == .mean && e.maxSeqLength == 256)
        let root = Support.repoRoot.appendingPathComponent("Tests/Fixtures/minilm")
        let sentences = try JSONSerialization.jsonObject(with: Data(contentsOf: root.appendingPathComponent("sentences.json"))) as! [String]
        let want = try SafeTensorsFile(path: root.appendingPathComponent("reference.safetensors").path).tensor("embeddings")
        let got = try e.encode(sentences, batchSize: 7)
        #expect(got.shape == [50, 384] && got.dtype == .float32)
        let norms = try got.square().sum(dims: [1]).sqrt().doubles()
        #expect(norms.allSatisfy { Swift.abs($0 - 1) < 1e-5 })
        let wn = try want / want.square().sum(dims: [1], keepdim: true).sqrt().clamp(min: 1e-12)
        let cos = try (got * wn).sum(dims: [1]).doubles()
        for (i, c) in cos.enumerated() { #expect(c >= 0.99999, "sentence \(i): cosine \(c)") }
        // Batch size does not change results beyond float noise.
        let one = try e.encode(Array(sentences.prefix(5)), batchSize: 1)
        #expect(try (one - got.narrow(dim: 0, start: 0, length: 5)).abs().amax().item() < 1e-5)
        #expect(try e.encode([]).shape == [0, 384])
    }

    @Test func rejectsNonBertDirectories() throws {
        #expect { try Embedder(directory: Fixture.dir("gpt2")) } throws: { "\($0)".contains("BERT") }
    }
}
