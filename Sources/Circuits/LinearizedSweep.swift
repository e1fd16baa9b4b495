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

/// Gradients of one batch of targets at the sources: per layer the MLP-output gradient `[B, T', d]`
/// (nil above the batch's top layer) and the embedding gradient `[B, T', d]`; `T'` is the cone width.
struct SweepGradients {
    let width: Int
    let mlpOutput: [Tensor?]
    let embedding: Tensor
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

    init(_ rm: ReplacementModel, run: ReplacementModel.CleanRun) throws {
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

    /// Transpose of a frozen norm: `g·w/s`, centred over d_model for LayerNorm.
    func normBack(_ g: Tensor, weight: Tensor?, scale: Tensor) throws -> Tensor {
        var y = g
        if let w = weight { y = try y * w }
        y = try y / scale
        if center { y = try y - y.mean(dims: [-1], keepdim: true) }
        return y
    }

    /// Transpose of the frozen attention (value/output path) of `layer` on `g` `[B, T', d]`.
    func attentionBack(_ g: Tensor, layer l: Int, width t: Int) throws -> Tensor {
        let b = g.shape[0]
        // out = z·Woᵀ → g_z = g·Wo, per head [B, h, T', dh].
        let gz = try g.matmul(wO[l]).view([b, t, nHeads, dHead]).permute([0, 2, 1, 3])
        // z_h = P_h·v_h → g_v_h = P_hᵀ·g_z_h; P [h, T', T'] is shared by every batch row.
        let p = try run.patterns[l].narrow(dim: 1, start: 0, length: t).narrow(dim: 2, start: 0, length: t)
        var gv = try p.transpose(1, 2).unsqueeze(0).matmul(gz)  // [B, h, T', dh]
        if nKVHeads != nHeads {
            gv = try gv.view([b, nKVHeads, nHeads / nKVHeads, t, dHead]).sum(dims: [2])
        }
        let gvFlat = try gv.permute([0, 2, 1, 3]).reshape([b, t, nKVHeads * dHead])
        // v = h1·Wvᵀ → g_h1 = g_v·Wv.
        let gh1 = try gvFlat.matmul(wV[l])
        return try normBack(gh1, weight: ln1[l], scale: run.scale1[l].narrow(dim: 0, start: 0, length: t))
    }

    /// Gradients of the targets with respect to every source location, for one batch.
    /// - Parameters:
    ///   - targets: the batch (row b of the result is target b).
    ///   - vectors: target vectors `[n, d_model]` (float32, model device), indexed by `vectorRow`.
    ///   - visit: called with (layer, gradient at that layer's MLP output `[B, T', d]`) from the top down.
    func sweep(_ targets: [SweepTarget], vectors: Tensor, cone: Bool = true, visit: (Int, Tensor) throws -> Void) throws -> Tensor {
        let b = targets.count
        let t = cone ? (targets.map(\.position).max() ?? 0) + 1 : run.tokens.count
        let top = cone ? targets.map(\.layer).max() ?? 0 : nLayers
        let d = vectors.shape[1]
        let device = vectors.device
        // Injection helper: a [B, T', d] tensor holding each selected target's vector at its position.
        func injection(_ rows: [Int]) throws -> Tensor? {
            guard !rows.isEmpty else { return nil }
            var flat = [Int64](repeating: -1, count: b * t)
            for i in rows { flat[i * t + targets[i].position] = Int64(targets[i].vectorRow) }
            // Gather vectors through an index with a zero row appended for "no target".
            let zero = try Tensor.zeros([1, d], device: device)
            let table = try Tensor.cat([vectors, zero], dim: 0)
            let idx = try Tensor(flat.map { $0 < 0 ? Int64(vectors.shape[0]) : $0 }, shape: [b * t]).to(device)
            return try table.indexSelect(dim: 0, index: idx).view([b, t, d])
        }
        var g = try Tensor.zeros([b, t, d], device: device)
        let logitRows = targets.indices.filter { targets[$0].layer >= nLayers }
        if let inj = try injection(logitRows) {
            g = try normBack(inj, weight: finalWeight, scale: run.scaleFinal.narrow(dim: 0, start: 0, length: t))
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
                    gMid = try gMid + normBack(gi, weight: w, scale: run.scale2[l].narrow(dim: 0, start: 0, length: t))
                }
            }
            g = try gMid + attentionBack(gMid, layer: l, width: t)
            l -= 1
        }
        return g
    }
}
