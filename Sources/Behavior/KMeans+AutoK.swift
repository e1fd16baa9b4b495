import Stats

/// The mean silhouette of a clustering, and k-means with k chosen by it.
public enum Silhouette {
    /// The mean silhouette coefficient (Rousseeuw 1987) of `labels` on the rows of `x`.
    ///
    /// s(i) = (b − a) / max(a, b) with a the mean distance from row i to the other rows of its cluster and
    /// b the smallest mean distance to another cluster's rows; s(i) = 0 for a row alone in its cluster
    /// (scikit-learn's `silhouette_score`). Distances are Euclidean, or cosine distances 1 − cos for
    /// `.cosine`.
    /// - Parameters:
    ///   - labels: one cluster id (any integers) per row; at least 2 and at most n − 1 distinct ids.
    /// - Throws: `BehaviorError` when the label count differs from the row count or the cluster count is out of range.
    /// - Complexity: O(n²·d) time, O(n²) memory (subsample large inputs).
    public static func score(_ x: FloatMatrix, labels: [Int], metric: KMeansMetric = .euclidean) throws -> Double {
        let n = x.rows, d = x.cols
        guard labels.count == n else { throw BehaviorError("labels has \(labels.count) entries, expected one per row (\(n))") }
        var ids: [Int: Int] = [:]
        let lab = labels.map { l -> Int in
            if let c = ids[l] { return c }
            ids[l] = ids.count
            return ids.count - 1
        }
        let k = ids.count
        guard k >= 2, k <= n - 1 else {
            throw BehaviorError("silhouette needs 2 ≤ clusters ≤ rows − 1, got \(k) cluster\(k == 1 ? "" : "s") for \(n) rows")
        }
        let m = metric == .cosine ? x.normalizedRows() : x
        var norms = [Double](repeating: 0, count: n)
        for i in 0..<n { var s = 0.0; for j in 0..<d { s += Double(m.values[i * d + j]) * Double(m.values[i * d + j]) }; norms[i] = s }
        var gram = [Float](repeating: 0, count: n * n)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(n), Int32(n), Int32(d), 1, m.values, Int32(d), m.values, Int32(d),
                    0, &gram, Int32(n))
        var sizes = [Int](repeating: 0, count: k)
        for c in lab { sizes[c] += 1 }
        var total = 0.0
        var perCluster = [Double](repeating: 0, count: k)
        for i in 0..<n {
            for c in 0..<k { perCluster[c] = 0 }
            for j in 0..<n where j != i {
                let sq = max(0, norms[i] + norms[j] - 2 * Double(gram[i * n + j]))
                perCluster[lab[j]] += metric == .cosine ? sq / 2 : sq.squareRoot()
            }
            let own = lab[i]
            guard sizes[own] > 1 else { continue }
            let a = perCluster[own] / Double(sizes[own] - 1)
            var b = Double.infinity
            for c in 0..<k where c != own { b = min(b, perCluster[c] / Double(sizes[c])) }
            let den = max(a, b)
            total += den > 0 ? (b - a) / den : 0
        }
        return total / Double(n)
    }
}

/// One candidate of the k chooser.
public struct KChoice: Sendable {
    /// The number of clusters tried.
    public var k: Int
    /// Its mean silhouette on the subsample.
    public var silhouette: Double
}

extension KMeans {
    /// The k grid tried by `fitAuto`: 2, 4, 8, 16, … up to ⌊n/5⌋ (at most 256).
    public static func autoGrid(rows n: Int) -> [Int] {
        var out: [Int] = []
        var k = 2
        while k <= n / 5, k <= 256 {
            out.append(k)
            k *= 2
        }
        return out
    }

    /// Runs k-means for every k of `autoGrid` and keeps the one with the best mean silhouette.
    ///
    /// The silhouette is computed on one seeded subsample of at most `sample` rows (the same rows for
    /// every k), in the metric of the options; ties go to the smaller k. `options.k` is ignored.
    /// - Returns: the chosen result and the silhouette of every k tried.
    /// - Throws: `BehaviorError` when n < 10 (the grid is empty) or the options are invalid.
    public static func fitAuto(_ x: FloatMatrix, _ options: KMeansOptions, sample: Int = 2000) throws -> (KMeansResult, [KChoice]) {
        let grid = autoGrid(rows: x.rows)
        guard !grid.isEmpty else {
            throw BehaviorError("k = \"auto\" needs at least 10 rows (k from 2 to n/5), got \(x.rows)")
        }
        guard options.initialCentroids == nil else { throw BehaviorError("k = \"auto\" cannot use given initial centres") }
        var rng = SeededGenerator(seed: options.seed ^ 0x5111_0e77e)
        var rows = Array(0..<x.rows)
        if x.rows > sample {
            rng.shuffle(&rows)
            rows = Array(rows.prefix(sample)).sorted()
        }
        var sub = [Float]()
        sub.reserveCapacity(rows.count * x.cols)
        for r in rows { sub.append(contentsOf: x.values[(r * x.cols)..<((r + 1) * x.cols)]) }
        let subM = try FloatMatrix(sub, rows: rows.count, cols: x.cols)
        var best: (KMeansResult, Double)?
        var choices: [KChoice] = []
        for k in grid {
            var o = options
            o.k = k
            let r = try fit(x, o)
            let labels = rows.map { r.labels[$0] }
            let s = Set(labels).count >= 2 && Set(labels).count < rows.count
                ? try Silhouette.score(subM, labels: labels, metric: options.metric) : -1
            choices.append(KChoice(k: k, silhouette: s))
            if best == nil || s > best!.1 { best = (r, s) }
        }
        return (best!.0, choices)
    }
}
