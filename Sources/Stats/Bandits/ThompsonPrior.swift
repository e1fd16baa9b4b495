/// The prior of a `Thompson` policy, which fixes the reward model.
public enum ThompsonPrior: Sendable, Equatable {
    /// Beta(a, b) prior on a Bernoulli mean (Agrawal & Goyal 2012); rewards must lie in [0, 1].
    ///
    /// The posterior after S successes and F failures is Beta(a + S, b + F). A reward r strictly
    /// between 0 and 1 is binarized by one Bernoulli(r) draw from the policy's generator (Agrawal
    /// & Goyal's trick for [0, 1] rewards); rewards 0 and 1 use no draw.
    case beta(a: Double = 1, b: Double = 1)

    /// Normal prior N(mean, sigma²) on the mean of rewards with noise variance sigma²
    /// (Agrawal & Goyal 2013): after n rewards summing to S the posterior is
    /// N((mean + S)/(n + 1), sigma²/(n + 1)). With the defaults this is their Gaussian Thompson
    /// sampling, θ ~ N(S/(n + 1), 1/(n + 1)). Rewards may be any finite numbers.
    case gaussian(mean: Double = 0, sigma: Double = 1)
}
