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

    /// Builds the `discern.bandit` table on top of the stack.
    static func open(_ state: LuaState) {
        let L = state.L
        defineMethods()
        cls.register(in: state)
        lua_createtable(L, 0, 8)
        let mod = lua_gettop(L)
        func ctor(_ name: String, _ doc: String, _ keys: [String], _ make: @escaping (LuaCall, LuaOptions, [String]) throws -> any BanditPolicy) {
            state.setFunction(in: mod, name, qualifiedName: "discern.bandit.\(name)", doc: doc) { call in
                guard let o = try call.options(1, allowed: ["arms"] + keys), try o.has("arms") else {
                    throw LuaError(code: "arg", "\(call.name): option 'arms' (a list of arm names) is required")
                }
                let arms: [String] = try {
                    _ = try o.push("arms")
                    defer { dlua_pop(call.L, 1) }
                    guard lua_type(call.L, -1) == LUA_TTABLE else {
                        throw LuaError(code: "arg", "\(call.name): option 'arms' must be a list of arm names")
                    }
                    return try ModelLua.stringList(call, lua_gettop(call.L))
                }()
                cls.push(call.L, Handle(try make(call, o, arms), name))
                return 1
            }
        }
        func seed(_ call: LuaCall, _ o: LuaOptions) throws -> UInt64 {
            let s = try o.integer("seed") ?? 123_456
            guard s >= 0 else { throw LuaError(code: "arg", "\(call.name): option 'seed' must be a non-negative integer, got \(s)") }
            return UInt64(s)
        }
        ctor("ucb1", """
            discern.bandit.ucb1{arms = {names…}, c = 1} -> discern.Bandit: UCB1 (Auer et al. 2002), index mean + c·sqrt(2 ln t / n).
            Unplayed arms are played first, in arm order; ties go to the earlier arm.
            """, ["c"]) { _, o, arms in try UCB1(arms: arms, c: try o.number("c") ?? 1) }
        ctor("ucb_v", """
            discern.bandit.ucb_v{arms, zeta = 1.2, c = 1, b = 1} -> discern.Bandit: UCB-V (Audibert, Munos & Szepesvári 2009),
            mean + sqrt(2·V·zeta·ln t / n) + c·3·b·zeta·ln t / n with V the empirical variance and b the reward range.
            """, ["zeta", "c", "b"]) { _, o, arms in
            try UCBV(arms: arms, zeta: try o.number("zeta") ?? 1.2, c: try o.number("c") ?? 1, b: try o.number("b") ?? 1)
        }
        ctor("kl_ucb", """
            discern.bandit.kl_ucb{arms, c = 0} -> discern.Bandit: KL-UCB (Garivier & Cappé 2011) for rewards in [0, 1]:
            the largest q with n·kl(mean, q) ≤ ln t + c·ln ln t.
            """, ["c"]) { _, o, arms in try KLUCB(arms: arms, c: try o.number("c") ?? 0) }
        ctor("thompson", """
            discern.bandit.thompson{arms, prior = "beta"|"gaussian", a = 1, b = 1, mean = 0, sigma = 1, seed = 123456} -> discern.Bandit.
            Beta(a, b) prior on Bernoulli rewards (a reward in (0, 1) is binarized by one Bernoulli draw), or a N(mean, sigma²)
            prior with noise sigma² (Agrawal & Goyal). select_k(k) takes the top k of one posterior draw per arm (MP-TS).
            """, ["prior", "a", "b", "mean", "sigma", "seed"]) { call, o, arms in
            let prior: ThompsonPrior
            switch try o.string("prior") ?? "beta" {
            case "beta":
                for k in ["mean", "sigma"] where try o.has(k) {
                    throw LuaError(code: "arg", "\(call.name): option '\(k)' applies to prior = \"gaussian\"")
                }
                prior = .beta(a: try o.number("a") ?? 1, b: try o.number("b") ?? 1)
            case "gaussian":
                for k in ["a", "b"] where try o.has(k) {
                    throw LuaError(code: "arg", "\(call.name): option '\(k)' applies to prior = \"beta\"")
                }
                prior = .gaussian(mean: try o.number("mean") ?? 0, sigma: try o.number("sigma") ?? 1)
            case let other:
                throw LuaError(code: "arg", "\(call.name): prior must be \"beta\" or \"gaussian\", got \"\(other)\"")
            }
            return try Thompson(arms: arms, prior: prior, seed: try seed(call, o))
        }
        ctor("epsilon_greedy", """
            discern.bandit.epsilon_greedy{arms, epsilon = 0.1, seed = 123456} -> discern.Bandit: a uniformly random arm with
            probability epsilon, else the best mean (ties at random).
            """, ["epsilon", "seed"]) { call, o, arms in
            try EpsilonGreedy(arms: arms, epsilon: try o.number("epsilon") ?? 0.1, seed: try seed(call, o))
        }
        ctor("softmax", """
            discern.bandit.softmax{arms, tau = 1, seed = 123456} -> discern.Bandit: arm a with probability exp(mean_a/tau)/Σ exp(mean/tau).
            """, ["tau", "seed"]) { call, o, arms in
            try Softmax(arms: arms, tau: try o.number("tau") ?? 1, seed: try seed(call, o))
        }
        ctor("successive_elimination", """
            discern.bandit.successive_elimination{arms, delta = 0.05, epsilon = 0} -> discern.Bandit: best-arm identification with
            confidence 1 - delta (Even-Dar et al. 2006), rewards in [0, 1]; :done(), :best(), :active_arms(), :eliminated_arms().
            """, ["delta", "epsilon"]) { _, o, arms in
            try SuccessiveElimination(arms: arms, delta: try o.number("delta") ?? 0.05, epsilon: try o.number("epsilon") ?? 0)
        }
        ctor("lucb", """
            discern.bandit.lucb{arms, delta = 0.05, epsilon = 0, k = 1} -> discern.Bandit: LUCB1 (Kalyanakrishnan et al. 2012) top-k
            identification with confidence 1 - delta, rewards in [0, 1]; :done(), :best(), :top_k().
            """, ["delta", "epsilon", "k"]) { _, o, arms in
            try LUCB(arms: arms, delta: try o.number("delta") ?? 0.05, epsilon: try o.number("epsilon") ?? 0, k: try o.integer("k") ?? 1)
        }
        state.setDoc(forValueAt: mod, """
            discern.bandit: bandit policies over named arms (ucb1, ucb_v, kl_ucb, thompson, epsilon_greedy, softmax) and best-arm
            identification (successive_elimination, lucb). Each returns a discern.Bandit with :select(), :select_k(k),
            :update(arm, reward), :add_arm(name), :stats(). See also discern.strategy for Lua-defined strategies.
            """)
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
        cls.method("select", doc: "bandit:select() -> the name of the arm to pull next.") { call, h in
            call.push(h.policy.select())
            return 1
        }
        cls.method("select_k", doc: """
            bandit:select_k(k) -> list of k distinct arm names, most preferred first (top-k indices for UCB-style policies,
            one posterior draw per arm for Thompson).
            """) { call, h in
            call.push(strings: try h.policy.selectK(try call.integer(2)))
            return 1
        }
        cls.method("update", doc: """
            bandit:update(arm, reward): records a reward (finite; in [0, 1] for kl_ucb, Beta thompson and the identifiers).
            """) { call, h in
            try h.policy.update(arm: try call.string(2), reward: try call.number(3))
            return 0
        }
        cls.method("add_arm", doc: "bandit:add_arm(name): adds an unplayed arm (an identifier reopens its search).") { call, h in
            try h.policy.addArm(try call.string(2))
            return 0
        }
        cls.method("arms", doc: "bandit:arms() -> the arm names, in order.") { call, h in
            call.push(strings: h.policy.arms)
            return 1
        }
        cls.method("total_pulls", doc: "bandit:total_pulls() -> the number of rewards received.") { call, h in
            call.push(h.policy.totalPulls)
            return 1
        }
        cls.method("stats", doc: """
            bandit:stats() -> list, in arm order, of {arm, pulls, mean, variance, index?, probability?, lower?, upper?, active}:
            index is the UCB index (math.huge while unplayed) or Thompson's posterior mean, probability the chance the next
            select() returns the arm (epsilon_greedy, softmax), lower/upper an identifier's confidence interval.
            """) { call, h in
            let L = call.L
            let rows = h.policy.stats()
            lua_createtable(L, Int32(rows.count), 0)
            for (i, r) in rows.enumerated() {
                lua_createtable(L, 0, 9)
                call.push(r.name)
                lua_setfield(L, -2, "arm")
                call.push(r.pulls)
                lua_setfield(L, -2, "pulls")
                call.push(r.mean)
                lua_setfield(L, -2, "mean")
                call.push(r.variance)
                lua_setfield(L, -2, "variance")
                for (k, v) in [("index", r.index), ("probability", r.probability), ("lower", r.lowerBound), ("upper", r.upperBound)] {
                    if let v {
                        call.push(v)
                        lua_setfield(L, -2, k)
                    }
                }
                call.push(r.isActive)
                lua_setfield(L, -2, "active")
                lua_rawseti(L, -2, lua_Integer(i + 1))
            }
            return 1
        }
        cls.method("done", doc: "bandit:done() -> whether a best-arm identifier has stopped.") { call, h in
            call.push(try identifier(call, h).isDone)
            return 1
        }
        cls.method("best", doc: "bandit:best() -> the identified best arm, or nil while searching (identifiers only).") { call, h in
            if let b = try identifier(call, h).best { call.push(b) } else { call.pushNil() }
            return 1
        }
        cls.method("top_k", doc: "bandit:top_k() -> the identified arms ordered by mean, or nil while searching (identifiers only).") { call, h in
            if let t = try identifier(call, h).topK { call.push(strings: t) } else { call.pushNil() }
            return 1
        }
        cls.method("active_arms", doc: "bandit:active_arms() -> the arms still in contention (identifiers only).") { call, h in
            call.push(strings: try identifier(call, h).activeArms)
            return 1
        }
        cls.method("eliminated_arms", doc: "bandit:eliminated_arms() -> the arms eliminated so far (identifiers only).") { call, h in
            call.push(strings: try identifier(call, h).eliminatedArms)
            return 1
        }
    }
}
