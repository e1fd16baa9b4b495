/// A multi-armed bandit policy over named arms: it chooses arms and learns from their rewards.
///
/// All policies share one API. Arms are strings, given at creation (at least one, no duplicates)
/// and added later with `addArm(_:)`; their order is the order of creation and addition and is
/// the order of `arms` and `stats()`. `select()` and `selectK(_:)` only read the statistics (a
/// randomized policy advances its seeded generator): nothing is pending between a selection and
/// its `update(arm:reward:)`, so a batch may be selected, played and then updated in any order.
/// `t`, the total number of pulls, counts rewards received.
///
/// Every randomized policy takes a `seed` and its choices are a function of the seed and the
/// sequence of calls. Conforming types are classes and are not thread-safe: confine an instance
/// to one thread or task.
public protocol BanditPolicy: AnyObject {
    /// The arm names, in order.
    var arms: [String] { get }

    /// The total number of rewards received, over all arms.
    var totalPulls: Int { get }

    /// Adds an arm, unplayed, at the end of the arm order.
    ///
    /// - Parameter name: The new arm's name.
    /// - Throws: `StatsError.invalidArgument` when an arm of that name exists.
    func addArm(_ name: String) throws(StatsError)

    /// Returns the arm to pull next.
    func select() -> String

    /// Returns `k` distinct arms to pull next, most preferred first; `selectK(1)` chooses like
    /// `select()`.
    ///
    /// - Parameter k: The number of arms, from 1 to the number of arms (of active arms for
    ///   `SuccessiveElimination`).
    /// - Throws: `StatsError.invalidArgument` when `k` is out of range.
    func selectK(_ k: Int) throws(StatsError) -> [String]

    /// Records a reward for an arm.
    ///
    /// - Parameters:
    ///   - arm: The arm's name.
    ///   - reward: The reward, finite; in [0, 1] for `KLUCB`, Beta-prior `Thompson`,
    ///     `SuccessiveElimination` and `LUCB`.
    /// - Throws: `StatsError.invalidArgument` for an unknown arm or an invalid reward (the state
    ///   is then unchanged).
    func update(arm: String, reward: Double) throws(StatsError)

    /// Returns a snapshot of every arm, in arm order.
    func stats() -> [ArmStats]
}

/// A bandit algorithm for best-arm (or top-k) identification with fixed confidence δ: it samples
/// until it can name the best arms with error probability at most δ, then stops.
///
/// It shares the `BanditPolicy` API. Once `isDone`, the result is frozen (further updates are
/// recorded in the statistics but do not change it): `select()` returns `best` and `selectK(j)`
/// returns the first j arms of `topK`. Adding an arm reopens the search (the δ guarantee is proved
/// for a fixed set of arms, so add arms before sampling where possible).
public protocol BestArmIdentifier: BanditPolicy {
    /// Whether the stopping rule has fired.
    var isDone: Bool { get }

    /// The identified best arm once done (for top-k identification, the identified arm with the
    /// highest mean), nil before.
    var best: String? { get }

    /// The identified arms once done, ordered by mean (highest first, ties in arm order), nil
    /// before.
    var topK: [String]? { get }

    /// The arms still in contention, in arm order.
    var activeArms: [String] { get }

    /// The arms eliminated so far, in arm order.
    var eliminatedArms: [String] { get }
}
