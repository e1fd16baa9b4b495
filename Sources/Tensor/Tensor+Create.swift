import CTorchABI

/// A Swift element type that maps onto a tensor dtype.
public protocol TensorScalar {
    /// The dtype with this element layout.
    static var dtype: DType { get }
}
extension Float: TensorScalar { public static var dtype: DType { .float32 } }
extension Double: TensorScalar { public static var dtype: DType { .float64 } }
extension Int64: TensorScalar { public static var dtype: DType { .int64 } }
extension Int32: TensorScalar { public static var dtype: DType { .int32 } }
extension Bool: TensorScalar { public static var dtype: DType { .bool } }
extension UInt8: TensorScalar { public static var dtype: DType { .uint8 } }

extension Tensor {
    static func checkShape(_ shape: [Int], op: String) throws -> [Int64] {
        for s in shape where s < 0 {
            throw TorchError(.shape, "\(op): negative size \(s) in shape \(shape)")
        }
        return shape.map(Int64.init)
    }

    /// Creates a tensor by copying `data` laid out row-major in `shape`.
    /// - Throws: `TorchError` of kind `shape` when `data.count` is not the product of `shape`.
    public convenience init<T: TensorScalar>(_ data: [T], shape: [Int]) throws {
        let dims = try Tensor.checkShape(shape, op: "tensor")
        let n = shape.reduce(1, *)
        guard n == data.count else {
            throw TorchError(.shape, "tensor: \(data.count) values do not fill shape \(shape) (\(n) elements)")
        }
        let a = try Torch.api()
        var out: OpaquePointer?
        try data.withUnsafeBytes { d in
            try dims.withUnsafeBufferPointer { s in
                try Torch.check(a.from_data(d.baseAddress, T.dtype.code, s.baseAddress, Int32(s.count), &out))
            }
        }
        self.init(handle: out!)
    }

    /// Creates a 1-D tensor from `data`.
    public convenience init<T: TensorScalar>(_ data: [T]) throws {
        try self.init(data, shape: [data.count])
    }

    /// Creates a tensor over memory someone else owns, without copying.
    ///
    /// `owner` is retained until the backend releases the storage (the last view of it is freed).
    /// - Parameters:
    ///   - pointer: the first element; must stay valid while `owner` is alive.
    ///   - dtype: element type of the memory.
    ///   - shape: row-major shape.
    ///   - owner: the object keeping the memory alive (a mapped file, a Swift buffer class…).
    public convenience init(borrowing pointer: UnsafeMutableRawPointer, dtype: DType, shape: [Int], owner: AnyObject) throws {
        let dims = try Tensor.checkShape(shape, op: "tensor")
        let a = try Torch.api()
        let ctx = Unmanaged.passRetained(owner).toOpaque()
        var out: OpaquePointer?
        let err = dims.withUnsafeBufferPointer { s in
            a.from_blob(pointer, dtype.code, s.baseAddress, Int32(s.count), { ctx in
                if let ctx { Unmanaged<AnyObject>.fromOpaque(ctx).release() }
            }, ctx, &out)
        }
        if err != nil { Unmanaged<AnyObject>.fromOpaque(ctx).release() }
        try Torch.check(err)
        self.init(handle: out!)
    }

    /// Creates a tensor of `shape` filled with `value`.
    public static func full(_ shape: [Int], _ value: Double, dtype: DType = .float32, device: Device = .cpu) throws -> Tensor {
        let dims = try checkShape(shape, op: "full")
        let (t, i) = device.codes
        return try make { a, out in dims.withUnsafeBufferPointer { a.full($0.baseAddress, Int32($0.count), value, dtype.code, t, i, out) } }
    }

    /// Creates a tensor of zeros.
    public static func zeros(_ shape: [Int], dtype: DType = .float32, device: Device = .cpu) throws -> Tensor {
        try full(shape, 0, dtype: dtype, device: device)
    }

    /// Creates a tensor of ones.
    public static func ones(_ shape: [Int], dtype: DType = .float32, device: Device = .cpu) throws -> Tensor {
        try full(shape, 1, dtype: dtype, device: device)
    }

    /// Creates a 0-dimensional tensor holding `value`.
    public static func scalar(_ value: Double, dtype: DType = .float32, device: Device = .cpu) throws -> Tensor {
        try full([], value, dtype: dtype, device: device)
    }

    /// Creates the 1-D range [start, end) with `step` (as `torch.arange`).
    public static func arange(_ start: Double, _ end: Double, step: Double = 1, dtype: DType = .int64, device: Device = .cpu) throws -> Tensor {
        let (t, i) = device.codes
        return try make { a, out in a.arange(start, end, step, dtype.code, t, i, out) }
    }

    /// Draws a tensor of uniform samples in [0, 1) (`generator` nil: the global generator).
    public static func rand(_ shape: [Int], dtype: DType = .float32, device: Device = .cpu, generator: Generator? = nil) throws -> Tensor {
        try random(kind: 0, shape, dtype: dtype, device: device, generator: generator)
    }

    /// Draws a tensor of standard normal samples (`generator` nil: the global generator).
    public static func randn(_ shape: [Int], dtype: DType = .float32, device: Device = .cpu, generator: Generator? = nil) throws -> Tensor {
        try random(kind: 1, shape, dtype: dtype, device: device, generator: generator)
    }

    static func random(kind: Int32, _ shape: [Int], dtype: DType, device: Device, generator: Generator?) throws -> Tensor {
        let dims = try checkShape(shape, op: kind == 0 ? "rand" : "randn")
        let (t, i) = device.codes
        return try make { a, out in
            dims.withUnsafeBufferPointer { a.random(kind, $0.baseAddress, Int32($0.count), dtype.code, t, i, generator?.handle, out) }
        }
    }

    // MARK: data out

    /// Copies the elements out (row-major), converted to `T`.
    public func toArray<T: TensorScalar>(_ type: T.Type) throws -> [T] {
        let a = try Torch.api()
        let n = numel
        var buf = [T](unsafeUninitializedCapacity: n) { _, count in count = n }
        try buf.withUnsafeMutableBytes { b in
            try Torch.check(a.copy_out(handle, T.dtype.code, b.baseAddress, Int64(b.count)))
        }
        return buf
    }

    /// Copies the elements out as `Float`s.
    public func floats() throws -> [Float] { try toArray(Float.self) }

    /// Copies the elements out as `Double`s.
    public func doubles() throws -> [Double] { try toArray(Double.self) }

    /// The value of a one-element tensor as a `Double`.
    /// - Throws: `TorchError` when the tensor does not have exactly one element.
    public func item() throws -> Double {
        var v = 0.0
        try Torch.check(try Torch.api().item(handle, &v))
        return v
    }

    /// The value of a one-element tensor as an `Int64`.
    public func itemInt() throws -> Int64 {
        var v: Int64 = 0
        try Torch.check(try Torch.api().item_int64(handle, &v))
        return v
    }
}

extension Tensor {
    /// Creates a tensor from raw little-endian bytes of `dtype` laid out row-major in `shape`.
    /// - Throws: `TorchError` of kind `shape` when the byte count does not match.
    public convenience init(rawBytes: [UInt8], dtype: DType, shape: [Int]) throws {
        let dims = try Tensor.checkShape(shape, op: "tensor")
        let n = shape.reduce(1, *)
        guard n * dtype.byteSize == rawBytes.count else {
            throw TorchError(.shape, "tensor: \(rawBytes.count) bytes do not hold shape \(shape) of \(dtype.rawValue) (\(n * dtype.byteSize) bytes)")
        }
        let a = try Torch.api()
        var out: OpaquePointer?
        try rawBytes.withUnsafeBytes { d in
            try dims.withUnsafeBufferPointer { s in
                try Torch.check(a.from_data(d.baseAddress, dtype.code, s.baseAddress, Int32(s.count), &out))
            }
        }
        self.init(handle: out!)
    }

    /// The elements as raw bytes in the tensor's own dtype (row-major, copied to the CPU).
    public func rawBytes() throws -> [UInt8] {
        let a = try Torch.api()
        var buf = [UInt8](repeating: 0, count: numel * dtype.byteSize)
        try buf.withUnsafeMutableBytes { b in
            try Torch.check(a.copy_out(handle, dtype.code, b.baseAddress, Int64(b.count)))
        }
        return buf
    }
}
