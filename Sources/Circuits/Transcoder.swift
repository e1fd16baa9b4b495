import Models
import Tensor

/// A per-layer transcoder (circuit-tracer "PLT"): features `a = σ(x·W_encᵀ + b_enc)`, output
/// `a·W_dec + b_dec (+ x·W_skipᵀ)`.
///
/// Orientation follows circuit-tracer's safetensors layout: `W_enc [d_tc, d_model]`,
/// `W_dec [d_tc, d_model]`, `b_enc [d_tc]`, `b_dec [d_model]`, optional `W_skip [d_model, d_model]`
/// and `activation_function.threshold [d_tc]`. Weights loaded from a file stay memory-mapped and are
/// materialised on first use; `release()` drops them until the next use.
public final class Transcoder {
    /// The layer this transcoder reads from and writes to (0-based).
    public let layer: Int
    /// Width of the residual stream it reads (`d_model`).
    public let dModel: Int
    /// Number of features (`d_tc`, `d_sae`).
    public let dTranscoder: Int
    /// The activation function.
    public let activation: TranscoderActivation
    /// Whether the transcoder has a linear skip connection `W_skip`.
    public let hasSkip: Bool

    /// Loads a parameter by its circuit-tracer name; nil for in-memory transcoders.
    private let loader: ((String) throws -> Tensor)?
    private var resident: [String: Tensor]

    /// Creates an in-memory transcoder, validating the shapes.
    /// - Parameters:
    ///   - wEnc: encoder `[d_tc, d_model]`; `bEnc`: `[d_tc]`; `wDec`: `[d_tc, d_model]`; `bDec`: `[d_model]`.
    ///   - threshold: JumpReLU thresholds `[d_tc]`; required exactly when `activation` is `.jumpReLU`.
    ///   - wSkip: optional skip matrix `[d_model, d_model]`, applied as `x·W_skipᵀ`.
    /// - Throws: `TranscoderError` (path `"<memory>"`) on inconsistent shapes.
    public init(layer: Int, wEnc: Tensor, bEnc: Tensor, wDec: Tensor, bDec: Tensor,
                threshold: Tensor? = nil, wSkip: Tensor? = nil, activation: TranscoderActivation) throws {
        var shapes: [String: [Int]] = ["W_enc": wEnc.shape, "b_enc": bEnc.shape, "W_dec": wDec.shape, "b_dec": bDec.shape]
        if let threshold { shapes["activation_function.threshold"] = threshold.shape }
        if let wSkip { shapes["W_skip"] = wSkip.shape }
        let (dm, dt) = try Transcoder.validate(shapes, activation: activation, path: "<memory>")
        self.layer = layer
        dModel = dm
        dTranscoder = dt
        self.activation = activation
        hasSkip = wSkip != nil
        loader = nil
        var r = ["W_enc": wEnc, "b_enc": bEnc, "W_dec": wDec, "b_dec": bDec]
        r["activation_function.threshold"] = threshold
        r["W_skip"] = wSkip
        resident = r
    }

    /// Opens a circuit-tracer per-layer safetensors file lazily: only the header is read now.
    ///
    /// The activation is `activation` when given (circuit-tracer's config-level `activation: relu|topk`);
    /// otherwise JumpReLU when `activation_function.threshold` is present, TopK when a `k` tensor
    /// (or `k` metadata entry) is present, else ReLU (circuit-tracer's rule).
    /// - Throws: `TranscoderError` naming the file when a tensor is missing, misshapen, or the file
    ///   is not valid safetensors.
    public init(contentsOf path: String, layer: Int, activation: TranscoderActivation? = nil) throws {
        let f: SafeTensorsFile
        do { f = try SafeTensorsFile(path: path) } catch let e as SafeTensorsError {
            throw TranscoderError(path, "not a valid safetensors file (\(e.message))")
        }
        var shapes: [String: [Int]] = [:]
        for e in f.header.entries { shapes[e.name] = e.shape }
        var act = TranscoderActivation.relu
        if let ks = f.header.metadata["k"] {
            guard let k = Int(ks), k > 0 else { throw TranscoderError(path, "metadata \"k\" is \"\(ks)\", expected a positive integer") }
            act = .topK(k)
        } else if f.entry("k") != nil {
            let kt = try f.tensor("k")
            guard kt.numel == 1 else { throw TranscoderError(path, "tensor \"k\" has \(kt.numel) elements, expected 1") }
            let k = Int(try kt.itemInt())
            guard k > 0 else { throw TranscoderError(path, "tensor \"k\" is \(k), expected a positive integer") }
            act = .topK(k)
        }
        if shapes["activation_function.threshold"] != nil {
            if case .topK = act { throw TranscoderError(path, "has both \"k\" and \"activation_function.threshold\"") }
            act = .jumpReLU
        }
        shapes["k"] = nil
        if let activation {
            if activation != .jumpReLU, shapes["activation_function.threshold"] != nil {
                throw TranscoderError(path, "has a JumpReLU threshold but the set's config asks for \(activation)")
            }
            act = activation
        }
        let (dm, dt) = try Transcoder.validate(shapes, activation: act, path: path)
        self.layer = layer
        dModel = dm
        dTranscoder = dt
        self.activation = act
        hasSkip = shapes["W_skip"] != nil
        loader = { try f.tensor($0) }
        resident = [:]
    }

    /// Creates a lazily loaded transcoder from validated parameter shapes and a loader.
    /// - Throws: `TranscoderError` naming `path` on inconsistent shapes.
    package init(layer: Int, shapes: [String: [Int]], activation: TranscoderActivation, path: String,
                 loader: @escaping (String) throws -> Tensor) throws {
        let (dm, dt) = try Transcoder.validate(shapes, activation: activation, path: path)
        self.layer = layer
        dModel = dm
        dTranscoder = dt
        self.activation = activation
        hasSkip = shapes["W_skip"] != nil
        self.loader = loader
        resident = [:]
    }

    static func validate(_ s: [String: [Int]], activation: TranscoderActivation, path: String) throws -> (Int, Int) {
        for name in ["W_enc", "b_enc", "W_dec", "b_dec"] where s[name] == nil {
            throw TranscoderError(path, "missing tensor \"\(name)\"")
        }
        let known: Set = ["W_enc", "b_enc", "W_dec", "b_dec", "W_skip", "activation_function.threshold"]
        if let extra = s.keys.sorted().first(where: { !known.contains($0) }) {
            throw TranscoderError(path, "unexpected tensor \"\(extra)\"")
        }
        let enc = s["W_enc"]!
        guard enc.count == 2 else { throw TranscoderError(path, "W_enc has shape \(enc), expected [d_tc, d_model]") }
        let (dt, dm) = (enc[0], enc[1])
        func expect(_ name: String, _ shape: [Int]) throws {
            if let got = s[name], got != shape {
                throw TranscoderError(path, "\(name) has shape \(got), expected \(shape) (d_tc \(dt), d_model \(dm))")
            }
        }
        try expect("W_dec", [dt, dm])
        try expect("b_enc", [dt])
        try expect("b_dec", [dm])
        try expect("W_skip", [dm, dm])
        try expect("activation_function.threshold", [dt])
        if activation == .jumpReLU, s["activation_function.threshold"] == nil {
            throw TranscoderError(path, "JumpReLU needs tensor \"activation_function.threshold\"")
        }
        if activation != .jumpReLU, s["activation_function.threshold"] != nil {
            throw TranscoderError(path, "has a threshold but the activation is not JumpReLU")
        }
        if case .topK(let k) = activation {
            guard k > 0 else { throw TranscoderError(path, "TopK k is \(k), expected > 0") }
            guard k <= dt else { throw TranscoderError(path, "TopK k is \(k), larger than the transcoder's width d_tc \(dt)") }
        }
        return (dm, dt)
    }

    private func param(_ name: String) throws -> Tensor {
        if let t = resident[name] { return t }
        guard let loader else { preconditionFailure("transcoder parameter \(name) missing") }
        let t = try loader(name)
        resident[name] = t
        return t
    }

    /// The encoder `[d_tc, d_model]`, loaded on first use.
    public var wEnc: Tensor { get throws { try param("W_enc") } }
    /// The encoder bias `[d_tc]`.
    public var bEnc: Tensor { get throws { try param("b_enc") } }
    /// The decoder `[d_tc, d_model]`, loaded on first use.
    public var wDec: Tensor { get throws { try param("W_dec") } }
    /// The decoder bias `[d_model]`.
    public var bDec: Tensor { get throws { try param("b_dec") } }
    /// The JumpReLU thresholds `[d_tc]`, or nil for other activations.
    public var threshold: Tensor? { get throws { activation == .jumpReLU ? try param("activation_function.threshold") : nil } }
    /// The skip matrix `[d_model, d_model]`, or nil without a skip connection.
    public var wSkip: Tensor? { get throws { hasSkip ? try param("W_skip") : nil } }

    /// Whether any weight is currently materialised.
    public var isResident: Bool { !resident.isEmpty }

    /// Drops materialised weights of a file-backed transcoder; they reload on next use.
    /// In-memory transcoders keep their weights (there is nothing to reload them from).
    public func release() {
        if loader != nil { resident.removeAll() }
    }

    /// Encoder pre-activations `x·W_encᵀ + b_enc` for `x` `[..., d_model]` (`x` is cast to the
    /// encoder's dtype first, as circuit-tracer does).
    /// - Throws: `TorchError` on a shape mismatch.
    public func preActivations(_ x: Tensor) throws -> Tensor {
        let w = try wEnc
        return try (x.dtype == w.dtype ? x : x.to(w.dtype)).linear(w, bias: try bEnc)
    }

    /// Feature activations `σ(x·W_encᵀ + b_enc)`, `[..., d_tc]`.
    /// - Throws: `TorchError` on a shape mismatch.
    public func encode(_ x: Tensor) throws -> Tensor {
        try activation.apply(try preActivations(x), threshold: try threshold)
    }

    /// Reconstruction from features `a` `[..., d_tc]`: `a·W_dec + b_dec` (no skip term).
    /// - Throws: `TorchError` on a shape mismatch.
    public func decode(_ a: Tensor) throws -> Tensor {
        try a.matmul(try wDec) + (try bDec)
    }

    /// The skip term `x·W_skipᵀ`, or nil without a skip connection.
    /// - Throws: `TorchError` on a shape mismatch.
    public func skip(_ x: Tensor) throws -> Tensor? {
        guard let w = try wSkip else { return nil }
        return try (x.dtype == w.dtype ? x : x.to(w.dtype)).linear(w)
    }

    /// Decoder rows of `features` (int64 ids `[n]`), `[n, d_model]`: only those rows of the mapped
    /// file are read (circuit-tracer's lazy `_get_decoder_vectors`).
    /// - Throws: `TorchError` for ids out of range.
    public func decoderVectors(_ features: Tensor) throws -> Tensor {
        try wDec.indexSelect(dim: 0, index: features)
    }

    /// Encoder rows of `features` (int64 ids `[n]`), `[n, d_model]`.
    /// - Throws: `TorchError` for ids out of range.
    public func encoderVectors(_ features: Tensor) throws -> Tensor {
        try wEnc.indexSelect(dim: 0, index: features)
    }

    /// The full transcoder output `decode(encode(x)) + skip(x)`, `[..., d_model]`.
    /// - Throws: `TorchError` on a shape mismatch.
    public func callAsFunction(_ x: Tensor) throws -> Tensor {
        let y = try decode(try encode(x))
        if let s = try skip(x) { return try y + s }
        return y
    }

    /// Writes the transcoder in circuit-tracer's per-layer safetensors layout (`SingleLayerTranscoder.
    /// to_safetensors`: TopK `k` as an int64 tensor `"k"` of shape `[]`).
    /// - Throws: `SafeTensorsError` or `TorchError` when writing fails.
    public func save(to path: String) throws {
        var t: [String: Tensor] = ["W_enc": try wEnc, "b_enc": try bEnc, "W_dec": try wDec, "b_dec": try bDec]
        t["activation_function.threshold"] = try threshold
        t["W_skip"] = try wSkip
        if case .topK(let k) = activation {
            t["k"] = try Tensor([Int64(k)], shape: [])
        }
        try SafeTensors.write(t, to: path)
    }
}
