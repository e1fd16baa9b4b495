// The reverse sweep of the frozen model, written out: with attention patterns and norm
// denominators fixed, each block is linear in its residual input, so the gradient of B targets with
// respect to every MLP output and the token embeddings is a sequence of matrix products — no
// autograd graph, no forward pass per batch, and only the positions and layers a batch can reach
// (its causal cone) are touched.
import Models
import Tensor

/// One attribution target: a vector read at (layer, position). `layer == n_layers` reads the
/// unembedding input at the last position (a logit); otherwise it reads the transcoder input hook.
struct SweepTarget {
    let layer: Int
    let position: Int
    /// Row of the target-vector matrix passed to `sweep`.
    let vectorRow: Int
}

/// The frozen model's transpose, built once per clean run.
final class LinearizedSweep {
    let nLayers: Int
    let nHeads: Int
    let nKVHeads: Int
    let dHead: Int
    let center: Bool
    let inputSite: ReplacementModel.InputSite
    /// Per layer, float32: pre-attention and pre-MLP norm weights, value and output projections.
    let ln1: [Tensor], ln2: [Tensor], wV: [Tensor], wO: [Tensor]
    let finalWeight: Tensor
    let skip: [Tensor?]
    let run: ReplacementModel.CleanRun

    init(_ rm: ReplacementModel, run: ReplacementModel.CleanRun, attentionBlock: Int = 128) throws {
        self.attentionBlock = Swift.max(1, attentionBlock)
        let c = rm.model.config
        nLayers = c.nLayers
        nHeads = c.nHeads
        nKVHeads = c.nKVHeads
        dHead = c.dHead
        center = rm.model.normsCenter
        inputSite = rm.inputSite
        let blocks = try (0..<c.nLayers).map { try rm.model.linearizedBlock($0) }
        ln1 = try blocks.map { try $0.ln1Weight.to(.float32) }
        ln2 = try blocks.map { try $0.ln2Weight.to(.float32) }
        wV = try blocks.map { try $0.vWeight.to(.float32) }
        wO = try blocks.map { try $0.oWeight.to(.float32) }
        finalWeight = try rm.model.finalNormWeight().weight.to(.float32)
        skip = try (0..<c.nLayers).map { try rm.transcoders.skipMatrix(layer: $0)?.to(.float32) }
        self.run = run
    }

    /// Transpose of a frozen norm on a position-major `[T', B, d]` gradient: `g·w/s`, centred over
    /// d_model for LayerNorm; `scale` is the frozen denominator `[T, 1]` (narrowed to T').
    func normBack(_ g: Tensor, weight: Tensor?, scale: Tensor) throws -> Tensor {
        var y = g
        if let w = weight { y = try y * w }
        y = try y / scale.narrow(dim: 0, start: 0, length: g.shape[0]).unsqueeze(1)
        if center { y = try y - y.mean(dims: [-1], keepdim: true) }
        return y
    }

    /// Column block of the attention transpose for long cones, in positions.
    let attentionBlock: Int

    /// Transpose of the frozen attention (value/output path) of `layer` on `g` `[T', B, d]`.
    func attentionBack(_ g: Tensor, layer l: Int) throws -> Tensor {
        let t = g.shape[0], b = g.shape[1]
        // out = z·Woᵀ → g_z = g·Wo; per head as one matrix [h, T', B·dh] so the pattern is never
        // broadcast over the batch.
        let gz = try g.matmul(wO[l]).view([t, b, nHeads, dHead]).permute([2, 0, 1, 3]).reshape([nHeads, t, b * dHead])
        // z_h = P_h·v_h → g_v_h = P_hᵀ·g_z_h, P [h, T', T'] causal: g_v at positions [a, a + c) only
        // reads g_z at positions ≥ a, so long cones go by column blocks and skip the zero triangle.
        let p = run.patterns[l]
        var gv: Tensor  // [h, T', B·dh]
        if t <= 2 * attentionBlock {
            gv = try p.narrow(dim: 1, start: 0, length: t).narrow(dim: 2, start: 0, length: t).transpose(1, 2).bmm(gz)
        } else {
            var blocks: [Tensor] = []
            for a in stride(from: 0, to: t, by: attentionBlock) {
                let c = Swift.min(attentionBlock, t - a)
                let pBlock = try p.narrow(dim: 1, start: a, length: t - a).narrow(dim: 2, start: a, length: c)  // P[i ≥ a, j ∈ block]
                blocks.append(try pBlock.transpose(1, 2).bmm(gz.narrow(dim: 1, start: a, length: t - a)))
            }
            gv = try Tensor.cat(blocks, dim: 1)
        }
        if nKVHeads != nHeads {
            gv = try gv.view([nKVHeads, nHeads / nKVHeads, t, b * dHead]).sum(dims: [1])
        }
        let gvFlat = try gv.view([nKVHeads, t, b, dHead]).permute([1, 2, 0, 3]).reshape([t, b, nKVHeads * dHead])
        // v = h1·Wvᵀ → g_h1 = g_v·Wv.
        return try normBack(gvFlat.matmul(wV[l]), weight: ln1[l], scale: run.scale1[l])
    }

    /// Gradients of the targets with respect to every source location, for one batch, position-major.
    /// - Parameters:
    ///   - targets: the batch (column b of each gradient is target b).
    ///   - vectors: target vectors `[n, d_model]` (float32, model device), indexed by `vectorRow`.
    ///   - visit: called with (layer, gradient at that layer's MLP output `[T', B, d]`) from the top down.
    /// - Returns: the gradient at the token embeddings `[T', B, d]`; T' is the cone width.
    func sweep(_ targets: [SweepTarget], vectors: Tensor, cone: Bool = true, visit: (Int, Tensor) throws -> Void) throws -> Tensor {
        let b = targets.count
        let t = cone ? (targets.map(\.position).max() ?? 0) + 1 : run.tokens.count
        let top = cone ? targets.map(\.layer).max() ?? 0 : nLayers
        let d = vectors.shape[1]
        let device = vectors.device
        // Each selected target's vector at (its position, its column); zero elsewhere.
        func injection(_ rows: [Int]) throws -> Tensor? {
            guard !rows.isEmpty else { return nil }
            let src = try vectors.indexSelect(dim: 0, index: try Tensor(rows.map { Int64(targets[$0].vectorRow) }, shape: [rows.count]).to(device))
            let dest = try Tensor(rows.map { Int64(targets[$0].position * b + $0) }, shape: [rows.count, 1]).to(device)
            return try Tensor.zeros([t * b, d], device: device)
                .scatterAdd(dim: 0, index: dest.expand([rows.count, d]), src: src).view([t, b, d])
        }
        var g = try Tensor.zeros([t, b, d], device: device)
        if let inj = try injection(targets.indices.filter { targets[$0].layer >= nLayers }) {
            g = try normBack(inj, weight: finalWeight, scale: run.scaleFinal)
        }
        var l = Swift.min(top, nLayers - 1)
        while l >= 0 {
            try visit(l, g)
            // Transcoder input of layer l: the skip connection's transpose plus this layer's targets.
            var gIn = try skip[l].map { try g.matmul($0) }
            if let inj = try injection(targets.indices.filter { targets[$0].layer == l }) {
                gIn = try gIn.map { try $0 + inj } ?? inj
            }
            var gMid = g
            if let gi = gIn {
                switch inputSite {
                case .residMid: gMid = try gMid + gi
                case .normalized:
                    // GPT-2's hook_normalized includes the weight; RMSNorm's excludes it.
                    let w: Tensor? = center ? ln2[l] : nil
                    gMid = try gMid + normBack(gi, weight: w, scale: run.scale2[l])
                }
            }
            g = try gMid + attentionBack(gMid, layer: l)
            l -= 1
        }
        return g
    }
}
