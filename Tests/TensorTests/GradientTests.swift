import Testing
import Tensor
import TestSupport

/// Checks autograd against central finite differences in float64 for every differentiable op.
@Suite("Gradients vs finite differences (float64)")
struct GradientTests {
    /// Compares d(sum(f(x) * w))/dx from autograd with central differences for each input.
    func check(_ name: String, _ shapes: [[Int]], seed: UInt64 = 1, offset: Double = 0, positive: Bool = false,
               _ f: ([Tensor]) throws -> Tensor) throws {
        let gen = try Generator(seed: seed)
        var data: [[Double]] = []
        for s in shapes {
            var v = try Tensor.randn(s, dtype: .float64, generator: gen).doubles()
            if positive { v = v.map { Swift.abs($0) + 0.5 } }
            data.append(v.map { $0 + offset })
        }
        func inputs(_ d: [[Double]], grad: Bool) throws -> [Tensor] {
            try zip(d, shapes).map { try Tensor($0, shape: $1).requiresGrad(grad) }
        }
        let xs = try inputs(data, grad: true)
        let y = try f(xs)
        let w = try Tensor.randn(y.shape, dtype: .float64, generator: gen)
        let loss = try (y * w.to(y.dtype)).sum()
        let analytic = try Torch.grad(outputs: [loss], inputs: xs, allowUnused: true)
        let eps = 1e-6
        func lossAt(_ d: [[Double]]) throws -> Double {
            try Torch.noGrad { try (f(inputs(d, grad: false)) * w).sum().item() }
        }
        for (k, x) in data.enumerated() {
            var numeric = [Double](repeating: 0, count: x.count)
            for j in 0..<x.count {
                var plus = data, minus = data
                plus[k][j] += eps
                minus[k][j] -= eps
                numeric[j] = (try lossAt(plus) - lossAt(minus)) / (2 * eps)
            }
            let a = try analytic[k]?.doubles() ?? [Double](repeating: 0, count: x.count)
            let scale = Swift.max(1, numeric.map { Swift.abs($0) }.max() ?? 1)
            let err = Support.maxAbsDiff(a, numeric) / scale
            #expect(err < 1e-6, "\(name): input \(k) gradient differs from finite differences by \(err)")
        }
    }

    @Test func unaryOps() throws {
        try check("neg", [[3, 4]]) { try $0[0].neg() }
        try check("exp", [[3, 4]]) { try $0[0].exp() }
        try check("log", [[3, 4]], positive: true) { try $0[0].log() }
        try check("log1p", [[3, 4]], positive: true) { try $0[0].log1p() }
        try check("tanh", [[3, 4]]) { try $0[0].tanh() }
        try check("sqrt", [[3, 4]], positive: true) { try $0[0].sqrt() }
        try check("rsqrt", [[3, 4]], positive: true) { try $0[0].rsqrt() }
        try check("square", [[3, 4]]) { try $0[0].square() }
        try check("reciprocal", [[3, 4]], positive: true) { try $0[0].reciprocal() }
        try check("relu", [[3, 4]], offset: 0.05) { try $0[0].relu() }
        try check("abs", [[3, 4]], offset: 0.05) { try $0[0].abs() }
        try check("gelu", [[3, 4]]) { try $0[0].gelu() }
        try check("gelu_tanh", [[3, 4]]) { try $0[0].gelu(approximate: true) }
        try check("silu", [[3, 4]]) { try $0[0].silu() }
        try check("sigmoid", [[3, 4]]) { try $0[0].sigmoid() }
        try check("sin", [[3, 4]]) { try $0[0].sin() }
        try check("cos", [[3, 4]]) { try $0[0].cos() }
        try check("clone", [[3, 4]]) { try $0[0].clone() }
        try check("contiguous", [[3, 4]]) { try $0[0].transpose(0, 1).contiguous() }
        try check("clamp", [[3, 4]], offset: 0.05) { try $0[0].clamp(min: 0).clamp(max: 0.7) }
    }

    @Test func binaryOps() throws {
        try check("add broadcast", [[3, 4], [4]]) { try $0[0] + $0[1] }
        try check("sub broadcast", [[3, 1], [1, 4]]) { try $0[0] - $0[1] }
        try check("mul", [[3, 4], [3, 4]]) { try $0[0] * $0[1] }
        try check("div", [[3, 4], [3, 4]], positive: true) { try $0[0] / $0[1] }
        try check("pow tensor", [[3, 4], [3, 4]], positive: true) { try $0[0].pow($0[1]) }
        try check("pow scalar", [[3, 4]], positive: true) { try $0[0].pow(2.5) }
        try check("scalar ops", [[3, 4]], positive: true) { x in try (2.0 - x[0]) * 3.0 + 1.0 / x[0] - x[0] / 4.0 + Tensor.pow(1.7, x[0]) }
        try check("maximum", [[3, 4], [3, 4]], seed: 3) { try $0[0].maximum($0[1]) }
        try check("minimum", [[3, 4], [3, 4]], seed: 3) { try $0[0].minimum($0[1]) }
        try check("matmul 2d", [[3, 4], [4, 5]]) { try $0[0].matmul($0[1]) }
        try check("matmul batched broadcast", [[2, 3, 4], [4, 2]]) { try $0[0].matmul($0[1]) }
        try check("matmul vector", [[3, 4], [4]]) { try $0[0].matmul($0[1]) }
        try check("bmm", [[2, 3, 4], [2, 4, 2]]) { try $0[0].bmm($0[1]) }
    }

    @Test func reductionsAndNormalisation() throws {
        try check("sum all", [[3, 4]]) { try $0[0].sum() }
        try check("sum dims keepdim", [[2, 3, 4]]) { try $0[0].sum(dims: [0, 2], keepdim: true) }
        try check("mean", [[2, 3, 4]]) { try $0[0].mean(dims: [-1]) }
        try check("amax", [[3, 4]]) { try $0[0].amax(dims: [1]) }
        try check("amin", [[3, 4]]) { try $0[0].amin(dims: [0]) }
        try check("prod", [[3, 4]], positive: true) { try $0[0].prod(dim: 1) }
        try check("max dim", [[3, 4]]) { try $0[0].max(dim: 1).values }
        try check("min dim", [[3, 4]]) { try $0[0].min(dim: 0, keepdim: true).values }
        try check("topk", [[3, 5]]) { try $0[0].topk(2, dim: 1).values }
        try check("sort", [[3, 5]]) { try $0[0].sort(dim: 1, descending: true).values }
        try check("cumsum", [[3, 4]]) { try $0[0].cumsum(dim: 1) }
        try check("softmax", [[3, 4]]) { try $0[0].softmax(dim: -1) }
        try check("log_softmax", [[3, 4]]) { try $0[0].logSoftmax(dim: 0) }
        try check("layer_norm", [[3, 4], [4], [4]]) { try $0[0].layerNorm([4], weight: $0[1], bias: $0[2]) }
        try check("layer_norm no affine", [[2, 3, 4]]) { try $0[0].layerNorm([3, 4]) }
    }

    @Test func indexingAndShapes() throws {
        let idx = try Tensor([Int64(2), 0, 2, 1], shape: [4])
        try check("embedding", [[3, 5]]) { try Tensor.embedding($0[0], idx.reshape([2, 2])) }
        try check("reshape", [[3, 4]]) { try $0[0].reshape([2, -1]).mul($0[0].reshape([2, 6])) }
        try check("view", [[3, 4]]) { try $0[0].view([12]) }
        try check("permute", [[2, 3, 4]]) { try $0[0].permute([2, 0, 1]) }
        try check("transpose", [[3, 4]]) { try $0[0].transpose(0, 1) }
        try check("expand", [[3, 1]]) { try $0[0].expand([3, 4]) }
        try check("squeeze/unsqueeze", [[3, 1]]) { try $0[0].squeeze(dim: 1).unsqueeze(0) }
        try check("narrow", [[3, 4]]) { try $0[0].narrow(dim: 1, start: 1, length: 2) }
        try check("slice step", [[3, 7]]) { try $0[0].slice(dim: 1, start: 1, end: 6, step: 2) }
        try check("select", [[3, 4]]) { try $0[0].select(dim: 0, index: -1) }
        try check("index_select", [[3, 4]]) { try $0[0].indexSelect(dim: 0, index: idx) }
        let gidx = try Tensor([Int64(0), 3, 1, 1, 2, 0], shape: [3, 2])
        try check("gather", [[3, 4]]) { try $0[0].gather(dim: 1, index: gidx) }
        try check("scatter_add", [[3, 4], [3, 2]]) { try $0[0].scatterAdd(dim: 1, index: gidx, src: $0[1]) }
        try check("cat", [[2, 3], [1, 3]]) { try Tensor.cat([$0[0], $0[1]], dim: 0) }
        try check("stack", [[2, 3], [2, 3]]) { try Tensor.stack([$0[0], $0[1]], dim: 1) }
        try check("split", [[5, 2]]) { x in let p = try x[0].split(2, dim: 0); return try p[0] * p[1] + p[2].sum() }
        try check("chunk", [[4, 3]]) { x in let p = try x[0].chunk(2, dim: 0); return try p[0] - p[1] }
        let mask = try Tensor([true, false, false, true, true, false], shape: [2, 3])
        try check("masked_fill", [[2, 3]]) { try $0[0].maskedFill(mask, -2) }
        try check("where", [[2, 3], [2, 3]]) { try Tensor.where(mask, $0[0], $0[1]) }
        try check("triu", [[4, 4]]) { try $0[0].triu(1) }
        try check("tril", [[4, 4]]) { try $0[0].tril() }
        try check("to same dtype", [[2, 2]]) { try $0[0].to(.float64) }
    }
}
