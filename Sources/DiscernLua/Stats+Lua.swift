import CLua
import LuaKit
import Stats

extension StatsError: LuaCodedError {
    public var luaCode: String {
        switch self {
        case .invalidArgument: return "arg"
        case .insufficientData: return "data"
        case .notConverged: return "convergence"
        }
    }
    public var luaMessage: String { LuaMessage.droppingSwiftName(message) }
}

/// A Lua function used as a numeric sequence j ↦ value (an online FDR gamma), kept in the registry
/// for the life of the object that uses it.
///
/// The procedure calls it synchronously from inside a binding, on the thread that made that call:
/// each binding sets `L` before calling into the procedure. An error raised by the function is
/// kept and re-raised by the binding (the procedure itself only sees NaN and stops).
final class LuaSequenceFunction: @unchecked Sendable {
    var L: OpaquePointer
    /// The state's main thread, which outlives every coroutine: the reference is released through it.
    let mainL: OpaquePointer
    let ref: Int32
    let what: String
    var error: Error?

    init(_ call: LuaCall, _ index: Int32, what: String) {
        L = call.L
        lua_rawgeti(call.L, dlua_registryindex(), lua_Integer(LUA_RIDX_MAINTHREAD))
        mainL = lua_tothread(call.L, -1) ?? call.L
        dlua_pop(call.L, 1)
        lua_pushvalue(call.L, index)
        ref = luaL_ref(call.L, dlua_registryindex())
        self.what = what
    }

    /// Calls the function with j and returns its number (NaN, with `error` set, on failure).
    func value(_ j: Int) -> Double {
        guard error == nil else { return .nan }
        let top = lua_gettop(L)
        defer { lua_settop(L, top) }
        lua_rawgeti(L, dlua_registryindex(), lua_Integer(ref))
        lua_pushinteger(L, lua_Integer(j))
        do {
            try LuaState(borrowing: L).pcall(nargs: 1, nresults: 1)
        } catch {
            self.error = error
            return .nan
        }
        guard lua_type(L, -1) == LUA_TNUMBER else {
            error = LuaError(code: "arg", "\(what)(\(j)) must return a number, got \(String(cString: lua_typename(L, lua_type(L, -1))))")
            return .nan
        }
        return lua_tonumberx(L, -1, nil)
    }

    deinit { luaL_unref(mainL, dlua_registryindex(), ref) }
}

/// Lua bindings of `discern.stats`: distributions, online and batch FDR.
enum StatsLua {
    // MARK: handles

    /// A distribution exposed as `discern.Distribution`.
    final class DistributionHandle {
        enum Kind {
            case continuous(any ContinuousDistribution)
            case discrete(any DiscreteDistribution)
        }
        let kind: Kind
        let label: String
        init(_ kind: Kind, _ label: String) {
            self.kind = kind
            self.label = label
        }
    }

    /// An online FDR procedure exposed as `discern.OnlineFDR`.
    final class OnlineFDRHandle {
        enum Kind {
            case pvalues(any OnlineFDRProcedure)
            case evalues(ELond)
        }
        let kind: Kind
        let label: String
        let sequence: LuaSequenceFunction?
        init(_ kind: Kind, _ label: String, _ sequence: LuaSequenceFunction?) {
            self.kind = kind
            self.label = label
            self.sequence = sequence
        }

        var state: OnlineFDRState {
            switch kind {
            case .pvalues(let p): return p.state
            case .evalues(let e): return e.state
            }
        }

        /// Runs `body` with the Lua sequence (if any) bound to this call's thread; a Lua error in
        /// the sequence replaces the procedure's own error.
        func run<R>(_ call: LuaCall, _ body: () throws -> R) throws -> R {
            sequence?.L = call.L
            do {
                return try body()
            } catch {
                if let e = sequence?.error { throw LuaError(code: "arg", "\(call.name): \(sequence!.what) failed: \(describe(e))") }
                throw error
            }
        }

        func test(_ v: Double) throws -> (rejected: Bool, alpha: Double) {
            switch kind {
            case .pvalues(let p): return try p.testOne(v)
            case .evalues(let e): return try e.testOne(e: v)
            }
        }

        func nextAlpha() throws -> Double {
            switch kind {
            case .pvalues(let p): return try p.nextAlpha()
            case .evalues(let e): return try e.nextAlpha()
            }
        }
    }

    static func describe(_ e: Error) -> String {
        if let l = e as? LuaError { return l.message }
        if let s = e as? StatsError { return s.message }
        return "\(e)"
    }

    nonisolated(unsafe) static let distribution = LuaClass<DistributionHandle>("discern.Distribution") { $0.label }
    nonisolated(unsafe) static let onlineFDR = LuaClass<OnlineFDRHandle>("discern.OnlineFDR") { h in
        let s = h.state
        return "discern.OnlineFDR(\(h.label), t \(s.t), rejections \(s.rejections))"
    }
    nonisolated(unsafe) static var methodsDefined = false

    /// Registers the metatables of the stats handle types.
    static func register(_ state: LuaState) {
        defineMethods()
        distribution.register(in: state)
        onlineFDR.register(in: state)
    }

    /// Builds the `discern.stats` table on top of the stack.
    static func open(_ state: LuaState) {
        let L = state.L
        register(state)
        lua_createtable(L, 0, 48)
        let mod = lua_gettop(L)
        defineDistributions(state, mod)
        defineOnlineFDR(state, mod)
        StatsTestsLua.define(state, mod)
        state.setDoc(forValueAt: mod, """
            discern.stats: distributions (normal, t, chi2, f, beta, gamma, binomial, hypergeometric), online FDR
            (saffron, lord_plus_plus, addis, lond, alpha_investing, e_lond), batch FDR (fdr), tests, intervals, effect sizes,
            power and meta-analysis, family-wise error control (fwer). Results are plain tables.
            """)
    }

    // MARK: distributions

    static func defineDistributions(_ state: LuaState, _ mod: Int32) {
        func ctor(_ name: String, _ doc: String, _ keys: [String], _ make: @escaping (LuaOptions?, LuaCall) throws -> DistributionHandle) {
            state.setFunction(in: mod, name, qualifiedName: "discern.stats.\(name)", doc: doc) { call in
                let o = try call.options(1, allowed: keys)
                distribution.push(call.L, try make(o, call))
                return 1
            }
        }
        func required(_ o: LuaOptions?, _ key: String, _ call: LuaCall) throws -> Double {
            guard let v = try o?.number(key) else { throw LuaError(code: "arg", "\(call.name): option '\(key)' is required") }
            return v
        }
        func requiredInt(_ o: LuaOptions?, _ key: String, _ call: LuaCall) throws -> Int {
            guard let v = try o?.integer(key) else { throw LuaError(code: "arg", "\(call.name): option '\(key)' (an integer) is required") }
            return v
        }
        func g(_ v: Double) -> String { "\(v)" }
        ctor("normal", "discern.stats.normal{mean = 0, sd = 1} -> discern.Distribution N(mean, sd²).", ["mean", "sd"]) { o, _ in
            let d = try Normal(mean: try o?.number("mean") ?? 0, sd: try o?.number("sd") ?? 1)
            return DistributionHandle(.continuous(d), "discern.Distribution(normal, mean \(g(d.mean)), sd \(g(d.sd)))")
        }
        ctor("t", "discern.stats.t{df = } -> discern.Distribution: Student's t with df degrees of freedom (df may be math.huge).", ["df"]) { o, c in
            let d = try StudentT(df: try required(o, "df", c))
            return DistributionHandle(.continuous(d), "discern.Distribution(t, df \(g(d.df)))")
        }
        ctor("chi2", "discern.stats.chi2{df = } -> discern.Distribution: chi-square with df degrees of freedom.", ["df"]) { o, c in
            let d = try ChiSquared(df: try required(o, "df", c))
            return DistributionHandle(.continuous(d), "discern.Distribution(chi2, df \(g(d.df)))")
        }
        ctor("f", "discern.stats.f{df1 = , df2 = } -> discern.Distribution: Fisher's F.", ["df1", "df2"]) { o, c in
            let d = try FDistribution(df1: try required(o, "df1", c), df2: try required(o, "df2", c))
            return DistributionHandle(.continuous(d), "discern.Distribution(f, df1 \(g(d.df1)), df2 \(g(d.df2)))")
        }
        ctor("beta", "discern.stats.beta{a = , b = } -> discern.Distribution Beta(a, b).", ["a", "b"]) { o, c in
            let d = try BetaDistribution(a: try required(o, "a", c), b: try required(o, "b", c))
            return DistributionHandle(.continuous(d), "discern.Distribution(beta, a \(g(d.a)), b \(g(d.b)))")
        }
        ctor("gamma", "discern.stats.gamma{shape = , scale = 1} -> discern.Distribution Gamma(shape, scale).", ["shape", "scale"]) { o, c in
            let d = try GammaDistribution(shape: try required(o, "shape", c), scale: try o?.number("scale") ?? 1)
            return DistributionHandle(.continuous(d), "discern.Distribution(gamma, shape \(g(d.shape)), scale \(g(d.scale)))")
        }
        ctor("binomial", "discern.stats.binomial{n = , p = } -> discern.Distribution Binomial(n, p) (use pmf, not pdf).", ["n", "p"]) { o, c in
            let d = try Binomial(n: try requiredInt(o, "n", c), p: try required(o, "p", c))
            return DistributionHandle(.discrete(d), "discern.Distribution(binomial, n \(d.n), p \(g(d.p)))")
        }
        ctor("hypergeometric", """
            discern.stats.hypergeometric{population = , successes = , draws = } -> discern.Distribution: the number of
            successes in `draws` draws without replacement from `population` items of which `successes` are successes.
            """, ["population", "successes", "draws"]) { o, c in
            let d = try Hypergeometric(population: try requiredInt(o, "population", c), successes: try requiredInt(o, "successes", c),
                                       draws: try requiredInt(o, "draws", c))
            return DistributionHandle(.discrete(d), "discern.Distribution(hypergeometric, population \(d.population), successes \(d.successes), draws \(d.draws))")
        }
    }

    /// Evaluates `f` at argument 2 (a number or a list of numbers) and pushes a number or a list.
    static func vectorized(_ call: LuaCall, _ f: (Double) -> Double) throws -> Int32 {
        if lua_type(call.L, 2) == LUA_TTABLE {
            call.push(numbers: try call.numberList(2).map(f))
        } else {
            call.push(f(try call.number(2)))
        }
        return 1
    }

    // MARK: online FDR

    /// A gamma (or beta) option: a list of terms or a Lua function j ↦ term.
    static func sequenceOption(_ call: LuaCall, _ o: LuaOptions?, _ key: String) throws -> (GammaSequence?, LuaSequenceFunction?) {
        guard let o, try o.has(key) else { return (nil, nil) }
        let L = call.L
        let t = try o.push(key)
        defer { dlua_pop(L, 1) }
        switch t {
        case LUA_TTABLE:
            let list = try call.numberList(lua_gettop(L))
            return (.list(list), nil)
        case LUA_TFUNCTION:
            let f = LuaSequenceFunction(call, lua_gettop(L), what: "\(key) function")
            return (.custom({ j in f.value(j) }), f)
        default:
            throw LuaError(code: "arg", "\(call.name): option '\(key)' must be a list of numbers or a function(j) -> number, got \(String(cString: lua_typename(L, t)))")
        }
    }

    static func defineOnlineFDR(_ state: LuaState, _ mod: Int32) {
        func ctor(_ name: String, _ doc: String, _ keys: [String],
                  _ make: @escaping (LuaCall, LuaOptions?) throws -> OnlineFDRHandle) {
            state.setFunction(in: mod, name, qualifiedName: "discern.stats.\(name)", doc: doc) { call in
                let o = try call.options(1, allowed: keys)
                onlineFDR.push(call.L, try make(call, o))
                return 1
            }
        }
        ctor("saffron", """
            discern.stats.saffron{alpha = 0.05, w0 = alpha/2, lambda = 0.5, gamma = γ_j = 0.4374901658/j^1.6} -> discern.OnlineFDR.
            SAFFRON (Ramdas et al. 2018) with R onlineFDR's defaults; gamma may be a list or a function(j) -> γ_j (j ≥ 1).
            FDR control for independent p-values.
            """, ["alpha", "w0", "lambda", "gamma"]) { call, o in
            let (seq, fn) = try sequenceOption(call, o, "gamma")
            let alpha = try o?.number("alpha") ?? 0.05
            let p = try Saffron(alpha: alpha, w0: try o?.number("w0"), lambda: try o?.number("lambda") ?? 0.5, gamma: seq ?? .saffronDefault)
            return OnlineFDRHandle(.pvalues(p), "saffron, alpha \(alpha)", fn)
        }
        ctor("lord_plus_plus", """
            discern.stats.lord_plus_plus{alpha = 0.05, w0 = alpha/10, gamma = LORD sequence} -> discern.OnlineFDR.
            LORD++ (Ramdas et al. 2017); γ_j = 0.07720838·log(max(j,2))/(j·e^√log j) by default; gamma may be a list or a function(j).
            """, ["alpha", "w0", "gamma"]) { call, o in
            let (seq, fn) = try sequenceOption(call, o, "gamma")
            let alpha = try o?.number("alpha") ?? 0.05
            let p = try LordPlusPlus(alpha: alpha, w0: try o?.number("w0"), gamma: seq ?? .lordDefault)
            return OnlineFDRHandle(.pvalues(p), "lord_plus_plus, alpha \(alpha)", fn)
        }
        ctor("addis", """
            discern.stats.addis{alpha = 0.05, w0 = alpha/2, lambda = 0.25, tau = 0.5, gamma = SAFFRON's} -> discern.OnlineFDR.
            ADDIS (Tian & Ramdas 2019): p > tau are discarded. gamma is indexed from 0 internally; a list or function gives γ_1, γ_2, …
            and index k reads γ_{k+1}, as R onlineFDR.
            """, ["alpha", "w0", "lambda", "tau", "gamma"]) { call, o in
            let (seq, fn) = try sequenceOption(call, o, "gamma")
            let alpha = try o?.number("alpha") ?? 0.05
            let p = try Addis(alpha: alpha, w0: try o?.number("w0"), lambda: try o?.number("lambda") ?? 0.25,
                              tau: try o?.number("tau") ?? 0.5, gamma: seq ?? .saffronDefault)
            return OnlineFDRHandle(.pvalues(p), "addis, alpha \(alpha)", fn)
        }
        ctor("lond", """
            discern.stats.lond{alpha = 0.05, dependent = false, original = true, beta = alpha × LORD sequence} -> discern.OnlineFDR.
            LOND (Javanmard & Montanari): alpha_t = β_t·(D+1) (original) or β_t·max(D,1); dependent = true divides by H(t)
            (arbitrary dependence). beta may be a list or a function(j) -> β_j with Σβ ≤ alpha.
            """, ["alpha", "dependent", "original", "beta"]) { call, o in
            let (seq, fn) = try sequenceOption(call, o, "beta")
            let alpha = try o?.number("alpha") ?? 0.05
            let p = try Lond(alpha: alpha, dependent: try o?.bool("dependent") ?? false, original: try o?.bool("original") ?? true, beta: seq)
            return OnlineFDRHandle(.pvalues(p), "lond, alpha \(alpha)", fn)
        }
        ctor("alpha_investing", """
            discern.stats.alpha_investing{alpha = 0.05, w0 = alpha/2, gamma = SAFFRON's} -> discern.OnlineFDR.
            The monotone alpha-investing rule of R onlineFDR / online-fdr (SAFFRON with λ_t = alpha_t, alpha_t = x/(1+x)).
            """, ["alpha", "w0", "gamma"]) { call, o in
            let (seq, fn) = try sequenceOption(call, o, "gamma")
            let alpha = try o?.number("alpha") ?? 0.05
            let p = try AlphaInvesting(alpha: alpha, w0: try o?.number("w0"), gamma: seq ?? .saffronDefault)
            return OnlineFDRHandle(.pvalues(p), "alpha_investing, alpha \(alpha)", fn)
        }
        ctor("e_lond", """
            discern.stats.e_lond{alpha = 0.05, gamma = LORD sequence} -> discern.OnlineFDR for e-values (Xu & Ramdas 2024):
            :test_one(e) rejects iff e ≥ 1/alpha_t. Valid under arbitrary dependence.
            """, ["alpha", "gamma"]) { call, o in
            let (seq, fn) = try sequenceOption(call, o, "gamma")
            let alpha = try o?.number("alpha") ?? 0.05
            let p = try ELond(alpha: alpha, gamma: seq ?? .lordDefault)
            return OnlineFDRHandle(.evalues(p), "e_lond, alpha \(alpha)", fn)
        }
        state.setFunction(in: mod, "fdr", qualifiedName: "discern.stats.fdr", doc: """
            discern.stats.fdr(pvalues, {alpha = 0.05, method = "bh"|"by"|"storey", lambda = 0.5})
              -> {rejected = {booleans}, adjusted = {numbers}, n_rejected = integer}
            Batch FDR: Benjamini–Hochberg, Benjamini–Yekutieli, or Storey-BH (π̂0 with the +1 finite-sample estimate, λ = lambda).
            Adjusted values equal scipy.stats.false_discovery_control for bh and by; results keep the input order.
            """) { call in
            let p = try call.numberList(1)
            let o = try call.options(2, allowed: ["alpha", "method", "lambda"])
            let name = try o?.string("method") ?? "bh"
            let method: BatchFDR.Method
            switch name {
            case "bh": method = .bh
            case "by": method = .by
            case "storey": method = .storey(lambda: try o?.number("lambda") ?? 0.5)
            default: throw LuaError(code: "arg", "\(call.name): method must be \"bh\", \"by\" or \"storey\", got \"\(name)\"")
            }
            if try o?.has("lambda") == true, name != "storey" {
                throw LuaError(code: "arg", "\(call.name): option 'lambda' only applies to method = \"storey\"")
            }
            pushDecisions(call, try BatchFDR.adjust(p, method: method, alpha: try o?.number("alpha") ?? 0.05))
            return 1
        }
        state.setFunction(in: mod, "fwer", qualifiedName: "discern.stats.fwer", doc: """
            discern.stats.fwer(pvalues, {alpha = 0.05, method = "holm"|"bonferroni"}) -> {rejected, adjusted, n_rejected}
            Family-wise error control (statsmodels multipletests): Holm's step-down or Bonferroni; input order kept.
            """) { call in
            let p = try call.numberList(1)
            let o = try call.options(2, allowed: ["alpha", "method"])
            let name = try o?.string("method") ?? "holm"
            guard let method = FamilywiseError.Method(rawValue: name) else {
                throw LuaError(code: "arg", "\(call.name): method must be \"holm\" or \"bonferroni\", got \"\(name)\"")
            }
            pushDecisions(call, try FamilywiseError.adjust(p, method: method, alpha: try o?.number("alpha") ?? 0.05))
            return 1
        }
    }

    static func pushDecisions(_ call: LuaCall, _ r: (rejected: [Bool], adjusted: [Double])) {
        lua_createtable(call.L, 0, 3)
        call.push(booleans: r.rejected)
        lua_setfield(call.L, -2, "rejected")
        call.push(numbers: r.adjusted)
        lua_setfield(call.L, -2, "adjusted")
        call.push(r.rejected.filter { $0 }.count)
        lua_setfield(call.L, -2, "n_rejected")
    }

    static func pushState(_ call: LuaCall, _ h: OnlineFDRHandle) {
        let s = h.state
        let L = call.L
        lua_createtable(L, 0, 6)
        call.push(s.t)
        lua_setfield(L, -2, "t")
        call.push(s.rejections)
        lua_setfield(L, -2, "rejections")
        if let w = s.wealth {
            call.push(w)
            lua_setfield(L, -2, "wealth")
        }
        if let f = s.fdpEstimate {
            call.push(f)
            lua_setfield(L, -2, "fdp_estimate")
        }
        if let a = s.alpha {
            call.push(a)
            lua_setfield(L, -2, "alpha")
        }
        call.push(h.label.split(separator: ",").first.map(String.init) ?? h.label)
        lua_setfield(L, -2, "procedure")
    }

    static func defineMethods() {
        if methodsDefined { return }
        methodsDefined = true
        typealias Continuous = (any ContinuousDistribution) -> (Double) -> Double
        typealias Discrete = (any DiscreteDistribution) -> (Double) -> Double
        let fns: [(String, String, Continuous, Discrete)] = [
            ("cdf", "P(X ≤ x)", { $0.cdf }, { $0.cdf }),
            ("sf", "P(X > x), computed directly (accurate in the upper tail)", { $0.sf }, { $0.sf }),
            ("logcdf", "log P(X ≤ x)", { $0.logcdf }, { $0.logcdf }),
            ("logsf", "log P(X > x)", { $0.logsf }, { $0.logsf }),
            ("ppf", "the quantile: x with P(X ≤ x) = q", { $0.ppf }, { $0.ppf }),
            ("isf", "the upper quantile: x with P(X > x) = q", { $0.isf }, { $0.isf }),
        ]
        for (name, what, continuous, discrete) in fns {
            distribution.method(name, doc: "dist:\(name)(x) -> \(what); x may be a number or a list (then a list is returned).") { call, h in
                switch h.kind {
                case .continuous(let d): return try vectorized(call, continuous(d))
                case .discrete(let d): return try vectorized(call, discrete(d))
                }
            }
        }
        for name in ["pdf", "logpdf"] {
            distribution.method(name, doc: "dist:\(name)(x) -> the \(name == "pdf" ? "density" : "log-density") at x (continuous distributions; number or list).") { call, h in
                guard case .continuous(let d) = h.kind else {
                    throw LuaError(code: "arg", "\(call.name): \(h.label) is discrete; use :\(name == "pdf" ? "pmf" : "logpmf")")
                }
                return try vectorized(call, name == "pdf" ? d.pdf : d.logpdf)
            }
        }
        for name in ["pmf", "logpmf"] {
            distribution.method(name, doc: "dist:\(name)(k) -> the probability\(name == "pmf" ? "" : " (log)") of k (discrete distributions; number or list).") { call, h in
                guard case .discrete(let d) = h.kind else {
                    throw LuaError(code: "arg", "\(call.name): \(h.label) is continuous; use :\(name == "pmf" ? "pdf" : "logpdf")")
                }
                return try vectorized(call, name == "pmf" ? d.pmf : d.logpmf)
            }
        }
        distribution.method("mean", doc: "dist:mean() -> the mean (math.huge when it diverges, nan when undefined).") { call, h in
            switch h.kind {
            case .continuous(let d): call.push(d.mean)
            case .discrete(let d): call.push(d.mean)
            }
            return 1
        }
        distribution.method("variance", doc: "dist:variance() -> the variance (math.huge when it diverges, nan when undefined).") { call, h in
            switch h.kind {
            case .continuous(let d): call.push(d.variance)
            case .discrete(let d): call.push(d.variance)
            }
            return 1
        }

        onlineFDR.method("test_one", doc: """
            proc:test_one(p) -> rejected (boolean), alpha_t: tests the next hypothesis (reject iff p ≤ alpha_t; for e_lond the
            argument is an e-value, rejected iff e ≥ 1/alpha_t). A bad value raises and leaves the procedure unchanged.
            """) { call, h in
            let v = try call.number(2)
            let r = try h.run(call) { try h.test(v) }
            call.push(r.rejected)
            call.push(r.alpha)
            return 2
        }
        onlineFDR.method("test_many", doc: """
            proc:test_many(values) -> {rejected = {booleans}, alpha = {alpha_t …}}: test_one on each value in order.
            On a bad value, raises; the values before it stay tested.
            """) { call, h in
            let vs = try call.numberList(2)
            var rejected: [Bool] = []
            var alphas: [Double] = []
            rejected.reserveCapacity(vs.count)
            alphas.reserveCapacity(vs.count)
            try h.run(call) {
                for (i, v) in vs.enumerated() {
                    do {
                        let r = try h.test(v)
                        rejected.append(r.rejected)
                        alphas.append(r.alpha)
                    } catch let e as StatsError {
                        throw StatsError.invalidArgument("value \(i + 1): \(e.message)")
                    }
                }
            }
            lua_createtable(call.L, 0, 2)
            call.push(booleans: rejected)
            lua_setfield(call.L, -2, "rejected")
            call.push(numbers: alphas)
            lua_setfield(call.L, -2, "alpha")
            return 1
        }
        onlineFDR.method("next_alpha", doc: "proc:next_alpha() -> the level the next test will use (the procedure is unchanged).") { call, h in
            call.push(try h.run(call) { try h.nextAlpha() })
            return 1
        }
        onlineFDR.method("state", doc: """
            proc:state() -> {t, rejections, wealth, fdp_estimate, alpha, procedure}: tests so far, rejections, current
            alpha-wealth and FDP estimate (absent where a procedure does not define them), and the last level used.
            """) { call, h in
            pushState(call, h)
            return 1
        }
    }
}
