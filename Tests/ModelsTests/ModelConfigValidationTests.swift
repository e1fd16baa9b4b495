import Foundation
import Testing
import Models
import Tensor
import TestSupport

/// Malformed config.json files found by fuzzing: each is a thrown `ModelError` naming the key, never
/// a trap or a giant allocation.
@Suite("config.json validation")
struct ModelConfigValidationTests {
    /// A small valid Llama config with `overrides` replacing (or, with nil, removing) fields.
    static func llama(_ overrides: [String: String?] = [:]) -> String {
        var fields: [(String, String)] = [
            ("model_type", #""llama""#), ("hidden_size", "8"), ("num_attention_heads", "2"), ("num_key_value_heads", "1"),
            ("num_hidden_layers", "1"), ("intermediate_size", "8"), ("vocab_size", "16"), ("max_position_embeddings", "8"),
        ]
        for (k, v) in overrides {
            fields.removeAll { $0.0 == k }
            if let v { fields.append((k, v)) }
        }
        return "{" + fields.map { "\"\($0.0)\": \($0.1)" }.joined(separator: ", ") + "}"
    }

    static func gpt2(_ overrides: [String: String?] = [:]) -> String {
        var fields: [(String, String)] = [
            ("model_type", #""gpt2""#), ("n_embd", "8"), ("n_head", "2"), ("n_layer", "1"), ("vocab_size", "16"),
            ("n_positions", "8"),
        ]
        for (k, v) in overrides {
            fields.removeAll { $0.0 == k }
            if let v { fields.append((k, v)) }
        }
        return "{" + fields.map { "\"\($0.0)\": \($0.1)" }.joined(separator: ", ") + "}"
    }

    static func error(_ json: String) throws -> String { try ModelConfigFixtures.error(json) }

    @Test func baseConfigsLoad() throws {
        #expect(try Self.error(Self.llama()) == "(no error)")
        #expect(try Self.error(Self.gpt2()) == "(no error)")
    }

    @Test func headCountsMustBePositiveAndDivide() throws {
        #expect(try Self.error(Self.gpt2(["n_head": "0"])).contains("\"n_head\" must be in 1..."))
        #expect(try Self.error(Self.gpt2(["n_head": "3"])).contains("n_embd 8 is not divisible by n_head 3"))
        #expect(try Self.error(Self.llama(["num_key_value_heads": "0"])).contains("\"num_key_value_heads\" must be in 1..."))
        #expect(try Self.error(Self.llama(["num_attention_heads": "0", "num_key_value_heads": nil]))
            .contains("\"num_attention_heads\" must be in 1..."))
        #expect(try Self.error(Self.llama(["num_attention_heads": "-2", "num_key_value_heads": nil]))
            .contains("\"num_attention_heads\" must be in 1..."))
        #expect(try Self.error(Self.llama(["hidden_size": "9", "num_key_value_heads": nil]))
            .contains("hidden_size 9 is not divisible by num_attention_heads 2"))
        #expect(try Self.error(Self.llama(["num_attention_heads": "4", "num_key_value_heads": "3"])).contains("not a multiple"))
        #expect(try Self.error(Self.llama(["head_dim": "3"])).contains("must be even"))
        #expect(try Self.error(Self.llama(["head_dim": "\(Int.min)"])).contains("\"head_dim\" must be in 1...4096"))
        #expect(try Self.error(Self.llama(["head_dim": "-9223372036854775808"])).contains("\"head_dim\""))
    }

    @Test func sizesAreBounded() throws {
        let big = Self.gpt2(["n_embd": "\(1 << 62)", "n_head": "1", "n_inner": "null"])
        #expect(try Self.error(big).contains("\"n_embd\" must be in 1...1048576, got 4611686018427387904"))
        #expect(try Self.error(Self.gpt2(["n_embd": "524288", "n_head": "1"])).contains("n_inner defaults to 4 · n_embd"))
        #expect(try Self.error(Self.gpt2(["n_layer": "100000"])).contains("\"n_layer\" must be in 1...4096"))
        #expect(try Self.error(Self.gpt2(["vocab_size": "0"])).contains("\"vocab_size\" must be in 1..."))
        #expect(try Self.error(Self.llama(["intermediate_size": "1e300"])).contains("\"intermediate_size\" must be an integer, got 1e+300"))
        #expect(try Self.error(Self.llama(["intermediate_size": "8.5"])).contains("\"intermediate_size\" must be an integer, got 8.5"))
        // A 2^31-position RoPE table would be a 137 GB allocation: the limit is named instead.
        let long = try Self.error(Self.llama(["max_position_embeddings": "\(1 << 31)"]))
        #expect(long.contains("\"max_position_embeddings\" must be in 1...1048576 (the most positions Discern precomputes RoPE tables for)"))
    }

    @Test func ropeScalingIsChecked() throws {
        let huge = #"{"rope_type": "llama3", "factor": 8, "low_freq_factor": 1, "high_freq_factor": 4, "original_max_position_embeddings": 1e300}"#
        #expect(try Self.error(Self.llama(["rope_scaling": huge])).contains("\"rope_scaling.original_max_position_embeddings\" must be an integer"))
        let flat = #"{"rope_type": "llama3", "factor": 8, "low_freq_factor": 4, "high_freq_factor": 4, "original_max_position_embeddings": 8}"#
        #expect(try Self.error(Self.llama(["rope_scaling": flat])).contains("must be greater than low_freq_factor"))
        #expect(try Self.error(Self.llama(["rope_scaling": #"{"type": "linear", "factor": 0}"#]))
            .contains("\"rope_scaling.factor\" must be a finite number > 0, got 0.0"))
        #expect(try Self.error(Self.llama(["rope_scaling": #""linear""#])).contains("\"rope_scaling\" must be an object, got a string"))
        #expect(try Self.error(Self.llama(["rope_scaling": "null"])) == "(no error)")
    }

    @Test func epsilonsAndThetaMustBePositive() throws {
        #expect(try Self.error(Self.gpt2(["layer_norm_epsilon": "-1e-5"])).contains("\"layer_norm_epsilon\" must be a finite number > 0"))
        #expect(try Self.error(Self.llama(["rms_norm_eps": "0"])).contains("\"rms_norm_eps\" must be a finite number > 0"))
        #expect(try Self.error(Self.llama(["rope_theta": "-10000"])).contains("\"rope_theta\" must be a finite number > 0"))
        #expect(try Self.error(Self.llama(["rope_theta": #""big""#])).contains("\"rope_theta\" must be a number, got a string"))
    }

    @Test func wrongTypesAreErrors() throws {
        #expect(try Self.error(Self.gpt2(["activation_function": "7"])).contains("\"activation_function\" must be a string, got a number"))
        #expect(try Self.error(Self.llama(["hidden_act": "true"])).contains("\"hidden_act\" must be a string, got a boolean"))
        #expect(try Self.error(Self.llama(["tie_word_embeddings": #""yes""#])).contains("\"tie_word_embeddings\" must be a boolean, got a string"))
        #expect(try Self.error(Self.llama(["attention_bias": "1"])).contains("\"attention_bias\" must be a boolean, got a number"))
        #expect(try Self.error(Self.llama(["eos_token_id": #""</s>""#]))
            .contains("\"eos_token_id\" must be an integer or an array of integers, got a string"))
        #expect(try Self.error(Self.llama(["eos_token_id": #"[1, "x"]"#])).contains("got an array holding a string"))
        #expect(try Self.error(Self.llama(["model_type": "3"])).contains("\"model_type\" must be a string"))
        // null still means "the default", as in HF.
        #expect(try Self.error(Self.llama(["tie_word_embeddings": "null", "eos_token_id": "null", "hidden_act": "null"])) == "(no error)")
    }

    @Test func specialTokensMustBeInTheVocabulary() throws {
        #expect(try Self.error(Self.llama(["bos_token_id": "16"])).contains("bos_token_id 16 is outside the vocabulary [0, 16)"))
        #expect(try Self.error(Self.llama(["eos_token_id": "[1, -1]"])).contains("eos_token_id -1 is outside the vocabulary"))
        #expect(try Self.error(Self.gpt2(["eos_token_id": "99"])).contains("eos_token_id 99 is outside the vocabulary"))
        // generation_config.json's ids are checked too.
        let dir = try Support.tempDir("model")
        defer { try? FileManager.default.removeItem(at: dir) }
        for f in ["config.json", "model.safetensors"] {
            try FileManager.default.copyItem(atPath: Fixture.dir("llama") + "/" + f, toPath: dir.path + "/" + f)
        }
        try Data(#"{"eos_token_id": 384}"#.utf8).write(to: dir.appendingPathComponent("generation_config.json"))
        #expect { try Transformer.load(dir.path) } throws: { "\($0)".contains("generation_config.json: eos_token_id 384 is outside the vocabulary [0, 384)") }
        try Data(#"{"eos_token_id": "2"}"#.utf8).write(to: dir.appendingPathComponent("generation_config.json"))
        #expect { try Transformer.load(dir.path) } throws: { "\($0)".contains("\"eos_token_id\" must be an integer or an array of integers") }
    }

    @Test func unusedCheckpointTensorsAreErrors() throws {
        let dir = try Support.tempDir("model")
        defer { try? FileManager.default.removeItem(at: dir) }
        try FileManager.default.copyItem(atPath: Fixture.dir("llama") + "/model.safetensors", toPath: dir.path + "/model.safetensors")
        let config = try String(contentsOfFile: Fixture.dir("llama") + "/config.json", encoding: .utf8)
        // The fixture has two layers; a config claiming one must not load the first and drop the second.
        try config.replacingOccurrences(of: "\"num_hidden_layers\": 2", with: "\"num_hidden_layers\": 1")
            .write(toFile: dir.path + "/config.json", atomically: true, encoding: .utf8)
        #expect { try Transformer.load(dir.path) } throws: {
            "\($0)".contains("weight \"model.layers.1.") && "\($0)".contains("belongs to layer 1, but the config has num_hidden_layers 1")
        }
        // A bias the config does not declare (attention_bias false) is an error, not silently dropped.
        try config.write(toFile: dir.path + "/config.json", atomically: true, encoding: .utf8)
        let file = try SafeTensorsFile(path: Fixture.dir("llama") + "/model.safetensors")
        var tensors: [String: Tensor] = [:]
        for name in file.names { tensors[name] = try file.tensor(name) }
        tensors["model.layers.0.self_attn.q_proj.bias"] = try Tensor.zeros([64])
        try SafeTensors.write(tensors, to: dir.path + "/model.safetensors")
        #expect { try Transformer.load(dir.path) } throws: {
            "\($0)".contains("weight \"model.layers.0.self_attn.q_proj.bias\" is not used by the llama config")
        }
    }

    @Test func ropeTablesGrowOnDemandUpToTheLimit() throws {
        let m = try Transformer.load(Fixture.dir("llama"))
        let far = try Tensor([0, 5000] as [Int64], shape: [1, 2])
        _ = try m.forward(try Tensor([1, 2] as [Int64], shape: [1, 2]), ForwardOptions(positions: far))
        let tooFar = try Tensor([0, Int64(1 << 40)], shape: [1, 2])
        #expect { try m.forward(try Tensor([1, 2] as [Int64], shape: [1, 2]), ForwardOptions(positions: tooFar)) } throws: {
            "\($0)".contains("RoPE tables")
        }
    }
}
