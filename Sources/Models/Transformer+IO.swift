// Loading and saving Hugging Face model directories.
import Foundation
import JSON
import Tensor
import Tokenizers

extension Transformer {
    /// Loads an HF model directory: `config.json`, safetensors weights (single or sharded) and,
    /// when present, `tokenizer.json` and `generation_config.json` (for EOS ids).
    ///
    /// Weights are memory-mapped and used in place when `dtype` and `device` match the file;
    /// otherwise they are converted once.
    /// - Parameters:
    ///   - dir: the model directory.
    ///   - dtype: weight dtype (default float32).
    ///   - device: where to put the weights (default cpu).
    /// - Throws: `ModelError` / `SafeTensorsError` / `TokenizerError` naming the file and the problem.
    public static func load(_ dir: String, dtype: DType = .float32, device: Device = .cpu) throws -> Transformer {
        let fm = FileManager.default
        var isDir: ObjCBool = false
        guard fm.fileExists(atPath: dir, isDirectory: &isDir), isDir.boolValue else {
            throw ModelError("model directory \(dir) does not exist")
        }
        guard dtype.isFloatingPoint else { throw ModelError("model dtype must be floating point, got \(dtype.rawValue)") }
        let configPath = dir + "/config.json"
        guard let cdata = fm.contents(atPath: configPath) else {
            throw ModelError("\(configPath) is missing: an HF model directory needs config.json")
        }
        var config = try ModelConfig.fromHF(cdata, source: configPath)
        let genPath = dir + "/generation_config.json"
        if let g = fm.contents(atPath: genPath) {
            try config.applyGenerationConfig(g, source: genPath)
        }
        let files = try SafeTensors.openCheckpoint(dir)
        var weights: [String: Tensor] = [:]
        for (name, file) in files { weights[name] = try file.tensor(name) }
        var tokenizer: Tokenizer?
        if fm.fileExists(atPath: dir + "/tokenizer.json") {
            tokenizer = try Tokenizer.load(dir + "/tokenizer.json")
        }
        let model = try Transformer(config: config, weights: weights, tokenizer: tokenizer, dtype: dtype, device: device, source: dir)
        for f in Transformer.auxiliaryFileNames {
            if let d = fm.contents(atPath: dir + "/" + f) { model.auxiliaryFiles[f] = d }
        }
        return model
    }

    /// Saves the model as an HF directory: `config.json`, `generation_config.json`,
    /// `model.safetensors` (sharded above `maxShardBytes`) and `tokenizer.json` if it has one.
    ///
    /// The result loads unchanged in HF transformers (`AutoModelForCausalLM.from_pretrained`).
    /// Attached LoRA adapters are merged into the saved weights (the model keeps them unmerged).
    /// - Throws: `ModelError` / `SafeTensorsError` on I/O problems.
    public func save(_ dir: String, maxShardBytes: Int = 5_000_000_000) throws {
        do {
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        } catch {
            throw ModelError("cannot create model directory \(dir): \(error.localizedDescription)")
        }
        // LoRA adapters are merged into the weights they adapt (plain weights HF and Discern load).
        var tensors = try mergedParameters()
        // Tied output embeddings are not written separately (as HF does).
        if config.tiedEmbeddings { tensors["lm_head.weight"] = nil }
        try SafeTensors.saveCheckpoint(tensors, to: dir, maxShardBytes: maxShardBytes)
        var cfg = config.raw
        cfg["torch_dtype"] = .string(dtype.rawValue)
        var c2 = config
        c2.raw = cfg
        try SafeTensors.writeAtomically(c2.hfJSON(), to: dir + "/config.json")
        if isCausal {
            var gen = JSONObject([("_from_model_config", .bool(true))])
            if let bos = config.bosTokenId { gen["bos_token_id"] = .int(bos) }
            if config.eosTokenIds.count == 1 {
                gen["eos_token_id"] = .int(config.eosTokenIds[0])
            } else if !config.eosTokenIds.isEmpty {
                gen["eos_token_id"] = .array(config.eosTokenIds.map { .int($0) })
            }
            if let pad = config.padTokenId { gen["pad_token_id"] = .int(pad) }
            try SafeTensors.writeAtomically(Data(JSONValue.object(gen).rendered), to: dir + "/generation_config.json")
        }
        if let tokenizer { try tokenizer.save(dir + "/tokenizer.json") }
        for (f, d) in auxiliaryFiles { try SafeTensors.writeAtomically(d, to: dir + "/" + f) }
    }

    /// Small files copied verbatim from a loaded directory to a saved one.
    static let auxiliaryFileNames = ["tokenizer_config.json", "special_tokens_map.json"]
}
