// Attribution graphs cached in the store, keyed by what determines them: the model's and the
// transcoders' weights (content fingerprints), the tokens, the BOS handling and the options.
import Foundation
import JSON
import Store

extension Attribution {
    /// Store entry kind of cached graphs.
    public static let cacheKind = "attribution_graph"

    /// The store key of the graph `attribute(tokens, rm, options:, prompt:)` would build.
    /// - Complexity: fingerprints every weight of the model and the transcoders.
    /// - Throws: `TorchError` or `TranscoderError` when a weight cannot be read.
    public static func cacheKey(_ tokens: [Int], _ rm: ReplacementModel, options o: AttributionOptions,
                                prompt: String? = nil) throws -> String {
        var desc: [String: CanonicalValue] = [
            "kind": .string(cacheKind), "version": .int(1),
            "model": .string(try rm.model.fingerprintHex()), "transcoders": .string(try rm.transcoders.fingerprint()),
            "tokens": .array(tokens.map { .int(Int64($0)) }), "zero_positions": .int(Int64(rm.zeroPositions)),
            "max_n_logits": .int(Int64(o.maxNLogits)), "desired_logit_prob": .double(o.desiredLogitProb),
            "batch_size": .int(Int64(o.batchSize)), "update_interval": .int(Int64(o.updateInterval)),
            "sum_check": .bool(o.sumCheck),
        ]
        if let m = o.maxFeatureNodes { desc["max_feature_nodes"] = .int(Int64(m)) }
        if let t = o.targetTokens { desc["targets"] = .array(t.map { .int(Int64($0)) }) }
        if let prompt { desc["prompt"] = .string(prompt) }
        return try Store.key(for: .object(desc))
    }

    /// The graph of `tokens`, read from `store` when it was attributed before with the same model,
    /// transcoders, tokens and options (``AttributionGraph/isFromCache`` is then true); otherwise
    /// attributed with `attribute` and written to the store. A cancelled attribution writes nothing.
    /// - Throws: as `attribute`; `StoreError` when the store cannot be read or written; `GraphError`
    ///   when the entry under the key is not a graph or is unreadable.
    public static func cached(in store: Store, _ tokens: [Int], _ rm: ReplacementModel,
                              options: AttributionOptions = AttributionOptions(), prompt: String? = nil,
                              progress: ((AttributionProgress) -> Void)? = nil,
                              shouldStop: (() -> Bool)? = nil) throws -> AttributionGraph {
        let key = try cacheKey(tokens, rm, options: options, prompt: prompt)
        if let entry = try store.get(key) {
            guard entry.kind == cacheKind else { throw GraphError("store entry \(key) is a \(entry.kind), not an \(cacheKind)") }
            let g = try AttributionGraph(serialized: entry.bytes)
            g.isFromCache = true
            return g
        }
        let g = try attribute(tokens, rm, options: options, prompt: prompt, progress: progress, shouldStop: shouldStop)
        try store.put(key, kind: cacheKind, bytes: try g.serialized())
        return g
    }
}

extension AttributionGraph {
    /// The bytes of the graph's file (see `save(to:)`).
    /// - Throws: `GraphError`/`SafeTensorsError` when the temporary file cannot be written or read.
    public func serialized() throws -> [UInt8] {
        let path = NSTemporaryDirectory() + "discern-graph-\(UUID().uuidString).safetensors"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try save(to: path)
        guard let d = FileManager.default.contents(atPath: path) else { throw GraphError("cannot read back \(path)") }
        return Array(d)
    }

    /// A graph from the bytes of its file (``serialized()``).
    /// - Throws: `GraphError` for bytes that are not a graph file.
    public convenience init(serialized bytes: [UInt8]) throws {
        let path = NSTemporaryDirectory() + "discern-graph-\(UUID().uuidString).safetensors"
        defer { try? FileManager.default.removeItem(atPath: path) }
        do { try Data(bytes).write(to: URL(fileURLWithPath: path)) } catch {
            throw GraphError("cannot write \(path): \(error.localizedDescription)")
        }
        do { try self.init(contentsOf: path) } catch let e as GraphError {
            throw e
        } catch {
            throw GraphError("the bytes are not a Discern attribution graph (\(error))")
        }
    }
}
