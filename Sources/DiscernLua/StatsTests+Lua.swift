import CLua
import LuaKit
import Stats

/// Lua bindings of the tests, intervals, effect sizes, power and meta-analysis in `discern.stats`.
/// Every function returns plain tables (or a number for effect sizes).
enum StatsTestsLua {
    // MARK: argument helpers

    static func alternative(_ call: LuaCall, _ o: LuaOptions?) throws -> Alternative {
        let name = try o?.string("alternative") ?? "two-sided"
        guard let a = Alternative(rawValue: name) else {
            throw LuaError(code: "arg", "\(call.name): alternative must be \"two-sided\", \"greater\" or \"less\", got \"\(name)\"")
        }
        return a
    }

    static func level(_ o: LuaOptions?) throws -> Double { try o?.number("level") ?? 0.95 }

    /// A rectangular table of numbers (a list of rows) at argument i.
    static func matrix(_ call: LuaCall, _ i: Int32) throws -> [[Double]] {
        let L = call.L
        guard lua_type(L, i) == LUA_TTABLE else { throw call.argError(i, "table of rows") }
        var rows: [[Double]] = []
        try call.forEach(i) { r in
            guard lua_type(L, -1) == LUA_TTABLE else {
                throw LuaError(code: "arg", "\(call.name): bad argument #\(i - call.selfOffset) (row \(r) must be a list of numbers)")
            }
            do {
                rows.append(try call.numberList(lua_gettop(L)))
            } catch {
                throw LuaError(code: "arg", "\(call.name): bad argument #\(i - call.selfOffset) (row \(r) must be a list of numbers)")
            }
        }
        return rows
    }

    /// A table of counts: every entry a non-negative integer.
    static func counts(_ call: LuaCall, _ i: Int32) throws -> [[Int]] {
        try matrix(call, i).enumerated().map { r, row in
            try row.enumerated().map { c, v in
                guard v == v.rounded(), v >= 0, v < 9e15 else {
                    throw LuaError(code: "arg", "\(call.name): table[\(r + 1)][\(c + 1)] must be a non-negative integer count, got \(v)")
                }
                return Int(v)
            }
        }
    }

    static func seed(_ call: LuaCall, _ o: LuaOptions?) throws -> UInt64 {
        let s = try o?.integer("seed") ?? 0
        guard s >= 0 else { throw LuaError(code: "arg", "\(call.name): option 'seed' must be a non-negative integer, got \(s)") }
        return UInt64(s)
    }

    /// Calls the Lua function in registry slot `ref` with the lists and returns its number.
    static func callStatistic(_ L: OpaquePointer, _ ref: Int32, _ lists: [[Double]], _ what: String) throws -> Double {
        let top = lua_gettop(L)
        defer { lua_settop(L, top) }
        lua_rawgeti(L, dlua_registryindex(), lua_Integer(ref))
        for list in lists {
            lua_createtable(L, Int32(list.count), 0)
            for (k, v) in list.enumerated() {
                lua_pushnumber(L, v)
                lua_rawseti(L, -2, lua_Integer(k + 1))
            }
        }
        try LuaState(borrowing: L).pcall(nargs: Int32(lists.count), nresults: 1)
        guard lua_type(L, -1) == LUA_TNUMBER else {
            throw LuaError(code: "arg", "\(what) must return a number, got \(String(cString: lua_typename(L, lua_type(L, -1))))")
        }
        return lua_tonumberx(L, -1, nil)
    }

    // MARK: result helpers

    /// Builds a result table field by field.
    struct Table {
        let call: LuaCall
        init(_ call: LuaCall, _ size: Int32 = 8) {
            self.call = call
            lua_createtable(call.L, 0, size)
        }
        func set(_ key: String, _ v: Double) {
            call.push(v)
            lua_setfield(call.L, -2, key)
        }
        func set(_ key: String, _ v: Int) {
            call.push(v)
            lua_setfield(call.L, -2, key)
        }
        func set(_ key: String, _ v: String) {
            call.push(v)
            lua_setfield(call.L, -2, key)
        }
        func set(_ key: String, _ v: Bool) {
            call.push(v)
            lua_setfield(call.L, -2, key)
        }
        func set(_ key: String, _ v: Interval) {
            StatsTestsLua.push(call, v)
            lua_setfield(call.L, -2, key)
        }
        func set(_ key: String, matrix: [[Double]]) {
            lua_createtable(call.L, Int32(matrix.count), 0)
            for (r, row) in matrix.enumerated() {
                call.push(numbers: row)
                lua_rawseti(call.L, -2, lua_Integer(r + 1))
            }
            lua_setfield(call.L, -2, key)
        }
    }

    static func push(_ call: LuaCall, _ i: Interval) {
        let t = Table(call, 3)
        t.set("lower", i.lower)
        t.set("upper", i.upper)
        t.set("level", i.level)
    }

    // MARK: definitions

    static func define(_ state: LuaState, _ mod: Int32) {
        func fn(_ name: String, _ doc: String, _ body: @escaping LuaBody) {
            state.setFunction(in: mod, name, qualifiedName: "discern.stats.\(name)", doc: doc, body)
        }
        defineTests(fn)
        defineIntervals(fn)
        definePowerAndMeta(fn)
    }

    static func defineTests(_ fn: (String, String, @escaping LuaBody) -> Void) {
        fn("binom_test", """
            discern.stats.binom_test(k, n, {p = 0.5, alternative = "two-sided", level = 0.95})
              -> {pvalue, statistic = k/n, k, n, p, alternative, ci = {lower, upper, level}}
            Exact binomial test (scipy.stats.binomtest): two-sided by the minimum-likelihood rule; ci is the exact
            Clopper–Pearson interval (one-sided for one-sided alternatives).
            """) { call in
            let o = try call.options(3, allowed: ["p", "alternative", "level"])
            let r = try binomTest(k: try call.integer(1), n: try call.integer(2), p: try o?.number("p") ?? 0.5,
                                  alternative: try alternative(call, o), level: try level(o))
            let t = Table(call)
            t.set("pvalue", r.pvalue)
            t.set("statistic", r.statistic)
            t.set("k", r.k)
            t.set("n", r.n)
            t.set("p", r.p)
            t.set("alternative", r.alternative.rawValue)
            t.set("ci", r.ci)
            return 1
        }
        fn("fisher_exact", """
            discern.stats.fisher_exact({{a, b}, {c, d}}, {alternative = "two-sided"}) -> {pvalue, odds_ratio, statistic}
            Fisher's exact test on a 2×2 table of counts (scipy.stats.fisher_exact): odds_ratio is the sample ad/bc; the
            two-sided p sums the tables at most as probable as the observed one (with a relative tolerance).
            """) { call in
            let table = try counts(call, 1)
            let o = try call.options(2, allowed: ["alternative"])
            let r = try fisherExact(table, alternative: try alternative(call, o))
            let t = Table(call, 3)
            t.set("pvalue", r.pvalue)
            t.set("odds_ratio", r.oddsRatio)
            t.set("statistic", r.statistic)
            return 1
        }
        fn("two_proportion_z", """
            discern.stats.two_proportion_z(k1, n1, k2, n2, {alternative = "two-sided"}) -> {z, pvalue, difference, statistic}
            Pooled two-proportion z-test (statsmodels proportions_ztest); difference = k1/n1 - k2/n2.
            """) { call in
            let o = try call.options(5, allowed: ["alternative"])
            let r = try twoProportionZ(k1: try call.integer(1), n1: try call.integer(2), k2: try call.integer(3), n2: try call.integer(4),
                                       alternative: try alternative(call, o))
            let t = Table(call, 4)
            t.set("z", r.z)
            t.set("pvalue", r.pvalue)
            t.set("difference", r.difference)
            t.set("statistic", r.statistic)
            return 1
        }
        fn("chi2_contingency", """
            discern.stats.chi2_contingency(table, {correction = true}) -> {statistic, pvalue, dof, expected, corrected}
            Pearson's chi-square test of independence on an r×c table (scipy.stats.chi2_contingency): Yates' continuity
            correction applies only when dof = 1 and correction is true.
            """) { call in
            let table = try matrix(call, 1)
            let o = try call.options(2, allowed: ["correction"])
            let r = try chi2Contingency(table, correction: try o?.bool("correction") ?? true)
            let t = Table(call, 5)
            t.set("statistic", r.statistic)
            t.set("pvalue", r.pvalue)
            t.set("dof", r.dof)
            t.set("expected", matrix: r.expected)
            t.set("corrected", r.corrected)
            return 1
        }
        for (name, welch) in [("welch_t", true), ("student_t", false)] {
            fn(name, """
                discern.stats.\(name)(x, y, {alternative = "two-sided"}) -> {t, df, pvalue, mean_difference, statistic}
                \(welch ? "Welch's unequal-variance t-test (scipy ttest_ind(equal_var=False)), Welch–Satterthwaite df."
                        : "Student's pooled-variance t-test (scipy ttest_ind(equal_var=True)).")
                """) { call in
                let x = try call.numberList(1), y = try call.numberList(2)
                let o = try call.options(3, allowed: ["alternative"])
                let alt = try alternative(call, o)
                let r = welch ? try welchT(x, y, alternative: alt) : try studentT(x, y, alternative: alt)
                let t = Table(call, 5)
                t.set("t", r.t)
                t.set("df", r.df)
                t.set("pvalue", r.pvalue)
                t.set("mean_difference", r.meanDifference)
                t.set("statistic", r.statistic)
                return 1
            }
        }
        fn("mann_whitney", """
            discern.stats.mann_whitney(x, y, {alternative = "two-sided", method = "auto"|"exact"|"asymptotic", use_continuity = true})
              -> {u, pvalue, method, statistic}
            Mann–Whitney U test (scipy.stats.mannwhitneyu): u is the statistic of x; the asymptotic p uses the tie-corrected
            variance and the continuity correction; "auto" is exact for small samples without ties (scipy's rule).
            """) { call in
            let x = try call.numberList(1), y = try call.numberList(2)
            let o = try call.options(3, allowed: ["alternative", "method", "use_continuity"])
            let m = try o?.string("method") ?? "auto"
            guard let method = MannWhitneyMethod(rawValue: m) else {
                throw LuaError(code: "arg", "\(call.name): method must be \"auto\", \"exact\" or \"asymptotic\", got \"\(m)\"")
            }
            let r = try mannWhitney(x, y, alternative: try alternative(call, o), method: method,
                                    useContinuity: try o?.bool("use_continuity") ?? true)
            let t = Table(call, 4)
            t.set("u", r.u)
            t.set("pvalue", r.pvalue)
            t.set("method", r.method.rawValue)
            t.set("statistic", r.statistic)
            return 1
        }
        fn("permutation_test", """
            discern.stats.permutation_test(x, y, {n = 9999, seed = 0, alternative = "two-sided", statistic = fn(x, y) -> number})
              -> {statistic, pvalue, permutations, exact}
            Two-sample permutation test (scipy.stats.permutation_test, independent samples). The default statistic is
            mean(x) - mean(y). Exact enumeration when the distinct splits number at most n; otherwise n random splits and
            p = (#{as extreme} + 1)/(n + 1). Two-sided p = 2·min(one-sided), at most 1.
            """) { call in
            let x = try call.numberList(1), y = try call.numberList(2)
            let o = try call.options(3, allowed: ["n", "seed", "alternative", "statistic"])
            let alt = try alternative(call, o), n = try o?.integer("n") ?? 9999, s = try seed(call, o)
            let r: PermutationTestResult
            if let o, try o.has("statistic") {
                let L = call.L
                let kind = try o.push("statistic")
                guard kind == LUA_TFUNCTION else {
                    dlua_pop(L, 1)
                    throw LuaError(code: "arg", "\(call.name): option 'statistic' must be a function(x, y) -> number")
                }
                let ref = luaL_ref(L, dlua_registryindex())
                defer { luaL_unref(L, dlua_registryindex(), ref) }
                let what = "\(call.name): statistic"
                r = try permutationTest(x, y, statistic: { a, b in try callStatistic(L, ref, [a, b], what) },
                                        alternative: alt, resamples: n, seed: s)
            } else {
                r = try permutationTest(x, y, alternative: alt, resamples: n, seed: s)
            }
            let t = Table(call, 4)
            t.set("statistic", r.statistic)
            t.set("pvalue", r.pvalue)
            t.set("permutations", r.permutations)
            t.set("exact", r.exact)
            return 1
        }
        fn("auc", """
            discern.stats.auc(positive_scores, negative_scores, {level = 0.95}) -> {auc, se, ci = {lower, upper, level}, pvalue}
            The ROC AUC = P(pos > neg) + P(tie)/2, its DeLong standard error and normal interval, and the two-sided
            asymptotic Mann–Whitney p-value for AUC = 0.5.
            """) { call in
            let pos = try call.numberList(1), neg = try call.numberList(2)
            let o = try call.options(3, allowed: ["level"])
            let r = try auc(positive: pos, negative: neg, level: try level(o))
            let t = Table(call, 4)
            t.set("auc", r.auc)
            t.set("se", r.se)
            t.set("ci", r.ci)
            t.set("pvalue", r.pvalue)
            return 1
        }
    }

    static func defineIntervals(_ fn: (String, String, @escaping LuaBody) -> Void) {
        fn("wilson_ci", """
            discern.stats.wilson_ci(k, n, {level = 0.95}) -> {lower, upper, level}: the Wilson score interval for k/n
            (statsmodels proportion_confint(method="wilson")).
            """) { call in
            let o = try call.options(3, allowed: ["level"])
            push(call, try wilsonCI(k: try call.integer(1), n: try call.integer(2), level: try level(o)))
            return 1
        }
        fn("clopper_pearson_ci", """
            discern.stats.clopper_pearson_ci(k, n, {level = 0.95}) -> {lower, upper, level}: the exact Clopper–Pearson
            interval for k/n (statsmodels proportion_confint(method="beta")).
            """) { call in
            let o = try call.options(3, allowed: ["level"])
            push(call, try clopperPearsonCI(k: try call.integer(1), n: try call.integer(2), level: try level(o)))
            return 1
        }
        fn("diff_proportions_ci", """
            discern.stats.diff_proportions_ci(k1, n1, k2, n2, {method = "newcombe"|"wald"|"agresti-caffo", level = 0.95})
              -> {lower, upper, level}: an interval for k1/n1 - k2/n2 (statsmodels confint_proportions_2indep).
            """) { call in
            let o = try call.options(5, allowed: ["method", "level"])
            let m = try o?.string("method") ?? "newcombe"
            guard let method = DiffProportionsMethod(rawValue: m) else {
                throw LuaError(code: "arg", "\(call.name): method must be \"newcombe\", \"wald\" or \"agresti-caffo\", got \"\(m)\"")
            }
            push(call, try diffProportionsCI(k1: try call.integer(1), n1: try call.integer(2), k2: try call.integer(3),
                                             n2: try call.integer(4), level: try level(o), method: method))
            return 1
        }
        fn("bootstrap_ci", """
            discern.stats.bootstrap_ci(x, {statistic = "mean"|"median"|fn(list) -> number, method = "bca"|"percentile",
              n = 9999, level = 0.95, alternative = "two-sided", seed = 0}) -> {lower, upper, level, estimate, se, method}
            A bootstrap interval (scipy.stats.bootstrap semantics; BCa with jackknife acceleration by default).
            """) { call in
            let x = try call.numberList(1)
            let o = try call.options(2, allowed: ["statistic", "method", "n", "level", "alternative", "seed"])
            let m = try o?.string("method") ?? "bca"
            guard let method = BootstrapMethod(rawValue: m) else {
                throw LuaError(code: "arg", "\(call.name): method must be \"bca\" or \"percentile\", got \"\(m)\"")
            }
            let L = call.L
            var ref: Int32?
            defer { if let ref { luaL_unref(L, dlua_registryindex(), ref) } }
            var statistic: ([Double]) throws -> Double = mean
            if let o, try o.has("statistic") {
                switch try o.push("statistic") {
                case LUA_TSTRING:
                    let name = LuaRead.string(L, -1) ?? ""
                    dlua_pop(L, 1)
                    switch name {
                    case "mean": statistic = mean
                    case "median": statistic = median
                    default:
                        throw LuaError(code: "arg", "\(call.name): statistic must be \"mean\", \"median\" or a function(list) -> number, got \"\(name)\"")
                    }
                case LUA_TFUNCTION:
                    let r = luaL_ref(L, dlua_registryindex())
                    ref = r
                    let what = "\(call.name): statistic"
                    statistic = { v in try callStatistic(L, r, [v], what) }
                default:
                    dlua_pop(L, 1)
                    throw LuaError(code: "arg", "\(call.name): statistic must be \"mean\", \"median\" or a function(list) -> number")
                }
            }
            let r = try bootstrapCI(x, statistic: statistic, method: method, resamples: try o?.integer("n") ?? 9999,
                                    level: try level(o), alternative: try alternative(call, o), seed: try seed(call, o))
            let t = Table(call, 6)
            t.set("lower", r.ci.lower)
            t.set("upper", r.ci.upper)
            t.set("level", r.ci.level)
            t.set("estimate", r.estimate)
            t.set("se", r.standardError)
            t.set("method", method.rawValue)
            return 1
        }
        fn("cohens_h", "discern.stats.cohens_h(p1, p2) -> 2·asin(sqrt(p1)) - 2·asin(sqrt(p2)).") { call in
            call.push(try cohensH(p1: try call.number(1), p2: try call.number(2)))
            return 1
        }
        fn("cohens_d", "discern.stats.cohens_d(x, y) -> (mean(x) - mean(y)) / pooled SD (ddof 1).") { call in
            call.push(try cohensD(try call.numberList(1), try call.numberList(2)))
            return 1
        }
        fn("hedges_g", "discern.stats.hedges_g(x, y) -> Cohen's d × (1 - 3/(4(n1 + n2) - 9)).") { call in
            call.push(try hedgesG(try call.numberList(1), try call.numberList(2)))
            return 1
        }
        fn("rank_biserial", "discern.stats.rank_biserial(x, y) -> 2·U1/(n1·n2) - 1 (U1 the Mann–Whitney statistic of x).") { call in
            call.push(try rankBiserial(try call.numberList(1), try call.numberList(2)))
            return 1
        }
        fn("cramers_v", "discern.stats.cramers_v(table) -> sqrt(chi2 / (n·(min(r, c) - 1))) without continuity correction.") { call in
            call.push(try cramersV(try matrix(call, 1)))
            return 1
        }
    }

    static func definePowerAndMeta(_ fn: (String, String, @escaping LuaBody) -> Void) {
        fn("power_two_proportions", """
            discern.stats.power_two_proportions{p1 = , p2 = , alpha = 0.05, power = 0.8 | n = , ratio = 1, alternative = "two-sided"}
              -> {n, power, alpha, effect_size}: give power to get n per group (of the first group; the second has ratio·n),
              or n to get the power. Normal approximation on Cohen's h (statsmodels NormalIndPower).
            """) { call in
            let o = try call.options(1, allowed: ["p1", "p2", "alpha", "power", "n", "ratio", "alternative"])
            guard let p1 = try o?.number("p1"), let p2 = try o?.number("p2") else {
                throw LuaError(code: "arg", "\(call.name): options 'p1' and 'p2' are required")
            }
            let alpha = try o?.number("alpha") ?? 0.05, ratio = try o?.number("ratio") ?? 1, alt = try alternative(call, o)
            let (n, power) = try solve(call, o) { n in
                try powerTwoProportions(p1: p1, p2: p2, n: n, alpha: alpha, ratio: ratio, alternative: alt)
            } sampleSize: { power in
                try sampleSizeTwoProportions(p1: p1, p2: p2, power: power, alpha: alpha, ratio: ratio, alternative: alt)
            }
            let t = Table(call, 4)
            t.set("n", n)
            t.set("power", power)
            t.set("alpha", alpha)
            t.set("effect_size", try cohensH(p1: p1, p2: p2))
            return 1
        }
        fn("power_t_test", """
            discern.stats.power_t_test{d = , alpha = 0.05, power = 0.8 | n = , ratio = 1, alternative = "two-sided"}
              -> {n, power, alpha, effect_size}: two-sample t-test power with the noncentral t (statsmodels TTestIndPower);
              give power to get n per group (first group), or n to get the power.
            """) { call in
            let o = try call.options(1, allowed: ["d", "alpha", "power", "n", "ratio", "alternative"])
            guard let d = try o?.number("d") else { throw LuaError(code: "arg", "\(call.name): option 'd' (the effect size) is required") }
            let alpha = try o?.number("alpha") ?? 0.05, ratio = try o?.number("ratio") ?? 1, alt = try alternative(call, o)
            let (n, power) = try solve(call, o) { n in
                try powerTTest(effectSize: d, n: n, alpha: alpha, ratio: ratio, alternative: alt)
            } sampleSize: { power in
                try sampleSizeTTest(effectSize: d, power: power, alpha: alpha, ratio: ratio, alternative: alt)
            }
            let t = Table(call, 4)
            t.set("n", n)
            t.set("power", power)
            t.set("alpha", alpha)
            t.set("effect_size", d)
            return 1
        }
        fn("combine_pvalues", """
            discern.stats.combine_pvalues(pvalues, {method = "fisher"|"stouffer", weights = {…}}) -> {statistic, pvalue}
            Fisher's -2Σ ln p (chi-square, 2k df) or Stouffer's Σ w·Φ⁻¹(1 - p)/sqrt(Σ w²) (scipy.stats.combine_pvalues).
            """) { call in
            let p = try call.numberList(1)
            let o = try call.options(2, allowed: ["method", "weights"])
            let m = try o?.string("method") ?? "fisher"
            guard let method = CombinePValuesMethod(rawValue: m) else {
                throw LuaError(code: "arg", "\(call.name): method must be \"fisher\" or \"stouffer\", got \"\(m)\"")
            }
            var weights: [Double]?
            if let o, try o.has("weights") {
                _ = try o.push("weights")
                defer { dlua_pop(call.L, 1) }
                weights = try call.numberList(lua_gettop(call.L))
            }
            let r = try combinePValues(p, method: method, weights: weights)
            let t = Table(call, 2)
            t.set("statistic", r.statistic)
            t.set("pvalue", r.pvalue)
            return 1
        }
        fn("random_effects", """
            discern.stats.random_effects(effects, variances, {method = "dl"|"pm", level = 0.95})
              -> {estimate, se, ci, tau2, q, df, q_pvalue, i2, fixed_estimate, fixed_se}
            Random-effects meta-analysis, DerSimonian–Laird or Paule–Mandel τ² (statsmodels combine_effects).
            """) { call in
            let effects = try call.numberList(1), variances = try call.numberList(2)
            let o = try call.options(3, allowed: ["method", "level"])
            let m = try o?.string("method") ?? "dl"
            guard let method = RandomEffectsMethod(rawValue: m) else {
                throw LuaError(code: "arg", "\(call.name): method must be \"dl\" or \"pm\", got \"\(m)\"")
            }
            let r = try randomEffects(effects: effects, variances: variances, method: method, level: try level(o))
            let t = Table(call, 10)
            t.set("estimate", r.estimate)
            t.set("se", r.se)
            t.set("ci", r.ci)
            t.set("tau2", r.tau2)
            t.set("q", r.q)
            t.set("df", r.df)
            t.set("q_pvalue", r.qPvalue)
            t.set("i2", r.i2)
            t.set("fixed_estimate", r.fixedEstimate)
            t.set("fixed_se", r.fixedSE)
            return 1
        }
    }

    /// Power given n, or n given power (exactly one of them; power defaults to 0.8 when neither is given).
    static func solve(_ call: LuaCall, _ o: LuaOptions?, power: (Double) throws -> Double,
                      sampleSize: (Double) throws -> Double) throws -> (n: Double, power: Double) {
        let n = try o?.number("n"), p = try o?.number("power")
        if n != nil, p != nil {
            throw LuaError(code: "arg", "\(call.name): give either 'n' (to get the power) or 'power' (to get n), not both")
        }
        if let n { return (n, try power(n)) }
        let target = p ?? 0.8
        return (try sampleSize(target), target)
    }

    static func mean(_ v: [Double]) -> Double { v.reduce(0, +) / Double(v.count) }

    static func median(_ v: [Double]) -> Double {
        let s = v.sorted()
        let m = s.count / 2
        return s.count % 2 == 1 ? s[m] : (s[m - 1] + s[m]) / 2
    }
}
