import Tensor

/// The nonlinearity a transcoder applies to its encoder pre-activations.
public enum TranscoderActivation: Sendable, Equatable {
    /// `max(z, 0)`.
    case relu
    /// `z · 1[z > θ]` with a per-feature threshold θ (`activation_function.threshold`, shape `[d_tc]`).
    case jumpReLU
    /// Keeps the `k` largest pre-activations of each token unchanged (no ReLU, as circuit-tracer's
    /// `TopK`: `z · gate`); every other feature is zero.
    case topK(Int)

    /// Applies the activation to pre-activations `z` (`[..., d_tc]`).
    /// - Parameter threshold: the JumpReLU thresholds (`[d_tc]`); required for `.jumpReLU`.
    /// - Throws: `TorchError` from the backend.
    package func apply(_ z: Tensor, threshold: Tensor?) throws -> Tensor {
        switch self {
        case .relu:
            return try z.relu()
        case .jumpReLU:
            guard let threshold else { preconditionFailure("JumpReLU without threshold") }
            let mask = try z.compare(.gt, threshold).to(z.dtype)
            return try z * mask
        case .topK(let k):
            let width = z.shape.last ?? 0
            let kk = Swift.min(k, width)
            let (values, indices) = try z.topk(kk, dim: -1)
            let zeros = try Tensor.zeros(z.shape, dtype: z.dtype, device: z.device)
            return try zeros.scatterAdd(dim: z.ndim - 1, index: indices, src: values)
        }
    }
}
