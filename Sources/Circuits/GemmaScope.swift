import Tensor

/// GemmaScope (v1) per-layer transcoders: `params.npz` with `W_enc [d_model, d_sae]`,
/// `W_dec [d_sae, d_model]`, `b_enc [d_sae]`, `b_dec [d_model]`, `threshold [d_sae]` (JumpReLU).
public enum GemmaScope {
    /// Opens a GemmaScope `params.npz` lazily as a JumpReLU `Transcoder` (`W_enc` is transposed to
    /// circuit-tracer's `[d_sae, d_model]` when first used).
    /// - Throws: `TranscoderError` naming the file for a missing array, bad shapes, or a bad archive.
    public static func load(path: String, layer: Int) throws -> Transcoder {
        let npz = try NPZFile(path: path)
        let names: Set = ["W_enc", "W_dec", "b_enc", "b_dec", "threshold"]
        for n in names.sorted() where npz.entry(n) == nil { throw TranscoderError(path, "missing array \"\(n)\"") }
        if let extra = npz.entries.first(where: { !names.contains($0.name) }) {
            throw TranscoderError(path, "unexpected array \"\(extra.name)\"")
        }
        let enc = try npz.shape("W_enc")
        guard enc.count == 2 else { throw TranscoderError(path, "W_enc has shape \(enc), expected [d_model, d_sae]") }
        let shapes: [String: [Int]] = [
            "W_enc": [enc[1], enc[0]], "W_dec": try npz.shape("W_dec"), "b_enc": try npz.shape("b_enc"),
            "b_dec": try npz.shape("b_dec"), "activation_function.threshold": try npz.shape("threshold"),
        ]
        return try Transcoder(layer: layer, shapes: shapes, activation: .jumpReLU, path: path) { name in
            switch name {
            case "W_enc": try npz.tensor("W_enc").transpose(0, 1).contiguous()
            case "activation_function.threshold": try npz.tensor("threshold")
            default: try npz.tensor(name)
            }
        }
    }

    /// Writes `transcoder` as a GemmaScope `params.npz` (uncompressed). ReLU is written as JumpReLU
    /// with zero thresholds, which computes the same features.
    /// - Throws: `TranscoderError` for TopK or skip transcoders (the format has neither) or write failures.
    public static func save(_ transcoder: Transcoder, to path: String) throws {
        if case .topK = transcoder.activation { throw TranscoderError(path, "GemmaScope params.npz cannot hold a TopK transcoder") }
        guard !transcoder.hasSkip else { throw TranscoderError(path, "GemmaScope params.npz cannot hold a skip connection") }
        let threshold = try transcoder.threshold ?? Tensor.zeros([transcoder.dTranscoder], dtype: try transcoder.bEnc.dtype)
        try NPZFile.write([
            ("W_enc", try transcoder.wEnc.transpose(0, 1).contiguous()), ("W_dec", try transcoder.wDec),
            ("b_enc", try transcoder.bEnc), ("b_dec", try transcoder.bDec), ("threshold", threshold),
        ], to: path)
    }
}
