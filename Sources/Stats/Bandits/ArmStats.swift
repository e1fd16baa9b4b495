/// A snapshot of one arm of a bandit policy or best-arm identifier, as returned by `stats()`.
///
/// `mean` and `variance` describe the rewards received; the optional fields hold the policy's own
/// view of the arm and are nil where the policy does not define them:
///
/// | policy | `index` | `probability` | `lowerBound`, `upperBound` |
/// |---|---|---|---|
/// | `UCB1`, `UCBV`, `KLUCB` | the upper confidence index (+∞ while unplayed) | nil | nil |
/// | `Thompson` | the posterior mean | nil | nil |
/// | `EpsilonGreedy`, `Softmax` | nil | P(next `select()` returns the arm) | nil |
/// | `SuccessiveElimination`, `LUCB` | nil | nil | the confidence interval (∓∞ while unplayed) |
public struct ArmStats: Sendable, Equatable {
    /// The arm's name.
    public let name: String
    /// The number of rewards received for the arm.
    public let pulls: Int
    /// The mean reward, 0 while the arm is unplayed.
    public let mean: Double
    /// The empirical (biased, divided by `pulls`) variance of the rewards, 0 while fewer than 2.
    public let variance: Double
    /// The score the policy ranks the arm by, where defined (see the type's table).
    public let index: Double?
    /// The probability that the next `select()` returns the arm, where it has a closed form.
    public let probability: Double?
    /// The lower end of the identifier's confidence interval for the arm's mean.
    public let lowerBound: Double?
    /// The upper end of the identifier's confidence interval for the arm's mean.
    public let upperBound: Double?
    /// Whether the arm is still a candidate: false only for arms a `SuccessiveElimination` has
    /// eliminated.
    public let isActive: Bool

    /// Creates a snapshot (the policies make these; public for tests and bindings).
    ///
    /// - Parameters:
    ///   - name: The arm's name.
    ///   - pulls: The number of rewards received.
    ///   - mean: The mean reward.
    ///   - variance: The empirical variance of the rewards.
    ///   - index: The policy's index, if any.
    ///   - probability: The selection probability, if any.
    ///   - lowerBound: The lower confidence bound, if any.
    ///   - upperBound: The upper confidence bound, if any.
    ///   - isActive: Whether the arm is still a candidate.
    public init(name: String, pulls: Int, mean: Double, variance: Double, index: Double? = nil,
                probability: Double? = nil, lowerBound: Double? = nil, upperBound: Double? = nil,
                isActive: Bool = true) {
        self.name = name
        self.pulls = pulls
        self.mean = mean
        self.variance = variance
        self.index = index
        self.probability = probability
        self.lowerBound = lowerBound
        self.upperBound = upperBound
        self.isActive = isActive
    }
}
