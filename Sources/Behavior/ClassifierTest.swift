import Dispatch
import Stats
#if canImport(Glibc)
import Glibc
#endif

/// The settings of `ClassifierTest.run`.
public struct ClassifierTestOptions: Sendable {
    /// Cross-validation folds (stratified).
    public var folds = 5
    /// Label permutations for the p-value.
    public var permutations = 200
    /// The L2 penalty λ of the logistic regression (scikit-learn's C = 1/λ).
    public var l2 = 1.0
    /// Seeds the folds and the permutations.
    public var seed: UInt64 = 0

    /// The defaults.
    public init() {}
}

/// The outcome of a classifier two-sample test.
public struct ClassifierTestResult: Sendable {
    /// Held-out accuracy (predicted class = probability ≥ 0.5), pooled over the folds.
    public var accuracy: Double
    /// Held-out AUC of the pooled out-of-fold scores (B as the positive class).
    public var auc: Double
    /// (1 + #{permuted accuracy ≥ observed}) / (permutations + 1).
    public var pvalue: Double
    /// The number of permutations.
    public var permutations: Int
    /// Rows of A.
    public var nA: Int
    /// Rows of B.
    public var nB: Int
}

/// The classifier two-sample test (Lopez-Paz & Oquab 2017): can a classifier tell A's rows from B's?
public enum ClassifierTest {
    /// Tests whether two sets of vectors come from the same distribution.
    ///
    /// Features are standardised over A ∪ B (label-free, so the permutation null is unchanged). An
    /// L2-regularised logistic regression — minimising Σ log(1 + e^(−y·(w·x + b))) + λ/2 ‖w‖², intercept
    /// unpenalised, by L-BFGS to a gradient of 1e-6·n — is fitted on k − 1 stratified folds and scored on the
    /// held-out fold. The statistic is the pooled held-out accuracy; its null distribution comes from refitting
    /// with the labels permuted (stratified folds redrawn for each), seeded per permutation so the result does
    /// not depend on the thread count.
    /// - Parameters:
    ///   - a: the first set, one row each.
    ///   - b: the second set, same columns.
    /// - Throws: `BehaviorError` when the column counts differ, a set has fewer rows than folds, or an option is out of range.
    /// - Complexity: O((permutations + 1) · folds · iterations · n · d).
    public static func run(_ a: FloatMatrix, _ b: FloatMatrix, _ options: ClassifierTestOptions = ClassifierTestOptions()) throws
        -> ClassifierTestResult
    {
        let o = options
        guard a.cols == b.cols else { throw BehaviorError("xa has \(a.cols) columns but xb has \(b.cols); they must match") }
        guard o.folds >= 2 else { throw BehaviorError("folds must be at least 2, got \(o.folds)") }
        guard o.permutations >= 1 else { throw BehaviorError("permutations must be at least 1, got \(o.permutations)") }
        guard o.l2 > 0, o.l2.isFinite else { throw BehaviorError("l2 must be a positive number, got \(o.l2)") }
        guard a.rows >= o.folds else { throw BehaviorError("xa has \(a.rows) rows, need at least folds (\(o.folds))") }
        guard b.rows >= o.folds else { throw BehaviorError("xb has \(b.rows) rows, need at least folds (\(o.folds))") }
        let n = a.rows + b.rows, d = a.cols
        // Standardised features, row-major Double.
        var x = [Double](repeating: 0, count: n * d)
        for i in 0..<a.rows { for j in 0..<d { x[i * d + j] = Double(a.values[i * d + j]) } }
        for i in 0..<b.rows { for j in 0..<d { x[(a.rows + i) * d + j] = Double(b.values[i * d + j]) } }
        for j in 0..<d {
            var m = 0.0, s = 0.0
            for i in 0..<n { m += x[i * d + j] }
            m /= Double(n)
            for i in 0..<n { s += (x[i * d + j] - m) * (x[i * d + j] - m) }
            let sd = (s / Double(n)).squareRoot()
            let inv = sd > 0 ? 1 / sd : 0
            for i in 0..<n { x[i * d + j] = (x[i * d + j] - m) * inv }
        }
        let labels = [Bool](repeating: false, count: a.rows) + [Bool](repeating: true, count: b.rows)
        let observed = x.withUnsafeBufferPointer { xp in
            crossValidate(xp.baseAddress!, n: n, d: d, labels: labels, folds: o.folds, l2: o.l2, seed: o.seed)
        }
        let B = o.permutations
        var exceed = [Int](repeating: 0, count: B)
        let threads = max(1, min(B, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))))
        exceed.withUnsafeMutableBufferPointer { ex in
            let ex = ex.baseAddress!
            x.withUnsafeBufferPointer { xp in
                let xp = xp.baseAddress!
                parallelFor(threads) { t in
                    var p = t
                    while p < B {
                        var g = SeededGenerator(seed: o.seed &+ UInt64(p + 1) &* 0x9E37_79B9_7F4A_7C15)
                        var perm = labels
                        g.shuffle(&perm)
                        let r = crossValidate(xp, n: n, d: d, labels: perm, folds: o.folds, l2: o.l2, seed: g.next())
                        ex[p] = r.accuracy >= observed.accuracy - 1e-12 ? 1 : 0
                        p += threads
                    }
                }
            }
        }
        let count = exceed.reduce(0, +)
        return ClassifierTestResult(accuracy: observed.accuracy, auc: observed.auc, pvalue: Double(count + 1) / Double(B + 1),
                                    permutations: B, nA: a.rows, nB: b.rows)
    }

    /// Stratified folds: each class shuffled, then dealt round-robin (the second class continues the first's count).
    static func stratifiedFolds(_ labels: [Bool], folds: Int, rng: inout SeededGenerator) -> [Int] {
        var fold = [Int](repeating: 0, count: labels.count)
        var neg = labels.indices.filter { !labels[$0] }, pos = labels.indices.filter { labels[$0] }
        rng.shuffle(&neg)
        rng.shuffle(&pos)
        var k = 0
        for i in neg + pos {
            fold[i] = k % folds
            k += 1
        }
        return fold
    }

    /// Held-out accuracy and AUC of k-fold logistic regression.
    static func crossValidate(_ xp: UnsafePointer<Double>, n: Int, d: Int, labels: [Bool], folds: Int, l2: Double, seed: UInt64)
        -> (accuracy: Double, auc: Double)
    {
        var rng = SeededGenerator(seed: seed)
        let fold = stratifiedFolds(labels, folds: folds, rng: &rng)
        var scores = [Double](repeating: 0, count: n)
        var correct = 0
        do {
            for f in 0..<folds {
                let train = (0..<n).filter { fold[$0] != f }
                let (w, b0) = fitLogistic(xp, d: d, rows: train, labels: labels, l2: l2)
                for i in 0..<n where fold[i] == f {
                    var s = b0
                    let row = xp + i * d
                    for j in 0..<d { s += w[j] * row[j] }
                    scores[i] = s
                    if (s >= 0) == labels[i] { correct += 1 }
                }
            }
        }
        return (Double(correct) / Double(n), auc(scores, labels))
    }

    /// The AUC of scores for the positive labels against the negative ones (ties count one half).
    static func auc(_ scores: [Double], _ labels: [Bool]) -> Double {
        let order = scores.indices.sorted { scores[$0] < scores[$1] }
        var ranks = [Double](repeating: 0, count: scores.count)
        var i = 0
        while i < order.count {
            var j = i
            while j + 1 < order.count, scores[order[j + 1]] == scores[order[i]] { j += 1 }
            let r = Double(i + j) / 2 + 1
            for t in i...j { ranks[order[t]] = r }
            i = j + 1
        }
        let nPos = Double(labels.filter { $0 }.count), nNeg = Double(labels.count) - nPos
        var sum = 0.0
        for (k, l) in labels.enumerated() where l { sum += ranks[k] }
        return (sum - nPos * (nPos + 1) / 2) / (nPos * nNeg)
    }

    /// L2-regularised logistic regression on the given rows by L-BFGS (memory 10, backtracking Armijo search).
    static func fitLogistic(_ x: UnsafePointer<Double>, d: Int, rows: [Int], labels: [Bool], l2: Double) -> ([Double], Double) {
        let p = d + 1  // weights then intercept
        let m = rows.count
        var s = [Double](repeating: 0, count: m)
        func objective(_ w: [Double], _ grad: inout [Double]) -> Double {
            var f = 0.0
            for t in 0..<p { grad[t] = 0 }
            for (r, i) in rows.enumerated() {
                let row = x + i * d
                var z = w[d]
                for j in 0..<d { z += w[j] * row[j] }
                s[r] = z
                let y = labels[i] ? 1.0 : -1.0
                let yz = y * z
                f += yz > 0 ? log1p(exp(-yz)) : -yz + log1p(exp(yz))
                // d/dz log(1 + e^{−yz}) = −y σ(−yz)
                let sig = yz > 0 ? exp(-yz) / (1 + exp(-yz)) : 1 / (1 + exp(yz))
                let gz = -y * sig
                grad[d] += gz
                for j in 0..<d { grad[j] += gz * row[j] }
            }
            for j in 0..<d {
                f += 0.5 * l2 * w[j] * w[j]
                grad[j] += l2 * w[j]
            }
            return f
        }
        var w = [Double](repeating: 0, count: p)
        var g = [Double](repeating: 0, count: p)
        var f = objective(w, &g)
        var sList: [[Double]] = [], yList: [[Double]] = [], rho: [Double] = []
        let gtol = 1e-6 * Double(max(1, m))
        var gNew = g
        for iter in 0..<500 {
            if g.map(abs).max()! <= gtol { break }
            // Two-loop recursion: direction = −H g.
            var q = g
            var alphas = [Double](repeating: 0, count: sList.count)
            for k in stride(from: sList.count - 1, through: 0, by: -1) {
                var a = 0.0
                for t in 0..<p { a += sList[k][t] * q[t] }
                a *= rho[k]
                alphas[k] = a
                for t in 0..<p { q[t] -= a * yList[k][t] }
            }
            if let sl = sList.last, let yl = yList.last {
                var sy = 0.0, yy = 0.0
                for t in 0..<p { sy += sl[t] * yl[t]; yy += yl[t] * yl[t] }
                let gamma = sy / yy
                for t in 0..<p { q[t] *= gamma }
            } else {
                let gn = g.reduce(0) { $0 + $1 * $1 }.squareRoot()
                for t in 0..<p { q[t] /= max(gn, 1) }
            }
            for k in 0..<sList.count {
                var bta = 0.0
                for t in 0..<p { bta += yList[k][t] * q[t] }
                bta *= rho[k]
                for t in 0..<p { q[t] += sList[k][t] * (alphas[k] - bta) }
            }
            var slope = 0.0
            for t in 0..<p { slope -= g[t] * q[t] }
            if slope >= 0 {  // not a descent direction: restart from steepest descent
                sList.removeAll(); yList.removeAll(); rho.removeAll()
                let gn = g.reduce(0) { $0 + $1 * $1 }.squareRoot()
                for t in 0..<p { q[t] = g[t] / max(gn, 1) }
                slope = -g.reduce(0) { $0 + $1 * $1 } / max(gn, 1)
            }
            var step = 1.0
            var wNew = w
            var fNew = f
            var accepted = false
            for _ in 0..<40 {
                for t in 0..<p { wNew[t] = w[t] - step * q[t] }
                fNew = objective(wNew, &gNew)
                if fNew <= f + 1e-4 * step * slope { accepted = true; break }
                step *= 0.5
            }
            if !accepted { break }
            var sv = [Double](repeating: 0, count: p), yv = [Double](repeating: 0, count: p)
            var sy = 0.0
            for t in 0..<p { sv[t] = wNew[t] - w[t]; yv[t] = gNew[t] - g[t]; sy += sv[t] * yv[t] }
            let fOld = f
            (w, f, g) = (wNew, fNew, gNew)
            if sy > 1e-12 {
                sList.append(sv); yList.append(yv); rho.append(1 / sy)
                if sList.count > 10 { sList.removeFirst(); yList.removeFirst(); rho.removeFirst() }
            }
            if abs(fOld - f) <= 1e-12 * max(1, abs(f)) && iter > 0 { break }
        }
        return (Array(w[0..<d]), w[d])
    }
}
