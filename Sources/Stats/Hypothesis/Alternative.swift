/// The alternative hypothesis of a test, named as in scipy.stats (`Alternative(rawValue:)` accepts
/// `"two-sided"`, `"greater"` and `"less"`).
///
/// For two-sample tests the direction refers to the first sample (or the first proportion): `.greater`
/// is the alternative that it is larger than the second.
public enum Alternative: String, Sendable, CaseIterable {
    /// The parameter differs from its null value in either direction.
    case twoSided = "two-sided"
    /// The parameter (or the first sample) is larger than under the null hypothesis.
    case greater
    /// The parameter (or the first sample) is smaller than under the null hypothesis.
    case less
}

/// The result of a hypothesis test: a test statistic and its p-value.
///
/// Every test result in this module conforms; `statistic` is the value the test is named after
/// (t, z, U, the odds ratio, …) and each result documents which one it is.
public protocol HypothesisTestResult: Sendable {
    /// The test statistic.
    var statistic: Double { get }
    /// The p-value, in [0, 1].
    var pvalue: Double { get }
}
