import CTorchABI

extension Tensor {
    func reduce(_ op: Int32, _ dims: [Int], keepdim: Bool) throws -> Tensor {
        let d = dims.map(Int64.init)
        return try Tensor.make { a, out in
            d.withUnsafeBufferPointer { a.reduce(op, handle, $0.baseAddress, Int32($0.count), keepdim ? 1 : 0, out) }
        }
    }

    /// Sum over `dims` (all elements when empty).
    public func sum(dims: [Int] = [], keepdim: Bool = false) throws -> Tensor { try reduce(Int32(DT_R_SUM), dims, keepdim: keepdim) }
    /// Mean over `dims` (all elements when empty); needs a floating dtype.
    public func mean(dims: [Int] = [], keepdim: Bool = false) throws -> Tensor { try reduce(Int32(DT_R_MEAN), dims, keepdim: keepdim) }
    /// Maximum over `dims` (all elements when empty), without indices.
    public func amax(dims: [Int] = [], keepdim: Bool = false) throws -> Tensor { try reduce(Int32(DT_R_AMAX), dims, keepdim: keepdim) }
    /// Minimum over `dims` (all elements when empty), without indices.
    public func amin(dims: [Int] = [], keepdim: Bool = false) throws -> Tensor { try reduce(Int32(DT_R_AMIN), dims, keepdim: keepdim) }
    /// Product over one dim, or of all elements when `dim` is nil.
    public func prod(dim: Int? = nil, keepdim: Bool = false) throws -> Tensor {
        try reduce(Int32(DT_R_PROD), dim.map { [$0] } ?? [], keepdim: keepdim)
    }

    /// Maximum along `dim` with the index of each maximum.
    public func max(dim: Int, keepdim: Bool = false) throws -> (values: Tensor, indices: Tensor) {
        let (v, i) = try Tensor.makePair { a, v, i in a.reduce_indices(0, handle, Int64(dim), keepdim ? 1 : 0, v, i) }
        return (v, i)
    }
    /// Minimum along `dim` with the index of each minimum.
    public func min(dim: Int, keepdim: Bool = false) throws -> (values: Tensor, indices: Tensor) {
        let (v, i) = try Tensor.makePair { a, v, i in a.reduce_indices(1, handle, Int64(dim), keepdim ? 1 : 0, v, i) }
        return (v, i)
    }
    /// Index of the maximum along `dim` (of the flattened tensor when nil).
    public func argmax(dim: Int? = nil, keepdim: Bool = false) throws -> Tensor {
        try Tensor.make { a, out in a.arg_reduce(0, handle, dim == nil ? 0 : 1, Int64(dim ?? 0), keepdim ? 1 : 0, out) }
    }
    /// Index of the minimum along `dim` (of the flattened tensor when nil).
    public func argmin(dim: Int? = nil, keepdim: Bool = false) throws -> Tensor {
        try Tensor.make { a, out in a.arg_reduce(1, handle, dim == nil ? 0 : 1, Int64(dim ?? 0), keepdim ? 1 : 0, out) }
    }
    /// Softmax along `dim`.
    public func softmax(dim: Int) throws -> Tensor { try Tensor.make { a, out in a.softmax(0, handle, Int64(dim), out) } }
    /// Log-softmax along `dim` (numerically stable).
    public func logSoftmax(dim: Int) throws -> Tensor { try Tensor.make { a, out in a.softmax(1, handle, Int64(dim), out) } }
    /// Cumulative sum along `dim`.
    public func cumsum(dim: Int) throws -> Tensor { try Tensor.make { a, out in a.cumsum(handle, Int64(dim), out) } }

    /// The `k` largest (or smallest) elements along `dim` with their indices.
    public func topk(_ k: Int, dim: Int = -1, largest: Bool = true, sorted: Bool = true) throws -> (values: Tensor, indices: Tensor) {
        let (v, i) = try Tensor.makePair { a, v, i in a.topk(handle, Int64(k), Int64(dim), largest ? 1 : 0, sorted ? 1 : 0, v, i) }
        return (v, i)
    }
    /// Sorts along `dim`, returning values and the permutation indices.
    public func sort(dim: Int = -1, descending: Bool = false, stable: Bool = false) throws -> (values: Tensor, indices: Tensor) {
        let (v, i) = try Tensor.makePair { a, v, i in a.sort(handle, Int64(dim), descending ? 1 : 0, stable ? 1 : 0, v, i) }
        return (v, i)
    }

    /// Layer normalisation over the trailing `normalizedShape` dims, with optional affine weight and bias.
    public func layerNorm(_ normalizedShape: [Int], weight: Tensor? = nil, bias: Tensor? = nil, eps: Double = 1e-5) throws -> Tensor {
        let ns = normalizedShape.map(Int64.init)
        return try Tensor.make { a, out in
            ns.withUnsafeBufferPointer { a.layer_norm(handle, $0.baseAddress, Int32($0.count), weight?.handle, bias?.handle, eps, out) }
        }
    }

    /// Looks up rows of `weight` [vocab, dim] for integer `indices` (any shape) → [..., dim].
    public static func embedding(_ weight: Tensor, _ indices: Tensor) throws -> Tensor {
        try make { a, out in a.embedding(weight.handle, indices.handle, out) }
    }

    /// Draws `n` category indices per row from (unnormalised, non-negative) `probs`.
    public func multinomial(_ n: Int, replacement: Bool = false, generator: Generator? = nil) throws -> Tensor {
        try Tensor.make { a, out in a.multinomial(handle, Int64(n), replacement ? 1 : 0, generator?.handle, out) }
    }
}
