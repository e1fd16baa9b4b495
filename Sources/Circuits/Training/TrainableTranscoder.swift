// One layer's transcoder while it trains: parameters, the sparse forward pass, losses, decoder
// constraints, dead-latent counters, BatchTopK's threshold and the export to a `Transcoder`.
import Foundation
import Tensor

/// Statistics of one training step of one layer.
struct LayerStepStats: Equatable {
    /// Fraction of variance unexplained on the batch (the main loss).
    var fvu: Double
    /// The AuxK loss (0 when no latent is dead or `auxAlpha` is 0).
    var auxLoss: Double
    /// Mean active features per token.
    var l0: Double
    /// Fraction of latents that have not fired for `deadTokens` tokens (before this step's update).
    var deadFraction: Double
}

/// A transcoder being trained, in the normalised space (inputs divided by `inputScale`, targets by
/// `outputScale`).
///
/// Forward: `z = x̃·W_encᵀ + b_enc`; TopK keeps each token's k largest `z` unchanged; BatchTopK takes
/// `ReLU(z)` and keeps the `k·n` largest entries of the batch; `ŷ = a·W_dec + b_dec (+ x̃·W_skipᵀ)`.
/// Loss: FVU `Σ‖ŷ − ỹ‖² / Σ‖ỹ − mean ỹ‖²` plus `auxAlpha · AuxK`, where AuxK lets the `k_aux`
/// largest pre-activations of the dead latents reconstruct the (detached) residual `ỹ − ŷ`,
/// normalised by the residual's variance and scaled by min(dead / k_aux, 1) (sparsify,
/// dictionary_learning). Decoder rows are kept at unit norm: the gradient component parallel to each
/// row is removed before the optimizer step and rows are renormalised after it.
final class TrainableTranscoder {
    let layer: Int
    let dModel: Int
    let width: Int
    let wEnc: Tensor
    let bEnc: Tensor
    let wDec: Tensor
    let bDec: Tensor
    let wSkip: Tensor?
    /// Training tokens since each latent last fired (float64 `[width]`, exact below 2⁵³).
    var sinceFired: Tensor
    /// BatchTopK's inference threshold (EMA of the smallest selected activation); -1 until tracked.
    var threshold = -1.0
    /// Inputs are divided by this before encoding.
    var inputScale = 1.0
    /// Targets are divided by this; outputs are multiplied by it at export.
    var outputScale = 1.0

    /// Draws the initial weights from `generator`: `W_enc` uniform in ±1/√d_model (PyTorch's
    /// `nn.Linear` default), `b_enc` 0, `W_dec` rows random directions of unit norm, `b_dec` 0 (set from
    /// the mean target by `initializeDecoderBias`), `W_skip` 0.
    init(layer: Int, dModel: Int, width: Int, skip: Bool, generator: Generator, device: Device) throws {
        self.layer = layer
        self.dModel = dModel
        self.width = width
        let bound = 1 / Double(dModel).squareRoot()
        wEnc = try ((Tensor.rand([width, dModel], generator: generator) * (2 * bound)) - bound).to(device).requiresGrad(true)
        bEnc = try Tensor.zeros([width], device: device).requiresGrad(true)
        let d = try Tensor.randn([width, dModel], generator: generator)
        wDec = try (d / d.square().sum(dims: [1], keepdim: true).sqrt()).to(device).requiresGrad(true)
        bDec = try Tensor.zeros([dModel], device: device).requiresGrad(true)
        wSkip = skip ? try Tensor.zeros([dModel, dModel], device: device).requiresGrad(true) : nil
        sinceFired = try Tensor.zeros([width], dtype: .float64, device: device)
    }

    /// The trainable tensors with their checkpoint names (`W_enc`, `b_enc`, `W_dec`, `b_dec`, `W_skip`).
    var parameters: [(name: String, tensor: Tensor)] {
        var p: [(String, Tensor)] = [("W_enc", wEnc), ("b_enc", bEnc), ("W_dec", wDec), ("b_dec", bDec)]
        if let wSkip { p.append(("W_skip", wSkip)) }
        return p
    }

    /// Sets `b_dec` to the mean of the normalised targets `y` `[n, d_model]`.
    func initializeDecoderBias(_ y: Tensor) throws {
        try Torch.noGrad { try bDec.copyInPlace(from: try y.mean(dims: [0])) }
    }

    /// The sparse code of pre-activations `z` `[n, width]` under the training activation: the
    /// selected latents and their values. TopK gives `[n, k]` latents and values (rows implicit);
    /// BatchTopK gives `[k·n]` latents, their flat indices `row·width + latent` and values.
    struct Code {
        var latents: Tensor
        /// BatchTopK: the flat indices `row·width + latent`.
        var flat: Tensor?
        var values: Tensor
    }

    /// The training activation of pre-activations `z` `[n, width]`: each row's `k` largest entries
    /// (TopK), or the `k·n` largest entries of `ReLU(z)` over the whole batch (BatchTopK).
    func encode(_ z: Tensor, k: Int, activation: TranscoderTrainingConfig.Activation) throws -> Code {
        let n = z.shape[0]
        switch activation {
        case .topK:
            let (v, i) = try z.topk(Swift.min(k, width), dim: -1)
            return Code(latents: i, flat: nil, values: v)
        case .batchTopK:
            let flat = try z.relu().reshape([-1])
            let (v, i) = try flat.topk(Swift.min(k * n, n * width), dim: 0)
            // The latent of each flat index, in float64 (exact below 2⁵³).
            let f = try i.to(.float64)
            let latents = try f - (f / Double(width)).floor() * Double(width)
            return Code(latents: try latents.to(.int64), flat: i, values: v)
        }
    }

    /// `Σ values·W_dec[latent]` per row, `[n, d_model]` (no bias): the dense activations times `W_dec`.
    /// (Gathering the active decoder rows instead is slower on CPU at every width and k measured: its
    /// backward is an `index_add`, while the dense form is two BLAS products.)
    func decode(_ code: Code, n: Int) throws -> Tensor {
        try dense(code, n: n).matmul(wDec)
    }

    /// The activations `[n, width]` of a code.
    func dense(_ code: Code, n: Int) throws -> Tensor {
        if let flat = code.flat {
            let zeros = try Tensor.zeros([n * width], device: wDec.device)
            return try zeros.scatterAdd(dim: 0, index: flat, src: code.values).view([n, width])
        }
        let zeros = try Tensor.zeros([n, width], device: wDec.device)
        return try zeros.scatterAdd(dim: 1, index: code.latents, src: code.values)
    }

    /// One forward/backward pass on a normalised batch; gradients accumulate in the parameters.
    /// - Parameters:
    ///   - x: normalised inputs `[n, d_model]`; `y`: normalised targets `[n, d_model]`.
    ///   - deadTokens: the dead-latent window; `auxK`: dead latents per token in AuxK.
    ///   - updateThreshold: whether to update BatchTopK's threshold EMA with this batch.
    func step(x: Tensor, y: Tensor, config c: TranscoderTrainingConfig, auxK: Int, deadTokens: Int,
              updateThreshold: Bool) throws -> LayerStepStats {
        let n = x.shape[0]
        let dead = try sinceFired.compare(.ge, Double(deadTokens))
        let numDead = Int(try dead.to(.float64).sum().item())
        var stats = LayerStepStats(fvu: 0, auxLoss: 0, l0: 0, deadFraction: Double(numDead) / Double(width))
        var firedLatents: Tensor?
        try Torch.withGradEnabled(true) {
            let z = try x.linear(wEnc, bias: bEnc)
            let code = try encode(z, k: c.k, activation: c.activation)
            var yhat = try decode(code, n: n) + bDec
            if let wSkip { yhat = try yhat + x.linear(wSkip) }
            let err = try yhat - y
            let variance = try (y - y.mean(dims: [0], keepdim: true)).square().sum()
            let fvu = try err.square().sum() / variance
            var loss = fvu
            if c.auxAlpha > 0, numDead > 0 {
                let kAux = Swift.min(auxK, numDead)
                let scale = Swift.min(Double(numDead) / Double(auxK), 1)
                let residual = try (y - yhat).detach()
                let masked = try z.maskedFill(dead.logicalNot().unsqueeze(0), -Double.infinity)
                var (v, i) = try masked.topk(kAux, dim: -1)
                if c.activation == .batchTopK { v = try v.relu() }
                let ehat = try decode(Code(latents: i, flat: nil, values: v), n: n)
                let residualVariance = try (residual - residual.mean(dims: [0], keepdim: true)).square().sum()
                let aux = try (ehat - residual).square().sum() / residualVariance * scale
                stats.auxLoss = try aux.item()
                if stats.auxLoss.isFinite { loss = try loss + aux * c.auxAlpha }
            }
            stats.fvu = try fvu.item()
            try loss.backward()
            let fired = try code.values.detach().compare(.ne, 0)
            stats.l0 = try fired.to(.float64).sum().item() / Double(n)
            let counts = try Tensor.zeros([width], dtype: .float64, device: wDec.device)
                .scatterAdd(dim: 0, index: code.latents.reshape([-1]), src: fired.reshape([-1]).to(.float64))
            firedLatents = try counts.compare(.gt, 0)
            if updateThreshold, c.activation == .batchTopK {
                let v = try code.values.detach()
                let positive = try v.compare(.gt, 0)
                if try positive.to(.float64).sum().item() > 0 {
                    let m = try v.maskedFill(positive.logicalNot(), Double.infinity).amin().item()
                    threshold = threshold < 0 ? m : c.thresholdBeta * threshold + (1 - c.thresholdBeta) * m
                }
            }
        }
        try Torch.noGrad {
            let zero = try Tensor.zeros([width], dtype: .float64, device: wDec.device)
            sinceFired = try Tensor.where(firedLatents!, zero, try sinceFired + Double(n))
        }
        return stats
    }

    /// Removes from `W_dec`'s gradient the component parallel to each (unit-norm) decoder row.
    func projectDecoderGradient() throws {
        try Torch.noGrad {
            guard let g = try wDec.grad() else { return }
            let parallel = try (g * wDec).sum(dims: [1], keepdim: true)
            try wDec.setGrad(try g - parallel * wDec)
        }
    }

    /// Rescales every decoder row to unit norm.
    func normalizeDecoder() throws {
        try Torch.noGrad {
            let norms = try wDec.square().sum(dims: [1], keepdim: true).sqrt().clamp(min: 1e-12)
            try wDec.copyInPlace(from: try wDec / norms)
        }
    }

    /// Inference activations for normalised inputs `x̃` `[n, d_model]`: TopK per token, or BatchTopK's
    /// threshold rule `ReLU(z)·1[ReLU(z) > θ]` (dictionary_learning's `use_threshold=True`).
    func inferenceActivations(_ x: Tensor, config c: TranscoderTrainingConfig) throws -> Tensor {
        try Torch.noGrad {
            let z = try x.linear(wEnc, bias: bEnc)
            switch c.activation {
            case .topK:
                return try dense(try encode(z, k: c.k, activation: .topK), n: z.shape[0])
            case .batchTopK:
                let r = try z.relu()
                return try r * r.compare(.gt, threshold).to(.float32)
            }
        }
    }

    /// The transcoder on raw activations: the normalisation folded into the weights
    /// (`W_enc/s_x`, `s_y·W_dec`, `s_y·b_dec`, `(s_y/s_x)·W_skip`), so that its output on a raw input
    /// `x` is `s_y` times the normalised model's output on `x/s_x`, with the same feature activations.
    /// - Parameter threshold: BatchTopK's threshold for a JumpReLU export (`self.threshold` unless the
    ///   caller estimated one because it was never tracked).
    func export(as export: TranscoderTrainingConfig.Export, k: Int, threshold: Double) throws -> Transcoder {
        try Torch.noGrad {
            let sx = inputScale, sy = outputScale
            let enc = try (wEnc.detach() / sx).contiguous()
            let dec = try (wDec.detach() * sy).contiguous()
            let bd = try (bDec.detach() * sy).contiguous()
            let skip = try wSkip.map { try ($0.detach() * (sy / sx)).contiguous() }
            switch export {
            case .topK:
                return try Transcoder(layer: layer, wEnc: enc, bEnc: try bEnc.detach().clone(), wDec: dec, bDec: bd, wSkip: skip,
                                      activation: .topK(k))
            case .jumpReLU:
                let theta = try Tensor.full([width], threshold, device: wEnc.device)
                return try Transcoder(layer: layer, wEnc: enc, bEnc: try bEnc.detach().clone(), wDec: dec, bDec: bd,
                                      threshold: theta, wSkip: skip, activation: .jumpReLU)
            }
        }
    }
}
