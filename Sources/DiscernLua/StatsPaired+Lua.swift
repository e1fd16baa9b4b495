import CLua
import LuaKit
import Stats

/// Lua bindings of the paired tests (McNemar, sign, Wilcoxon signed-rank) and the minimum-effect
/// tests and sample sizes in `discern.stats`, used by the behavioural test runner.
enum StatsPairedLua {
    // MARK: options and results, declared once

    /// The options of the paired tests.
    struct Options {
        var alternative: Alternative = .twoSided
        var mu = 0.0
        var method: WilcoxonMethod = .auto
        var zeroMethod: WilcoxonZeroMethod = .wilcox
        var correction = false
    }
    typealias F = LuaField<Options>
    nonisolated(unsafe) static let alternative = F.choice("alternative", \.alternative, "the alternative hypothesis")
    nonisolated(unsafe) static let mcnemarOptions = LuaOptionSpec("discern.stats.McNemarOptions", prototype: Options(), [alternative])
    nonisolated(unsafe) static let signOptions = LuaOptionSpec("discern.stats.SignTestOptions", prototype: Options(), [
        alternative, F.number("mu", \.mu, "the median difference under H0"),
    ])
    nonisolated(unsafe) static let wilcoxonOptions = LuaOptionSpec("discern.stats.WilcoxonOptions", prototype: Options(), [
        alternative,
        F.choice("method", \.method, "exact, normal or sign-flip p (auto: scipy's rule)"),
        F.choice("zero_method", \.zeroMethod, "zero differences: dropped (wilcox), ranked then dropped (pratt) or split (zsplit)"),
        F.boolean("correction", \.correction, "continuity correction of the normal p"),
    ])

    /// The options of `min_effect_test`.
    struct MinEffectOptions {
        var paired = false
        var kind: EffectKind?
        var minEffect: Double?
        var direction: EffectDirection = .either
        var level = 0.95
    }
    typealias M = LuaField<MinEffectOptions>
    nonisolated(unsafe) static let minEffectOptions = LuaOptionSpec("discern.stats.MinEffectTestOptions", prototype: MinEffectOptions(), [
        M.boolean("paired", \.paired, "pair base[i] with model[i] (equal lengths)"),
        M.choice("kind", \.kind, "rate (0/1 values) or mean", default: "\"rate\" when every value is 0 or 1, else \"mean\""),
        M.number("min_effect", \.minEffect, "the margin: H0 is effect <= min_effect in the direction", in: 0...1e300,
                 default: "0.05 for rate, 0.2 for mean"),
        M.choice("direction", \.direction, "increase (model > base), decrease or either"),
        M.number("level", \.level, "confidence level of ci", in: 1e-12...(1 - 1e-12)),
    ])

    /// The options of `min_effect_n`.
    struct SampleSizeOptions {
        var kind: EffectKind = .rate
        var expectedEffect = 0.0
        var minEffect: Double?
        var power = 0.8
        var alpha = 0.05
        var paired = false
        var baseRate = 0.5
        var correlation: Double?
    }
    typealias S = LuaField<SampleSizeOptions>
    nonisolated(unsafe) static let sampleSizeOptions = LuaOptionSpec("discern.stats.MinEffectNOptions", prototype: SampleSizeOptions(), [
        S.custom("kind", type: "\"rate\"|\"mean\"", "what is compared", required: true) { o, t in
            if let k = try t.choice("kind", EffectKind.self) { o.kind = k }
        },
        S.number("expected_effect", \.expectedEffect, "the true effect (rate difference, or d / d_z), > min_effect", required: true),
        S.number("min_effect", \.minEffect, "the margin of the test", in: 0...1e300, default: "0.05 for rate, 0.2 for mean"),
        S.number("power", \.power, "target power", in: 1e-12...(1 - 1e-12)),
        S.number("alpha", \.alpha, "one-sided significance level", in: 1e-12...(1 - 1e-12)),
        S.boolean("paired", \.paired, "paired design (n pairs)"),
        S.number("base_rate", \.baseRate, "the base proportion (rate only)", in: 0...1),
        S.number("correlation", \.correlation, "phi correlation of paired 0/1 outcomes (paired rate only)", in: -1...1,
                 default: "0"),
    ])

    nonisolated(unsafe) static let mcnemarResult = LuaRecordSpec<McNemarResult>("discern.stats.McNemarResult", [
        .number("statistic", \.statistic, "min(b, c)"), .number("pvalue", \.pvalue), .integer("b", \.b, "pairs 0 -> 1"),
        .integer("c", \.c, "pairs 1 -> 0"),
    ])
    nonisolated(unsafe) static let signResult = LuaRecordSpec<SignTestResult>("discern.stats.SignTestResult", [
        .number("statistic", \.statistic, "(positive - negative)/2"), .number("pvalue", \.pvalue),
        .integer("positive", \.positive, "differences above mu"), .integer("negative", \.negative, "differences below mu"),
        .integer("zeros", \.zeros, "differences equal to mu (dropped)"),
    ])
    nonisolated(unsafe) static let wilcoxonResult = LuaRecordSpec<WilcoxonResult>("discern.stats.WilcoxonResult", [
        .number("statistic", \.statistic, "min(R+, R-) two-sided, else R+"), .number("pvalue", \.pvalue),
        .choice("method", \.method, "the method used"), .integer("n", \.n, "differences ranked"),
        .integer("zeros", \.zeros, "zero differences"),
    ])
    nonisolated(unsafe) static let minEffectResult = LuaRecordSpec<MinimumEffectResult>("discern.stats.MinEffectTestResult", [
        .number("pvalue", \.pvalue, "p of H0: effect at most min_effect in the direction"),
        .number("p_zero", \.pZero, "p of the no-difference test (report only)"),
        .number("effect", \.effect, "rate difference or Cohen's d / d_z, model minus base"),
        .record("ci", \.ci, StatsTestsLua.interval, "interval of effect (one-sided for increase/decrease)"),
        .choice("kind", \.kind), .boolean("paired", \.paired), .string("test", \.test, "the test used"),
        .number("statistic", \.statistic, "z or t of the reported one-sided test"),
        .integer("n_base", \.nBase), .integer("n_model", \.nModel), .number("min_effect", \.minEffect),
        .choice("direction", \.direction), .number("base_mean", \.baseMean), .number("model_mean", \.modelMean),
    ])
    nonisolated(unsafe) static let sampleSizeResult = LuaRecordSpec<MinimumEffectSampleSize>("discern.stats.MinEffectNResult", [
        .integer("n", \.n, "values per model (pairs when paired)"), .number("power", \.power, "approximate power at n"),
    ])

    // MARK: definitions

    static func define(_ m: LuaModuleBuilder) {
        m.function("mcnemar", "(b: integer, c: integer, opts?: discern.stats.McNemarOptions) -> discern.stats.McNemarResult", """
            Exact McNemar test on the discordant pairs: b = pairs base 0 -> model 1, c = pairs 1 -> 0; b given b + c is
            Binomial(b + c, 1/2) (statsmodels mcnemar(exact=True)). "greater": the model's rate is higher (b > c).
            """, options: mcnemarOptions) { call in
            var o = Options()
            try mcnemarOptions.decode(call, at: 3, into: &o)
            return try call.push(try mcnemar(b: try call.integer(1), c: try call.integer(2), alternative: o.alternative), mcnemarResult)
        }
        m.function("sign_test", "(d: number[], opts?: discern.stats.SignTestOptions) -> discern.stats.SignTestResult", """
            Sign test of paired differences: those equal to mu are dropped, the count above mu is exact binomial at 1/2
            (scipy binomtest; statsmodels sign_test). p = 1 when every difference equals mu.
            """, options: signOptions) { call in
            let d = try call.numberList(1)
            var o = Options()
            try signOptions.decode(call, at: 2, into: &o)
            return try call.push(try signTest(d, alternative: o.alternative, mu: o.mu), signResult)
        }
        m.function("wilcoxon", "(x: number[], y?: number[], opts?: discern.stats.WilcoxonOptions) -> discern.stats.WilcoxonResult", """
            Wilcoxon signed-rank test of x - y (or of x when y is nil), as scipy.stats.wilcoxon: exact distribution without
            ties, exact sign-flip distribution with ties or zeros up to 13 values, normal approximation with the tie
            correction above 50 values ("auto"). Pass options as the third argument: wilcoxon(d, nil, opts).
            """, options: wilcoxonOptions) { call in
            let x = try call.numberList(1)
            var y: [Double]?
            if !call.isNil(2) {
                guard call.type(2) == LUA_TTABLE else { throw call.argError(2, "list of numbers or nil") }
                if try call.length(2) == 0, call.isNil(3) {
                    lua_pushnil(call.L)
                    let nonEmpty = lua_next(call.L, 2) != 0
                    if nonEmpty { dlua_pop(call.L, 2) }
                    if nonEmpty {
                        throw LuaError(code: "arg", "\(call.name): bad argument #2 (list of numbers or nil expected, got a table with keys; options go third: wilcoxon(x, nil, opts))")
                    }
                }
                y = try call.numberList(2)
            }
            var o = Options()
            try wilcoxonOptions.decode(call, at: 3, into: &o)
            return try call.push(try wilcoxonSignedRank(x, y, alternative: o.alternative, method: o.method, zeroMethod: o.zeroMethod,
                                                        correction: o.correction), wilcoxonResult)
        }
        m.function("min_effect_test", "(base: number[], model: number[], opts?: discern.stats.MinEffectTestOptions) -> discern.stats.MinEffectTestResult", """
            Tests H0 "the effect of model over base is at most min_effect" (increase), "at least -min_effect" (decrease),
            or both with p = min(1, 2 min(p_inc, p_dec)) (either). rate: difference of proportions, Miettinen-Nurminen score
            test (unpaired) or Tango's score test (paired; exact McNemar when min_effect = 0). mean: Cohen's d (pooled SD) or
            d_z (paired), exact noncentral t test. ci inverts the same test; p_zero is the no-difference p (Fisher exact,
            exact McNemar, Welch t, paired t), for reporting only.
            """, options: minEffectOptions) { call in
            let base = try call.numberList(1), model = try call.numberList(2)
            var o = MinEffectOptions()
            try minEffectOptions.decode(call, at: 3, into: &o)
            return try call.push(try minimumEffectTest(base: base, model: model, paired: o.paired, kind: o.kind, minEffect: o.minEffect,
                                                       direction: o.direction, level: o.level), minEffectResult)
        }
        m.function("min_effect_n", "(opts: discern.stats.MinEffectNOptions) -> discern.stats.MinEffectNResult", """
            Samples per model (pairs when paired) for the one-sided min_effect_test to reach power when the true effect is
            expected_effect (normal approximation; a decrease of e from rate r is an increase of e from 1 - r).
            """, options: sampleSizeOptions) { call in
            var o = SampleSizeOptions()
            try sampleSizeOptions.decode(call, at: 1, into: &o)
            let margin = o.minEffect ?? (o.kind == .rate ? 0.05 : 0.2)
            return try call.push(try minimumEffectSampleSize(kind: o.kind, expectedEffect: o.expectedEffect, minEffect: margin,
                                                             power: o.power, alpha: o.alpha, paired: o.paired, baseRate: o.baseRate,
                                                             correlation: o.correlation), sampleSizeResult)
        }
    }
}
