// One type for "the transcoders of a model", per-layer or cross-layer: what the replacement model,
// attribution and interpretation need from either.
import Foundation
import Models
import Tensor

/// The transcoders a replacement model is built from: a per-layer set (PLT) or a cross-layer
/// transcoder (CLT). Feature `(layer, f)` reads the input hook at `layer`; a PLT feature writes the
/// output hook at `layer`, a CLT feature at every layer from `layer` on.
public enum Transcoders: CustomStringConvertible {
    /// One transcoder per layer.
    case perLayer(TranscoderSet)
    /// One cross-layer transcoder.
    case crossLayer(CrossLayerTranscoder)

    /// Opens a transcoder directory (or its `config.yaml`): `model_kind: transcoder_set` gives a
    /// per-layer set, `cross_layer_transcoder` a CLT; both load lazily.
    /// - Throws: `TranscoderError` naming the file and the problem.
    public init(contentsOf path: String) throws {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else {
            throw TranscoderError(path, "no such file or directory")
        }
        let configPath = isDir.boolValue ? (path as NSString).appendingPathComponent("config.yaml") : path
        guard let data = FileManager.default.contents(atPath: configPath) else {
            throw TranscoderError(configPath, "cannot read config.yaml (a transcoder directory holds config.yaml and its layer files)")
        }
        guard let text = String(data: data, encoding: .utf8) else { throw TranscoderError(configPath, "not UTF-8") }
        let config = try TranscoderConfig.parse(text, path: configPath)
        switch config.modelKind {
        case "transcoder_set": self = .perLayer(try TranscoderSet(contentsOf: configPath))
        case "cross_layer_transcoder": self = .crossLayer(try CrossLayerTranscoder(contentsOf: (configPath as NSString).deletingLastPathComponent))
        default:
            throw TranscoderError(configPath, "model_kind \(config.modelKind) is neither transcoder_set nor cross_layer_transcoder")
        }
    }

    /// Number of layers.
    public var nLayers: Int {
        switch self {
        case .perLayer(let s): s.count
        case .crossLayer(let c): c.nLayers
        }
    }

    /// Residual width.
    public var dModel: Int {
        switch self {
        case .perLayer(let s): s.transcoders.first?.dModel ?? 0
        case .crossLayer(let c): c.dModel
        }
    }

    /// Number of features at `layer`.
    public func dTranscoder(layer: Int) -> Int {
        switch self {
        case .perLayer(let s): s[layer].dTranscoder
        case .crossLayer(let c): c.dTranscoder
        }
    }

    /// The activation function of `layer`.
    public func activation(layer: Int) -> TranscoderActivation {
        switch self {
        case .perLayer(let s): s[layer].activation
        case .crossLayer(let c): c.activation
        }
    }

    /// Hook suffix the features read (e.g. `ln2.hook_normalized`).
    public var featureInputHook: String {
        switch self {
        case .perLayer(let s): s.featureInputHook
        case .crossLayer(let c): c.featureInputHook
        }
    }

    /// Hook suffix the features write (e.g. `hook_mlp_out`).
    public var featureOutputHook: String {
        switch self {
        case .perLayer(let s): s.featureOutputHook
        case .crossLayer(let c): c.featureOutputHook
        }
    }

    /// Whether features write to later layers too.
    public var isCrossLayer: Bool { if case .crossLayer = self { true } else { false } }

    /// Extra config keys (e.g. `scan`, `model_name`).
    public var extra: [String: String] {
        switch self {
        case .perLayer(let s): s.extra
        case .crossLayer(let c): c.extra
        }
    }

    /// Pre-activations of `layer`'s features for its input `x` `[..., d_model]`.
    public func preActivations(_ x: Tensor, layer: Int) throws -> Tensor {
        switch self {
        case .perLayer(let s): return try s[layer].preActivations(x)
        case .crossLayer(let c):
            let w = try c.wEnc(layer: layer)
            return try (x.dtype == w.dtype ? x : x.to(w.dtype)).linear(w, bias: try c.bEnc(layer: layer))
        }
    }

    /// Activations of `layer`'s features for its input `x` `[..., d_model]`.
    public func encode(_ x: Tensor, layer: Int) throws -> Tensor {
        switch self {
        case .perLayer(let s): try s[layer].encode(x)
        case .crossLayer(let c): try c.encode(x, layer: layer)
        }
    }

    /// Pre-activations `x·W_encᵀ + b_enc` computed in float32 (weights cast): attribution's readouts,
    /// so that with bfloat16/float16 weights they match its float32 reverse sweep. Equal to
    /// `preActivations` for float32 weights.
    package func preActivationsFloat32(_ x: Tensor, layer: Int) throws -> Tensor {
        let (w, b): (Tensor, Tensor)
        switch self {
        case .perLayer(let s): (w, b) = (try s[layer].wEnc, try s[layer].bEnc)
        case .crossLayer(let c): (w, b) = (try c.wEnc(layer: layer), try c.bEnc(layer: layer))
        }
        return try x.to(.float32).linear(w.to(.float32), bias: b.to(.float32))
    }

    /// Applies `layer`'s activation function to pre-activations `z`.
    public func activate(_ z: Tensor, layer: Int) throws -> Tensor {
        switch self {
        case .perLayer(let s): try s[layer].activation.apply(z, threshold: try s[layer].threshold)
        case .crossLayer(let c): try c.activation.apply(z, threshold: try c.threshold(layer: layer))
        }
    }

    /// Every layer's output from every layer's activations: `b_dec + Σ decoded (+ skip(input))`.
    /// - Parameters:
    ///   - activations: `n_layers` tensors `[..., d_tc]`.
    ///   - inputs: the inputs of each layer (for skip connections; nil when none are needed).
    public func outputs(activations: [Tensor], inputs: [Tensor]?) throws -> [Tensor] {
        switch self {
        case .perLayer(let s):
            return try (0..<s.count).map { l in
                let y = try s[l].decode(activations[l])
                if let x = inputs?[l], let sk = try s[l].skip(x) { return try y + sk }
                return y
            }
        case .crossLayer(let c): return try c.decode(activations)
        }
    }

    /// Decoder vectors `[n, d_model]` that features `features` (int64 `[n]`) of `sourceLayer` write
    /// at `outputLayer` (≥ `sourceLayer` for a CLT, equal for a PLT).
    public func decoderVectors(sourceLayer: Int, _ features: Tensor, outputLayer: Int) throws -> Tensor {
        switch self {
        case .perLayer(let s):
            precondition(sourceLayer == outputLayer, "a per-layer transcoder writes only to its own layer")
            return try s[sourceLayer].decoderVectors(features)
        case .crossLayer(let c):
            // Only the rows for this output layer: n × d, not n × (n_layers − source) × d.
            return try c.wDec(layer: sourceLayer).select(dim: 1, index: outputLayer - sourceLayer).indexSelect(dim: 0, index: features)
        }
    }

    /// Output layers a feature of `layer` writes to.
    public func outputLayers(of layer: Int) -> Range<Int> { isCrossLayer ? layer..<nLayers : layer..<(layer + 1) }

    /// Encoder vectors `[n, d_model]` of `features` (int64 `[n]`) at `layer`.
    public func encoderVectors(layer: Int, _ features: Tensor) throws -> Tensor {
        switch self {
        case .perLayer(let s): try s[layer].encoderVectors(features)
        case .crossLayer(let c): try c.wEnc(layer: layer).indexSelect(dim: 0, index: features)
        }
    }

    /// Full decoder matrix `[d_tc, d_model]` of `sourceLayer` writing at `outputLayer`.
    public func decoder(sourceLayer: Int, outputLayer: Int) throws -> Tensor {
        switch self {
        case .perLayer(let s):
            precondition(sourceLayer == outputLayer, "a per-layer transcoder writes only to its own layer")
            return try s[sourceLayer].wDec
        case .crossLayer(let c): return try c.wDec(layer: sourceLayer).select(dim: 1, index: outputLayer - sourceLayer)
        }
    }

    /// The decoder bias `[d_model]` added at output `layer`.
    public func bDec(layer: Int) throws -> Tensor {
        switch self {
        case .perLayer(let s): try s[layer].bDec
        case .crossLayer(let c): try c.bDec(layer: layer)
        }
    }

    /// The skip matrix `[d_model, d_model]` of `layer` (output += input·W_skipᵀ), or nil.
    public func skipMatrix(layer: Int) throws -> Tensor? {
        switch self {
        case .perLayer(let s): try s[layer].wSkip
        case .crossLayer: nil
        }
    }

    /// Drops materialised weights of file-backed transcoders.
    public func release() {
        switch self {
        case .perLayer(let s): s.release()
        case .crossLayer(let c): c.release()
        }
    }

    /// Checks that the transcoders fit `model` (layers, width, hooks).
    public func validate(for model: Transformer) throws {
        switch self {
        case .perLayer(let s): try s.validate(for: model)
        case .crossLayer(let c): try c.validate(for: model)
        }
    }

    /// Writes them in circuit-tracer's layout.
    public func save(to path: String) throws {
        switch self {
        case .perLayer(let s): try s.save(to: path)
        case .crossLayer(let c): try c.save(to: path)
        }
    }

    /// One line describing the set.
    public var description: String {
        switch self {
        case .perLayer(let s): s.description
        case .crossLayer(let c): c.description
        }
    }
}
