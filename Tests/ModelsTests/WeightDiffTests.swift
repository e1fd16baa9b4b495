import Foundation
import Testing
import Models
import Tensor
import TestSupport

@Suite("weight differences")
struct WeightDiffTests {
    /// A rank-2 perturbation u₁v₁ᵀ·3 + u₂v₂ᵀ·1 with orthonormal u, v: singular values exactly {3, 1},
    /// the rest 0; relative norm √10 / ‖A‖; effective rank exp(H(3/4, 1/4)).
    @Test func knownPerturbationOfAMatrix() throws {
        let a = try Tensor.randn([6, 5], dtype: .float64, generator: Generator(seed: 1))
        let u = try Tensor([1.0, 0, 0, 0, 0, 0, 0, 0.6, 0.8, 0, 0, 0], shape: [2, 6]).transpose(0, 1)   // [6, 2], orthonormal columns
        let v = try Tensor([0.0, 1, 0, 0, 0, 0, 0, 0, 0, 1], shape: [2, 5]).transpose(0, 1)             // [5, 2]
        let delta = try u.matmul(try Tensor([3.0, 0, 0, 1], shape: [2, 2])).matmul(v.transpose(0, 1))
        let b = try a + delta
        let bias = try Tensor([1.0, 2, 2])
        let r = try WeightDiff.compare(["h.0.w": a, "h.0.b": bias, "wte": a], ["h.0.w": b, "h.0.b": bias * 2.0, "wte": a], topK: 4)
        let e = try #require(r.entry("h.0.w"))
        #expect(e.singularValues.count == 4)
        #expect(abs(e.singularValues[0] - 3) < 1e-12 && abs(e.singularValues[1] - 1) < 1e-12)
        #expect(e.singularValues[2] < 1e-12 && e.singularValues[3] < 1e-12)
        let normA = try a.square().sum().item().squareRoot()
        #expect(abs(e.relativeNorm - 10.0.squareRoot() / normA) < 1e-14)
        #expect(abs(e.diffNorm - 10.0.squareRoot()) < 1e-13)
        let h = -(0.75 * Foundation.log(0.75) + 0.25 * Foundation.log(0.25))
        #expect(abs(e.effectiveRank! - Foundation.exp(h)) < 1e-9)
        #expect(abs(e.stableRank! - 10.0 / 9.0) < 1e-12)
        #expect(e.layer == 0)
        // The bias doubled: relative norm exactly 1; vectors have no SVD.
        let bias0 = try #require(r.entry("h.0.b"))
        #expect(bias0.relativeNorm == 1 && bias0.singularValues.isEmpty && bias0.effectiveRank == nil)
        // Unchanged parameters report zeros.
        let same = try #require(r.entry("wte"))
        #expect(same.relativeNorm == 0 && same.diffNorm == 0 && same.effectiveRank == 0 && same.singularValues.isEmpty)
        // Layers: block 0 changed, the embeddings and final norm did not.
        #expect(r.layers.map(\.label) == ["blocks.0", "embeddings and final norm"])
        #expect(r.layers[0].parameters == ["h.0.b", "h.0.w"])
        #expect(abs(r.layers[0].relativeNorm - (10.0 + 9.0).squareRoot() / (normA * normA + 9).squareRoot()) < 1e-12)
    }

    /// k equal singular values give effective rank k; a mismatch of names or shapes is an error.
    @Test func effectiveRankAndErrors() throws {
        let z = try Tensor.zeros([4, 4], dtype: .float64)
        let eye3 = try Tensor([1.0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0], shape: [4, 4])
        let r = try WeightDiff.compare(["m": try Tensor.ones([4, 4], dtype: .float64)], ["m": try Tensor.ones([4, 4], dtype: .float64) + eye3 * 0.5])
        #expect(abs(r.entry("m")!.effectiveRank! - 3) < 1e-12)
        let sv = r.entry("m")!.singularValues
        #expect(sv.count == 4 && abs(sv[0] - 0.5) < 1e-12 && abs(sv[2] - 0.5) < 1e-12 && sv[3] < 1e-12)
        let zr = try WeightDiff.compare(["m": z], ["m": eye3])
        #expect(zr.entry("m")!.relativeNorm == .infinity)
        #expect { try WeightDiff.compare(["a": z], ["b": z]) } throws: { "\($0)".contains("different parameters") }
        #expect { try WeightDiff.compare(["a": z], ["a": try Tensor.zeros([4, 3])]) } throws: { "\($0)".contains("shape") }
    }

    /// A LoRA fine-tune restricted to layer 1 changes layer 1 only: it ranks first, its adapted matrices
    /// have rank ≤ r, and the embeddings and layer 0 report no change.
    @Test func loraOnOneLayerRanksThatLayerFirst() throws {
        let base = try TinyTraining.model(seed: 2)
        let tuned = try TinyTraining.model(seed: 2)
        try tuned.addLoRA(LoRAConfig(rank: 2, alpha: 4, targets: ["attn.c_attn", "mlp.c_fc"], layers: [1], seed: 1))
        var c = TrainingConfig(steps: 6)
        c.batchSize = 4
        c.lr = 2e-2
        _ = try Trainer(model: tuned, data: try TokenDataset.packed(TinyTraining.patternStream(32 * 8), blockSize: 32), config: c).run()
        let r = try WeightDiff.compare(base, tuned, topK: 4)
        #expect(r.layers.first?.label == "blocks.1")
        #expect(r.layers.first!.parameters.prefix(2).allSatisfy { $0.hasSuffix("c_attn.weight") || $0.hasSuffix("c_fc.weight") })
        for l in r.layers.dropFirst() { #expect(l.relativeNorm == 0, "\(l.label) changed") }
        let e = try #require(r.entry("transformer.h.1.attn.c_attn.weight"))
        #expect(e.relativeNorm > 1e-3)
        // Rank ≤ 2: beyond the second, only float32 round-off of the merged weights.
        #expect(e.singularValues.count == 4 && e.singularValues[2] < 1e-4 * e.singularValues[0])
        #expect(e.effectiveRank! >= 1 && e.effectiveRank! <= 2.01)
    }
}
