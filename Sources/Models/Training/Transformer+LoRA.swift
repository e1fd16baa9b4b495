// Attaching, merging and removing LoRA adapters.
import Foundation
import Tensor

extension Transformer {
    /// The LoRA adapters attached to the model, by module name.
    public var loraAdapters: [String: LoRAAdapter] { adapters }

    /// The linear modules of this architecture that can carry an adapter, in model order, with
    /// whether their weight is stored [in, out].
    var adaptableModules: [(name: String, layer: Int, fanInFanOut: Bool)] {
        (0..<config.nLayers).flatMap { l in config.family.adaptableModules(layer: l).map { ($0.name, l, $0.fanInFanOut) } }
    }

    /// Attaches fresh LoRA adapters to the modules `config` selects (A Kaiming-uniform, B zero, so
    /// the model's outputs do not change until the adapters are trained).
    ///
    /// While adapters are attached, `Trainer` trains only them; `save` writes merged weights.
    /// - Parameter config: rank, alpha, target modules, layers and seed.
    /// - Returns: the names of the adapted modules, in model order.
    /// - Throws: `ModelError` when the model already has adapters, the rank is not positive, a
    ///   target or layer matches no module (the message lists the module names), or
    ///   `TorchError` from the backend.
    @discardableResult
    public func addLoRA(_ config: LoRAConfig) throws -> [String] {
        guard adapters.isEmpty else {
            throw ModelError("addLoRA: the model already has \(adapters.count) adapters; merge or remove them first")
        }
        guard config.rank > 0 else { throw ModelError("addLoRA: rank must be positive, got \(config.rank)") }
        guard config.alpha.isFinite else { throw ModelError("addLoRA: alpha must be finite, got \(config.alpha)") }
        guard !config.targets.isEmpty else { throw ModelError("addLoRA: no target modules given") }
        if let layers = config.layers {
            for l in layers where l < 0 || l >= self.config.nLayers {
                throw ModelError("addLoRA: layer \(l) is out of range (the model has \(self.config.nLayers) layers, 0-based)")
            }
        }
        let all = adaptableModules
        for t in config.targets where !all.contains(where: { Transformer.matches($0.name, t) }) {
            let short = Set(all.map { $0.name.split(separator: ".").suffix(2).joined(separator: ".") }).sorted()
            throw ModelError("addLoRA: target module \"\(t)\" matches no module of this \(self.config.modelType) model (modules: \(short.joined(separator: ", ")))")
        }
        let chosen = all.filter { m in
            config.targets.contains { Transformer.matches(m.name, $0) } && (config.layers?.contains(m.layer) ?? true)
        }
        guard !chosen.isEmpty else { throw ModelError("addLoRA: the targets select no module in layers \(config.layers ?? [])") }
        let gen = try Generator(seed: config.seed)
        var new: [String: LoRAAdapter] = [:]
        for m in chosen {
            guard let w = parameters[m.name + ".weight"] else { throw ModelError("addLoRA: no weight \(m.name).weight") }
            let (nIn, nOut) = m.fanInFanOut ? (w.shape[0], w.shape[1]) : (w.shape[1], w.shape[0])
            let bound = 1 / Foundation.sqrt(Double(nIn))
            let a = try (Tensor.rand([config.rank, nIn], generator: gen) * (2 * bound) - bound).to(dtype: dtype, device: device)
            let b = try Tensor.zeros([nOut, config.rank], dtype: dtype, device: device)
            new[m.name] = LoRAAdapter(module: m.name, a: a, b: b, scale: config.scale, fanInFanOut: m.fanInFanOut)
        }
        adapters = new
        try reassemble(training: trainingLayout)
        return chosen.map(\.name)
    }

    /// PEFT's target matching: the full name, or a suffix after a dot.
    static func matches(_ module: String, _ target: String) -> Bool {
        module == target || module.hasSuffix("." + target)
    }

    /// Folds every adapter into its base weight (`W += scale · B A`, transposed for GPT-2's
    /// [in, out] weights, as PEFT's `merge_and_unload`) and removes the adapters.
    /// - Throws: `TorchError` from the backend.
    public func mergeLoRA() throws {
        guard !adapters.isEmpty else { return }
        parameters = try mergedParameters()
        adapters = [:]
        try reassemble(training: trainingLayout)
    }

    /// Removes every adapter without changing the base weights.
    /// - Throws: `ModelError` / `TorchError` when the modules cannot be rebuilt.
    public func removeLoRA() throws {
        guard !adapters.isEmpty else { return }
        adapters = [:]
        try reassemble(training: trainingLayout)
    }

    /// The weights with every adapter merged in (new tensors for the adapted weights; the model is
    /// unchanged). Without adapters this is `parameters`.
    /// - Throws: `TorchError` from the backend.
    public func mergedParameters() throws -> [String: Tensor] {
        var out = parameters
        try Torch.noGrad {
            for (name, ad) in adapters {
                guard let w = out[name + ".weight"] else { throw ModelError("mergeLoRA: no weight \(name).weight") }
                out[name + ".weight"] = try (w + ad.delta()).contiguous()
            }
        }
        return out
    }
}
