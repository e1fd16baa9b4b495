extension TranscoderActivation: CustomStringConvertible {
    /// `ReLU`, `JumpReLU` or `TopK(k)`.
    public var description: String {
        switch self {
        case .relu: "ReLU"
        case .jumpReLU: "JumpReLU"
        case .topK(let k): "TopK(\(k))"
        }
    }
}

extension Transcoder: CustomStringConvertible {
    /// One line: `Transcoder(layer 0, d_model 64, 32 features, JumpReLU, skip)`.
    public var description: String {
        "Transcoder(layer \(layer), d_model \(dModel), \(dTranscoder) features, \(activation)\(hasSkip ? ", skip" : ""))"
    }
}

extension TranscoderSet: CustomStringConvertible {
    /// One line: `TranscoderSet(2 layers, d_model 64, 32 features, ln2.hook_normalized → hook_mlp_out)`.
    public var description: String {
        let first = transcoders.first
        return "TranscoderSet(\(count) layers, d_model \(first?.dModel ?? 0), \(first?.dTranscoder ?? 0) features, "
            + "\(featureInputHook) → \(featureOutputHook))"
    }
}

extension CrossLayerTranscoder: CustomStringConvertible {
    /// One line: `CrossLayerTranscoder(2 layers, d_model 64, 32 features per layer, JumpReLU, hook_resid_mid → hook_mlp_out)`.
    public var description: String {
        "CrossLayerTranscoder(\(nLayers) layers, d_model \(dModel), \(dTranscoder) features per layer, \(activation), "
            + "\(featureInputHook) → \(featureOutputHook))"
    }
}
