import Models

extension TranscoderSet {
    /// Checks that the set fits `model`: one transcoder per layer, `d_model` equal to the model's,
    /// and both hooks present among `model.hookNames()` at every layer.
    /// - Throws: `TranscoderError` (path `"<transcoder set>"`) naming the first mismatch.
    public func validate(for model: Transformer) throws {
        try checkFit(nLayers: count, dModel: transcoders.first?.dModel ?? 0, model: model,
                     hooks: (0..<count).flatMap { [inputHook(layer: $0), outputHook(layer: $0)] })
    }
}

extension CrossLayerTranscoder {
    /// Checks that the CLT fits `model`: `n_layers` and `d_model` equal to the model's, and both
    /// hooks present among `model.hookNames()` at every layer.
    /// - Throws: `TranscoderError` (path `"<transcoder set>"`) naming the first mismatch.
    public func validate(for model: Transformer) throws {
        try checkFit(nLayers: nLayers, dModel: dModel, model: model,
                     hooks: (0..<nLayers).flatMap { [inputHook(layer: $0), outputHook(layer: $0)] })
    }
}

private func checkFit(nLayers: Int, dModel: Int, model: Transformer, hooks: [String]) throws {
    let c = model.config
    guard nLayers == c.nLayers else {
        throw TranscoderError("<transcoder set>", "has \(nLayers) layers, the model has \(c.nLayers)")
    }
    guard dModel == c.dModel else {
        throw TranscoderError("<transcoder set>", "has d_model \(dModel), the model has \(c.dModel)")
    }
    let known = Set(model.hookNames())
    if let missing = hooks.first(where: { !known.contains($0) }) {
        throw TranscoderError("<transcoder set>", "hook \(missing) does not exist in this \(c.modelType) model")
    }
}
