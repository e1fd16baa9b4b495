import CTorchABI

/// A seeded random number generator owned by the backend; the same seed gives the same draws.
public final class Generator {
    let handle: OpaquePointer

    /// Creates a generator seeded with `seed` on `device`.
    /// - Throws: `TorchError` (kind `device` when the device is absent).
    public init(seed: UInt64, device: Device = .cpu) throws {
        let a = try Torch.api()
        var out: OpaquePointer?
        let (t, i) = device.codes
        try Torch.check(a.generator_new(seed, t, i, &out))
        handle = out!
    }

    deinit {
        if let a = try? Torch.api() { a.generator_free(handle) }
    }
}
