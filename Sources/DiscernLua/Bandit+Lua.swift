import CLua
import LuaKit
import Stats

/// Lua bindings of `discern.bandit` and the `discern.Bandit` userdata.
enum BanditLua {
    /// A policy and the constructor name it was made by.
    final class Handle {
        let policy: any BanditPolicy
        let kind: String
        init(_ policy: any BanditPolicy, _ kind: String) {
            self.policy = policy
            self.kind = kind
        }
        var identifier: (any BestArmIdentifier)? { policy as? any BestArmIdentifier }
    }

    nonisolated(unsafe) static let cls = LuaClass<Handle>("discern.Bandit") { h in
        var s = "discern.Bandit(\(h.kind), \(h.policy.arms.count) arms, \(h.policy.totalPulls) pulls"
        if let id = h.identifier { s += id.isDone ? ", done: \(id.best ?? "?")" : ", searching" }
        return s + ")"
    }
    nonisolated(unsafe) static var methodsDefined = false

    // MARK: options and results, declared once

    enum Prior: String, CaseIterable { case beta, gaussian }
    /// Every constructor's options (each declares the subset it reads, over its own defaults).
    struct Args {
        var arms: [String] = []
        var c = 1.0, zeta = 1.2, b = 1.0
        var prior = Prior.beta, a = 1.0, mean = 0.0, sigma = 1.0
        var seed: UInt64 = 123_456
        var epsilon = 0.1, tau = 1.0, delta = 0.05
        var k = 1
    }
    typealias F = LuaField<Args>
    static func spec(_ name: String, _ fields: [F], _ defaults: (inout Args) -> Void = { _ in }) -> LuaOptionSpec<Args> {
        var proto = Args()
        defaults(&proto)
        let arms = F.custom("arms", type: "string[]", "a list of arm names", required: true) { r, o in r.arms = try o.strings("arms") ?? [] }
        return LuaOptionSpec("discern.bandit.\(name)", prototype: proto, [arms] + fields)
    }
    nonisolated(unsafe) static let seed = F.seed("seed", \.seed, "random seed")
    nonisolated(unsafe) static let exploration = F.real("c", \.c, "exploration weight")
    nonisolated(unsafe) static let delta = F.real("delta", \.delta, "error probability (confidence 1 - delta)")
    nonisolated(unsafe) static let slack = F.real("epsilon", \.epsilon, "accepted gap to the best mean")

    nonisolated(unsafe) static let ucb1Spec = spec("UCB1Options", [exploration])
    nonisolated(unsafe) static let ucbVSpec = spec("UCBVOptions", [
        F.real("zeta", \.zeta, "exploration exponent ζ"), exploration, F.real("b", \.b, "reward range"),
    ])
    nonisolated(unsafe) static let klucbSpec = spec("KLUCBOptions", [exploration]) { $0.c = 0 }
    nonisolated(unsafe) static let thompsonSpec = spec("ThompsonOptions", [
        F.choice("prior", \.prior, "Beta on Bernoulli rewards, or Gaussian"), F.real("a", \.a, "Beta prior a"), F.real("b", \.b, "Beta prior b"),
        F.real("mean", \.mean, "Gaussian prior mean"), F.real("sigma", \.sigma, "Gaussian prior and noise sd"), seed,
    ])
    nonisolated(unsafe) static let epsilonSpec = spec("EpsilonGreedyOptions", [F.real("epsilon", \.epsilon, "exploration probability"), seed])
    nonisolated(unsafe) static let softmaxSpec = spec("SoftmaxOptions", [F.real("tau", \.tau, "temperature"), seed])
    nonisolated(unsafe) static let eliminationSpec = spec("SuccessiveEliminationOptions", [delta, slack]) { $0.epsilon = 0 }
    nonisolated(unsafe) static let lucbSpec = spec("LUCBOptions", [delta, slack, F.integer("k", \.k, "how many best arms to identify")]) {
        $0.epsilon = 0
    }

    nonisolated(unsafe) static let armStats = LuaRecordSpec<ArmStats>("discern.bandit.ArmStats", [
        .string("arm", \.name), .integer("pulls", \.pulls), .number("mean", \.mean), .number("variance", \.variance),
        .number("index", \.index, "the UCB index (math.huge while unplayed) or Thompson's posterior mean"),
        .number("probability", \.probability, "the chance the next select() returns the arm (epsilon_greedy, softmax)"),
        .number("lower", \.lowerBound, "an identifier's confidence interval, lower end"),
        .number("upper", \.upperBound, "an identifier's confidence interval, upper end"), .boolean("active", \.isActive),
    ])

    /// Builds the `discern.bandit` table on top of the stack.
    static func open(_ state: LuaState) {
        defineMethods()
        cls.register(in: state)
        let m = LuaModuleBuilder(state, "discern.bandit", doc: """
            discern.bandit: bandit policies over named arms (ucb1, ucb_v, kl_ucb, thompson, epsilon_greedy, softmax) and best-arm
            identification (successive_elimination, lucb). Each returns a discern.Bandit with :select(), :select_k(k),
            :update(arm, reward), :add_arm(name), :stats(). See also discern.strategy for Lua-defined strategies.
            """)
        func ctor(_ name: String, _ spec: LuaOptionSpec<Args>, _ doc: String,
                  _ make: @escaping (LuaCall, Args, LuaOptions?) throws -> any BanditPolicy) {
            m.function(name, "(opts: \(spec.name)) -> discern.Bandit", doc, options: spec) { call in
                var a = spec.prototype!
                let o = try spec.decode(call, at: 1, into: &a)
                return call.push(Handle(try make(call, a, o), name), cls)
            }
        }
        ctor("ucb1", ucb1Spec, """
            UCB1 (Auer et al. 2002), index mean + c·sqrt(2 ln t / n).
            Unplayed arms are played first, in arm order; ties go to the earlier arm.
            """) { _, a, _ in try UCB1(arms: a.arms, c: a.c) }
        ctor("ucb_v", ucbVSpec, """
            UCB-V (Audibert, Munos & Szepesvári 2009), mean + sqrt(2·V·zeta·ln t / n) + c·3·b·zeta·ln t / n with V the
            empirical variance and b the reward range.
            """) { _, a, _ in try UCBV(arms: a.arms, zeta: a.zeta, c: a.c, b: a.b) }
        ctor("kl_ucb", klucbSpec, """
            KL-UCB (Garivier & Cappé 2011) for rewards in [0, 1]: the largest q with n·kl(mean, q) ≤ ln t + c·ln ln t.
            """) { _, a, _ in try KLUCB(arms: a.arms, c: a.c) }
        ctor("thompson", thompsonSpec, """
            Beta(a, b) prior on Bernoulli rewards (a reward in (0, 1) is binarized by one Bernoulli draw), or a N(mean, sigma²)
            prior with noise sigma² (Agrawal & Goyal). select_k(k) takes the top k of one posterior draw per arm (MP-TS).
            """) { call, a, o in
            let other = a.prior == .beta ? ["mean", "sigma"] : ["a", "b"]
            for k in other where try o?.has(k) == true {
                throw LuaError(code: "arg", "\(call.name): option '\(k)' applies to prior = \"\(a.prior == .beta ? "gaussian" : "beta")\"")
            }
            let prior: ThompsonPrior = a.prior == .beta ? .beta(a: a.a, b: a.b) : .gaussian(mean: a.mean, sigma: a.sigma)
            return try Thompson(arms: a.arms, prior: prior, seed: a.seed)
        }
        ctor("epsilon_greedy", epsilonSpec, """
            A uniformly random arm with probability epsilon, else the best mean (ties at random).
            """) { _, a, _ in try EpsilonGreedy(arms: a.arms, epsilon: a.epsilon, seed: a.seed) }
        ctor("softmax", softmaxSpec, "Arm a with probability exp(mean_a/tau)/Σ exp(mean/tau).") { _, a, _ in
            try Softmax(arms: a.arms, tau: a.tau, seed: a.seed)
        }
        ctor("successive_elimination", eliminationSpec, """
            Best-arm identification with confidence 1 - delta (Even-Dar et al. 2006), rewards in [0, 1]; :done(), :best(),
            :active_arms(), :eliminated_arms().
            """) { _, a, _ in try SuccessiveElimination(arms: a.arms, delta: a.delta, epsilon: a.epsilon) }
        ctor("lucb", lucbSpec, """
            LUCB1 (Kalyanakrishnan et al. 2012) top-k identification with confidence 1 - delta, rewards in [0, 1]; :done(),
            :best(), :top_k().
            """) { _, a, _ in try LUCB(arms: a.arms, delta: a.delta, epsilon: a.epsilon, k: a.k) }
    }

    static func identifier(_ call: LuaCall, _ h: Handle) throws -> any BestArmIdentifier {
        guard let id = h.identifier else {
            throw LuaError(code: "arg", "\(call.name): \(h.kind) is not a best-arm identifier (use successive_elimination or lucb)")
        }
        return id
    }

    static func defineMethods() {
        if methodsDefined { return }
        methodsDefined = true
        cls.method("select", "() -> string", "The name of the arm to pull next.") { call, h in call.returning(h.policy.select()) }
        cls.method("select_k", "(k: integer) -> string[]", """
            k distinct arm names, most preferred first (top-k indices for UCB-style policies, one posterior draw per arm
            for Thompson).
            """) { call, h in call.returning(try h.policy.selectK(try call.integer(2))) }
        cls.method("update", "(arm: string, reward: number)", """
            Records a reward (finite; in [0, 1] for kl_ucb, Beta thompson and the identifiers).
            """) { call, h in
            try h.policy.update(arm: try call.string(2), reward: try call.number(3))
            return 0
        }
        cls.method("add_arm", "(name: string)", "Adds an unplayed arm (an identifier reopens its search).") { call, h in
            try h.policy.addArm(try call.string(2))
            return 0
        }
        cls.method("arms", "() -> string[]", "The arm names, in order.") { call, h in call.returning(h.policy.arms) }
        cls.method("total_pulls", "() -> integer", "The number of rewards received.") { call, h in call.returning(h.policy.totalPulls) }
        cls.method("stats", "() -> discern.bandit.ArmStats[]", """
            One row per arm, in arm order: index is the UCB index (math.huge while unplayed) or Thompson's posterior mean,
            probability the chance the next select() returns the arm (epsilon_greedy, softmax), lower/upper an identifier's
            confidence interval (absent where a policy does not define them).
            """) { call, h in
            try armStats.pushList(h.policy.stats(), call.L)
            return 1
        }
        cls.method("done", "() -> boolean", "Whether a best-arm identifier has stopped.") { call, h in
            call.returning(try identifier(call, h).isDone)
        }
        cls.method("best", "() -> string?", "The identified best arm, or nil while searching (identifiers only).") { call, h in
            call.returning(try identifier(call, h).best)
        }
        cls.method("top_k", "() -> string[]?", "The identified arms ordered by mean, or nil while searching (identifiers only).") { call, h in
            call.returning(try identifier(call, h).topK)
        }
        cls.method("active_arms", "() -> string[]", "The arms still in contention (identifiers only).") { call, h in
            call.returning(try identifier(call, h).activeArms)
        }
        cls.method("eliminated_arms", "() -> string[]", "The arms eliminated so far (identifiers only).") { call, h in
            call.returning(try identifier(call, h).eliminatedArms)
        }
    }
}
