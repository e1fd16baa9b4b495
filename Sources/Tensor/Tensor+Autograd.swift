import CTorchABI

extension Tensor {
    /// Switches gradient tracking on or off for this (leaf) tensor and returns it.
    @discardableResult
    public func requiresGrad(_ on: Bool = true) throws -> Tensor {
        try Torch.check(try Torch.api().set_requires_grad(handle, on ? 1 : 0))
        return self
    }

    /// Back-propagates from this tensor into the `grad` of every leaf that requires grad.
    /// - Parameters:
    ///   - gradient: d(loss)/d(self); may be nil only for a one-element tensor.
    ///   - retainGraph: keep the graph for another backward pass.
    ///   - createGraph: record the backward pass itself (for higher-order gradients).
    public func backward(gradient: Tensor? = nil, retainGraph: Bool = false, createGraph: Bool = false) throws {
        try Torch.check(try Torch.api().backward(handle, gradient?.handle, retainGraph ? 1 : 0, createGraph ? 1 : 0))
    }

    /// The accumulated gradient, or nil when none was computed.
    public func grad() throws -> Tensor? {
        let a = try Torch.api()
        var out: OpaquePointer?
        try Torch.check(a.grad(handle, &out))
        return out.map { Tensor(handle: $0) }
    }

    /// Replaces (or with nil clears) the accumulated gradient.
    public func setGrad(_ g: Tensor?) throws {
        try Torch.check(try Torch.api().set_grad(handle, g?.handle))
    }

    /// Keeps the gradient of this non-leaf tensor after backward.
    public func retainGrad() throws {
        try Torch.check(try Torch.api().retain_grad(handle))
    }
}

extension Torch {
    /// Computes d(outputs)/d(inputs) without touching `.grad` (as `torch.autograd.grad`).
    /// - Parameters:
    ///   - outputs: tensors to differentiate.
    ///   - inputs: tensors to differentiate with respect to.
    ///   - gradOutputs: one per output (nil entries allowed only for one-element outputs).
    ///   - retainGraph: keep the graph for later passes.
    ///   - createGraph: make the result differentiable.
    ///   - allowUnused: return nil for inputs the outputs do not depend on instead of failing.
    /// - Returns: one gradient per input (nil only with `allowUnused`).
    public static func grad(outputs: [Tensor], inputs: [Tensor], gradOutputs: [Tensor?]? = nil,
                            retainGraph: Bool = false, createGraph: Bool = false,
                            allowUnused: Bool = false) throws -> [Tensor?] {
        if let g = gradOutputs, g.count != outputs.count {
            throw TorchError(.value, "grad: \(g.count) grad_outputs for \(outputs.count) outputs")
        }
        let a = try api()
        let o: [OpaquePointer?] = outputs.map { $0.handle }
        let i: [OpaquePointer?] = inputs.map { $0.handle }
        let g: [OpaquePointer?]? = gradOutputs?.map { $0?.handle }
        var results = [OpaquePointer?](repeating: nil, count: inputs.count)
        try withExtendedLifetime((outputs, inputs, gradOutputs)) {
            let err = o.withUnsafeBufferPointer { op in
                i.withUnsafeBufferPointer { ip in
                    results.withUnsafeMutableBufferPointer { rp in
                        if let g {
                            return g.withUnsafeBufferPointer { gp in
                                a.autograd_grad(op.baseAddress, Int32(o.count), ip.baseAddress, Int32(i.count), gp.baseAddress,
                                                retainGraph ? 1 : 0, createGraph ? 1 : 0, allowUnused ? 1 : 0, rp.baseAddress)
                            }
                        }
                        return a.autograd_grad(op.baseAddress, Int32(o.count), ip.baseAddress, Int32(i.count), nil,
                                               retainGraph ? 1 : 0, createGraph ? 1 : 0, allowUnused ? 1 : 0, rp.baseAddress)
                    }
                }
            }
            try check(err)
        }
        return results.map { $0.map { Tensor(handle: $0) } }
    }
}
