// How much, and in how many directions, two models' weights differ.
import Foundation
import Tensor

/// Compares two models with the same shape parameter by parameter.
///
/// For each parameter A (the first model's) and B (the second's), with D = B − A computed in float64:
/// - **relative norm** ‖D‖_F / ‖A‖_F (Frobenius norms; +∞ when A = 0 and D ≠ 0, 0 when both are 0);
/// - for matrices, the **singular values** of D (LAPACK `gesdd` through libtorch), the largest `topK`
///   of them reported;
/// - **effective rank** (Roy & Vetterli 2007): with pᵢ = σᵢ / Σⱼ σⱼ over the singular values of D,
///   erank = exp(−Σᵢ pᵢ log pᵢ) (terms with pᵢ = 0 count 0). It lies in [1, min(m, n)]: 1 for a
///   rank-one update, k for k equal singular values; 0 by convention when D = 0. Singular values
///   below `rankTolerance` · σ₁ are treated as 0, so float round-off does not count as rank.
/// - **stable rank** ‖D‖_F² / σ₁², a smoother lower bound on the rank.
///
/// Parameters are grouped into layers by their name (`h.3.`, `layers.3.`, `layer.3.`); the
/// remaining ones (embeddings, final norm, untied unembedding) form one group labelled "embeddings and final norm". A layer's
/// relative change is √(Σ‖D‖²) / √(Σ‖A‖²) over its parameters; `layers` ranks them, largest first.
public enum WeightDiff {
    /// The difference of one parameter.
    public struct Entry: Sendable {
        /// The parameter's HF name.
        public var name: String
        /// Its shape.
        public var shape: [Int]
        /// Its layer (0-based), or nil for embeddings and other non-block parameters.
        public var layer: Int?
        /// ‖A‖_F.
        public var norm: Double
        /// ‖B − A‖_F.
        public var diffNorm: Double
        /// ‖B − A‖_F / ‖A‖_F.
        public var relativeNorm: Double
        /// The largest singular values of B − A, descending (empty for vectors).
        public var singularValues: [Double]
        /// Roy–Vetterli effective rank of B − A (nil for vectors).
        public var effectiveRank: Double?
        /// ‖B − A‖_F² / σ₁² (nil for vectors or when B = A).
        public var stableRank: Double?
    }

    /// The difference aggregated over one layer.
    public struct Layer: Sendable {
        /// The layer (0-based), or nil for the parameters outside the blocks.
        public var layer: Int?
        /// "blocks.3" or "embeddings and final norm".
        public var label: String
        /// √(Σ‖D‖²) / √(Σ‖A‖²) over the layer's parameters.
        public var relativeNorm: Double
        /// √(Σ‖D‖²).
        public var diffNorm: Double
        /// The layer's parameter names, the most changed (relative norm) first.
        public var parameters: [String]
    }

    /// A comparison of two models.
    public struct Report: Sendable {
        /// One entry per parameter, in name order.
        public var entries: [Entry]
        /// The layers, most changed first.
        public var layers: [Layer]

        /// The entry of a parameter by name.
        public func entry(_ name: String) -> Entry? { entries.first { $0.name == name } }
    }

    /// Compares the weights of `a` (the reference, e.g. the base model) and `b` (e.g. the fine-tune).
    ///
    /// LoRA adapters still attached are merged first (the comparison is of the effective weights).
    /// - Parameters:
    ///   - a: the reference model.
    ///   - b: the changed model; same architecture and shapes.
    ///   - topK: how many singular values to report per matrix.
    ///   - rankTolerance: singular values below this fraction of the largest count as 0.
    /// - Throws: `ModelError` when the parameter names or shapes differ; `TorchError`.
    /// - Complexity: one SVD per matrix, O(m · n · min(m, n)).
    public static func compare(_ a: Transformer, _ b: Transformer, topK: Int = 8, rankTolerance: Double = 1e-10) throws -> Report {
        try compare(a.mergedParameters(), b.mergedParameters(), topK: topK, rankTolerance: rankTolerance)
    }

    /// Compares two sets of named tensors (see `compare(_:_:topK:rankTolerance:)`).
    /// - Throws: `ModelError` when the names or shapes differ; `TorchError`.
    public static func compare(_ a: [String: Tensor], _ b: [String: Tensor], topK: Int = 8,
                               rankTolerance: Double = 1e-10) throws -> Report {
        guard Set(a.keys) == Set(b.keys) else {
            let only = Set(a.keys).symmetricDifference(Set(b.keys)).sorted().prefix(5)
            throw ModelError("WeightDiff: the models have different parameters (e.g. \(only.joined(separator: ", ")))")
        }
        guard topK >= 0 else { throw ModelError("WeightDiff: topK must be non-negative, got \(topK)") }
        var entries: [Entry] = []
        try Torch.noGrad {
            for name in a.keys.sorted() {
                let x = a[name]!, y = b[name]!
                guard x.shape == y.shape else {
                    throw ModelError("WeightDiff: \(name) has shape \(x.shape) in the first model and \(y.shape) in the second")
                }
                let xa = try x.to(dtype: .float64, device: .cpu)
                let d = try y.to(dtype: .float64, device: .cpu) - xa
                let norm = try xa.square().sum().item().squareRoot()
                let dn = try d.square().sum().item().squareRoot()
                var e = Entry(name: name, shape: x.shape, layer: layer(of: name), norm: norm, diffNorm: dn,
                              relativeNorm: dn == 0 ? 0 : (norm == 0 ? .infinity : dn / norm),
                              singularValues: [], effectiveRank: nil, stableRank: nil)
                if x.ndim == 2 {
                    let s = dn == 0 ? [] : try d.singularValues().doubles()
                    let (erank, stable) = ranks(s, frobenius: dn, tolerance: rankTolerance)
                    e.singularValues = Array(s.prefix(topK))
                    e.effectiveRank = erank
                    e.stableRank = stable
                }
                entries.append(e)
            }
        }
        return Report(entries: entries, layers: summarise(entries))
    }

    /// Roy–Vetterli effective rank and stable rank of singular values `s` (descending).
    static func ranks(_ s: [Double], frobenius: Double, tolerance: Double) -> (Double, Double?) {
        guard let top = s.first, top > 0 else { return (0, nil) }
        let kept = s.filter { $0 > tolerance * top }
        let total = kept.reduce(0, +)
        var h = 0.0
        for v in kept {
            let p = v / total
            if p > 0 { h -= p * Foundation.log(p) }
        }
        return (Foundation.exp(h), frobenius * frobenius / (top * top))
    }

    /// The block index in an HF parameter name (`h.3.`, `layers.3.`, `layer.3.`), if any.
    static func layer(of name: String) -> Int? {
        let parts = name.split(separator: ".")
        for (i, p) in parts.enumerated() where ["h", "layers", "layer"].contains(p) && i + 1 < parts.count {
            if let n = Int(parts[i + 1]) { return n }
        }
        return nil
    }

    static func summarise(_ entries: [Entry]) -> [Layer] {
        var groups: [Int?: [Entry]] = [:]
        for e in entries { groups[e.layer, default: []].append(e) }
        let layers = groups.map { (layer, es) -> Layer in
            let dn = es.reduce(0) { $0 + $1.diffNorm * $1.diffNorm }.squareRoot()
            let n = es.reduce(0) { $0 + $1.norm * $1.norm }.squareRoot()
            return Layer(layer: layer, label: layer.map { "blocks.\($0)" } ?? "embeddings and final norm",
                         relativeNorm: dn == 0 ? 0 : (n == 0 ? .infinity : dn / n), diffNorm: dn,
                         parameters: es.sorted { ($0.relativeNorm, $1.name) > ($1.relativeNorm, $0.name) }.map(\.name))
        }
        return layers.sorted { ($0.relativeNorm, -($0.layer ?? -1)) > ($1.relativeNorm, -($1.layer ?? -1)) }
    }
}
