import Dispatch
import Stats
#if canImport(Glibc)
import Glibc
#endif

/// How k-means moves its centres.
public enum KMeansMethod: String, CaseIterable, Sendable {
    /// Lloyd's batch iterations (scikit-learn's `algorithm="lloyd"`).
    case lloyd
    /// Mini-batch k-means (Sculley 2010) with per-centre learning rates.
    case minibatch
}

/// The geometry k-means clusters in.
public enum KMeansMetric: String, CaseIterable, Sendable {
    /// Squared Euclidean distance on the rows as given.
    case euclidean
    /// Rows L2-normalised first, then squared Euclidean distance (= 2 − 2 cos on unit vectors).
    case cosine
}

/// The settings of `KMeans.fit`; the defaults are scikit-learn's.
public struct KMeansOptions: Sendable {
    /// The number of clusters.
    public var k: Int
    /// Lloyd or mini-batch.
    public var method: KMeansMethod = .lloyd
    /// Euclidean or cosine.
    public var metric: KMeansMetric = .euclidean
    /// The most Lloyd iterations, or the most passes over the data for mini-batch.
    public var maxIter = 300
    /// Convergence when the summed squared centre shift is at most `tol` × the mean per-feature variance.
    public var tol = 1e-4
    /// Seeds k-means++ and the mini-batches.
    public var seed: UInt64 = 0
    /// Independent restarts; the run with the lowest inertia wins.
    public var nInit = 1
    /// Rows per mini-batch.
    public var batchSize = 1024
    /// Initial centres (k × d, row-major) instead of k-means++; forces one run.
    public var initialCentroids: [Float]?

    /// Options for `k` clusters with every other setting at its default.
    public init(k: Int) { self.k = k }
}

/// The outcome of k-means.
public struct KMeansResult: Sendable {
    /// The cluster of each row (0-based).
    public var labels: [Int]
    /// The centres, k × d row-major (in the normalised space for the cosine metric).
    public var centroids: [Float]
    /// The number of clusters.
    public var k: Int
    /// The dimension.
    public var d: Int
    /// The sum of squared distances of the rows to their centres.
    public var inertia: Double
    /// Lloyd iterations, or mini-batch steps, of the best run.
    public var iterations: Int
    /// Whether the best run met the tolerance (or its labels stopped changing) before the iteration cap.
    public var converged: Bool
}

/// A row-major n × d matrix of Float32 values, checked once.
public struct FloatMatrix: Sendable {
    /// The values, row-major.
    public var values: [Float]
    /// Rows.
    public let rows: Int
    /// Columns.
    public let cols: Int

    /// Wraps values as a rows × cols matrix.
    /// - Throws: `BehaviorError` when the count does not match, the matrix is empty, or a value is not finite.
    public init(_ values: [Float], rows: Int, cols: Int, name: String = "x") throws {
        guard rows > 0, cols > 0 else { throw BehaviorError("\(name) must have at least one row and one column, got \(rows) × \(cols)") }
        guard values.count == rows * cols else {
            throw BehaviorError("\(name) has \(values.count) values, expected \(rows) × \(cols) = \(rows * cols)")
        }
        if let i = values.firstIndex(where: { !$0.isFinite }) {
            throw BehaviorError("\(name)[\(i / cols + 1)][\(i % cols + 1)] is \(values[i]), every value must be finite")
        }
        self.values = values
        self.rows = rows
        self.cols = cols
    }

    /// A copy with every row scaled to unit L2 norm (zero rows stay zero).
    public func normalizedRows() -> FloatMatrix {
        var out = self
        out.values.withUnsafeMutableBufferPointer { v in
            for i in 0..<rows {
                let row = UnsafeMutableBufferPointer(rebasing: v[(i * cols)..<((i + 1) * cols)])
                var s: Float = 0
                for x in row { s += x * x }
                if s > 0 {
                    let r = 1 / s.squareRoot()
                    for j in row.indices { row[j] *= r }
                }
            }
        }
        return out
    }
}

/// k-means clustering: k-means++ seeding, Lloyd or mini-batch updates, BLAS distances.
public enum KMeans {
    /// Clusters the rows of `x`.
    ///
    /// Seeding is scikit-learn's greedy k-means++: the first centre is a uniformly drawn row; each next
    /// centre is the best (lowest resulting potential) of 2 + ⌊ln k⌋ rows drawn with probability ∝ D².
    /// Lloyd follows scikit-learn's `_kmeans_single_lloyd`: assign, update, stop when the labels repeat or
    /// the summed squared centre shift is ≤ tol × mean feature variance, then reassign to the final centres.
    /// A cluster left empty by an update is re-seeded at the row farthest from its own centre (that row
    /// leaves its old cluster), as scikit-learn does. Mini-batch (Sculley 2010): each step draws
    /// `batchSize` rows, assigns them, and moves each centre towards each of its rows with rate 1/count;
    /// it stops after `maxIter` passes, when a step's squared centre shift is ≤ the tolerance, or when the
    /// smoothed batch inertia has not improved for 10 steps; centres with no rows in the final
    /// assignment are re-seeded at the farthest rows. Distances are ‖x‖² − 2x·c + ‖c‖² with `cblas_sgemm`.
    /// - Throws: `BehaviorError` for k < 1, k > n, bad options, or initial centres of the wrong shape.
    /// - Complexity: O(n·k·d) per iteration.
    public static func fit(_ x: FloatMatrix, _ options: KMeansOptions) throws -> KMeansResult {
        let o = options
        guard o.k >= 1 else { throw BehaviorError("k must be at least 1, got \(o.k)") }
        guard o.k <= x.rows else { throw BehaviorError("k (\(o.k)) must be at most the number of rows (\(x.rows))") }
        guard o.maxIter >= 1 else { throw BehaviorError("max_iter must be at least 1, got \(o.maxIter)") }
        guard o.tol >= 0, o.tol.isFinite else { throw BehaviorError("tol must be a finite number ≥ 0, got \(o.tol)") }
        guard o.nInit >= 1 else { throw BehaviorError("n_init must be at least 1, got \(o.nInit)") }
        guard o.batchSize >= 1 else { throw BehaviorError("batch_size must be at least 1, got \(o.batchSize)") }
        let data = o.metric == .cosine ? x.normalizedRows() : x
        var given: [Float]?
        if let c = o.initialCentroids {
            guard c.count == o.k * x.cols else {
                throw BehaviorError("init must be k × d = \(o.k) × \(x.cols) centres, got \(c.count) values")
            }
            if let i = c.firstIndex(where: { !$0.isFinite }) {
                throw BehaviorError("init[\(i / x.cols + 1)][\(i % x.cols + 1)] is \(c[i]), every value must be finite")
            }
            guard o.nInit == 1 else { throw BehaviorError("n_init must be 1 when initial centres are given, got \(o.nInit)") }
            given = o.metric == .cosine ? try FloatMatrix(c, rows: o.k, cols: x.cols, name: "init").normalizedRows().values : c
        }
        let ws = Workspace(data)
        let tolerance = meanVariance(data) * o.tol
        var rng = SeededGenerator(seed: o.seed)
        var best: KMeansResult?
        for _ in 0..<o.nInit {
            let start = given ?? plusPlus(ws, k: o.k, rng: &rng)
            let r = o.method == .lloyd
                ? lloyd(ws, centres: start, k: o.k, maxIter: o.maxIter, tol: tolerance)
                : miniBatch(ws, centres: start, k: o.k, maxIter: o.maxIter, tol: tolerance, batch: o.batchSize, rng: &rng)
            if best == nil || r.inertia < best!.inertia { best = r }
        }
        return best!
    }

    /// The mean over columns of the per-column (population) variance.
    static func meanVariance(_ x: FloatMatrix) -> Double {
        var mean = [Double](repeating: 0, count: x.cols), sq = [Double](repeating: 0, count: x.cols)
        x.values.withUnsafeBufferPointer { v in
            for i in 0..<x.rows {
                for j in 0..<x.cols {
                    let a = Double(v[i * x.cols + j])
                    mean[j] += a
                    sq[j] += a * a
                }
            }
        }
        let n = Double(x.rows)
        var s = 0.0
        for j in 0..<x.cols { s += max(0, sq[j] / n - (mean[j] / n) * (mean[j] / n)) }
        return s / Double(x.cols)
    }

    /// The data with its squared row norms, and scratch sizes.
    final class Workspace: @unchecked Sendable {
        let x: FloatMatrix
        let norms: [Float]
        var n: Int { x.rows }
        var d: Int { x.cols }
        init(_ x: FloatMatrix) {
            self.x = x
            var norms = [Float](repeating: 0, count: x.rows)
            x.values.withUnsafeBufferPointer { v in
                for i in 0..<x.rows {
                    var s: Float = 0
                    for j in 0..<x.cols { s += v[i * x.cols + j] * v[i * x.cols + j] }
                    norms[i] = s
                }
            }
            self.norms = norms
        }
    }

    /// The BLAS thread count (the parallelism of the assignment step too).
    static var threads: Int { max(1, Int(openblas_get_num_threads())) }

    // MARK: k-means++

    /// scikit-learn's greedy k-means++ seeding (2 + ⌊ln k⌋ candidates per centre).
    static func plusPlus(_ ws: Workspace, k: Int, rng: inout SeededGenerator) -> [Float] {
        let n = ws.n, d = ws.d
        var centres = [Float](repeating: 0, count: k * d)
        let trials = 2 + Int(log(Double(k)))
        let first = rng.nextInt(below: n)
        ws.x.values.withUnsafeBufferPointer { v in
            for j in 0..<d { centres[j] = v[first * d + j] }
        }
        var closest = distancesTo(ws, rows: [first])[0]
        var potential = closest.reduce(0, +)
        for c in 1..<max(1, k) {
            // Candidates drawn with probability ∝ D² (cumulative sum and binary search, as numpy's searchsorted).
            var cum = [Double](repeating: 0, count: n)
            var s = 0.0
            for i in 0..<n { s += closest[i]; cum[i] = s }
            var candidates: [Int] = []
            for _ in 0..<trials {
                let r = rng.nextDouble() * potential
                var lo = 0, hi = n
                while lo < hi {
                    let mid = (lo + hi) / 2
                    if cum[mid] < r { lo = mid + 1 } else { hi = mid }
                }
                candidates.append(min(lo, n - 1))
            }
            let dist = distancesTo(ws, rows: candidates)
            var bestPot = Double.infinity, bestT = 0
            for t in 0..<candidates.count {
                var p = 0.0
                for i in 0..<n { p += min(closest[i], dist[t][i]) }
                if p < bestPot { bestPot = p; bestT = t }
            }
            for i in 0..<n { closest[i] = min(closest[i], dist[bestT][i]) }
            potential = bestPot
            let row = candidates[bestT]
            ws.x.values.withUnsafeBufferPointer { v in
                for j in 0..<d { centres[c * d + j] = v[row * d + j] }
            }
        }
        return centres
    }

    /// Squared distances from the given rows to every row (one list per given row).
    static func distancesTo(_ ws: Workspace, rows: [Int]) -> [[Double]] {
        let n = ws.n, d = ws.d, t = rows.count
        var cand = [Float](repeating: 0, count: t * d)
        ws.x.values.withUnsafeBufferPointer { v in
            for (a, r) in rows.enumerated() { for j in 0..<d { cand[a * d + j] = v[r * d + j] } }
        }
        var dots = [Float](repeating: 0, count: t * n)
        ws.x.values.withUnsafeBufferPointer { v in
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(t), Int32(n), Int32(d), 1, cand, Int32(d),
                        v.baseAddress, Int32(d), 0, &dots, Int32(n))
        }
        return rows.enumerated().map { a, r in
            (0..<n).map { i in max(0, Double(ws.norms[r]) + Double(ws.norms[i]) - 2 * Double(dots[a * n + i])) }
        }
    }

    // MARK: assignment

    /// Rows per sgemm block in the assignment step.
    static let chunk = 512

    /// Assigns every row to its nearest centre; optionally accumulates per-cluster sums and counts.
    /// - Returns: the labels' inertia (Float distances, clamped at 0), summed in Double.
    @discardableResult
    static func assign(_ ws: Workspace, centres: [Float], k: Int, labels: inout [Int], sums: inout [Float], counts: inout [Int],
                       accumulate: Bool) -> Double {
        let n = ws.n, d = ws.d
        let T = threads
        var cnorm = [Float](repeating: 0, count: k)
        for c in 0..<k {
            var s: Float = 0
            for j in 0..<d { s += centres[c * d + j] * centres[c * d + j] }
            cnorm[c] = s
        }
        let chunk = min(Self.chunk, n)
        let chunks = (n + chunk - 1) / chunk
        // Per-thread accumulators and distance blocks (one block each), merged at the end.
        let accSize = accumulate ? k * d : 0
        let partSums = UnsafeMutablePointer<Float>.allocate(capacity: max(1, T * accSize))
        partSums.initialize(repeating: 0, count: max(1, T * accSize))
        let partCounts = UnsafeMutablePointer<Int>.allocate(capacity: T * k)
        partCounts.initialize(repeating: 0, count: T * k)
        let partInertia = UnsafeMutablePointer<Double>.allocate(capacity: T)
        partInertia.initialize(repeating: 0, count: T)
        let dotsAll = UnsafeMutablePointer<Float>.allocate(capacity: T * chunk * k)
        defer {
            partSums.deallocate()
            partCounts.deallocate()
            partInertia.deallocate()
            dotsAll.deallocate()
        }
        // Each worker runs single-threaded sgemm on its own chunks (as scikit-learn's OpenMP loop does);
        // OpenBLAS's own threads are switched off meanwhile and restored after.
        openblas_set_num_threads(1)
        defer { openblas_set_num_threads(Int32(T)) }
        let norms = ws.norms
        labels.withUnsafeMutableBufferPointer { lab in
            ws.x.values.withUnsafeBufferPointer { v in
                cnorm.withUnsafeBufferPointer { cn in
                    norms.withUnsafeBufferPointer { nr in
                        centres.withUnsafeBufferPointer { cp in
                            let lab = lab.baseAddress!, v = v.baseAddress!, cn = cn.baseAddress!, nr = nr.baseAddress!
                            let cp = cp.baseAddress!
                            parallelFor(T) { t in
                                var inertia = 0.0
                                let acc = partSums + t * accSize, cnt = partCounts + t * k, dp = dotsAll + t * chunk * k
                                var ch = t
                                while ch < chunks {
                                    let start = ch * chunk, m = min(chunk, n - start)
                                    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(m), Int32(k), Int32(d), -2, v + start * d,
                                                Int32(d), cp, Int32(d), 0, dp, Int32(k))
                                    for r in 0..<m {
                                        let row = dp + r * k
                                        var bestC = 0
                                        var bestD = row[0] + cn[0]
                                        var c = 1
                                        while c < k {
                                            let dd = row[c] + cn[c]
                                            if dd < bestD { bestD = dd; bestC = c }
                                            c += 1
                                        }
                                        let i = start + r
                                        lab[i] = bestC
                                        inertia += Double(max(0, bestD + nr[i]))
                                        if accumulate {
                                            cnt[bestC] += 1
                                            let src = v + i * d
                                            let dst = acc + bestC * d
                                            for j in 0..<d { dst[j] += src[j] }
                                        }
                                    }
                                    ch += T
                                }
                                partInertia[t] = inertia
                            }
                        }
                    }
                }
            }
        }
        if accumulate {
            sums = [Float](repeating: 0, count: k * d)
            counts = [Int](repeating: 0, count: k)
            for t in 0..<T {
                for c in 0..<k { counts[c] += partCounts[t * k + c] }
                for j in 0..<(k * d) { sums[j] += partSums[t * accSize + j] }
            }
        }
        var total = 0.0
        for t in 0..<T { total += partInertia[t] }
        return total
    }

    /// The exact inertia Σ‖x − c(x)‖², accumulated in Double.
    static func exactInertia(_ ws: Workspace, centres: [Float], labels: [Int]) -> Double {
        let d = ws.d
        var s = 0.0
        ws.x.values.withUnsafeBufferPointer { v in
            for i in 0..<ws.n {
                let c = labels[i]
                for j in 0..<d {
                    let e = Double(v[i * d + j]) - Double(centres[c * d + j])
                    s += e * e
                }
            }
        }
        return s
    }

    /// Re-seeds each empty cluster at the row farthest from its current centre (scikit-learn's relocation):
    /// that row's values become the cluster's sum, and they leave the row's old cluster.
    static func relocateEmpty(_ ws: Workspace, oldCentres: [Float], k: Int, labels: [Int], sums: inout [Float], counts: inout [Int]) {
        let empty = (0..<k).filter { counts[$0] == 0 }
        guard !empty.isEmpty else { return }
        let d = ws.d
        var dist = [(Double, Int)]()
        dist.reserveCapacity(ws.n)
        ws.x.values.withUnsafeBufferPointer { v in
            for i in 0..<ws.n {
                let c = labels[i]
                var s = 0.0
                for j in 0..<d {
                    let e = Double(v[i * d + j]) - Double(oldCentres[c * d + j])
                    s += e * e
                }
                dist.append((s, i))
            }
        }
        dist.sort { $0.0 != $1.0 ? $0.0 > $1.0 : $0.1 < $1.1 }
        ws.x.values.withUnsafeBufferPointer { v in
            for (e, (_, i)) in zip(empty, dist) {
                let old = labels[i]
                guard counts[old] > 1 else { continue }
                for j in 0..<d {
                    sums[old * d + j] -= v[i * d + j]
                    sums[e * d + j] = v[i * d + j]
                }
                counts[old] -= 1
                counts[e] = 1
            }
        }
    }

    // MARK: Lloyd

    static func lloyd(_ ws: Workspace, centres start: [Float], k: Int, maxIter: Int, tol: Double) -> KMeansResult {
        let n = ws.n, d = ws.d
        var centres = start
        var labels = [Int](repeating: -1, count: n), old = labels
        var sums: [Float] = [], counts: [Int] = []
        var converged = false, strict = false
        var iterations = 0
        for it in 0..<maxIter {
            iterations = it + 1
            assign(ws, centres: centres, k: k, labels: &labels, sums: &sums, counts: &counts, accumulate: true)
            relocateEmpty(ws, oldCentres: centres, k: k, labels: labels, sums: &sums, counts: &counts)
            var shift = 0.0
            for c in 0..<k {
                let inv = 1 / Float(counts[c])
                for j in 0..<d {
                    let v = sums[c * d + j] * inv
                    let e = Double(v) - Double(centres[c * d + j])
                    shift += e * e
                    centres[c * d + j] = v
                }
            }
            if labels == old {
                strict = true
                converged = true
                break
            }
            if shift <= tol {
                converged = true
                break
            }
            old = labels
        }
        if !strict {
            assign(ws, centres: centres, k: k, labels: &labels, sums: &sums, counts: &counts, accumulate: false)
        }
        return KMeansResult(labels: labels, centroids: centres, k: k, d: d, inertia: exactInertia(ws, centres: centres, labels: labels),
                            iterations: iterations, converged: converged)
    }

    // MARK: mini-batch

    static func miniBatch(_ ws: Workspace, centres start: [Float], k: Int, maxIter: Int, tol: Double, batch: Int,
                          rng: inout SeededGenerator) -> KMeansResult {
        let n = ws.n, d = ws.d
        let b = min(batch, n)
        var centres = start
        var seen = [Int](repeating: 0, count: k)
        let steps = maxIter * ((n + b - 1) / b)
        var ewa: Double?
        var bestEwa = Double.infinity, noImprovement = 0
        var converged = false
        var iterations = 0
        var batchRows = [Float](repeating: 0, count: b * d)
        var dots = [Float](repeating: 0, count: b * k)
        var idx = [Int](repeating: 0, count: b)
        for step in 0..<steps {
            iterations = step + 1
            for r in 0..<b { idx[r] = rng.nextInt(below: n) }
            ws.x.values.withUnsafeBufferPointer { v in
                for r in 0..<b { for j in 0..<d { batchRows[r * d + j] = v[idx[r] * d + j] } }
            }
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(b), Int32(k), Int32(d), -2, batchRows, Int32(d),
                        centres, Int32(d), 0, &dots, Int32(k))
            var cnorm = [Float](repeating: 0, count: k)
            for c in 0..<k { var s: Float = 0; for j in 0..<d { s += centres[c * d + j] * centres[c * d + j] }; cnorm[c] = s }
            let before = centres
            var batchInertia = 0.0
            for r in 0..<b {
                var bc = 0
                var bd = dots[r * k] + cnorm[0]
                for c in 1..<max(1, k) where dots[r * k + c] + cnorm[c] < bd { bd = dots[r * k + c] + cnorm[c]; bc = c }
                batchInertia += Double(max(0, bd + ws.norms[idx[r]]))
                seen[bc] += 1
                let eta = 1 / Float(seen[bc])
                for j in 0..<d { centres[bc * d + j] += eta * (batchRows[r * d + j] - centres[bc * d + j]) }
            }
            var shift = 0.0
            for j in 0..<(k * d) { let e = Double(centres[j]) - Double(before[j]); shift += e * e }
            if tol > 0, shift <= tol { converged = true; break }
            let mean = batchInertia / Double(b)
            let alpha = min(1, 2 * Double(b) / Double(n + 1))
            ewa = ewa.map { $0 * (1 - alpha) + mean * alpha } ?? mean
            if ewa! < bestEwa { bestEwa = ewa!; noImprovement = 0 } else {
                noImprovement += 1
                if noImprovement >= 10 { converged = true; break }
            }
        }
        var labels = [Int](repeating: 0, count: n)
        var sums: [Float] = [], counts: [Int] = []
        assign(ws, centres: centres, k: k, labels: &labels, sums: &sums, counts: &counts, accumulate: true)
        let empty = (0..<k).filter { counts[$0] == 0 }
        if !empty.isEmpty {
            // Re-seed centres that own no row at the farthest rows, then assign once more.
            relocateEmpty(ws, oldCentres: centres, k: k, labels: labels, sums: &sums, counts: &counts)
            for c in empty where counts[c] == 1 {
                for j in 0..<d { centres[c * d + j] = sums[c * d + j] }
            }
            assign(ws, centres: centres, k: k, labels: &labels, sums: &sums, counts: &counts, accumulate: false)
        }
        return KMeansResult(labels: labels, centroids: centres, k: k, d: d, inertia: exactInertia(ws, centres: centres, labels: labels),
                            iterations: iterations, converged: converged)
    }
}
