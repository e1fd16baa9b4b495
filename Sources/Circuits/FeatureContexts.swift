// Top-activating contexts and activation statistics of every transcoder feature over a corpus:
// the material of a Neuronpedia feature page.
import Foundation

/// For every (layer, feature) of a transcoder set: the `k` corpus positions where it is most
/// active, how often it is active, and its largest and mean activations over one corpus.
///
/// Built by one pass over the corpus (``collect(model:transcoders:tokens:options:progress:)``, or
/// cached in a store with ``cached(in:model:transcoders:texts:options:progress:)``). A feature is
/// *active* at a token when its activation is non-zero (for ReLU and JumpReLU transcoders: positive).
/// Position 0 of every text (the BOS token, which circuit-tracer zeroes) and padding are never
/// scored. The tokens of every text that holds a top context are kept, with their strings, so that
/// context windows can be shown without the model.
///
/// Layers and features are 0-based. Equality compares the content, not ``isFromCache``.
public struct FeatureContexts: Sendable, Equatable {
    /// One top-activating position.
    public struct Context: Sendable, Equatable {
        /// The feature's activation there.
        public let activation: Float
        /// The text's index in the corpus (0-based).
        public let textIndex: Int
        /// The token position in the text (0-based; position 0 is the BOS when one was prepended).
        public let position: Int

        /// Creates a context.
        public init(activation: Float, textIndex: Int, position: Int) {
            self.activation = activation
            self.textIndex = textIndex
            self.position = position
        }
    }

    /// The tokens around a context, as strings.
    public struct Window: Sendable, Equatable {
        /// Up to `radius` tokens before the activating token (a leading BOS is left out).
        public let left: [String]
        /// The activating token.
        public let token: String
        /// Its id.
        public let tokenId: Int
        /// Up to `radius` tokens after it.
        public let right: [String]

        /// The window as one string with the activating token marked: `left«token»right`.
        public var marked: String { left.joined() + "«" + token + "»" + right.joined() }
    }

    /// One layer's statistics, feature-major.
    struct Layer: Sendable, Equatable {
        /// Number of features.
        var width: Int
        /// `[width · k]`: the top activations of each feature, highest first; `-inf` marks an empty slot.
        var values: [Float]
        /// `[width · k]`: where each top activation is, `textIndex << 32 | position`.
        var locations: [Int64]
        /// `[width]`: scored tokens where the feature is active.
        var activeCounts: [Int64]
        /// `[width]`: the sum of its activations over those tokens.
        var activationSums: [Double]
    }

    /// How many contexts are kept per feature.
    public let k: Int
    /// Number of texts in the corpus.
    public let textCount: Int
    /// Number of scored token positions (all positions but position 0 of each text).
    public let scoredTokenCount: Int
    /// Whether position 0 of each text is a special token (a BOS) that windows leave out.
    public let firstTokenIsSpecial: Bool
    /// The store key the index was cached under, when it went through a store.
    public internal(set) var cacheKey: String?
    /// Whether this value was read from a store rather than computed.
    public internal(set) var isFromCache = false
    /// Number of forward passes the computation took (0 when read from a store).
    public internal(set) var forwardPasses = 0

    var layers: [Layer]
    /// Token ids of the texts that hold at least one top context, by text index.
    var texts: [Int: [Int32]]
    /// The string of every token id in `texts`.
    var tokenStrings: [Int32: String]

    init(k: Int, textCount: Int, scoredTokenCount: Int, firstTokenIsSpecial: Bool, layers: [Layer],
         texts: [Int: [Int32]], tokenStrings: [Int32: String]) {
        self.k = k
        self.textCount = textCount
        self.scoredTokenCount = scoredTokenCount
        self.firstTokenIsSpecial = firstTokenIsSpecial
        self.layers = layers
        self.texts = texts
        self.tokenStrings = tokenStrings
    }

    /// Compares the content (statistics, contexts, stored texts); not where the value came from.
    public static func == (a: FeatureContexts, b: FeatureContexts) -> Bool {
        a.k == b.k && a.textCount == b.textCount && a.scoredTokenCount == b.scoredTokenCount
            && a.firstTokenIsSpecial == b.firstTokenIsSpecial && a.layers == b.layers && a.texts == b.texts
            && a.tokenStrings == b.tokenStrings
    }

    // MARK: queries

    /// Number of layers.
    public var layerCount: Int { layers.count }

    /// Number of features at `layer`.
    /// - Throws: `FeatureInterpretationError` for a layer out of range.
    public func width(layer: Int) throws -> Int { try checked(layer).width }

    /// The top-activating contexts of a feature, highest activation first (ties by text, then
    /// position); fewer than `k` when the feature is active at fewer scored positions.
    /// - Throws: `FeatureInterpretationError` for a layer or feature out of range.
    public func top(layer: Int, feature: Int) throws -> [Context] {
        let l = try checked(layer, feature)
        var out: [Context] = []
        for j in 0..<k {
            let v = l.values[feature * k + j]
            guard v > -Float.infinity else { break }
            let loc = l.locations[feature * k + j]
            out.append(Context(activation: v, textIndex: Int(loc >> 32), position: Int(loc & 0xFFFF_FFFF)))
        }
        return out
    }

    /// Number of scored tokens where the feature is active.
    /// - Throws: `FeatureInterpretationError` for a layer or feature out of range.
    public func activeCount(layer: Int, feature: Int) throws -> Int { Int(try checked(layer, feature).activeCounts[feature]) }

    /// The fraction of scored tokens where the feature is active (0 for an empty corpus).
    /// - Throws: `FeatureInterpretationError` for a layer or feature out of range.
    public func density(layer: Int, feature: Int) throws -> Double {
        let n = try activeCount(layer: layer, feature: feature)
        return scoredTokenCount > 0 ? Double(n) / Double(scoredTokenCount) : 0
    }

    /// The largest activation over the corpus, or nil when the feature is never active.
    /// - Throws: `FeatureInterpretationError` for a layer or feature out of range.
    public func maxActivation(layer: Int, feature: Int) throws -> Float? {
        let l = try checked(layer, feature)
        let v = l.values[feature * k]
        return v > -Float.infinity ? v : nil
    }

    /// The mean activation over the tokens where the feature is active, or nil when it never is.
    /// - Throws: `FeatureInterpretationError` for a layer or feature out of range.
    public func meanActivation(layer: Int, feature: Int) throws -> Double? {
        let l = try checked(layer, feature)
        let n = l.activeCounts[feature]
        return n > 0 ? l.activationSums[feature] / Double(n) : nil
    }

    /// The token ids of a text that holds a top context (nil for the other texts, which are not kept).
    public func tokens(text: Int) -> [Int]? { texts[text].map { $0.map(Int.init) } }

    /// The string of a token id seen in a kept text (nil for others).
    public func tokenString(_ id: Int) -> String? { tokenStrings[Int32(truncatingIfNeeded: id)] }

    /// The tokens around a context: up to `radius` on each side, without a leading special token.
    /// - Throws: `FeatureInterpretationError` for a negative radius or a context whose text is not kept.
    public func window(_ c: Context, radius: Int) throws -> Window {
        guard radius >= 0 else { throw FeatureInterpretationError("window radius must be non-negative, got \(radius)") }
        guard let ids = texts[c.textIndex], c.position >= 0, c.position < ids.count else {
            throw FeatureInterpretationError("text \(c.textIndex) position \(c.position) is not in the kept texts")
        }
        let first = firstTokenIsSpecial ? 1 : 0
        let lo = Swift.max(first, c.position - radius), hi = Swift.min(ids.count, c.position + 1 + radius)
        let str = { (i: Int) in self.tokenStrings[ids[i]] ?? "" }
        return Window(left: (lo..<Swift.max(lo, c.position)).map(str), token: str(c.position), tokenId: Int(ids[c.position]),
                      right: (c.position + 1 < hi ? (c.position + 1)..<hi : hi..<hi).map(str))
    }

    /// The activating tokens of a feature's top contexts with how often each occurs, most frequent
    /// first (ties: the one with the higher activation first).
    /// - Throws: `FeatureInterpretationError` for a layer or feature out of range.
    public func topTokens(layer: Int, feature: Int) throws -> [(token: String, count: Int)] {
        var counts: [String: (count: Int, first: Int)] = [:]
        for (rank, c) in try top(layer: layer, feature: feature).enumerated() {
            let t = try window(c, radius: 0).token
            counts[t, default: (0, rank)].count += 1
        }
        return counts.sorted { ($0.value.count, -$0.value.first) > ($1.value.count, -$1.value.first) }.map { ($0.key, $0.value.count) }
    }

    /// A one-line human-readable summary of a feature: how often and how strongly it is active, its
    /// most frequent activating tokens and, given its logit lens, the tokens it promotes and suppresses.
    /// - Parameters:
    ///   - lens: the feature's logit lens, or nil to leave it out.
    ///   - tokens: how many activating tokens and logit-lens tokens to name.
    /// - Throws: `FeatureInterpretationError` for a layer or feature out of range.
    public func describe(layer: Int, feature: Int, lens: FeatureLogitLens? = nil, tokens: Int = 5) throws -> String {
        let n = try activeCount(layer: layer, feature: feature)
        var s = "layer \(layer) feature \(feature): "
        if let mx = try maxActivation(layer: layer, feature: feature) {
            let pct = 100 * (try density(layer: layer, feature: feature))
            s += "active on \(Self.format(pct))% of \(scoredTokenCount) tokens (\(n)), max \(Self.format(Double(mx)))"
            let tops = try topTokens(layer: layer, feature: feature).prefix(tokens)
            s += "; top tokens " + tops.map { "«\(Self.visible($0.token))» ×\($0.count)" }.joined(separator: ", ")
        } else {
            s += "never active on \(scoredTokenCount) tokens"
        }
        if let lens {
            let show = { (ts: [TokenScore]) in
                ts.prefix(tokens).map { "'\(Self.visible($0.token ?? "#\($0.id)"))'" }.joined(separator: " ")
            }
            s += "; promotes \(show(lens.promoted)); suppresses \(show(lens.suppressed))"
        }
        return s
    }

    // MARK: helpers

    func checked(_ layer: Int) throws -> Layer {
        guard layer >= 0, layer < layers.count else {
            throw FeatureInterpretationError("layer \(layer) is outside 0..<\(layers.count)")
        }
        return layers[layer]
    }

    func checked(_ layer: Int, _ feature: Int) throws -> Layer {
        let l = try checked(layer)
        guard feature >= 0, feature < l.width else {
            throw FeatureInterpretationError("feature \(feature) is outside 0..<\(l.width) at layer \(layer)")
        }
        return l
    }

    /// Escapes line breaks and tabs so that a token shows on one line.
    static func visible(_ s: String) -> String {
        s.replacingOccurrences(of: "\n", with: "\\n").replacingOccurrences(of: "\t", with: "\\t").replacingOccurrences(of: "\r", with: "\\r")
    }

    /// Three significant digits, without exponent for ordinary magnitudes.
    static func format(_ x: Double) -> String {
        if x == 0 { return "0" }
        let a = Swift.abs(x)
        if a >= 1e-3 && a < 1e6 {
            let digits = Swift.max(0, 2 - Int(Foundation.log10(a).rounded(.down)))
            return String(format: "%.\(digits)f", x)
        }
        return String(format: "%.2e", x)
    }
}
