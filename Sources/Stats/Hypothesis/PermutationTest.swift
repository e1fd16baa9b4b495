import Foundation

/// The result of a two-sample permutation test (`permutationTest`).
public struct PermutationTestResult: HypothesisTestResult, Equatable {
    /// The statistic of the observed samples.
    public let statistic: Double
    /// The p-value: count/N for an exact test, (count + 1)/(B + 1) for a randomized one.
    public let pvalue: Double
    /// The number of permutations the null distribution holds (every split when `exact`).
    public let permutations: Int
    /// Whether every distinct split of the pooled data was enumerated.
    public let exact: Bool
}

/// Tests whether two independent samples are exchangeable with a permutation test of the
/// difference of their means.
///
/// Equals `permutationTest(x, y, statistic: { mean($0) − mean($1) }, …)` with a faster inner loop;
/// see that function for the p-value conventions (those of `scipy.stats.permutation_test` with
/// `permutation_type='independent'`).
/// - Parameters:
///   - x: the first sample, at least 2 finite values (as scipy).
///   - y: the second sample, at least 2 finite values.
///   - alternative: `.greater` when large values of mean(x) − mean(y) are evidence against the null.
///   - resamples: the number of random permutations B (9999 by default, as scipy); when the
///     number of distinct splits C(n₁ + n₂, n₁) is at most B, all of them are enumerated instead.
///   - seed: the seed of the `SeededGenerator` that draws the permutations.
/// - Returns: the observed mean difference and its p-value.
/// - Throws: `StatsError.insufficientData` for a sample with fewer than 2 values; `StatsError.invalidArgument` for a
///   NaN or infinity or resamples < 1.
/// - Complexity: O(min(B, C(n₁ + n₂, n₁))·(n₁ + n₂)).
public func permutationTest(_ x: [Double], _ y: [Double], alternative: Alternative = .twoSided,
                            resamples: Int = 9999, seed: UInt64 = 0) throws(StatsError) -> PermutationTestResult {
    let function = "permutationTest"
    try PermutationEngine.validate(x, y, resamples: resamples, function)
    let pooled = x + y
    let n1 = Double(x.count), n2 = Double(y.count)
    let total = SampleSummary.sum(pooled)
    // One formula, summing in ascending index order, for the observed and the permuted splits, so
    // that a split equal to the observed one gives a bit-identical statistic.
    func meanDifference(_ sum1: Double) -> Double { sum1 / n1 - (total - sum1) / n2 }
    func subsetSum<C: Collection<Int>>(_ indices: C) -> Double {
        var s = 0.0
        for i in indices { s += pooled[i] }
        return s
    }
    let observed = meanDifference(subsetSum(0..<x.count))
    let null = PermutationEngine.nullDistribution(pooled, n1: x.count, resamples: resamples, seed: seed) {
        meanDifference(subsetSum($0))
    }
    return PermutationEngine.result(observed, null, alternative: alternative)
}

/// Tests whether two independent samples are exchangeable with a permutation test of any statistic.
///
/// Matches `scipy.stats.permutation_test((x, y), statistic, permutation_type='independent',
/// n_resamples=resamples, alternative)`: the pooled values are split into samples of the original
/// sizes. When the number of distinct splits C(n₁ + n₂, n₁) is at most `resamples` every split is
/// enumerated (the observed one included) and p = count/C; otherwise B random splits are drawn and
/// p = (count + 1)/(B + 1), never 0. `.greater` counts statistics ≥ observed − γ, `.less` those
/// ≤ observed + γ, with γ = 100·ε·|observed| so that values equal in exact arithmetic count as
/// ties (scipy's tolerance); `.twoSided` is 2·min(less, greater), capped at 1.
/// - Parameters:
///   - x: the first sample, at least 2 finite values (as scipy).
///   - y: the second sample, at least 2 finite values.
///   - statistic: the statistic of two samples (values in their original order within each
///     sample for an enumerated split); its errors are rethrown.
///   - alternative: `.greater` when large values of the statistic are evidence against the null.
///   - resamples: the number of random permutations B, ≥ 1.
///   - seed: the seed of the `SeededGenerator` that draws the permutations.
/// - Returns: the observed statistic and its p-value.
/// - Throws: `StatsError.insufficientData` for a sample with fewer than 2 values; `StatsError.invalidArgument` for a
///   NaN or infinity in the data, resamples < 1 or a NaN statistic; any error of `statistic`.
/// - Complexity: O(min(B, C(n₁ + n₂, n₁))) calls of `statistic`.
public func permutationTest(_ x: [Double], _ y: [Double], statistic: ([Double], [Double]) throws -> Double,
                            alternative: Alternative = .twoSided, resamples: Int = 9999,
                            seed: UInt64 = 0) throws -> PermutationTestResult {
    let function = "permutationTest"
    try PermutationEngine.validate(x, y, resamples: resamples, function)
    let pooled = x + y
    let observed = try statistic(x, y)
    guard !observed.isNaN else { throw StatsError.invalidArgument("\(function): statistic returned NaN for the observed samples") }
    let n = pooled.count
    var firstBuffer = [Double](), secondBuffer = [Double]()
    var inFirst = [Bool](repeating: false, count: n)
    let null = try PermutationEngine.nullDistributionThrowing(pooled, n1: x.count, resamples: resamples, seed: seed) { indices in
        for i in 0..<n { inFirst[i] = false }
        for i in indices { inFirst[i] = true }
        firstBuffer.removeAll(keepingCapacity: true)
        secondBuffer.removeAll(keepingCapacity: true)
        for i in 0..<n {
            if inFirst[i] { firstBuffer.append(pooled[i]) } else { secondBuffer.append(pooled[i]) }
        }
        return try statistic(firstBuffer, secondBuffer)
    }
    return PermutationEngine.result(observed, null, alternative: alternative)
}

/// The enumeration, sampling and counting behind `permutationTest`.
enum PermutationEngine {
    static func validate(_ x: [Double], _ y: [Double], resamples: Int, _ function: String) throws(StatsError) {
        try InputCheck.sample(x, "x", function, minCount: 2)
        try InputCheck.sample(y, "y", function, minCount: 2)
        try InputCheck.resamples(resamples, function)
    }

    /// C(n, k) when it is at most `limit`, nil otherwise (no overflow).
    static func binomialCount(_ n: Int, _ k: Int, limit: Int) -> Int? {
        let k = min(k, n - k)
        var c = 1
        for i in 0..<k {
            // c·(n − i)/(i + 1) is an integer; check it against limit before forming it.
            let (product, overflow) = c.multipliedReportingOverflow(by: n - i)
            if overflow { return nil }
            c = product / (i + 1)
            if c > limit { return nil }
        }
        return c
    }

    /// The null distribution: the statistic of every split (exact) or of B random splits, each
    /// split given as the (ascending) indices of the pooled values that form the first sample.
    static func nullDistribution(_ pooled: [Double], n1: Int, resamples: Int, seed: UInt64,
                                 _ statistic: ([Int]) -> Double) -> (values: [Double], exact: Bool) {
        nullDistributionThrowing(pooled, n1: n1, resamples: resamples, seed: seed, statistic)
    }

    /// As `nullDistribution`, for a statistic that may throw.
    static func nullDistributionThrowing(_ pooled: [Double], n1: Int, resamples: Int, seed: UInt64,
                                         _ statistic: ([Int]) throws -> Double) rethrows -> (values: [Double], exact: Bool) {
        let n = pooled.count
        if let count = binomialCount(n, n1, limit: resamples) {
            var values: [Double] = []
            values.reserveCapacity(count)
            var indices = Array(0..<n1)
            while true {
                values.append(try statistic(indices))
                // Next combination in lexicographic order.
                var i = n1 - 1
                while i >= 0, indices[i] == n - n1 + i { i -= 1 }
                if i < 0 { break }
                indices[i] += 1
                for j in (i + 1)..<n1 { indices[j] = indices[j - 1] + 1 }
            }
            return (values, true)
        }
        var generator = SeededGenerator(seed: seed)
        var order = Array(0..<n)
        var values: [Double] = []
        values.reserveCapacity(resamples)
        for _ in 0..<resamples {
            // A uniform random n1-subset: the first n1 steps of a Fisher–Yates shuffle.
            for i in 0..<n1 {
                let j = i + generator.nextInt(below: n - i)
                order.swapAt(i, j)
            }
            values.append(try statistic(Array(order[0..<n1]).sorted()))
        }
        return (values, false)
    }

    /// The p-value of `observed` against the null distribution (scipy's counting rules).
    static func result(_ observed: Double, _ null: (values: [Double], exact: Bool),
                       alternative: Alternative) -> PermutationTestResult {
        let adjustment = null.exact ? 0 : 1
        let gamma = abs(100 * Double.ulpOfOne * observed)
        var less = 0, greater = 0
        for v in null.values {
            if v <= observed + gamma { less += 1 }
            if v >= observed - gamma { greater += 1 }
        }
        let denominator = Double(null.values.count + adjustment)
        let pLess = Double(less + adjustment) / denominator
        let pGreater = Double(greater + adjustment) / denominator
        let p: Double
        switch alternative {
        case .less: p = pLess
        case .greater: p = pGreater
        case .twoSided: p = 2 * min(pLess, pGreater)
        }
        return PermutationTestResult(statistic: observed, pvalue: min(max(p, 0), 1),
                                     permutations: null.values.count, exact: null.exact)
    }
}
