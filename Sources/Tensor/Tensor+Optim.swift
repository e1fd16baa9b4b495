import CTorchABI

extension Tensor {
    /// Applies one AdamW update to this parameter in place, in one pass (PyTorch's single-tensor
    /// rule; see `Models.AdamW`). `step` is the parameter's 1-based step count.
    /// - Throws: `TorchError` when the tensors differ in shape or dtype, are not contiguous, or not
    ///   float32/float64 on the CPU.
    package func adamwStep(grad: Tensor, expAvg: Tensor, expAvgSq: Tensor, lr: Double, beta1: Double, beta2: Double,
                           eps: Double, weightDecay: Double, step: Int) throws {
        try Torch.check(try Torch.api().adamw_step(handle, grad.handle, expAvg.handle, expAvgSq.handle, lr, beta1, beta2,
                                                   eps, weightDecay, Int64(step)))
    }
}
