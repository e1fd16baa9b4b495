import CLua
import LuaKit
import Stats

/// Lua bindings of the tests, intervals, effect sizes, power and meta-analysis in `discern.stats`.
/// Every function returns plain tables (or a number for effect sizes).
enum StatsTestsLua {
    // MARK: argument helpers

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

    // MARK: options and results, declared once

    /// The options of the tests and intervals (each function declares the subset it reads).
    struct Options {
        var alternative: Alternative = .twoSided
        var level = 0.95
        var p = 0.5
        var correction = true
        var mannWhitney: MannWhitneyMethod = .auto
        var useContinuity = true
        var n = 9999
        var seed: UInt64 = 0
        var diffProportions: DiffProportionsMethod = .newcombe
        var bootstrap: BootstrapMethod = .bca
        var combine: CombinePValuesMethod = .fisher
        var weights: [Double]?
        var randomEffects: RandomEffectsMethod = .dl
    }
    typealias F = LuaField<Options>
    nonisolated(unsafe) static let alternative = F.choice("alternative", \.alternative, "the alternative hypothesis")
    nonisolated(unsafe) static let level = F.number("level", \.level, "confidence level", in: 1e-12...(1 - 1e-12))
    nonisolated(unsafe) static let resamples = F.integer("n", \.n, "resamples (or the most distinct splits enumerated exactly)", in: 1...Int.max)
    nonisolated(unsafe) static let seedField = F.seed("seed", \.seed, "random seed")
    nonisolated(unsafe) static let statisticField = F.custom("statistic", type: "\"mean\"|\"median\"|fun(x: number[], y?: number[]): number",
                                         "the statistic", default: "mean") { _, _ in }
    static func spec(_ name: String, _ fields: [F]) -> LuaOptionSpec<Options> {
        LuaOptionSpec("discern.stats.\(name)", prototype: Options(), fields)
    }
    nonisolated(unsafe) static let altOnly = spec("AlternativeOptions", [alternative])
    nonisolated(unsafe) static let levelOnly = spec("LevelOptions", [level])
    nonisolated(unsafe) static let binomOptions = spec("BinomTestOptions", [F.number("p", \.p, "the null proportion", in: 0...1), alternative, level])
    nonisolated(unsafe) static let chi2Options = spec("Chi2ContingencyOptions",
                                                      [F.boolean("correction", \.correction, "Yates' correction when dof = 1")])
    nonisolated(unsafe) static let mannWhitneyOptions = spec("MannWhitneyOptions", [
        alternative, F.choice("method", \.mannWhitney, "exact or normal p (auto: scipy's rule)"),
        F.boolean("use_continuity", \.useContinuity, "continuity correction of the normal p"),
    ])
    nonisolated(unsafe) static let permutationOptions = spec("PermutationTestOptions", [resamples, seedField, alternative, statisticField])
    nonisolated(unsafe) static let diffOptions = spec("DiffProportionsOptions", [F.choice("method", \.diffProportions, "interval method"), level])
    nonisolated(unsafe) static let bootstrapOptions = spec("BootstrapOptions", [
        statisticField, F.choice("method", \.bootstrap, "interval method"), resamples, level, alternative, seedField,
    ])
    nonisolated(unsafe) static let combineOptions = spec("CombinePValuesOptions", [
        F.choice("method", \.combine, "how the p-values combine"), F.numbers("weights", \.weights, "Stouffer weights", default: "all 1"),
    ])
    nonisolated(unsafe) static let randomEffectsOptions = spec("RandomEffectsOptions", [F.choice("method", \.randomEffects, "τ² estimator"), level])

    /// The options of the power functions.
    struct PowerOptions {
        var p1 = 0.0, p2 = 0.0, d = 0.0
        var alpha = 0.05
        var power: Double?
        var n: Double?
        var ratio = 1.0
        var alternative: Alternative = .twoSided
    }
    typealias P = LuaField<PowerOptions>
    nonisolated(unsafe) static let powerCommon: [P] = [
        P.number("alpha", \.alpha, "significance level", in: 1e-12...(1 - 1e-12)),
        P.number("power", \.power, "target power (give it to get n)", in: 1e-12...(1 - 1e-12), default: "0.8 when n is absent"),
        P.number("n", \.n, "size of the first group (give it to get the power)", in: 1...1e15),
        P.number("ratio", \.ratio, "second group size / first", in: 1e-9...1e9),
        P.choice("alternative", \.alternative, "the alternative hypothesis"),
    ]
    nonisolated(unsafe) static let powerProportionsOptions = LuaOptionSpec<PowerOptions>("discern.stats.PowerTwoProportionsOptions",
        prototype: PowerOptions(), [P.number("p1", \.p1, "first proportion", in: 0...1, required: true),
                                    P.number("p2", \.p2, "second proportion", in: 0...1, required: true)] + powerCommon)
    nonisolated(unsafe) static let powerTOptions = LuaOptionSpec<PowerOptions>("discern.stats.PowerTTestOptions", prototype: PowerOptions(),
        [P.number("d", \.d, "the effect size, Cohen's d", required: true)] + powerCommon)

    nonisolated(unsafe) static let interval = LuaRecordSpec<Interval>("discern.stats.Interval", [
        .number("lower", \.lower), .number("upper", \.upper), .number("level", \.level),
    ])
    nonisolated(unsafe) static let binomResult = LuaRecordSpec<BinomialTestResult>("discern.stats.BinomTestResult", [
        .number("pvalue", \.pvalue), .number("statistic", \.statistic, "k/n"), .integer("k", \.k), .integer("n", \.n),
        .number("p", \.p), .choice("alternative", \.alternative), .record("ci", \.ci, interval, "Clopper–Pearson"),
    ])
    nonisolated(unsafe) static let fisherResult = LuaRecordSpec<FisherExactResult>("discern.stats.FisherExactResult", [
        .number("pvalue", \.pvalue), .number("odds_ratio", \.oddsRatio, "the sample ad/bc"), .number("statistic", \.statistic),
    ])
    nonisolated(unsafe) static let zResult = LuaRecordSpec<TwoProportionZResult>("discern.stats.TwoProportionZResult", [
        .number("z", \.z), .number("pvalue", \.pvalue), .number("difference", \.difference, "k1/n1 - k2/n2"),
        .number("statistic", \.statistic),
    ])
    nonisolated(unsafe) static let chi2Result = LuaRecordSpec<ChiSquareContingencyResult>("discern.stats.Chi2ContingencyResult", [
        .number("statistic", \.statistic), .number("pvalue", \.pvalue), .integer("dof", \.dof),
        .matrix("expected", \.expected, "expected counts"), .boolean("corrected", \.corrected, "whether Yates' correction applied"),
    ])
    nonisolated(unsafe) static let tResult = LuaRecordSpec<TTestResult>("discern.stats.TTestResult", [
        .number("t", \.t), .number("df", \.df), .number("pvalue", \.pvalue), .number("mean_difference", \.meanDifference),
        .number("statistic", \.statistic),
    ])
    nonisolated(unsafe) static let mannWhitneyResult = LuaRecordSpec<MannWhitneyResult>("discern.stats.MannWhitneyResult", [
        .number("u", \.u, "the statistic of x"), .number("pvalue", \.pvalue), .choice("method", \.method), .number("statistic", \.statistic),
    ])
    nonisolated(unsafe) static let permutationResult = LuaRecordSpec<PermutationTestResult>("discern.stats.PermutationTestResult", [
        .number("statistic", \.statistic), .number("pvalue", \.pvalue), .integer("permutations", \.permutations),
        .boolean("exact", \.exact, "whether every split was enumerated"),
    ])
    nonisolated(unsafe) static let aucResult = LuaRecordSpec<AUCResult>("discern.stats.AUCResult", [
        .number("auc", \.auc), .number("se", \.se, "DeLong standard error"), .record("ci", \.ci, interval), .number("pvalue", \.pvalue),
    ])
    nonisolated(unsafe) static let bootstrapResult = LuaRecordSpec<(BootstrapResult, BootstrapMethod)>("discern.stats.BootstrapResult", [
        .number("lower", \.0.ci.lower), .number("upper", \.0.ci.upper), .number("level", \.0.ci.level),
        .number("estimate", \.0.estimate), .number("se", \.0.standardError), .choice("method", \.1),
    ])
    nonisolated(unsafe) static let powerResult = LuaRecordSpec<(n: Double, power: Double, alpha: Double, effectSize: Double)>(
        "discern.stats.PowerResult", [
            .number("n", \.n, "size of the first group"), .number("power", \.power), .number("alpha", \.alpha),
            .number("effect_size", \.effectSize, "Cohen's h or d"),
        ])
    nonisolated(unsafe) static let combinedResult = LuaRecordSpec<CombinedPValues>("discern.stats.CombinedPValues", [
        .number("statistic", \.statistic), .number("pvalue", \.pvalue),
    ])
    nonisolated(unsafe) static let randomEffectsResult = LuaRecordSpec<RandomEffectsResult>("discern.stats.RandomEffectsResult", [
        .number("estimate", \.estimate), .number("se", \.se), .record("ci", \.ci, interval), .number("tau2", \.tau2),
        .number("q", \.q), .integer("df", \.df), .number("q_pvalue", \.qPvalue), .number("i2", \.i2),
        .number("fixed_estimate", \.fixedEstimate), .number("fixed_se", \.fixedSE),
    ])

    // MARK: definitions

    static func define(_ state: LuaState, _ mod: Int32) {
        let m = LuaModuleBuilder(state, "discern.stats", at: mod)
        defineTests(m)
        StatsPairedLua.define(m)
        defineIntervals(m)
        definePowerAndMeta(m)
    }

    static func defineTests(_ m: LuaModuleBuilder) {
        m.function("binom_test", "(k: integer, n: integer, opts?: discern.stats.BinomTestOptions) -> discern.stats.BinomTestResult", """
            Exact binomial test (scipy.stats.binomtest): two-sided by the minimum-likelihood rule; ci is the exact
            Clopper–Pearson interval (one-sided for one-sided alternatives).
            """, options: binomOptions) { call in
            var o = Options()
            try binomOptions.decode(call, at: 3, into: &o)
            return try call.push(try binomTest(k: try call.integer(1), n: try call.integer(2), p: o.p, alternative: o.alternative,
                                               level: o.level), binomResult)
        }
        m.function("fisher_exact", "(table: integer[][], opts?: discern.stats.AlternativeOptions) -> discern.stats.FisherExactResult", """
            Fisher's exact test on a 2×2 table of counts {{a, b}, {c, d}} (scipy.stats.fisher_exact): odds_ratio is the sample
            ad/bc; the two-sided p sums the tables at most as probable as the observed one (with a relative tolerance).
            """, options: altOnly) { call in
            let table = try counts(call, 1)
            var o = Options()
            try altOnly.decode(call, at: 2, into: &o)
            return try call.push(try fisherExact(table, alternative: o.alternative), fisherResult)
        }
        m.function("two_proportion_z", "(k1: integer, n1: integer, k2: integer, n2: integer, opts?: discern.stats.AlternativeOptions) -> discern.stats.TwoProportionZResult", """
            Pooled two-proportion z-test (statsmodels proportions_ztest); difference = k1/n1 - k2/n2.
            """, options: altOnly) { call in
            var o = Options()
            try altOnly.decode(call, at: 5, into: &o)
            return try call.push(try twoProportionZ(k1: try call.integer(1), n1: try call.integer(2), k2: try call.integer(3),
                                                    n2: try call.integer(4), alternative: o.alternative), zResult)
        }
        m.function("chi2_contingency", "(table: number[][], opts?: discern.stats.Chi2ContingencyOptions) -> discern.stats.Chi2ContingencyResult", """
            Pearson's chi-square test of independence on an r×c table (scipy.stats.chi2_contingency): Yates' continuity
            correction applies only when dof = 1 and correction is true.
            """, options: chi2Options) { call in
            let table = try matrix(call, 1)
            var o = Options()
            try chi2Options.decode(call, at: 2, into: &o)
            return try call.push(try chi2Contingency(table, correction: o.correction), chi2Result)
        }
        for (name, welch) in [("welch_t", true), ("student_t", false)] {
            m.function(name, "(x: number[], y: number[], opts?: discern.stats.AlternativeOptions) -> discern.stats.TTestResult",
                       welch ? "Welch's unequal-variance t-test (scipy ttest_ind(equal_var=False)), Welch–Satterthwaite df."
                             : "Student's pooled-variance t-test (scipy ttest_ind(equal_var=True)).", options: altOnly) { call in
                let x = try call.numberList(1), y = try call.numberList(2)
                var o = Options()
                try altOnly.decode(call, at: 3, into: &o)
                return try call.push(welch ? try welchT(x, y, alternative: o.alternative) : try studentT(x, y, alternative: o.alternative),
                                     tResult)
            }
        }
        m.function("mann_whitney", "(x: number[], y: number[], opts?: discern.stats.MannWhitneyOptions) -> discern.stats.MannWhitneyResult", """
            Mann–Whitney U test (scipy.stats.mannwhitneyu): u is the statistic of x; the asymptotic p uses the tie-corrected
            variance and the continuity correction; "auto" is exact for small samples without ties (scipy's rule).
            """, options: mannWhitneyOptions) { call in
            let x = try call.numberList(1), y = try call.numberList(2)
            var o = Options()
            try mannWhitneyOptions.decode(call, at: 3, into: &o)
            return try call.push(try mannWhitney(x, y, alternative: o.alternative, method: o.mannWhitney, useContinuity: o.useContinuity),
                                 mannWhitneyResult)
        }
        m.function("permutation_test", "(x: number[], y: number[], opts?: discern.stats.PermutationTestOptions) -> discern.stats.PermutationTestResult", """
            Two-sample permutation test (scipy.stats.permutation_test, independent samples). The default statistic is
            mean(x) - mean(y); a function(x, y) -> number replaces it. Exact enumeration when the distinct splits number at
            most n; otherwise n random splits and p = (#{as extreme} + 1)/(n + 1). Two-sided p = 2·min(one-sided), at most 1.
            """, options: permutationOptions) { call in
            let x = try call.numberList(1), y = try call.numberList(2)
            var o = Options()
            let raw = try permutationOptions.decode(call, at: 3, into: &o)
            let r: PermutationTestResult
            if let fn = try statisticFunction(call, raw, names: [:]) {
                defer { fn.release() }
                r = try permutationTest(x, y, statistic: { a, b in try fn.call([a, b]) }, alternative: o.alternative,
                                        resamples: o.n, seed: o.seed)
            } else {
                r = try permutationTest(x, y, alternative: o.alternative, resamples: o.n, seed: o.seed)
            }
            return try call.push(r, permutationResult)
        }
        m.function("auc", "(positive_scores: number[], negative_scores: number[], opts?: discern.stats.LevelOptions) -> discern.stats.AUCResult", """
            The ROC AUC = P(pos > neg) + P(tie)/2, its DeLong standard error and normal interval, and the two-sided
            asymptotic Mann–Whitney p-value for AUC = 0.5.
            """, options: levelOnly) { call in
            let pos = try call.numberList(1), neg = try call.numberList(2)
            var o = Options()
            try levelOnly.decode(call, at: 3, into: &o)
            return try call.push(try auc(positive: pos, negative: neg, level: o.level), aucResult)
        }
    }

    static func defineIntervals(_ m: LuaModuleBuilder) {
        m.function("wilson_ci", "(k: integer, n: integer, opts?: discern.stats.LevelOptions) -> discern.stats.Interval",
                   "The Wilson score interval for k/n (statsmodels proportion_confint(method=\"wilson\")).", options: levelOnly) { call in
            var o = Options()
            try levelOnly.decode(call, at: 3, into: &o)
            return try call.push(try wilsonCI(k: try call.integer(1), n: try call.integer(2), level: o.level), interval)
        }
        m.function("clopper_pearson_ci", "(k: integer, n: integer, opts?: discern.stats.LevelOptions) -> discern.stats.Interval",
                   "The exact Clopper–Pearson interval for k/n (statsmodels proportion_confint(method=\"beta\")).", options: levelOnly) { call in
            var o = Options()
            try levelOnly.decode(call, at: 3, into: &o)
            return try call.push(try clopperPearsonCI(k: try call.integer(1), n: try call.integer(2), level: o.level), interval)
        }
        m.function("diff_proportions_ci", "(k1: integer, n1: integer, k2: integer, n2: integer, opts?: discern.stats.DiffProportionsOptions) -> discern.stats.Interval",
                   "An interval for k1/n1 - k2/n2 (statsmodels confint_proportions_2indep).", options: diffOptions) { call in
            var o = Options()
            try diffOptions.decode(call, at: 5, into: &o)
            return try call.push(try diffProportionsCI(k1: try call.integer(1), n1: try call.integer(2), k2: try call.integer(3),
                                                       n2: try call.integer(4), level: o.level, method: o.diffProportions), interval)
        }
        m.function("bootstrap_ci", "(x: number[], opts?: discern.stats.BootstrapOptions) -> discern.stats.BootstrapResult", """
            A bootstrap interval (scipy.stats.bootstrap semantics; BCa with jackknife acceleration by default). statistic is
            "mean", "median" or a function(list) -> number.
            """, options: bootstrapOptions) { call in
            let x = try call.numberList(1)
            var o = Options()
            let raw = try bootstrapOptions.decode(call, at: 2, into: &o)
            var statistic: ([Double]) throws -> Double = mean
            let fn = try statisticFunction(call, raw, names: ["mean": mean, "median": median]) { statistic = $0 }
            defer { fn?.release() }
            if let fn { statistic = { v in try fn.call([v]) } }
            let r = try bootstrapCI(x, statistic: statistic, method: o.bootstrap, resamples: o.n, level: o.level,
                                    alternative: o.alternative, seed: o.seed)
            return try call.push((r, o.bootstrap), bootstrapResult)
        }
        m.function("cohens_h", "(p1: number, p2: number) -> number", "2·asin(sqrt(p1)) - 2·asin(sqrt(p2)).") { call in
            call.push(try cohensH(p1: try call.number(1), p2: try call.number(2)))
            return 1
        }
        m.function("cohens_d", "(x: number[], y: number[]) -> number", "(mean(x) - mean(y)) / pooled SD (ddof 1).") { call in
            call.push(try cohensD(try call.numberList(1), try call.numberList(2)))
            return 1
        }
        m.function("hedges_g", "(x: number[], y: number[]) -> number", "Cohen's d × (1 - 3/(4(n1 + n2) - 9)).") { call in
            call.push(try hedgesG(try call.numberList(1), try call.numberList(2)))
            return 1
        }
        m.function("rank_biserial", "(x: number[], y: number[]) -> number", "2·U1/(n1·n2) - 1 (U1 the Mann–Whitney statistic of x).") { call in
            call.push(try rankBiserial(try call.numberList(1), try call.numberList(2)))
            return 1
        }
        m.function("cramers_v", "(table: number[][]) -> number", "sqrt(chi2 / (n·(min(r, c) - 1))) without continuity correction.") { call in
            call.push(try cramersV(try matrix(call, 1)))
            return 1
        }
    }

    static func definePowerAndMeta(_ m: LuaModuleBuilder) {
        m.function("power_two_proportions", "(opts: discern.stats.PowerTwoProportionsOptions) -> discern.stats.PowerResult", """
            Give power to get n per group (of the first group; the second has ratio·n), or n to get the power. Normal
            approximation on Cohen's h (statsmodels NormalIndPower).
            """, options: powerProportionsOptions) { call in
            var o = PowerOptions()
            try powerProportionsOptions.decode(call, at: 1, into: &o)
            let (n, power) = try solve(call, o) { n in
                try powerTwoProportions(p1: o.p1, p2: o.p2, n: n, alpha: o.alpha, ratio: o.ratio, alternative: o.alternative)
            } sampleSize: { power in
                try sampleSizeTwoProportions(p1: o.p1, p2: o.p2, power: power, alpha: o.alpha, ratio: o.ratio, alternative: o.alternative)
            }
            return try call.push((n, power, o.alpha, try cohensH(p1: o.p1, p2: o.p2)), powerResult)
        }
        m.function("power_t_test", "(opts: discern.stats.PowerTTestOptions) -> discern.stats.PowerResult", """
            Two-sample t-test power with the noncentral t (statsmodels TTestIndPower); give power to get n per group (first
            group), or n to get the power.
            """, options: powerTOptions) { call in
            var o = PowerOptions()
            try powerTOptions.decode(call, at: 1, into: &o)
            let (n, power) = try solve(call, o) { n in
                try powerTTest(effectSize: o.d, n: n, alpha: o.alpha, ratio: o.ratio, alternative: o.alternative)
            } sampleSize: { power in
                try sampleSizeTTest(effectSize: o.d, power: power, alpha: o.alpha, ratio: o.ratio, alternative: o.alternative)
            }
            return try call.push((n, power, o.alpha, o.d), powerResult)
        }
        m.function("combine_pvalues", "(pvalues: number[], opts?: discern.stats.CombinePValuesOptions) -> discern.stats.CombinedPValues", """
            Fisher's -2Σ ln p (chi-square, 2k df) or Stouffer's Σ w·Φ⁻¹(1 - p)/sqrt(Σ w²) (scipy.stats.combine_pvalues).
            """, options: combineOptions) { call in
            let p = try call.numberList(1)
            var o = Options()
            try combineOptions.decode(call, at: 2, into: &o)
            return try call.push(try combinePValues(p, method: o.combine, weights: o.weights), combinedResult)
        }
        m.function("random_effects", "(effects: number[], variances: number[], opts?: discern.stats.RandomEffectsOptions) -> discern.stats.RandomEffectsResult", """
            Random-effects meta-analysis, DerSimonian–Laird or Paule–Mandel τ² (statsmodels combine_effects).
            """, options: randomEffectsOptions) { call in
            let effects = try call.numberList(1), variances = try call.numberList(2)
            var o = Options()
            try randomEffectsOptions.decode(call, at: 3, into: &o)
            return try call.push(try randomEffects(effects: effects, variances: variances, method: o.randomEffects, level: o.level),
                                 randomEffectsResult)
        }
    }

    /// Power given n, or n given power (exactly one of them; power defaults to 0.8 when neither is given).
    static func solve(_ call: LuaCall, _ o: PowerOptions, power: (Double) throws -> Double,
                      sampleSize: (Double) throws -> Double) throws -> (n: Double, power: Double) {
        if o.n != nil, o.power != nil {
            throw LuaError(code: "arg", "\(call.name): give either 'n' (to get the power) or 'power' (to get n), not both")
        }
        if let n = o.n { return (n, try power(n)) }
        let target = o.power ?? 0.8
        return (try sampleSize(target), target)
    }

    /// A Lua statistic function held in the registry while a Swift loop calls it.
    final class StatisticFunction {
        let L: OpaquePointer
        let ref: Int32
        let what: String
        init(_ L: OpaquePointer, _ ref: Int32, _ what: String) {
            self.L = L
            self.ref = ref
            self.what = what
        }
        func call(_ lists: [[Double]]) throws -> Double { try callStatistic(L, ref, lists, what) }
        func release() { luaL_unref(L, dlua_registryindex(), ref) }
    }

    /// The `statistic` option: a function (returned), or one of `names` (passed to `named`); absent: nil.
    static func statisticFunction(_ call: LuaCall, _ o: LuaOptions?, names: [String: ([Double]) -> Double],
                                  named: (@escaping ([Double]) -> Double) -> Void = { _ in }) throws -> StatisticFunction? {
        guard let o, try o.has("statistic") else { return nil }
        let L = call.L
        let choices = names.keys.sorted().map { "\"\($0)\"" } + ["a function"]
        let expected = "\(call.name): option 'statistic' must be " + choices.dropLast().joined(separator: ", ")
            + (choices.count > 1 ? " or " : "") + choices.last!
        switch try o.push("statistic") {
        case LUA_TFUNCTION:
            return StatisticFunction(L, luaL_ref(L, dlua_registryindex()), "\(call.name): statistic")
        case LUA_TSTRING where !names.isEmpty:
            let name = LuaRead.string(L, -1) ?? ""
            dlua_pop(L, 1)
            guard let f = names[name] else { throw LuaError(code: "arg", "\(expected), got \"\(name)\"") }
            named(f)
            return nil
        default:
            dlua_pop(L, 1)
            throw LuaError(code: "arg", expected)
        }
    }

    static func mean(_ v: [Double]) -> Double { v.reduce(0, +) / Double(v.count) }

    static func median(_ v: [Double]) -> Double {
        let s = v.sorted()
        let m = s.count / 2
        return s.count % 2 == 1 ? s[m] : (s[m - 1] + s[m]) / 2
    }
}
