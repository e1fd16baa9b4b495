/// The arm statistics every bandit policy keeps: names, pulls, and Welford's running mean and
/// sum of squared deviations, indexed by arm position.
struct ArmTable {
    /// The policy's type name, for error messages.
    let owner: String
    private(set) var names: [String]
    private var positions: [String: Int]
    private(set) var pulls: [Int]
    private(set) var means: [Double]
    /// Σ (r − mean)² per arm (Welford's M2).
    private var m2: [Double]
    private(set) var total = 0

    /// Creates the table for `arms`, checking that the list is non-empty and has no duplicates.
    init(arms: [String], owner: String) throws(StatsError) {
        guard !arms.isEmpty else { throw .invalidArgument("\(owner): arms must not be empty") }
        self.owner = owner
        names = []
        positions = [:]
        pulls = []
        means = []
        m2 = []
        for name in arms { try add(name) }
    }

    var count: Int { names.count }

    /// Appends an unplayed arm; throws when the name is taken.
    mutating func add(_ name: String) throws(StatsError) {
        guard positions[name] == nil else {
            throw .invalidArgument("\(owner): duplicate arm \"\(name)\"")
        }
        positions[name] = names.count
        names.append(name)
        pulls.append(0)
        means.append(0)
        m2.append(0)
    }

    /// The position of the arm named `name`; throws when there is none.
    func position(of name: String) throws(StatsError) -> Int {
        guard let i = positions[name] else { throw .invalidArgument("\(owner): unknown arm \"\(name)\"") }
        return i
    }

    /// Checks a reward: finite, and in [0, 1] when `unitInterval`.
    func check(reward: Double, unitInterval: Bool) throws(StatsError) {
        guard reward.isFinite else {
            throw .invalidArgument("\(owner): reward must be finite, got \(ParameterCheck.format(reward))")
        }
        if unitInterval, !(reward >= 0 && reward <= 1) {
            throw .invalidArgument("\(owner): reward must be in [0, 1], got \(ParameterCheck.format(reward))")
        }
    }

    /// Checks `k` for a selection among `available` arms (`what` names them in the message).
    func check(k: Int, available: Int, what: String = "the number of arms") throws(StatsError) {
        guard k >= 1 else { throw .invalidArgument("\(owner): k must be >= 1, got \(k)") }
        guard k <= available else {
            throw .invalidArgument("\(owner): k must be <= \(available) (\(what)), got \(k)")
        }
    }

    /// Adds a reward to arm `i` (Welford's update).
    mutating func record(_ i: Int, _ reward: Double) {
        pulls[i] += 1
        total += 1
        let delta = reward - means[i]
        means[i] += delta / Double(pulls[i])
        m2[i] += delta * (reward - means[i])
    }

    /// The empirical (biased) variance M2/n of arm `i`, 0 while unplayed.
    func variance(_ i: Int) -> Double {
        pulls[i] > 0 ? max(0, m2[i] / Double(pulls[i])) : 0
    }

    /// The sum of the rewards of arm `i`.
    func sum(_ i: Int) -> Double { means[i] * Double(pulls[i]) }

    /// The first unplayed arm in arm order, if any.
    var firstUnplayed: Int? { pulls.firstIndex(of: 0) }

    /// A snapshot of arm `i` with the policy's own fields.
    func snapshot(_ i: Int, index: Double? = nil, probability: Double? = nil, lowerBound: Double? = nil,
                  upperBound: Double? = nil, isActive: Bool = true) -> ArmStats {
        ArmStats(name: names[i], pulls: pulls[i], mean: means[i], variance: variance(i), index: index,
                 probability: probability, lowerBound: lowerBound, upperBound: upperBound, isActive: isActive)
    }
}
