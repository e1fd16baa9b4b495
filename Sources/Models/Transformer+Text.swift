// Text ↔ token helpers (TransformerLens's to_tokens / to_string).
import Foundation
import Tensor
import Tokenizers

/// Which side padding goes on when texts of different lengths are batched.
public enum PaddingSide: String, Sendable {
    case left, right
}

extension Transformer {
    /// The tokenizer, or an error saying the model has none.
    public func requireTokenizer(_ op: String) throws -> Tokenizer {
        guard let t = tokenizer else {
            throw ModelError("\(op): this model has no tokenizer (no tokenizer.json in \(source ?? "its directory")); pass token tensors")
        }
        return t
    }

    /// The id used to pad batches: pad, else EOS, else 0.
    public var padId: Int { config.padTokenId ?? config.eosTokenIds.first ?? 0 }

    /// Token ids of `text` as the tokenizer's post-processor defines them; `prependBOS` forces a
    /// BOS (true) or removes a leading one (false).
    public func encode(_ text: String, prependBOS: Bool? = nil) throws -> [Int] {
        let tok = try requireTokenizer("to_tokens")
        var ids = tok.encode(text, addSpecialTokens: true)
        if let want = prependBOS {
            let bos = config.bosTokenId ?? tokenizerBOS
            guard let bos else {
                if want { throw ModelError("to_tokens: prepend_bos is set but the model names no BOS token") }
                return ids
            }
            if want, ids.first != bos { ids.insert(bos, at: 0) }
            if !want, ids.first == bos { ids.removeFirst() }
        }
        return ids
    }

    /// The BOS id the tokenizer's post-processor adds, if any.
    var tokenizerBOS: Int? {
        guard let tok = tokenizer else { return nil }
        let a = tok.encode("a", addSpecialTokens: true), b = tok.encode("a", addSpecialTokens: false)
        return a.count > b.count && tok.specialTokenIds.contains(a[0]) ? a[0] : nil
    }

    /// Encodes texts into a padded int64 tensor [batch, seq] and its attention mask (1 = token).
    /// - Throws: `ModelError` without a tokenizer or for an empty list.
    public func toTokens(_ texts: [String], prependBOS: Bool? = nil, paddingSide: PaddingSide = .right) throws -> (tokens: Tensor, mask: Tensor) {
        guard !texts.isEmpty else { throw ModelError("to_tokens: no texts") }
        let seqs = try texts.map { try encode($0, prependBOS: prependBOS) }
        return try pad(seqs, side: paddingSide)
    }

    /// Pads id lists into [batch, max_len] tokens and mask tensors on the model's device.
    public func pad(_ seqs: [[Int]], side: PaddingSide) throws -> (tokens: Tensor, mask: Tensor) {
        let n = seqs.map(\.count).max() ?? 0
        guard n > 0 else { throw ModelError("to_tokens: every text encodes to zero tokens") }
        var ids = [Int64](repeating: Int64(padId), count: seqs.count * n)
        var mask = [Int64](repeating: 0, count: seqs.count * n)
        for (i, s) in seqs.enumerated() {
            let off = side == .left ? n - s.count : 0
            for (j, t) in s.enumerated() {
                ids[i * n + off + j] = Int64(t)
                mask[i * n + off + j] = 1
            }
        }
        return (try Tensor(ids, shape: [seqs.count, n]).to(device), try Tensor(mask, shape: [seqs.count, n]).to(device))
    }

    /// Decodes ids to text (special tokens kept).
    public func decode(_ ids: [Int], skipSpecialTokens: Bool = false) throws -> String {
        try requireTokenizer("to_string").decode(ids, skipSpecialTokens: skipSpecialTokens)
    }
}
