import CTorchABI

extension Tensor {
    /// The same elements in a new shape (one size may be -1); copies only when strides require it.
    public func reshape(_ shape: [Int]) throws -> Tensor {
        let s = shape.map(Int64.init)
        return try Tensor.make { a, out in s.withUnsafeBufferPointer { a.reshape(0, handle, $0.baseAddress, Int32($0.count), out) } }
    }
    /// A view with a new shape; fails when the strides do not allow one.
    public func view(_ shape: [Int]) throws -> Tensor {
        let s = shape.map(Int64.init)
        return try Tensor.make { a, out in s.withUnsafeBufferPointer { a.reshape(1, handle, $0.baseAddress, Int32($0.count), out) } }
    }
    /// Reorders dimensions.
    public func permute(_ dims: [Int]) throws -> Tensor {
        let s = dims.map(Int64.init)
        return try Tensor.make { a, out in s.withUnsafeBufferPointer { a.permute(handle, $0.baseAddress, Int32($0.count), out) } }
    }
    /// Swaps two dimensions.
    public func transpose(_ d0: Int, _ d1: Int) throws -> Tensor {
        try Tensor.make { a, out in a.transpose(handle, Int64(d0), Int64(d1), out) }
    }
    /// Broadcasts size-1 dimensions to `shape` without copying (-1 keeps a size).
    public func expand(_ shape: [Int]) throws -> Tensor {
        let s = shape.map(Int64.init)
        return try Tensor.make { a, out in s.withUnsafeBufferPointer { a.expand(handle, $0.baseAddress, Int32($0.count), out) } }
    }
    /// Removes size-1 dimensions (only `dim` when given).
    public func squeeze(dim: Int? = nil) throws -> Tensor {
        try Tensor.make { a, out in a.squeeze(handle, dim == nil ? 0 : 1, Int64(dim ?? 0), out) }
    }
    /// Inserts a size-1 dimension at `dim`.
    public func unsqueeze(_ dim: Int) throws -> Tensor {
        try Tensor.make { a, out in a.unsqueeze(handle, Int64(dim), out) }
    }
    /// The view of `length` elements along `dim` starting at `start`.
    public func narrow(dim: Int, start: Int, length: Int) throws -> Tensor {
        try Tensor.make { a, out in a.narrow(handle, Int64(dim), Int64(start), Int64(length), out) }
    }
    /// The view [start:end:step] along `dim` (Python slice semantics; `end` nil means to the end).
    public func slice(dim: Int, start: Int = 0, end: Int? = nil, step: Int = 1) throws -> Tensor {
        try Tensor.make { a, out in a.slice(handle, Int64(dim), Int64(start), Int64(end ?? Int(Int64.max)), Int64(step), out) }
    }
    /// The slice at `index` along `dim`, with that dimension removed.
    public func select(dim: Int, index: Int) throws -> Tensor {
        try Tensor.make { a, out in a.select(handle, Int64(dim), Int64(index), out) }
    }
    /// Entries at the integer `index` positions along `dim`.
    public func indexSelect(dim: Int, index: Tensor) throws -> Tensor {
        try Tensor.make { a, out in a.index_select(handle, Int64(dim), index.handle, out) }
    }
    /// Gathers values along `dim` at the positions in `index` (as `torch.gather`).
    public func gather(dim: Int, index: Tensor) throws -> Tensor {
        try Tensor.make { a, out in a.gather(handle, Int64(dim), index.handle, out) }
    }
    /// A copy with `src` added at `index` along `dim` (as `torch.scatter_add`).
    public func scatterAdd(dim: Int, index: Tensor, src: Tensor) throws -> Tensor {
        try Tensor.make { a, out in a.scatter_add(handle, Int64(dim), index.handle, src.handle, out) }
    }
    /// A copy with `value` where the bool `mask` is true (broadcast).
    public func maskedFill(_ mask: Tensor, _ value: Double) throws -> Tensor {
        try Tensor.make { a, out in a.masked_fill(handle, mask.handle, value, out) }
    }
    /// Elements of `a` where `condition` is true, else of `b` (broadcast).
    public static func `where`(_ condition: Tensor, _ a: Tensor, _ b: Tensor) throws -> Tensor {
        try make { api, out in api.where(condition.handle, a.handle, b.handle, out) }
    }
    /// The upper triangle (elements below `diagonal` zeroed).
    public func triu(_ diagonal: Int = 0) throws -> Tensor {
        try Tensor.make { a, out in a.triangle(1, handle, Int64(diagonal), out) }
    }
    /// The lower triangle (elements above `diagonal` zeroed).
    public func tril(_ diagonal: Int = 0) throws -> Tensor {
        try Tensor.make { a, out in a.triangle(0, handle, Int64(diagonal), out) }
    }

    /// Concatenates along an existing dimension.
    public static func cat(_ tensors: [Tensor], dim: Int = 0) throws -> Tensor { try join(tensors, dim: dim, stack: false) }
    /// Stacks along a new dimension.
    public static func stack(_ tensors: [Tensor], dim: Int = 0) throws -> Tensor { try join(tensors, dim: dim, stack: true) }

    static func join(_ tensors: [Tensor], dim: Int, stack: Bool) throws -> Tensor {
        let hs: [OpaquePointer?] = tensors.map { $0.handle }
        return try withExtendedLifetime(tensors) {
            try make { a, out in hs.withUnsafeBufferPointer { a.cat($0.baseAddress, Int32($0.count), Int64(dim), stack ? 1 : 0, out) } }
        }
    }

    /// Splits into pieces of `size` along `dim` (the last may be smaller).
    public func split(_ size: Int, dim: Int = 0) throws -> [Tensor] { try parts(size, dim: dim, chunk: false) }
    /// Splits into `n` nearly equal chunks along `dim`.
    public func chunk(_ n: Int, dim: Int = 0) throws -> [Tensor] { try parts(n, dim: dim, chunk: true) }

    func parts(_ n: Int, dim: Int, chunk: Bool) throws -> [Tensor] {
        let a = try Torch.api()
        var arr: UnsafeMutablePointer<OpaquePointer?>?
        var count: Int32 = 0
        try Torch.check(a.split(handle, Int64(n), Int64(dim), chunk ? 1 : 0, &arr, &count))
        defer { a.err_free(UnsafeMutableRawPointer(arr)?.assumingMemoryBound(to: CChar.self)) }
        return (0..<Int(count)).map { Tensor(handle: arr![$0]!) }
    }

    /// Converts to another dtype (a no-op view when it already matches).
    public func to(_ dtype: DType) throws -> Tensor { try to(dtype: dtype, device: device) }
    /// Moves to another device.
    /// - Throws: `TorchError` of kind `device` when the device is absent.
    public func to(_ device: Device) throws -> Tensor { try to(dtype: nil, device: device) }
    /// Converts dtype and device in one step (nil dtype keeps it).
    public func to(dtype: DType?, device: Device) throws -> Tensor {
        let (t, i) = device.codes
        return try Tensor.make { a, out in a.to(handle, dtype?.code ?? -1, t, i, out) }
    }

    // MARK: in place

    /// Adds `o` into this tensor in place.
    public func addInPlace(_ o: Tensor) throws { try Torch.check(try Torch.api().inplace(Int32(DT_I_ADD), handle, o.handle)) }
    /// Subtracts `o` from this tensor in place.
    public func subInPlace(_ o: Tensor) throws { try Torch.check(try Torch.api().inplace(Int32(DT_I_SUB), handle, o.handle)) }
    /// Multiplies this tensor by `o` in place.
    public func mulInPlace(_ o: Tensor) throws { try Torch.check(try Torch.api().inplace(Int32(DT_I_MUL), handle, o.handle)) }
    /// Divides this tensor by `o` in place.
    public func divInPlace(_ o: Tensor) throws { try Torch.check(try Torch.api().inplace(Int32(DT_I_DIV), handle, o.handle)) }
    /// Copies the values of `o` (broadcast) into this tensor.
    public func copyInPlace(from o: Tensor) throws { try Torch.check(try Torch.api().inplace(Int32(DT_I_COPY), handle, o.handle)) }
    /// Adds a number to every element in place.
    public func addInPlace(_ s: Double) throws { try Torch.check(try Torch.api().inplace_scalar(Int32(DT_IS_ADD), handle, s)) }
    /// Multiplies every element by a number in place.
    public func mulInPlace(_ s: Double) throws { try Torch.check(try Torch.api().inplace_scalar(Int32(DT_IS_MUL), handle, s)) }
    /// Sets every element to `s`.
    public func fillInPlace(_ s: Double) throws { try Torch.check(try Torch.api().inplace_scalar(Int32(DT_IS_FILL), handle, s)) }
    /// Sets every element to zero.
    public func zeroInPlace() throws { try Torch.check(try Torch.api().inplace_scalar(Int32(DT_IS_ZERO), handle, 0)) }
}
