import Circuits
import Tensor
import Testing

private func t(_ v: [Float], _ s: [Int]) throws -> Tensor { try Tensor(v, shape: s) }

/// A 1-feature-per-input identity transcoder: W_enc = I (3×3), b_enc = 0, so features = σ(x).
private func identity(_ act: TranscoderActivation, threshold: Tensor? = nil, skip: Tensor? = nil) throws -> Transcoder {
    let eye = try t([1, 0, 0, 0, 1, 0, 0, 0, 1], [3, 3])
    return try Transcoder(layer: 0, wEnc: eye, bEnc: Tensor.zeros([3]), wDec: eye, bDec: Tensor.zeros([3]),
                          threshold: threshold, wSkip: skip, activation: act)
}

@Suite("Transcoder semantics")
struct TranscoderSemanticsTests {
    @Test("ReLU keeps positive pre-activations")
    func relu() throws {
        let a = try identity(.relu).encode(t([-1, 0.5, 2], [1, 3]))
        #expect(try a.floats() == [0, 0.5, 2])
    }

    @Test("JumpReLU keeps z only when z > θ (strict), values not shifted")
    func jumpReLU() throws {
        let tc = try identity(.jumpReLU, threshold: t([0.5, 0.5, 1], [3]))
        #expect(try tc.encode(t([0.5, 0.6, 3], [1, 3])).floats() == [0, 0.6, 3])
        #expect(try tc.encode(t([-2, 0.4, 1], [1, 3])).floats() == [0, 0, 0])
    }

    @Test("TopK keeps the k largest per token unchanged, negative ones included (circuit-tracer)")
    func topK() throws {
        let tc = try identity(.topK(2))
        #expect(try tc.encode(t([3, -1, 2, 1, -5, -4], [2, 3])).floats() == [3, 0, 2, 1, 0, -4])
        #expect(try identity(.topK(3)).encode(t([1, -2, 3], [1, 3])).floats() == [1, -2, 3])
        // k above the width is rejected (torch.topk in circuit-tracer fails on it too).
        #expect(throws: TranscoderError.self) { try identity(.topK(7)) }
    }

    @Test("skip connection adds x·W_skipᵀ to the decoded features")
    func skip() throws {
        let ws = try t([0, 1, 0, 0, 0, 0, 2, 0, 0], [3, 3])
        let tc = try identity(.relu, skip: ws)
        let x = try t([1, -2, 3], [1, 3])
        #expect(try tc.skip(x)!.floats() == [-2, 0, 2])
        #expect(try tc(x).floats() == [-1, 0, 5])
        #expect(try identity(.relu).skip(x) == nil)
    }

    @Test("inconsistent in-memory shapes are rejected")
    func badShapes() throws {
        #expect(throws: TranscoderError.self) {
            try Transcoder(layer: 0, wEnc: Tensor.zeros([4, 3]), bEnc: Tensor.zeros([4]), wDec: Tensor.zeros([4, 2]),
                           bDec: Tensor.zeros([3]), activation: .relu)
        }
        #expect(throws: TranscoderError.self) {
            try Transcoder(layer: 0, wEnc: Tensor.zeros([4, 3]), bEnc: Tensor.zeros([4]), wDec: Tensor.zeros([4, 3]),
                           bDec: Tensor.zeros([3]), activation: .jumpReLU)
        }
        #expect(throws: TranscoderError.self) {
            try Transcoder(layer: 0, wEnc: Tensor.zeros([4, 3]), bEnc: Tensor.zeros([4]), wDec: Tensor.zeros([4, 3]),
                           bDec: Tensor.zeros([3]), activation: .topK(0))
        }
    }
}

@Suite("Transcoder dtypes and rows")
struct TranscoderRowsTests {
    @Test("decoder/encoder rows select features; float32 input is cast to bfloat16 weights")
    func rowsAndDtype() throws {
        let gen = try Generator(seed: 5)
        let wEnc = try Tensor.randn([6, 4], generator: gen), wDec = try Tensor.randn([6, 4], generator: gen)
        let tc = try Transcoder(layer: 0, wEnc: wEnc, bEnc: Tensor.zeros([6]), wDec: wDec, bDec: Tensor.zeros([4]),
                                activation: .relu)
        let ids = try Tensor([Int64(4), 1], shape: [2])
        #expect(try tc.decoderVectors(ids).floats() == (try wDec.select(dim: 0, index: 4).floats() + wDec.select(dim: 0, index: 1).floats()))
        #expect(try tc.encoderVectors(ids).shape == [2, 4])
        let bf = try Transcoder(layer: 0, wEnc: wEnc.to(.bfloat16), bEnc: Tensor.zeros([6], dtype: .bfloat16),
                                wDec: wDec.to(.bfloat16), bDec: Tensor.zeros([4], dtype: .bfloat16), activation: .relu)
        let x = try Tensor.randn([3, 4], generator: gen)
        let y = try bf(x)
        #expect(y.dtype == .bfloat16)
        #expect(try (y.to(.float32) - tc(x)).abs().amax().item() < 0.1)
    }
}
