// The one-file-per-architecture rule: the registry lists every family by HF model_type, and a new
// family is one conforming type plus one registry entry.
import Foundation
import Testing
@testable import Models
import Tensor

@Suite("architecture registry")
struct ArchitectureRegistryTests {
    static let llamaJSON = """
        {"model_type": "MODEL_TYPE", "hidden_size": 16, "intermediate_size": 24, "num_attention_heads": 4,
         "num_key_value_heads": 2, "num_hidden_layers": 2, "vocab_size": 40, "max_position_embeddings": 32,
         "rms_norm_eps": 1e-5, "tie_word_embeddings": false}
        """

    static func config(_ modelType: String, registry: ArchitectureRegistry = .standard) throws -> ModelConfig {
        try ModelConfig.fromHF(Data(llamaJSON.replacingOccurrences(of: "MODEL_TYPE", with: modelType).utf8),
                               source: "config.json", registry: registry)
    }

    @Test("the registry lists every built-in model_type, and an unknown one is an error that lists them")
    func listsBuiltInFamilies() throws {
        #expect(ModelConfig.supportedModelTypes == ["gpt2", "llama", "qwen2", "mistral", "bert"])
        let families = ArchitectureRegistry.standard.architectures.map(\.architecture)
        #expect(families == [.gpt2, .llama, .bert])
        for t in ModelConfig.supportedModelTypes {
            #expect(ArchitectureRegistry.standard.architecture(modelType: t) != nil)
        }
        #expect(throws: ModelError.self) { try Self.config("gemma2") }
        do {
            _ = try Self.config("gemma2")
        } catch {
            #expect("\(error)" == #"config.json: model_type "gemma2" is not supported (supported: gpt2, llama, qwen2, mistral, bert)"#)
        }
        let bert = try #require(ArchitectureRegistry.standard.architecture(modelType: "bert"))
        #expect(throws: ModelError.self) {
            try bert.initialWeights(try Self.config("llama"), std: 0.02, normal: { _, _, _ in }, constant: { _, _, _ in })
        }
    }

    /// A family added in one place: Llama's computation under other weight names (`toy.` instead of
    /// `model.`), registered in a copy of the standard registry.
    struct ToyArchitecture: ModelArchitecture {
        let base = LlamaArchitecture()
        var architecture: Architecture { Architecture(rawValue: "toy") }
        var displayName: String { "Toy" }
        var modelTypes: [String] { ["toy"] }
        func config(_ r: ModelConfig.Reader, modelType: String) throws -> ModelConfig {
            var c = try base.config(r, modelType: "llama")
            c.modelType = modelType
            c.family = self
            return c
        }
        func validate(_ c: ModelConfig, source: String) throws { try base.validate(c, source: source) }
        func hfArchitectures(modelType: String) -> [String] { ["ToyForCausalLM"] }
        var weightPrefix: String { "toy." }
        var tokenEmbeddingWeight: String { base.tokenEmbeddingWeight }
        var layerKey: (component: String, countField: String) { base.layerKey }
        func assemble(_ w: WeightReader) throws -> Transformer.Parts { try base.assemble(w) }
        func adaptableModules(layer: Int) -> [(name: String, fanInFanOut: Bool)] { [] }
        var isCausal: Bool { true }
        var norm: NormKind { .rmsNorm }
        var usesRope: Bool { true }
        var embeddingHooks: [String] { base.embeddingHooks }
        var blockHooks: [String] { base.blockHooks }
    }

    @Test("a family registered in a registry loads, names its weights and computes through the shared forward")
    func toyFamilyRegisters() throws {
        var registry = ArchitectureRegistry.standard
        registry.register(ToyArchitecture())
        #expect(registry.modelTypes() == ["gpt2", "llama", "qwen2", "mistral", "bert", "toy"])
        #expect(ModelConfig.supportedModelTypes.contains("toy") == false)
        #expect(throws: ModelError.self) { try Self.config("toy") }

        let llama = try Transformer.initialized(config: try Self.config("llama"), seed: 3)
        var weights: [String: Tensor] = [:]
        for (k, v) in llama.parameters { weights[k.hasPrefix("model.") ? "toy." + k.dropFirst(6) : k] = v }
        let toyConfig = try Self.config("toy", registry: registry)
        #expect(toyConfig.architecture.rawValue == "toy")
        let toy = try Transformer(config: toyConfig, weights: weights, tokenizer: nil)
        #expect(Set(toy.parameters.keys) == Set(weights.keys))
        #expect(toy.hookNames() == llama.hookNames())
        #expect(String(decoding: toyConfig.hfJSON(), as: UTF8.self).contains("ToyForCausalLM"))

        let tokens = try Tensor([Int64]([1, 5, 9, 2, 7, 30]), shape: [1, 6])
        #expect(try toy.forward(tokens).floats() == llama.forward(tokens).floats())
        #expect(throws: ModelError.self) { try Transformer(config: toyConfig, weights: llama.parameters, tokenizer: nil) }
    }
}
