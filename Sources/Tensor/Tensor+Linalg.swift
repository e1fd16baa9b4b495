import CTorchABI

extension Tensor {
    /// The thin singular value decomposition of a matrix (or a batch of matrices) [..., m, n]:
    /// `self = u · diag(s) · vh` with u [..., m, k], s [..., k] descending, vh [..., k, n], k = min(m, n)
    /// (`torch.linalg.svd(full_matrices=False)`, LAPACK's gesdd through libtorch).
    /// - Throws: `TorchError` of kind `shape` for fewer than 2 dimensions, `dtype` for integer tensors.
    /// - Complexity: O(m · n · min(m, n)) per matrix.
    public func svd() throws -> (u: Tensor, s: Tensor, vh: Tensor) {
        let a = try Torch.api()
        var u: OpaquePointer?, s: OpaquePointer?, vh: OpaquePointer?
        try Torch.check(a.svd(handle, &u, &s, &vh))
        return (Tensor(handle: u!), Tensor(handle: s!), Tensor(handle: vh!))
    }

    /// The singular values of a matrix (or a batch of matrices), descending (`torch.linalg.svdvals`).
    /// - Throws: `TorchError` of kind `shape` for fewer than 2 dimensions, `dtype` for integer tensors.
    /// - Complexity: O(m · n · min(m, n)) per matrix.
    public func singularValues() throws -> Tensor {
        try Tensor.make { a, out in a.svd(handle, nil, out, nil) }
    }
}
