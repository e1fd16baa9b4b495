import Testing
import Tensor

@Suite("linear algebra")
struct LinalgTests {
    @Test func svdReconstructsAndOrdersSingularValues() throws {
        let a = try Tensor.randn([7, 4], dtype: .float64, generator: Generator(seed: 3))
        let (u, s, vh) = try a.svd()
        #expect(u.shape == [7, 4] && s.shape == [4] && vh.shape == [4, 4])
        let back = try (u * s.unsqueeze(0)).matmul(vh)
        #expect(try (back - a).abs().amax().item() < 1e-12)
        let sv = try s.doubles()
        #expect(zip(sv, sv.dropFirst()).allSatisfy { $0 >= $1 })
        #expect(try (a.singularValues() - s).abs().amax().item() < 1e-12)
        // Rank 1: one nonzero singular value, ‖x‖·‖y‖.
        let r1 = try Tensor([1.0, 2, 2], shape: [3, 1]).matmul(try Tensor([3.0, 4], shape: [1, 2]))
        let v = try r1.singularValues().doubles()
        #expect(abs(v[0] - 15) < 1e-12 && abs(v[1]) < 1e-12)
        #expect { try Tensor([1.0, 2]).svd() } throws: { ($0 as? TorchError)?.kind == .shape }
    }
}
