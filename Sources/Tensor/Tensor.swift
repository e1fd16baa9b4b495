import CTorchABI

/// A multi-dimensional array on the CPU or a GPU, backed by a libtorch tensor.
///
/// A `Tensor` owns one backend handle and frees it when the last Swift reference goes away.
/// Dimensions are 0-based and may be negative (counted from the end), as in PyTorch.
public final class Tensor {
    let handle: OpaquePointer

    /// Wraps a handle the backend just returned; the tensor takes ownership.
    init(handle: OpaquePointer) { self.handle = handle }

    deinit {
        if case .success(let l) = Torch.state { l.api.tensor_free(handle) }
    }

    /// Calls a backend entry point that produces one tensor.
    @inline(__always)
    static func make(_ body: (dt_api, UnsafeMutablePointer<OpaquePointer?>) -> UnsafeMutablePointer<CChar>?) throws -> Tensor {
        let a = try Torch.api()
        var out: OpaquePointer?
        try Torch.check(body(a, &out))
        return Tensor(handle: out!)
    }

    /// Calls a backend entry point that produces a (values, indices) pair.
    static func makePair(_ body: (dt_api, UnsafeMutablePointer<OpaquePointer?>, UnsafeMutablePointer<OpaquePointer?>) -> UnsafeMutablePointer<CChar>?) throws -> (Tensor, Tensor) {
        let a = try Torch.api()
        var v: OpaquePointer?
        var i: OpaquePointer?
        try Torch.check(body(a, &v, &i))
        return (Tensor(handle: v!), Tensor(handle: i!))
    }

    // MARK: metadata

    /// Reads one value through a backend accessor that reports failure as an error string.
    @inline(__always)
    func query<T>(_ initial: T, _ body: (dt_api, UnsafeMutablePointer<T>) -> UnsafeMutablePointer<CChar>?) throws -> T {
        let a = try Torch.api()
        var value = initial
        try Torch.check(body(a, &value))
        return value
    }

    /// The number of dimensions (0 if the backend cannot report it, which a tensor it made never does).
    public var ndim: Int { Int((try? query(Int32(0)) { $0.ndim(handle, $1) }) ?? 0) }

    /// The size of each dimension (empty if the backend cannot report it, which a tensor it made never does).
    public var shape: [Int] { (try? (0..<ndim).map { try size($0) }) ?? [] }

    /// The stride of each dimension, in elements (empty if the backend cannot report it).
    public var strides: [Int] { (try? (0..<ndim).map { try stride($0) }) ?? [] }

    /// The size of one dimension.
    /// - Parameter dim: 0-based, or negative to count from the end.
    /// - Throws: `TorchError` of kind `index` when `dim` is outside `-ndim..<ndim`.
    public func size(_ dim: Int) throws -> Int {
        Int(try query(Int64(0)) { $0.size(handle, Int64(dim), $1) })
    }

    /// The stride of one dimension, in elements.
    /// - Parameter dim: 0-based, or negative to count from the end.
    /// - Throws: `TorchError` of kind `index` when `dim` is outside `-ndim..<ndim`.
    public func stride(_ dim: Int) throws -> Int {
        Int(try query(Int64(0)) { $0.stride(handle, Int64(dim), $1) })
    }

    /// The total number of elements (0 if the backend cannot report it).
    public var numel: Int { Int((try? query(Int64(0)) { $0.numel(handle, $1) }) ?? 0) }

    /// The element type (float32 for types outside `DType`, which the backend never creates).
    public var dtype: DType { DType(code: (try? query(Int32(0)) { $0.dtype(handle, $1) }) ?? 0) ?? .float32 }

    /// The device holding the storage.
    public var device: Device {
        guard let a = try? Torch.api() else { return .cpu }
        var t: Int32 = 0
        var i: Int32 = 0
        if let err = a.device(handle, &t, &i) {
            a.err_free(err)
            return .cpu
        }
        return Device(type: t, index: i)
    }

    /// Whether autograd tracks operations on this tensor.
    public var requiresGrad: Bool { (try? query(Int32(0)) { $0.requires_grad(handle, $1) }) == 1 }

    /// Whether this tensor is a leaf of the autograd graph (created by the user, not by an op).
    public var isLeaf: Bool { (try? query(Int32(0)) { $0.is_leaf(handle, $1) }) == 1 }

    /// Whether this tensor and `other` share storage (one is a view of the other).
    public func sharesStorage(with other: Tensor) -> Bool {
        (try? query(Int32(0)) { $0.same_storage(handle, other.handle, $1) }) == 1
    }

    /// Normalises a possibly negative dimension against `ndim` (for error messages and checks).
    func normalizedDim(_ d: Int, op: String, extra: Int = 0) throws -> Int {
        let n = ndim + extra
        let r = d < 0 ? d + Swift.max(n, 1) : d
        guard r >= 0, r < Swift.max(n, 1) else {
            throw TorchError(.index, "\(op): dimension \(d) out of range for a tensor with \(ndim) dimension(s)")
        }
        return r
    }
}

extension Tensor: CustomStringConvertible {
    /// A one-line summary: `Tensor(float32, [2, 3], cpu)` plus the values of small tensors.
    public var description: String {
        var s = "Tensor(\(dtype.rawValue), \(shape), \(device)\(requiresGrad ? ", requires_grad" : ""))"
        if numel <= 16, let v = try? formatValues(limit: 16) { s += " " + v }
        return s
    }

    /// Formats the values as nested brackets, eliding after `limit` elements.
    public func formatValues(limit: Int = 1000) throws -> String {
        let shape = self.shape
        let isInt = !dtype.isFloatingPoint
        let values = try toArray(Double.self)
        var idx = 0
        var printed = 0
        func fmt(_ x: Double) -> String {
            if dtype == .bool { return x != 0 ? "true" : "false" }
            if isInt { return String(Int64(x)) }
            if x.isNaN { return "nan" }
            if x.isInfinite { return x < 0 ? "-inf" : "inf" }
            if x == x.rounded(), Swift.abs(x) < 1e15 { return String(Int64(x)) + "." }
            var r = String(format4(x))
            if r == "-0" { r = "-0." }
            return r
        }
        func rec(_ d: Int) -> String {
            if d == shape.count {
                defer { idx += 1; printed += 1 }
                return fmt(values[idx])
            }
            var parts: [String] = []
            for _ in 0..<shape[d] {
                if printed >= limit { parts.append("…"); break }
                parts.append(rec(d + 1))
            }
            return "[" + parts.joined(separator: ", ") + "]"
        }
        return rec(0)
    }
}

/// Formats with up to 4 significant decimals, trimming zeros (no Foundation needed).
func format4(_ x: Double) -> String {
    let a = abs(x)
    if a != 0 && (a < 1e-4 || a >= 1e6) {
        var e = 0
        var m = a
        while m >= 10 { m /= 10; e += 1 }
        while m < 1 { m *= 10; e -= 1 }
        let mant = trimmed(m.rounded(toPlaces: 4))
        return (x < 0 ? "-" : "") + mant + "e" + (e < 0 ? "-" : "+") + (abs(e) < 10 ? "0" : "") + String(abs(e))
    }
    return (x < 0 ? "-" : "") + trimmed(a.rounded(toPlaces: 4))
}

private func trimmed(_ x: Double) -> String {
    let whole = Int64(x)
    var frac = Int64(((x - Double(whole)) * 10000).rounded())
    var w = whole
    if frac >= 10000 { w += 1; frac -= 10000 }
    if frac == 0 { return String(w) }
    var f = String(frac)
    while f.count < 4 { f = "0" + f }
    while f.hasSuffix("0") { f.removeLast() }
    return String(w) + "." + f
}

extension Double {
    fileprivate func rounded(toPlaces p: Int) -> Double {
        var m = 1.0
        for _ in 0..<p { m *= 10 }
        return (self * m).rounded() / m
    }
}
