#if canImport(Glibc)
import Glibc
#endif

/// One n-gram scored by `LogOdds.compare`.
public struct NGramScore: Sendable, Equatable {
    /// The words, lowercased, joined by single spaces.
    public var ngram: String
    /// δ / σ: positive leans to A, negative to B.
    public var z: Double
    /// The log-odds ratio δ with the prior.
    public var delta: Double
    /// Occurrences in A.
    public var countA: Int
    /// Occurrences in B.
    public var countB: Int
    /// Texts of A that contain it.
    public var docsA: Int
    /// Texts of B that contain it.
    public var docsB: Int
}

/// The settings of `LogOdds.compare`.
public struct LogOddsOptions: Sendable {
    /// Background texts for the prior (nil: A ∪ B).
    public var priorTexts: [String]?
    /// The longest n-gram, in words.
    public var ngramMax = 2
    /// The fewest occurrences in A and B together for an n-gram to be listed.
    public var minCount = 3
    /// How many n-grams to list per side.
    public var top = 20
    /// The prior's total mass α₀ (nil: the background's n-gram total, so α_w ≈ the background count of w).
    public var priorMass: Double?

    /// The defaults.
    public init() {}
}

/// Contrastive n-gram labels: the log-odds ratio with an informative Dirichlet prior
/// (Monroe, Colaresi & Quinn 2008, "Fightin' Words", eqs. 16–22).
public enum LogOdds {
    /// The words of a text: lowercased runs of letters, digits and apostrophes (' and ’).
    public static func words(_ text: String) -> [String] {
        var out: [String] = []
        var cur = ""
        for ch in text.lowercased() {
            if ch.isLetter || ch.isNumber || ch == "'" || ch == "’" {
                cur.append(ch)
            } else if !cur.isEmpty {
                out.append(cur)
                cur = ""
            }
        }
        if !cur.isEmpty { out.append(cur) }
        return out
    }

    /// The word n-grams (n = 1 … nMax) of a text, in order.
    public static func ngrams(_ text: String, nMax: Int) -> [String] {
        let w = words(text)
        var out: [String] = []
        for n in 1...max(1, nMax) where n <= w.count {
            for i in 0...(w.count - n) { out.append(w[i..<(i + n)].joined(separator: " ")) }
        }
        return out
    }

    /// n-gram counts and document frequencies of a list of texts.
    static func tally(_ texts: [String], nMax: Int) -> (counts: [String: Int], docs: [String: Int], total: Int) {
        var counts: [String: Int] = [:], docs: [String: Int] = [:]
        var total = 0
        for t in texts {
            let g = ngrams(t, nMax: nMax)
            total += g.count
            for x in g { counts[x, default: 0] += 1 }
            for x in Set(g) { docs[x, default: 0] += 1 }
        }
        return (counts, docs, total)
    }

    /// Ranks the n-grams that separate texts A from texts B.
    ///
    /// With y_w^A, y_w^B the counts of n-gram w, n^A, n^B the n-gram totals, and a background with counts b_w
    /// over the vocabulary V (A ∪ B ∪ background), the prior is α_w = α₀ (b_w + 0.01) / Σ_v (b_v + 0.01) — the
    /// 0.01 keeps α_w > 0 for n-grams the background lacks. Then (Monroe et al. eqs. 16, 20–22)
    ///   δ_w = log[(y_w^A + α_w) / (n^A + α₀ − y_w^A − α_w)] − log[(y_w^B + α_w) / (n^B + α₀ − y_w^B − α_w)],
    ///   σ²_w ≈ 1 / (y_w^A + α_w) + 1 / (y_w^B + α_w),   z_w = δ_w / σ_w.
    /// n-grams with y_w^A + y_w^B < minCount are dropped; A's list holds the largest positive z, B's the most
    /// negative, `top` each (ties by n-gram text).
    /// - Throws: `BehaviorError` when A or B is empty or has no words, or an option is out of range.
    public static func compare(_ a: [String], _ b: [String], _ options: LogOddsOptions = LogOddsOptions()) throws
        -> (a: [NGramScore], b: [NGramScore])
    {
        let o = options
        guard !a.isEmpty else { throw BehaviorError("texts_a is empty") }
        guard !b.isEmpty else { throw BehaviorError("texts_b is empty") }
        guard (1...8).contains(o.ngramMax) else { throw BehaviorError("ngram_max must be in 1…8, got \(o.ngramMax)") }
        guard o.minCount >= 1 else { throw BehaviorError("min_count must be at least 1, got \(o.minCount)") }
        guard o.top >= 0 else { throw BehaviorError("top must be ≥ 0, got \(o.top)") }
        if let m = o.priorMass, !(m > 0 && m.isFinite) { throw BehaviorError("prior_mass must be a positive number, got \(m)") }
        let ta = tally(a, nMax: o.ngramMax), tb = tally(b, nMax: o.ngramMax)
        guard ta.total > 0 else { throw BehaviorError("texts_a has no words") }
        guard tb.total > 0 else { throw BehaviorError("texts_b has no words") }
        var background: [String: Int]
        var bgTotal: Int
        if let p = o.priorTexts {
            let t = tally(p, nMax: o.ngramMax)
            guard t.total > 0 else { throw BehaviorError("prior_texts has no words") }
            (background, bgTotal) = (t.counts, t.total)
        } else {
            background = ta.counts
            for (w, c) in tb.counts { background[w, default: 0] += c }
            bgTotal = ta.total + tb.total
        }
        var vocab = Set(ta.counts.keys)
        vocab.formUnion(tb.counts.keys)
        vocab.formUnion(background.keys)
        let eps = 0.01
        let alpha0 = o.priorMass ?? Double(bgTotal)
        let norm = Double(bgTotal) + eps * Double(vocab.count)
        let nA = Double(ta.total), nB = Double(tb.total)
        var scored: [NGramScore] = []
        for w in Set(ta.counts.keys).union(tb.counts.keys) {
            let ya = ta.counts[w] ?? 0, yb = tb.counts[w] ?? 0
            guard ya + yb >= o.minCount else { continue }
            let aw = alpha0 * (Double(background[w] ?? 0) + eps) / norm
            let (fa, fb) = (Double(ya) + aw, Double(yb) + aw)
            let delta = log(fa / (nA + alpha0 - fa)) - log(fb / (nB + alpha0 - fb))
            guard delta.isFinite else { continue }  // a one-n-gram vocabulary: nothing to contrast
            let sigma = (1 / fa + 1 / fb).squareRoot()
            scored.append(NGramScore(ngram: w, z: delta / sigma, delta: delta, countA: ya, countB: yb,
                                     docsA: ta.docs[w] ?? 0, docsB: tb.docs[w] ?? 0))
        }
        let sideA = scored.filter { $0.z > 0 }.sorted { $0.z != $1.z ? $0.z > $1.z : $0.ngram < $1.ngram }
        let sideB = scored.filter { $0.z < 0 }.sorted { $0.z != $1.z ? $0.z < $1.z : $0.ngram < $1.ngram }
        return (Array(sideA.prefix(o.top)), Array(sideB.prefix(o.top)))
    }
}
