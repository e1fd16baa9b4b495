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

    // MARK: options and results, declared once

    /// The parameters of the distributions (each constructor declares the ones it takes).
    struct DistArgs {
        var mean = 0.0, sd = 1.0, df = 0.0, df1 = 0.0, df2 = 0.0, a = 0.0, b = 0.0, shape = 0.0, scale = 1.0, p = 0.0
        var n = 0, population = 0, successes = 0, draws = 0
    }
    typealias D = LuaField<DistArgs>
    static func dist(_ name: String, _ fields: [D]) -> LuaOptionSpec<DistArgs> {
        LuaOptionSpec("discern.stats.\(name)", prototype: DistArgs(), fields)
    }
    nonisolated(unsafe) static let df = D.real("df", \.df, "degrees of freedom", required: true)

    /// A gamma (or beta) sequence: a list of terms or a Lua function j ↦ term, and the function when it is one.
    typealias GammaArg = (terms: GammaSequence, function: LuaSequenceFunction?)
    /// The options of the online FDR procedures (each declares the subset it reads).
    struct FDRArgs {
        var alpha = 0.05
        var w0: Double?
        var lambda = 0.5, tau = 0.5
        var gamma: GammaArg?
        var dependent = false, original = true
        var method = FDRMethod.bh
        var fwer = FamilywiseError.Method.holm
    }
    enum FDRMethod: String, CaseIterable { case bh, by, storey }
    typealias O = LuaField<FDRArgs>
    nonisolated(unsafe) static let alpha = O.real("alpha", \.alpha, "the target level")
    static func w0(_ dflt: String) -> O { O.real("w0", \.w0, "initial wealth", default: dflt) }
    static func sequence(_ key: String, _ doc: String, default: String) -> O {
        O.value(key, \.gamma, type: "number[]|fun(j: integer): number", doc, default: `default`) { c, i in
            switch c.type(i) {
            case LUA_TTABLE: return (.list(try c.numberList(i)), nil)
            case LUA_TFUNCTION:
                let f = LuaSequenceFunction(c, i, what: "\(key) function")
                return (.custom({ j in f.value(j) }), f)
            default:
                throw LuaError(code: "arg", "\(c.name): option '\(key)' must be a list of numbers or a function(j) -> number, got \(c.typeName(i))")
            }
        }
    }
    nonisolated(unsafe) static let lordGamma = sequence("gamma", "the γ_j (j ≥ 1)", default: "γ_j = 0.07720838·log(max(j,2))/(j·e^√log j)")
    nonisolated(unsafe) static let saffronGamma = sequence("gamma", "the γ_j (j ≥ 1)", default: "γ_j = 0.4374901658/j^1.6")
    static func fdr(_ name: String, _ fields: [O], _ defaults: (inout FDRArgs) -> Void = { _ in }) -> LuaOptionSpec<FDRArgs> {
        var proto = FDRArgs()
        defaults(&proto)
        return LuaOptionSpec("discern.stats.\(name)", prototype: proto, fields)
    }

    nonisolated(unsafe) static let decisions = LuaRecordSpec<(rejected: [Bool], adjusted: [Double])>("discern.stats.Decisions", [
        .booleans("rejected", \.rejected, "per hypothesis, in input order"), .numbers("adjusted", \.adjusted, "adjusted p-values"),
        .custom("n_rejected", type: "integer") { r, L in lua_pushinteger(L, lua_Integer(r.rejected.filter { $0 }.count)) },
    ])
    nonisolated(unsafe) static let tests = LuaRecordSpec<(rejected: [Bool], alpha: [Double])>("discern.stats.OnlineTests", [
        .booleans("rejected", \.rejected), .numbers("alpha", \.alpha, "the level each test used"),
    ])
    nonisolated(unsafe) static let fdrState = LuaRecordSpec<(state: OnlineFDRState, procedure: String)>("discern.stats.OnlineFDRState", [
        .integer("t", \.state.t, "tests so far"), .integer("rejections", \.state.rejections),
        .number("wealth", \.state.wealth, "current alpha-wealth"), .number("fdp_estimate", \.state.fdpEstimate),
        .number("alpha", \.state.alpha, "the last level used"), .string("procedure", \.procedure),
    ])

    /// Registers the metatables of the stats handle types.
    static func register(_ state: LuaState) {
        defineMethods()
        distribution.register(in: state)
        onlineFDR.register(in: state)
    }

    /// Builds the `discern.stats` table on top of the stack.
    static func open(_ state: LuaState) {
        register(state)
        let m = LuaModuleBuilder(state, "discern.stats", doc: """
            discern.stats: distributions (normal, t, chi2, f, beta, gamma, binomial, hypergeometric), online FDR
            (saffron, lord_plus_plus, addis, lond, alpha_investing, e_lond), batch FDR (fdr), tests, intervals, effect sizes,
            power and meta-analysis, family-wise error control (fwer), the classifier two-sample test (classifier_test). Results are plain tables.
            """, capacity: 48)
        defineDistributions(m)
        defineOnlineFDR(m)
        StatsTestsLua.define(state, m.index)
        BehaviorLua.defineStats(state, m.index)
    }

    // MARK: distributions

    static func defineDistributions(_ m: LuaModuleBuilder) {
        func ctor(_ name: String, _ spec: LuaOptionSpec<DistArgs>, _ doc: String, _ make: @escaping (DistArgs) throws -> DistributionHandle) {
            m.function(name, "(opts\(spec.fields.contains { $0.required } ? "" : "?"): \(spec.name)) -> discern.Distribution", doc,
                       options: spec) { call in call.push(try make(try spec.read(call, at: 1)), distribution) }
        }
        func g(_ v: Double) -> String { "\(v)" }
        ctor("normal", dist("NormalOptions", [D.real("mean", \.mean, "the mean"), D.real("sd", \.sd, "the standard deviation")]),
             "N(mean, sd²).") { o in
            let d = try Normal(mean: o.mean, sd: o.sd)
            return DistributionHandle(.continuous(d), "discern.Distribution(normal, mean \(g(d.mean)), sd \(g(d.sd)))")
        }
        ctor("t", dist("TOptions", [df]), "Student's t with df degrees of freedom (df may be math.huge).") { o in
            let d = try StudentT(df: o.df)
            return DistributionHandle(.continuous(d), "discern.Distribution(t, df \(g(d.df)))")
        }
        ctor("chi2", dist("Chi2Options", [df]), "Chi-square with df degrees of freedom.") { o in
            let d = try ChiSquared(df: o.df)
            return DistributionHandle(.continuous(d), "discern.Distribution(chi2, df \(g(d.df)))")
        }
        ctor("f", dist("FOptions", [D.real("df1", \.df1, "numerator degrees of freedom", required: true),
                                    D.real("df2", \.df2, "denominator degrees of freedom", required: true)]), "Fisher's F.") { o in
            let d = try FDistribution(df1: o.df1, df2: o.df2)
            return DistributionHandle(.continuous(d), "discern.Distribution(f, df1 \(g(d.df1)), df2 \(g(d.df2)))")
        }
        ctor("beta", dist("BetaOptions", [D.real("a", \.a, "shape α", required: true), D.real("b", \.b, "shape β", required: true)]),
             "Beta(a, b).") { o in
            let d = try BetaDistribution(a: o.a, b: o.b)
            return DistributionHandle(.continuous(d), "discern.Distribution(beta, a \(g(d.a)), b \(g(d.b)))")
        }
        ctor("gamma", dist("GammaOptions", [D.real("shape", \.shape, "shape k", required: true), D.real("scale", \.scale, "scale θ")]),
             "Gamma(shape, scale).") { o in
            let d = try GammaDistribution(shape: o.shape, scale: o.scale)
            return DistributionHandle(.continuous(d), "discern.Distribution(gamma, shape \(g(d.shape)), scale \(g(d.scale)))")
        }
        ctor("binomial", dist("BinomialOptions", [D.integer("n", \.n, "trials", required: true),
                                                  D.real("p", \.p, "success probability", required: true)]),
             "Binomial(n, p) (use pmf, not pdf).") { o in
            let d = try Binomial(n: o.n, p: o.p)
            return DistributionHandle(.discrete(d), "discern.Distribution(binomial, n \(d.n), p \(g(d.p)))")
        }
        ctor("hypergeometric", dist("HypergeometricOptions", [
            D.integer("population", \.population, "items", required: true),
            D.integer("successes", \.successes, "successes among them", required: true),
            D.integer("draws", \.draws, "draws without replacement", required: true),
        ]), "The number of successes in `draws` draws without replacement from `population` items of which `successes` are successes.") { o in
            let d = try Hypergeometric(population: o.population, successes: o.successes, draws: o.draws)
            return DistributionHandle(.discrete(d), "discern.Distribution(hypergeometric, population \(d.population), successes \(d.successes), draws \(d.draws))")
        }
    }

    /// Evaluates `f` at argument 2 (a number or a list of numbers) and pushes a number or a list.
    static func vectorized(_ call: LuaCall, _ f: (Double) -> Double) throws -> Int32 {
        call.type(2) == LUA_TTABLE ? call.returning(try call.numberList(2).map(f)) : call.returning(f(try call.number(2)))
    }

    // MARK: online FDR

    static func defineOnlineFDR(_ m: LuaModuleBuilder) {
        func ctor(_ name: String, _ spec: LuaOptionSpec<FDRArgs>, _ doc: String,
                  _ make: @escaping (FDRArgs) throws -> OnlineFDRHandle.Kind) {
            m.function(name, "(opts?: \(spec.name)) -> discern.OnlineFDR", doc, options: spec) { call in
                let o = try spec.read(call, at: 1)
                return call.push(OnlineFDRHandle(try make(o), "\(name), alpha \(o.alpha)", o.gamma?.function), onlineFDR)
            }
        }
        ctor("saffron", fdr("SaffronOptions", [alpha, w0("alpha/2"), O.real("lambda", \.lambda, "candidate threshold"), saffronGamma]), """
            SAFFRON (Ramdas et al. 2018) with R onlineFDR's defaults; gamma may be a list or a function(j) -> γ_j (j ≥ 1).
            FDR control for independent p-values.
            """) { o in
            .pvalues(try Saffron(alpha: o.alpha, w0: o.w0, lambda: o.lambda, gamma: o.gamma?.terms ?? .saffronDefault))
        }
        ctor("lord_plus_plus", fdr("LordPlusPlusOptions", [alpha, w0("alpha/10"), lordGamma]), """
            LORD++ (Ramdas et al. 2017); γ_j = 0.07720838·log(max(j,2))/(j·e^√log j) by default; gamma may be a list or a function(j).
            """) { o in .pvalues(try LordPlusPlus(alpha: o.alpha, w0: o.w0, gamma: o.gamma?.terms ?? .lordDefault)) }
        ctor("addis", fdr("AddisOptions", [alpha, w0("alpha/2"), O.real("lambda", \.lambda, "candidate threshold"),
                                           O.real("tau", \.tau, "discarding threshold"), saffronGamma]) { $0.lambda = 0.25 }, """
            ADDIS (Tian & Ramdas 2019): p > tau are discarded. gamma is indexed from 0 internally; a list or function gives γ_1, γ_2, …
            and index k reads γ_{k+1}, as R onlineFDR.
            """) { o in
            .pvalues(try Addis(alpha: o.alpha, w0: o.w0, lambda: o.lambda, tau: o.tau, gamma: o.gamma?.terms ?? .saffronDefault))
        }
        ctor("lond", fdr("LondOptions", [
            alpha, O.boolean("dependent", \.dependent, "divide by H(t) (arbitrary dependence)"),
            O.boolean("original", \.original, "β_t·(D+1) (else β_t·max(D,1))"),
            sequence("beta", "the β_j, with Σβ ≤ alpha", default: "alpha × the LORD sequence"),
        ]), """
            LOND (Javanmard & Montanari): alpha_t = β_t·(D+1) (original) or β_t·max(D,1); dependent = true divides by H(t)
            (arbitrary dependence). beta may be a list or a function(j) -> β_j with Σβ ≤ alpha.
            """) { o in .pvalues(try Lond(alpha: o.alpha, dependent: o.dependent, original: o.original, beta: o.gamma?.terms)) }
        ctor("alpha_investing", fdr("AlphaInvestingOptions", [alpha, w0("alpha/2"), saffronGamma]), """
            The monotone alpha-investing rule of R onlineFDR / online-fdr (SAFFRON with λ_t = alpha_t, alpha_t = x/(1+x)).
            """) { o in .pvalues(try AlphaInvesting(alpha: o.alpha, w0: o.w0, gamma: o.gamma?.terms ?? .saffronDefault)) }
        ctor("e_lond", fdr("ELondOptions", [alpha, lordGamma]), """
            For e-values (Xu & Ramdas 2024): :test_one(e) rejects iff e ≥ 1/alpha_t. Valid under arbitrary dependence.
            """) { o in .evalues(try ELond(alpha: o.alpha, gamma: o.gamma?.terms ?? .lordDefault)) }

        let fdrSpec = fdr("FDROptions", [
            alpha, O.choice("method", \.method, "Benjamini–Hochberg, Benjamini–Yekutieli or Storey-BH"),
            O.real("lambda", \.lambda, "Storey's λ (method = \"storey\" only)"),
        ])
        m.function("fdr", "(pvalues: number[], opts?: discern.stats.FDROptions) -> discern.stats.Decisions", """
            Batch FDR: Benjamini–Hochberg, Benjamini–Yekutieli, or Storey-BH (π̂0 with the +1 finite-sample estimate, λ = lambda).
            Adjusted values equal scipy.stats.false_discovery_control for bh and by; results keep the input order.
            """, options: fdrSpec) { call in
            let p = try call.numberList(1)
            var o = fdrSpec.prototype!
            if try fdrSpec.decode(call, at: 2, into: &o)?.has("lambda") == true, o.method != .storey {
                throw LuaError(code: "arg", "\(call.name): option 'lambda' only applies to method = \"storey\"")
            }
            let method: BatchFDR.Method = switch o.method {
            case .bh: .bh
            case .by: .by
            case .storey: .storey(lambda: o.lambda)
            }
            return try call.push(try BatchFDR.adjust(p, method: method, alpha: o.alpha), decisions)
        }
        let fwerSpec = fdr("FWEROptions", [alpha, O.choice("method", \.fwer, "Holm's step-down or Bonferroni")])
        m.function("fwer", "(pvalues: number[], opts?: discern.stats.FWEROptions) -> discern.stats.Decisions", """
            Family-wise error control (statsmodels multipletests): Holm's step-down or Bonferroni; input order kept.
            """, options: fwerSpec) { call in
            let p = try call.numberList(1)
            let o = try fwerSpec.read(call, at: 2)
            return try call.push(try FamilywiseError.adjust(p, method: o.fwer, alpha: o.alpha), decisions)
        }
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
        let vector = "(x: number|number[]) -> number|number[]"
        for (name, what, continuous, discrete) in fns {
            distribution.method(name, vector, "\(what); x may be a number or a list (then a list is returned).") { call, h in
                switch h.kind {
                case .continuous(let d): return try vectorized(call, continuous(d))
                case .discrete(let d): return try vectorized(call, discrete(d))
                }
            }
        }
        for name in ["pdf", "logpdf"] {
            distribution.method(name, vector, "The \(name == "pdf" ? "density" : "log-density") at x (continuous distributions; number or list).") { call, h in
                guard case .continuous(let d) = h.kind else {
                    throw LuaError(code: "arg", "\(call.name): \(h.label) is discrete; use :\(name == "pdf" ? "pmf" : "logpmf")")
                }
                return try vectorized(call, name == "pdf" ? d.pdf : d.logpdf)
            }
        }
        for name in ["pmf", "logpmf"] {
            distribution.method(name, "(k: number|number[]) -> number|number[]",
                                "The probability\(name == "pmf" ? "" : " (log)") of k (discrete distributions; number or list).") { call, h in
                guard case .discrete(let d) = h.kind else {
                    throw LuaError(code: "arg", "\(call.name): \(h.label) is continuous; use :\(name == "pmf" ? "pdf" : "logpdf")")
                }
                return try vectorized(call, name == "pmf" ? d.pmf : d.logpmf)
            }
        }
        for name in ["mean", "variance"] {
            distribution.method(name, "() -> number", "The \(name) (math.huge when it diverges, nan when undefined).") { call, h in
                switch h.kind {
                case .continuous(let d): return call.returning(name == "mean" ? d.mean : d.variance)
                case .discrete(let d): return call.returning(name == "mean" ? d.mean : d.variance)
                }
            }
        }

        onlineFDR.method("test_one", "(p: number) -> boolean, number", """
            rejected, alpha_t: tests the next hypothesis (reject iff p ≤ alpha_t; for e_lond the argument is an e-value,
            rejected iff e ≥ 1/alpha_t). A bad value raises and leaves the procedure unchanged.
            """) { call, h in
            let v = try call.number(2)
            let r = try h.run(call) { try h.test(v) }
            call.push(r.rejected)
            call.push(r.alpha)
            return 2
        }
        onlineFDR.method("test_many", "(values: number[]) -> discern.stats.OnlineTests", """
            test_one on each value in order. On a bad value, raises; the values before it stay tested.
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
            return try call.push((rejected, alphas), tests)
        }
        onlineFDR.method("next_alpha", "() -> number", "The level the next test will use (the procedure is unchanged).") { call, h in
            call.returning(try h.run(call) { try h.nextAlpha() })
        }
        onlineFDR.method("state", "() -> discern.stats.OnlineFDRState", """
            Tests so far, rejections, current alpha-wealth and FDP estimate (absent where a procedure does not define them),
            and the last level used.
            """) { call, h in try call.push((h.state, h.label.split(separator: ",").first.map(String.init) ?? h.label), fdrState) }
    }
}
