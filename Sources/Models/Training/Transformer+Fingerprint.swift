// The model's content fingerprint as a string, for cache keys.

extension Transformer {
    /// A 64-bit content fingerprint of the model as 16 hex digits: its whole configuration, every
    /// weight and every LoRA adapter (names, shapes, bytes), so that two models with the same
    /// fingerprint compute the same function, adapters included.
    /// - Complexity: reads every weight once.
    /// - Throws: `TorchError` when a weight cannot be read.
    package func fingerprintHex() throws -> String { try fingerprint().hex }
}
