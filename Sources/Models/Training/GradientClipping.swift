// Global gradient-norm clipping with PyTorch's semantics.
import Tensor

/// Gradient-norm clipping as `torch.nn.utils.clip_grad_norm_` (L2, `error_if_nonfinite=False`).
public enum GradientClipping {
    /// The L2 norm of all gradients of `parameters` taken together, as if concatenated into one
    /// vector. Parameters without a gradient are ignored; the result is 0 when none has one.
    ///
    /// Computed as PyTorch does: each gradient's norm in its own dtype, then the norm of those norms.
    /// - Throws: `TorchError` from the backend.
    public static func globalNorm(_ parameters: [Tensor]) throws -> Double {
        let grads = try parameters.compactMap { try $0.grad() }
        return try norm(of: grads)
    }

    static func norm(of grads: [Tensor]) throws -> Double {
        guard let first = grads.first else { return 0 }
        let single = first.dtype != .float64
        // ‖g‖² as a dot product: one pass through BLAS, no temporary tensor.
        let norms = try Torch.noGrad {
            try grads.map { g in
                let flat = try g.reshape([-1])
                return try flat.matmul(flat).item().squareRoot()
            }
        }
        if single {
            var sumSq: Float = 0
            for n in norms { let f = Float(n); sumSq += f * f }
            return Double(sumSq.squareRoot())
        }
        return norms.reduce(0) { $0 + $1 * $1 }.squareRoot()
    }

    /// Scales every gradient of `parameters` by min(1, maxNorm / (norm + 1e-6)), where norm is
    /// `globalNorm(parameters)`, and returns that norm (before clipping).
    ///
    /// The factor is computed in the gradients' precision as PyTorch computes it; a factor of 1 leaves
    /// the gradients untouched. A NaN or infinite norm is returned unchanged and the gradients are
    /// scaled by the resulting NaN/0 factor, as in PyTorch; `Trainer` checks the norm first.
    /// - Parameters:
    ///   - parameters: tensors whose `grad` is clipped in place.
    ///   - maxNorm: the largest allowed global norm (positive).
    /// - Throws: `TrainingError` of kind `option` for a non-positive `maxNorm`; `TorchError`.
    @discardableResult
    public static func clipGlobalNorm(_ parameters: [Tensor], maxNorm: Double) throws -> Double {
        guard maxNorm > 0 else { throw TrainingError(.option, "clip_grad_norm: max_norm must be positive, got \(maxNorm)") }
        let grads = try parameters.compactMap { try $0.grad() }
        guard let first = grads.first else { return 0 }
        let total = try norm(of: grads)
        let coef: Double
        if first.dtype == .float64 {
            coef = Swift.min(maxNorm / (total + 1e-6), 1)
        } else {
            coef = Double(Swift.min(Float(maxNorm) / (Float(total) + Float(1e-6)), 1))
        }
        if !(coef == 1) {
            try Torch.noGrad { for g in grads { try g.mulInPlace(coef) } }
        }
        return total
    }
}
