// AdamW (Loshchilov & Hutter 2019) with PyTorch's exact update rule.
import Foundation
import Tensor

/// The AdamW optimiser with decoupled weight decay, step for step as PyTorch 1.13's
/// `torch.optim.AdamW` (single-tensor path, `amsgrad=False`, `maximize=False`).
///
/// For each parameter p with gradient g at its t-th step (t counted per parameter, from 1):
///
///     p ← p · (1 − lr · wd)                               (skipped when wd = 0)
///     m ← β₁ m + (1 − β₁) g
///     v ← β₂ v + (1 − β₂) g²
///     p ← p − (lr / (1 − β₁ᵗ)) · m / (√v / √(1 − β₂ᵗ) + ε)
///
/// with the float operations in PyTorch's order (ε is added outside the square root, after the
/// bias correction of v). Parameters without a gradient are skipped and keep their step count,
/// as in PyTorch. Each parameter has its own weight decay (see `TrainingConfig` for the grouping).
///
/// On the CPU the update runs as one fused pass in the backend (reading p, g, m, v once); elsewhere
/// as the sequence of tensor operations above. Both follow PyTorch's formula; they can differ from
/// PyTorch's vectorised kernels in the last bit (PyTorch's AVX2 `add_` uses a fused multiply-add).
public final class AdamW {
    /// One parameter and its optimiser state.
    final class Slot {
        let name: String
        let param: Tensor
        let weightDecay: Double
        var expAvg: Tensor
        var expAvgSq: Tensor
        var steps: Int = 0

        init(name: String, param: Tensor, weightDecay: Double) throws {
            self.name = name
            self.param = param
            self.weightDecay = weightDecay
            expAvg = try Tensor.zeros(param.shape, dtype: param.dtype, device: param.device)
            expAvgSq = try Tensor.zeros(param.shape, dtype: param.dtype, device: param.device)
        }
    }

    /// β₁, the decay of the first moment.
    public let beta1: Double
    /// β₂, the decay of the second moment.
    public let beta2: Double
    /// ε, added to the denominator.
    public let eps: Double
    let slots: [Slot]
    /// Use the backend's one-pass kernel on CPU (same rule; the tensor-op path serves other devices
    /// and dtypes, and tests compare the two).
    package var fused = true

    /// Creates the optimiser over named parameters with their weight decay.
    /// - Parameters:
    ///   - parameters: the tensors to update (leaves that track gradients) with a per-parameter weight decay.
    ///   - beta1: first-moment decay (PyTorch's default 0.9).
    ///   - beta2: second-moment decay (PyTorch's default 0.999).
    ///   - eps: denominator term (PyTorch's default 1e-8).
    /// - Throws: `TrainingError` of kind `option` for betas outside [0, 1), a negative ε or weight
    ///   decay, or duplicate names; `TorchError` from the backend.
    public init(parameters: [(name: String, tensor: Tensor, weightDecay: Double)], beta1: Double = 0.9,
                beta2: Double = 0.999, eps: Double = 1e-8) throws {
        for (n, b) in [("beta1", beta1), ("beta2", beta2)] where !(b >= 0 && b < 1) {
            throw TrainingError(.option, "AdamW: \(n) must be in [0, 1), got \(b)")
        }
        guard eps >= 0, eps.isFinite else { throw TrainingError(.option, "AdamW: eps must be non-negative, got \(eps)") }
        var seen = Set<String>()
        for p in parameters {
            guard seen.insert(p.name).inserted else { throw TrainingError(.option, "AdamW: parameter \(p.name) is listed twice") }
            guard p.weightDecay >= 0, p.weightDecay.isFinite else {
                throw TrainingError(.option, "AdamW: weight decay of \(p.name) must be non-negative, got \(p.weightDecay)")
            }
        }
        self.beta1 = beta1
        self.beta2 = beta2
        self.eps = eps
        slots = try parameters.map { try Slot(name: $0.name, param: $0.tensor, weightDecay: $0.weightDecay) }
    }

    /// The parameter names, in update order.
    public var parameterNames: [String] { slots.map(\.name) }

    /// The number of steps taken by the parameter that took most.
    public var stepCount: Int { slots.map(\.steps).max() ?? 0 }

    /// Updates every parameter that has a gradient, with learning rate `lr`.
    /// - Throws: `TorchError` from the backend.
    public func step(lr: Double) throws {
        try Torch.noGrad {
            for s in slots {
                guard let g = try s.param.grad() else { continue }
                s.steps += 1
                if fused, s.param.device == .cpu, s.param.dtype == .float32 || s.param.dtype == .float64 {
                    try s.param.adamwStep(grad: g, expAvg: s.expAvg, expAvgSq: s.expAvgSq, lr: lr, beta1: beta1,
                                          beta2: beta2, eps: eps, weightDecay: s.weightDecay, step: s.steps)
                    continue
                }
                let t = Double(s.steps)
                if s.weightDecay != 0 { try s.param.mulInPlace(1 - lr * s.weightDecay) }
                // exp_avg.mul_(β₁).add_(g, alpha=1-β₁)
                try s.expAvg.mulInPlace(beta1)
                try s.expAvg.addInPlace(g * (1 - beta1))
                // exp_avg_sq.mul_(β₂).addcmul_(g, g, value=1-β₂): value·g·g evaluated left to right
                try s.expAvgSq.mulInPlace(beta2)
                let sq = try g * (1 - beta2)
                try sq.mulInPlace(g)
                try s.expAvgSq.addInPlace(sq)
                let bc1 = 1 - Foundation.pow(beta1, t)
                let bc2 = 1 - Foundation.pow(beta2, t)
                let stepSize = lr / bc1
                // denom = (exp_avg_sq.sqrt() / √bc2).add_(ε); p.addcdiv_(m, denom, value=-step_size)
                let denom = try s.expAvgSq.sqrt() / Foundation.sqrt(bc2)
                try denom.addInPlace(eps)
                let update = try s.expAvg * (-stepSize)
                try update.divInPlace(denom)
                try s.param.addInPlace(update)
            }
        }
    }

    /// Drops every parameter's gradient (PyTorch's `zero_grad(set_to_none=True)`).
    /// - Throws: `TorchError` from the backend.
    public func zeroGrad() throws {
        for s in slots { try s.param.setGrad(nil) }
    }

    /// The moments as named tensors (`exp_avg/<name>`, `exp_avg_sq/<name>`) and per-parameter step counts.
    package func state() -> (tensors: [String: Tensor], steps: [String: Int]) {
        var t: [String: Tensor] = [:]
        var n: [String: Int] = [:]
        for s in slots {
            t["exp_avg/" + s.name] = s.expAvg
            t["exp_avg_sq/" + s.name] = s.expAvgSq
            n[s.name] = s.steps
        }
        return (t, n)
    }

    /// Restores the moments and step counts written by `state()`.
    /// - Throws: `TrainingError` of kind `checkpoint` for a missing or misshapen tensor.
    package func load(tensors: (String) throws -> Tensor?, steps: [String: Int]) throws {
        try Torch.noGrad {
            for s in slots {
                for (key, dst) in [("exp_avg/" + s.name, s.expAvg), ("exp_avg_sq/" + s.name, s.expAvgSq)] {
                    guard let src = try tensors(key) else { throw TrainingError(.checkpoint, "optimizer state has no \(key)") }
                    guard src.shape == dst.shape else {
                        throw TrainingError(.checkpoint, "optimizer state \(key) has shape \(src.shape), expected \(dst.shape)")
                    }
                    try dst.copyInPlace(from: src)
                }
                guard let n = steps[s.name] else { throw TrainingError(.checkpoint, "optimizer state has no step count for \(s.name)") }
                s.steps = n
            }
        }
    }
}
