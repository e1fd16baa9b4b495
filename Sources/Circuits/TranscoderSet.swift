import Foundation
import Models

/// Per-layer transcoders for a whole model with the hooks they read and write (circuit-tracer's
/// `TranscoderSet`).
public final class TranscoderSet {
    /// One transcoder per layer, index = layer.
    public let transcoders: [Transcoder]
    /// Hook read, relative to a block (e.g. `ln2.hook_normalized`).
    public let featureInputHook: String
    /// Hook written, relative to a block (e.g. `hook_mlp_out`).
    public let featureOutputHook: String
    /// Other `config.yaml` scalars (`model_name`, `scan`, …).
    public let extra: [String: String]

    /// Creates a set; transcoder `i` must have `layer == i` and all must share `d_model` and `d_tc`.
    /// - Throws: `TranscoderError` (path `"<memory>"`) when the layers or widths disagree.
    public init(transcoders: [Transcoder], featureInputHook: String, featureOutputHook: String,
                extra: [String: String] = [:]) throws {
        for (i, t) in transcoders.enumerated() {
            guard t.layer == i else { throw TranscoderError("<memory>", "transcoder \(i) has layer \(t.layer)") }
            guard t.dModel == transcoders[0].dModel else {
                throw TranscoderError("<memory>", "transcoder \(i) has d_model \(t.dModel), transcoder 0 has \(transcoders[0].dModel)")
            }
            guard t.dTranscoder == transcoders[0].dTranscoder else {
                throw TranscoderError("<memory>", "transcoder \(i) has d_tc \(t.dTranscoder), transcoder 0 has \(transcoders[0].dTranscoder)")
            }
        }
        self.transcoders = transcoders
        self.featureInputHook = featureInputHook
        self.featureOutputHook = featureOutputHook
        self.extra = extra
    }

    /// Number of layers.
    public var count: Int { transcoders.count }

    /// The transcoder of `layer`.
    public subscript(layer: Int) -> Transcoder { transcoders[layer] }

    /// TransformerLens name of the hook read at `layer`, e.g. `blocks.3.ln2.hook_normalized`.
    public func inputHook(layer: Int) -> String { "blocks.\(layer).\(featureInputHook)" }

    /// TransformerLens name of the hook written at `layer`, e.g. `blocks.3.hook_mlp_out`.
    public func outputHook(layer: Int) -> String { "blocks.\(layer).\(featureOutputHook)" }

    /// Drops every materialised weight of file-backed transcoders.
    public func release() { transcoders.forEach { $0.release() } }

    /// Opens a circuit-tracer transcoder set directory lazily (`config.yaml` + one safetensors file
    /// per layer; only headers are read now).
    ///
    /// Layers come from the config's `transcoders` list (files ending `.npz` are GemmaScope
    /// `params.npz`; safetensors files holding `w_enc` are GemmaScope-2), or, without the list, from `layer_0.safetensors`, `layer_1.safetensors`, … in
    /// the directory. A config `activation: topk` with `k`, or `activation: relu`, overrides what
    /// the files imply, as in circuit-tracer's `load_transcoder_set`.
    /// - Parameter path: the directory, or its `config.yaml`.
    /// - Throws: `TranscoderError` naming the file and the problem (missing config, wrong
    ///   `model_kind`, an unknown `activation`, a TopK `k` above the width, `d_model`/`width`/`n_layers`
    ///   keys that contradict the layer files, remote `hf://` paths, paths that are not regular files,
    ///   malformed layer files).
    public convenience init(contentsOf path: String) throws {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else {
            throw TranscoderError(path, "no such file or directory")
        }
        let configPath = isDir.boolValue ? (path as NSString).appendingPathComponent("config.yaml") : path
        let dir = (configPath as NSString).deletingLastPathComponent
        try requireRegularFile(configPath) { TranscoderError(configPath, $0) }
        guard let data = FileManager.default.contents(atPath: configPath) else {
            throw TranscoderError(configPath, "cannot read config.yaml")
        }
        guard let text = String(data: data, encoding: .utf8) else { throw TranscoderError(configPath, "not UTF-8") }
        let config = try TranscoderConfig.parse(text, path: configPath)
        guard config.modelKind == "transcoder_set" else {
            throw TranscoderError(configPath, "model_kind is \(config.modelKind); open it with CrossLayerTranscoder")
        }
        let activation = try config.activation(path: configPath)
        var refs = config.transcoders ?? []
        if config.transcoders == nil {
            while FileManager.default.fileExists(atPath: (dir as NSString).appendingPathComponent("layer_\(refs.count).safetensors")) {
                refs.append("layer_\(refs.count).safetensors")
            }
        }
        guard !refs.isEmpty else {
            throw TranscoderError(configPath, config.transcoders == nil ? "no \"transcoders\" list and no layer_0.safetensors beside it"
                                                                         : "lists no transcoders")
        }
        var ts: [Transcoder] = []
        for (layer, ref) in refs.enumerated() {
            if ref.contains("://") {
                throw TranscoderError(configPath, "transcoder \(layer) is remote (\(ref)); download it and list a local path")
            }
            let file = ref.hasPrefix("/") ? ref : (dir as NSString).appendingPathComponent(ref)
            guard FileManager.default.fileExists(atPath: file) else {
                throw TranscoderError(configPath, "transcoder \(layer): \(file) does not exist")
            }
            // A FIFO or device would block (or never end) when opened.
            try requireRegularFile(file) { TranscoderError(configPath, "transcoder \(layer): \(file) \($0)") }
            let gemma = file.hasSuffix(".npz") || (try? SafeTensorsFile(path: file))?.entry("w_enc") != nil
            if gemma, let activation, activation != .jumpReLU {
                throw TranscoderError(configPath, "activation is \(config.extra["activation"]!), but transcoder \(layer) (\(file)) is a GemmaScope JumpReLU transcoder")
            }
            if file.hasSuffix(".npz") {
                ts.append(try GemmaScope.load(path: file, layer: layer))
            } else if gemma {
                ts.append(try GemmaScope.loadV2(path: file, layer: layer))
            } else {
                if case .topK(let k)? = activation, let width = (try? SafeTensorsFile(path: file))?.entry("W_enc")?.shape.first, k > width {
                    throw TranscoderError(configPath, "k is \(k), larger than the width d_tc \(width) of transcoder \(layer) (\(file))")
                }
                ts.append(try Transcoder(contentsOf: file, layer: layer, activation: activation))
            }
        }
        do {
            try self.init(transcoders: ts, featureInputHook: config.featureInputHook,
                          featureOutputHook: config.featureOutputHook, extra: config.extra)
        } catch let e as TranscoderError { throw TranscoderError(configPath, e.message) }
        try config.checkSizes(nLayers: ts.count, dModel: ts[0].dModel, width: ts[0].dTranscoder, path: configPath,
                              files: "the layer files")
    }

    /// Writes the set to directory `path` as `config.yaml` + `layer_{i}.safetensors`. A TopK set also
    /// records `activation: topk` and `k` in the config, which is where circuit-tracer reads them.
    /// - Throws: `TranscoderError` when the directory cannot be created, TopK layers disagree on `k`
    ///   or mix with other activations, or a write error.
    public func save(to path: String) throws {
        var extra = self.extra
        let ks = Set(transcoders.compactMap { t -> Int? in if case .topK(let k) = t.activation { k } else { nil } })
        if !ks.isEmpty {
            guard ks.count == 1, transcoders.allSatisfy({ if case .topK = $0.activation { true } else { false } }) else {
                throw TranscoderError(path, "circuit-tracer sets hold one activation: TopK layers must all share k")
            }
            extra["activation"] = "topk"
            extra["k"] = String(ks.first!)
        }
        do { try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true) } catch {
            throw TranscoderError(path, "cannot create directory: \(error)")
        }
        var names: [String] = []
        for t in transcoders {
            let name = "layer_\(t.layer).safetensors"
            try t.save(to: (path as NSString).appendingPathComponent(name))
            names.append(name)
        }
        let config = TranscoderConfig(modelKind: "transcoder_set", featureInputHook: featureInputHook,
                                      featureOutputHook: featureOutputHook, transcoders: names, extra: extra)
        let cfg = (path as NSString).appendingPathComponent("config.yaml")
        guard FileManager.default.createFile(atPath: cfg, contents: Data(config.yaml().utf8)) else {
            throw TranscoderError(cfg, "cannot write")
        }
    }
}
