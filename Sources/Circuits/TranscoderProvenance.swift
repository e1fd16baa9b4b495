// Which model a transcoder set was made for: recorded in the config.yaml Discern writes, checked
// when the set is paired with a model.
import Foundation
import Models

/// The model transcoders were trained on, as Discern records it in `config.yaml` (keys
/// circuit-tracer ignores): `model_type`, `n_layers`, `d_model` and `model_fingerprint`, Discern's
/// 64-bit content fingerprint of the model's config, weights and adapters.
public struct TranscoderProvenance: Sendable, Equatable {
    /// The model's `model_type` (`gpt2`, `llama`, …).
    public var modelType: String
    /// The model's number of layers.
    public var nLayers: Int
    /// The model's residual width.
    public var dModel: Int
    /// The model's content fingerprint (16 hex digits).
    public var fingerprint: String

    /// The provenance of `model`.
    /// - Complexity: reads every weight once (the fingerprint).
    /// - Throws: `TorchError` when a weight cannot be read.
    public init(model: Transformer) throws {
        try self.init(model: model, fingerprint: model.fingerprintHex())
    }

    /// The provenance of `model` with its fingerprint already computed.
    package init(model: Transformer, fingerprint: String) {
        modelType = model.config.modelType
        nLayers = model.config.nLayers
        dModel = model.config.dModel
        self.fingerprint = fingerprint
    }

    /// The `config.yaml` keys that record it.
    public var configKeys: [String: String] {
        ["model_type": modelType, "n_layers": String(nLayers), "d_model": String(dModel), "model_fingerprint": fingerprint]
    }
}

extension Transcoders {
    /// Checks the model the transcoders' config says they were made for against `model`: a
    /// different `model_type`, `n_layers` or `d_model` is an error; a different `model_fingerprint`
    /// (other weights, adapters or dtype) is returned as a warning. Configs without these keys (those
    /// circuit-tracer writes) pass; `validate(for:)` checks layers, width and hooks in every case.
    /// - Returns: the warning, or nil.
    /// - Complexity: fingerprints the model when the config records a fingerprint.
    /// - Throws: `TranscoderError` (path `"<transcoder set>"`) naming the key and both values;
    ///   `TorchError` when a weight cannot be read.
    public func checkProvenance(for model: Transformer) throws -> String? {
        let c = model.config
        if let t = extra["model_type"], t != c.modelType {
            throw TranscoderError("<transcoder set>", "was made for a \(t) model (model_type in its config.yaml), not this \(c.modelType) model")
        }
        for (key, value) in [("n_layers", c.nLayers), ("d_model", c.dModel)] {
            if let v = extra[key], v != String(value) {
                throw TranscoderError("<transcoder set>", "was made for a model with \(key) \(v) (its config.yaml), this model has \(value)")
            }
        }
        guard let stated = extra["model_fingerprint"] else { return nil }
        let actual = try model.fingerprintHex()
        guard stated != actual else { return nil }
        return "the transcoders were trained on a model with fingerprint \(stated) (model_fingerprint in their config.yaml); "
            + "this \(c.modelType) model's fingerprint is \(actual) (other weights, adapters or dtype): expected for a fine-tune traced with its base model's transcoders, "
            + "otherwise features may not mean what they did"
    }
}

/// Warnings printed to standard error once per process and message.
package enum OnceWarnings {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var printed = Set<String>()

    /// Prints `discern: warning: <message>` unless the same message was printed before.
    package static func emit(_ message: String) {
        lock.lock()
        let new = printed.insert(message).inserted
        lock.unlock()
        if new { FileHandle.standardError.write(Data("discern: warning: \(message)\n".utf8)) }
    }
}
