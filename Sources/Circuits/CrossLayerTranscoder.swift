import Foundation
import Models
import Tensor

/// A cross-layer transcoder (CLT) in circuit-tracer's layout: a feature at layer `l` reads that
/// layer's input and writes to every output layer `l' ≥ l`.
///
/// Per layer `i`: `W_enc_i [d_tc, d_model]`, `b_enc_i [d_tc]`, `b_dec_i [d_model]` (the bias of
/// output layer `i`), optional `threshold_i [d_tc]` (JumpReLU, else ReLU), and
/// `W_dec_i [d_tc, n_layers − i, d_model]`. On disk: `W_enc_{i}.safetensors` holds the first four,
/// `W_dec_{i}.safetensors` the decoder. File-backed weights are materialised per layer on first use
/// and dropped by `release()`. circuit-tracer neither saves nor loads a CLT skip connection, so
/// none is supported here.
public final class CrossLayerTranscoder {
    /// Number of layers.
    public let nLayers: Int
    /// Residual width (`d_model`).
    public let dModel: Int
    /// Features per layer (`d_tc`).
    public let dTranscoder: Int
    /// `.relu` or `.jumpReLU` (per-layer thresholds).
    public let activation: TranscoderActivation
    /// Hook read, relative to a block (circuit-tracer's default `hook_resid_mid`).
    public let featureInputHook: String
    /// Hook written, relative to a block (default `hook_mlp_out`).
    public let featureOutputHook: String
    /// Other `config.yaml` scalars.
    public let extra: [String: String]

    private let loader: ((String) throws -> Tensor)?
    private var resident: [String: Tensor] = [:]

    /// Creates an in-memory CLT from per-layer weights.
    /// - Parameters:
    ///   - wEnc: `n_layers` encoders `[d_tc, d_model]`; `bEnc`: `[d_tc]` each; `bDec`: `[d_model]` each.
    ///   - wDec: decoder of layer `i`: `[d_tc, n_layers − i, d_model]`.
    ///   - threshold: JumpReLU thresholds `[d_tc]` per layer, or nil for ReLU.
    /// - Throws: `TranscoderError` (path `"<memory>"`) on inconsistent shapes or counts.
    public init(wEnc: [Tensor], bEnc: [Tensor], bDec: [Tensor], wDec: [Tensor], threshold: [Tensor]? = nil,
                featureInputHook: String = "hook_resid_mid", featureOutputHook: String = "hook_mlp_out",
                extra: [String: String] = [:]) throws {
        var shapes: [String: [Int]] = [:]
        var r: [String: Tensor] = [:]
        let n = wEnc.count
        guard bEnc.count == n, bDec.count == n, wDec.count == n, threshold.map({ $0.count == n }) ?? true else {
            throw TranscoderError("<memory>", "CLT needs the same number of W_enc, b_enc, b_dec, W_dec (and threshold) entries")
        }
        for i in 0..<n {
            r["W_enc_\(i)"] = wEnc[i]; r["b_enc_\(i)"] = bEnc[i]; r["b_dec_\(i)"] = bDec[i]; r["W_dec_\(i)"] = wDec[i]
            r["threshold_\(i)"] = threshold?[i]
        }
        for (k, v) in r { shapes[k] = v.shape }
        (nLayers, dModel, dTranscoder) = try Self.validate(shapes, path: "<memory>")
        activation = threshold == nil ? .relu : .jumpReLU
        self.featureInputHook = featureInputHook
        self.featureOutputHook = featureOutputHook
        self.extra = extra
        loader = nil
        resident = r
    }

    /// Opens a circuit-tracer CLT directory lazily (only safetensors headers are read now).
    ///
    /// Layers are `W_enc_0.safetensors`, `W_enc_1.safetensors`, … with matching `W_dec_{i}` files.
    /// An optional `config.yaml` (`model_kind: cross_layer_transcoder`) gives the hooks; without
    /// it circuit-tracer's `load_clt` defaults apply (`hook_resid_mid` → `hook_mlp_out`). Its
    /// `activation` and size keys (`n_layers`, `d_model`, `d_transcoder`/`width`) must match the files.
    /// - Throws: `TranscoderError` naming the file and the problem.
    public convenience init(contentsOf path: String) throws {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir), isDir.boolValue else {
            throw TranscoderError(path, "is not a directory (a CLT is a directory of W_enc_{i}/W_dec_{i} safetensors files)")
        }
        let dir = path as NSString
        var input = "hook_resid_mid", output = "hook_mlp_out"
        var extra: [String: String] = [:]
        let cfg = dir.appendingPathComponent("config.yaml")
        var config: TranscoderConfig?
        if FileManager.default.fileExists(atPath: cfg) {
            try requireRegularFile(cfg) { TranscoderError(cfg, $0) }
            guard let data = FileManager.default.contents(atPath: cfg), let text = String(data: data, encoding: .utf8) else {
                throw TranscoderError(cfg, "cannot read as UTF-8")
            }
            let c = try TranscoderConfig.parse(text, path: cfg)
            guard c.modelKind == "cross_layer_transcoder" else {
                throw TranscoderError(cfg, "model_kind is \(c.modelKind); open it with TranscoderSet")
            }
            if c.transcoders != nil { throw TranscoderError(cfg, "a \"transcoders\" list (GemmaScope-2 CLT) is not supported") }
            (input, output, extra) = (c.featureInputHook, c.featureOutputHook, c.extra)
            config = c
        }
        var files: [String: SafeTensorsFile] = [:]
        var owner: [String: String] = [:]
        var shapes: [String: [Int]] = [:]
        var n = 0
        while FileManager.default.fileExists(atPath: dir.appendingPathComponent("W_enc_\(n).safetensors")) { n += 1 }
        guard n > 0 else { throw TranscoderError(path, "has no W_enc_0.safetensors") }
        for i in 0..<n {
            for (stem, allowed) in [("W_enc", ["W_enc_\(i)", "b_enc_\(i)", "b_dec_\(i)", "threshold_\(i)"]), ("W_dec", ["W_dec_\(i)"])] {
                let file = dir.appendingPathComponent("\(stem)_\(i).safetensors")
                guard FileManager.default.fileExists(atPath: file) else { throw TranscoderError(file, "missing (layer \(i) of \(n))") }
                try requireRegularFile(file) { TranscoderError(file, $0) }
                let f: SafeTensorsFile
                do { f = try SafeTensorsFile(path: file) } catch let e as SafeTensorsError {
                    throw TranscoderError(file, "not a valid safetensors file (\(e.message))")
                }
                files[file] = f
                for e in f.header.entries {
                    guard allowed.contains(e.name) else { throw TranscoderError(file, "unexpected tensor \"\(e.name)\"") }
                    shapes[e.name] = e.shape
                    owner[e.name] = file
                }
                for name in allowed where name != "threshold_\(i)" && shapes[name] == nil {
                    throw TranscoderError(file, "missing tensor \"\(name)\"")
                }
            }
        }
        try self.init(shapes: shapes, path: path, input: input, output: output, extra: extra) { name in
            try files[owner[name]!]!.tensor(name)
        }
        if let config {
            switch try config.activation(path: cfg) {
            case nil: break
            case .topK?: throw TranscoderError(cfg, "activation is topk, but a cross-layer transcoder has no TopK form")
            case let named?:
                guard named == activation else {
                    throw TranscoderError(cfg, "activation is \(config.extra["activation"]!), but the W_enc files \(activation == .jumpReLU ? "hold" : "lack") JumpReLU thresholds")
                }
            }
            try config.checkSizes(nLayers: nLayers, dModel: dModel, width: dTranscoder, path: cfg, files: "the W_enc/W_dec files")
        }
    }

    private init(shapes: [String: [Int]], path: String, input: String, output: String, extra: [String: String],
                 loader: @escaping (String) throws -> Tensor) throws {
        (nLayers, dModel, dTranscoder) = try Self.validate(shapes, path: path)
        activation = shapes["threshold_0"] == nil ? .relu : .jumpReLU
        featureInputHook = input
        featureOutputHook = output
        self.extra = extra
        self.loader = loader
    }

    static func validate(_ s: [String: [Int]], path: String) throws -> (Int, Int, Int) {
        guard let enc0 = s["W_enc_0"], enc0.count == 2 else {
            throw TranscoderError(path, "W_enc_0 missing or not [d_tc, d_model]")
        }
        let (dt, dm) = (enc0[0], enc0[1])
        var n = 0
        while s["W_enc_\(n)"] != nil { n += 1 }
        let jump = s["threshold_0"] != nil
        for i in 0..<n {
            let want: [(String, [Int])] = [("W_enc_\(i)", [dt, dm]), ("b_enc_\(i)", [dt]), ("b_dec_\(i)", [dm]),
                                           ("W_dec_\(i)", [dt, n - i, dm])] + (jump ? [("threshold_\(i)", [dt])] : [])
            for (name, shape) in want {
                guard let got = s[name] else { throw TranscoderError(path, "missing tensor \"\(name)\"") }
                guard got == shape else {
                    throw TranscoderError(path, "\(name) has shape \(got), expected \(shape) (n_layers \(n), d_tc \(dt), d_model \(dm))")
                }
            }
            if !jump, s["threshold_\(i)"] != nil { throw TranscoderError(path, "threshold_\(i) present but threshold_0 is not") }
        }
        return (n, dm, dt)
    }

    private func param(_ name: String) throws -> Tensor {
        if let t = resident[name] { return t }
        guard let loader else { preconditionFailure("CLT parameter \(name) missing") }
        let t = try loader(name)
        resident[name] = t
        return t
    }

    /// Encoder of `layer`, `[d_tc, d_model]`, loaded on first use.
    public func wEnc(layer: Int) throws -> Tensor { try param("W_enc_\(layer)") }
    /// Encoder bias of `layer`, `[d_tc]`.
    public func bEnc(layer: Int) throws -> Tensor { try param("b_enc_\(layer)") }
    /// Decoder bias of output layer `layer`, `[d_model]`.
    public func bDec(layer: Int) throws -> Tensor { try param("b_dec_\(layer)") }
    /// Decoder of source layer `layer`, `[d_tc, n_layers − layer, d_model]` (slot `j` writes to layer `layer + j`).
    public func wDec(layer: Int) throws -> Tensor { try param("W_dec_\(layer)") }
    /// JumpReLU thresholds of `layer`, `[d_tc]`, or nil for ReLU.
    public func threshold(layer: Int) throws -> Tensor? { activation == .jumpReLU ? try param("threshold_\(layer)") : nil }

    /// Whether any weight is currently materialised.
    public var isResident: Bool { !resident.isEmpty }

    /// Drops materialised weights of a file-backed CLT; they reload on next use.
    public func release() { if loader != nil { resident.removeAll() } }

    /// TransformerLens name of the hook read at `layer`.
    public func inputHook(layer: Int) -> String { "blocks.\(layer).\(featureInputHook)" }

    /// TransformerLens name of the hook written at `layer`.
    public func outputHook(layer: Int) -> String { "blocks.\(layer).\(featureOutputHook)" }

    /// Features of `layer` for its input `x` `[..., d_model]`: `σ(x·W_encᵀ + b_enc)`, `[..., d_tc]`.
    /// - Throws: `TorchError` on a shape mismatch.
    public func encode(_ x: Tensor, layer: Int) throws -> Tensor {
        let w = try wEnc(layer: layer)
        let z = try (x.dtype == w.dtype ? x : x.to(w.dtype)).linear(w, bias: try bEnc(layer: layer))
        return try activation.apply(z, threshold: try threshold(layer: layer))
    }

    /// Decoder vectors of `features` (int64 ids `[n]`) of source `layer`: `[n, n_layers − layer, d_model]`,
    /// row `j` of each writing to layer `layer + j`. Only those rows of the mapped file are read.
    /// - Throws: `TorchError` for ids out of range.
    public func decoderVectors(layer: Int, _ features: Tensor) throws -> Tensor {
        try wDec(layer: layer).indexSelect(dim: 0, index: features)
    }

    /// Outputs of every layer from every layer's features: `out[l'] = b_dec[l'] + Σ_{l ≤ l'} a_l · W_dec_l[:, l' − l]`.
    /// - Parameter features: `n_layers` tensors `[..., d_tc]`.
    /// - Throws: `TranscoderError` for a wrong count; `TorchError` on a shape mismatch.
    public func decode(_ features: [Tensor]) throws -> [Tensor] {
        guard features.count == nLayers else {
            throw TranscoderError("<memory>", "CLT decode needs \(nLayers) feature tensors, got \(features.count)")
        }
        var outs: [Tensor] = []
        for target in 0..<nLayers {
            var y = try bDec(layer: target)
            for source in 0...target {
                y = try y + features[source].matmul(try wDec(layer: source).select(dim: 1, index: target - source))
            }
            outs.append(y)
        }
        return outs
    }

    /// Encodes each layer's input and decodes: the CLT's reconstruction of every layer's output.
    /// - Parameter inputs: `n_layers` tensors `[..., d_model]`.
    /// - Throws: `TranscoderError` for a wrong count; `TorchError` on a shape mismatch.
    public func callAsFunction(_ inputs: [Tensor]) throws -> [Tensor] {
        guard inputs.count == nLayers else {
            throw TranscoderError("<memory>", "CLT needs \(nLayers) inputs, got \(inputs.count)")
        }
        return try decode(try inputs.enumerated().map { try encode($0.element, layer: $0.offset) })
    }

    /// Writes the CLT to directory `path` in circuit-tracer's layout (`W_enc_{i}` / `W_dec_{i}`
    /// safetensors files) plus a `config.yaml` with `model_kind: cross_layer_transcoder`.
    /// - Throws: `TranscoderError` or `SafeTensorsError` when writing fails.
    public func save(to path: String) throws {
        do { try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true) } catch {
            throw TranscoderError(path, "cannot create directory: \(error)")
        }
        let dir = path as NSString
        for i in 0..<nLayers {
            var enc = ["W_enc_\(i)": try wEnc(layer: i), "b_enc_\(i)": try bEnc(layer: i), "b_dec_\(i)": try bDec(layer: i)]
            enc["threshold_\(i)"] = try threshold(layer: i)
            try SafeTensors.write(enc, to: dir.appendingPathComponent("W_enc_\(i).safetensors"))
            try SafeTensors.write(["W_dec_\(i)": try wDec(layer: i)], to: dir.appendingPathComponent("W_dec_\(i).safetensors"))
        }
        let config = TranscoderConfig(modelKind: "cross_layer_transcoder", featureInputHook: featureInputHook,
                                      featureOutputHook: featureOutputHook, transcoders: nil, extra: extra)
        let cfg = dir.appendingPathComponent("config.yaml")
        guard FileManager.default.createFile(atPath: cfg, contents: Data(config.yaml().utf8)) else {
            throw TranscoderError(cfg, "cannot write")
        }
    }
}
