import Models
import Tensor

/// GemmaScope per-layer transcoders. v1: `params.npz` with `W_enc [d_model, d_sae]`,
/// `W_dec [d_sae, d_model]`, `b_enc [d_sae]`, `b_dec [d_model]`, `threshold [d_sae]` (JumpReLU).
/// v2 (Gemma-3): a safetensors file with `w_enc [d_in, d_sae]`, `w_dec [d_sae, d_in]`, `b_enc`,
/// `b_dec`, `threshold` and optional `affine_skip_connection` (`W_skip` is its transpose).
public enum GemmaScope {
    /// Opens a GemmaScope-2 safetensors transcoder lazily as a JumpReLU `Transcoder` (circuit-tracer's
    /// `load_gemma_scope_2_transcoder`; here the transposes happen on first use, not at load).
    /// - Throws: `TranscoderError` naming the file for a missing or unexpected tensor or bad shapes.
    public static func loadV2(path: String, layer: Int) throws -> Transcoder {
        let f: SafeTensorsFile
        do { f = try SafeTensorsFile(path: path) } catch let e as SafeTensorsError {
            throw TranscoderError(path, "not a valid safetensors file (\(e.message))")
        }
        let names: Set = ["w_enc", "w_dec", "b_enc", "b_dec", "threshold", "affine_skip_connection"]
        for n in ["w_enc", "w_dec", "b_enc", "b_dec", "threshold"] where f.entry(n) == nil {
            throw TranscoderError(path, "missing tensor \"\(n)\" (GemmaScope-2 layout)")
        }
        if let extra = f.names.first(where: { !names.contains($0) }) {
            throw TranscoderError(path, "unexpected tensor \"\(extra)\" (GemmaScope-2 layout)")
        }
        let enc = f.entry("w_enc")!.shape
        guard enc.count == 2 else { throw TranscoderError(path, "w_enc has shape \(enc), expected [d_in, d_sae]") }
        var shapes: [String: [Int]] = [
            "W_enc": [enc[1], enc[0]], "W_dec": f.entry("w_dec")!.shape, "b_enc": f.entry("b_enc")!.shape,
            "b_dec": f.entry("b_dec")!.shape, "activation_function.threshold": f.entry("threshold")!.shape,
        ]
        if let skip = f.entry("affine_skip_connection") { shapes["W_skip"] = skip.shape.reversed() }
        return try Transcoder(layer: layer, shapes: shapes, activation: .jumpReLU, path: path) { name in
            switch name {
            case "W_enc": try f.tensor("w_enc").transpose(0, 1).contiguous()
            case "W_dec": try f.tensor("w_dec")
            case "W_skip": try f.tensor("affine_skip_connection").transpose(0, 1).contiguous()
            case "activation_function.threshold": try f.tensor("threshold")
            default: try f.tensor(name)
            }
        }
    }

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
