local discern = require "discern"
local stats = discern.stats

-- Relative comparison of numbers.
local function rel(actual, expected, tol, what)
  tol = tol or 1e-12
  local scale = math.max(math.abs(expected), 1e-300)
  if math.abs(actual - expected) > tol * scale then
    error((what or "value") .. ": expected " .. string.format("%.17g", expected) .. ", got " .. string.format("%.17g", actual), 2)
  end
end

-- n ones followed by m zeros.
local function outcomes(ones, total)
  local t = {}
  for i = 1, total do t[i] = i <= ones and 1 or 0 end
  return t
end

describe("discern.stats paired tests", function()
  it("mcnemar: exact binomial on the discordant pairs", function()
    local r = stats.mcnemar(10, 2)
    rel(r.pvalue, 158 / 4096, 1e-13, "two-sided")
    assert.equal(r.statistic, 2)
    assert.equal(r.b, 10)
    assert.equal(r.c, 2)
    rel(stats.mcnemar(10, 2, {alternative = "greater"}).pvalue, 79 / 4096, 1e-13, "greater")
    rel(stats.mcnemar(10, 2, {alternative = "less"}).pvalue, 1 - 79 / 4096 + 66 / 4096, 1e-13, "less")
    assert.equal(stats.mcnemar(0, 0).pvalue, 1)
  end)

  it("sign_test: zeros dropped, exact binomial", function()
    local r = stats.sign_test({1.5, -0.5, 2.0, 3.0, 0.0, 1.0, -1.0, 2.5})
    rel(r.pvalue, 58 / 128, 1e-13, "sign p")
    assert.equal(r.positive, 5)
    assert.equal(r.negative, 2)
    assert.equal(r.zeros, 1)
    assert.equal(r.statistic, 1.5)
    rel(stats.sign_test({1, 2, 3}, {alternative = "greater"}).pvalue, 1 / 8, 1e-13, "greater")
    assert.equal(stats.sign_test({1, 2, 3}, {mu = 2}).zeros, 1)
    assert.equal(stats.sign_test({0, 0}).pvalue, 1)
  end)

  it("wilcoxon: exact, sign-flip and zero methods as scipy", function()
    local d = {1.83, -0.52, 0.97, 2.41, -1.30, 0.44, 1.12, 3.05}
    local r = stats.wilcoxon(d)
    rel(r.pvalue, 0.1484375, 1e-12, "exact")
    assert.equal(r.method, "exact")
    assert.equal(r.n, 8)
    assert.equal(stats.wilcoxon(d, nil, {alternative = "greater"}).statistic, 29)
    local p = stats.wilcoxon({3, 4, 5, 6, 7}, {1, 2, 3, 4, 5.5})
    rel(p.pvalue, 0.0625, 1e-12, "sign-flip")
    assert.equal(p.method, "permutation")
    local z = stats.wilcoxon({0.0, 1.0, -2.0, 3.0, 0.0, 4.0, 5.0, -1.5, 6.0, 2.5}, nil, {zero_method = "zsplit"})
    rel(z.pvalue, 0.09375, 1e-12, "zsplit")
    assert.equal(z.zeros, 2)
    assert.equal(stats.wilcoxon(d, nil, {method = "asymptotic", correction = true}).method, "asymptotic")
  end)

  it("names bad arguments of the paired tests", function()
    assert.errors(function() stats.mcnemar(-1, 2) end, {contains = "b must be"})
    assert.errors(function() stats.mcnemar(1.5, 2) end, {contains = "bad argument #1 (integer expected"})
    assert.errors(function() stats.mcnemar(1, "x") end, {contains = "bad argument #2"})
    assert.errors(function() stats.mcnemar(1, 2, {alternative = "bigger"}) end, {contains = "option 'alternative' must be one of"})
    assert.errors(function() stats.sign_test({}) end, {contains = "at least 1"})
    assert.errors(function() stats.sign_test({1, "a"}) end, {contains = "element 2 is string"})
    assert.errors(function() stats.sign_test({1, 2}, {mu = 0 / 0}) end, {contains = "mu"})
    assert.errors(function() stats.wilcoxon({1, 2}, {1}) end, {contains = "same length"})
    assert.errors(function() stats.wilcoxon({1, 2}, {alternative = "less"}) end, {contains = "options go third"})
    assert.errors(function() stats.wilcoxon({1, 2}, 3) end, {contains = "bad argument #2 (list of numbers or nil expected"})
    assert.errors(function() stats.wilcoxon({1, 2}, nil, {zero_method = "drop"}) end, {contains = "option 'zero_method'"})
    assert.errors(function() stats.wilcoxon({1, 2}, nil, {method = "approx"}) end, {contains = "option 'method'"})
    assert.errors(function() stats.wilcoxon({1, 2}, nil, {corection = true}) end, {contains = "unknown option 'corection'"})
  end)
end)

describe("discern.stats.min_effect_test", function()
  -- References: the Miettinen-Nurminen z at the numerically maximized restricted likelihood (scipy brentq; statsmodels'
  -- closed form has a wrong coefficient for a non-zero margin, statsmodels#10269), scipy fisher_exact and nct.sf.
  it("tests unpaired rates against a margin (Miettinen-Nurminen)", function()
    local base, model = outcomes(18, 200), outcomes(41, 200)
    local r = stats.min_effect_test(base, model, {min_effect = 0.05, direction = "increase"})
    rel(r.pvalue, 0.03139694035321226, 1e-9, "score p")
    rel(r.statistic, 1.8606481481784556, 1e-9, "score z")
    rel(r.p_zero, 0.0008707854012121821, 1e-10, "fisher p")
    rel(r.effect, 0.115, 1e-12, "effect")
    assert.equal(r.kind, "rate")
    assert.equal(r.paired, false)
    assert.equal(r.test, "Miettinen-Nurminen score")
    assert.equal(r.n_base, 200)
    assert.equal(r.n_model, 200)
    assert.equal(r.min_effect, 0.05)
    assert.equal(r.direction, "increase")
    rel(r.base_mean, 0.09)
    rel(r.model_mean, 0.205)
    assert.equal(r.ci.upper, 1)
    assert.equal(r.ci.level, 0.95)
    assert.truthy(r.ci.lower > 0.05)
    local either = stats.min_effect_test(base, model, {min_effect = 0.05})
    assert.equal(either.direction, "either")
    assert.truthy(either.ci.lower < r.ci.lower and either.ci.upper < 1)
    rel(either.pvalue, 2 * 0.03139694035321226, 1e-9, "either")
  end)

  it("tests paired rates (Tango; exact McNemar at margin 0) and means (noncentral t)", function()
    local base, model = {}, {}
    for i = 1, 40 do base[i], model[i] = 0, 1 end       -- b = 40
    for i = 41, 50 do base[i], model[i] = 1, 0 end      -- c = 10
    for i = 51, 100 do base[i], model[i] = i % 2, i % 2 end
    local t = stats.min_effect_test(base, model, {paired = true, min_effect = 0.1, direction = "increase"})
    assert.equal(t.test, "Tango score")
    rel(t.effect, 0.3, 1e-12, "paired effect")
    assert.truthy(t.pvalue < 0.01 and t.ci.lower > 0.1)
    local m = stats.min_effect_test(base, model, {paired = true, min_effect = 0, direction = "increase"})
    assert.equal(m.test, "exact McNemar")
    rel(m.pvalue, stats.mcnemar(40, 10, {alternative = "greater"}).pvalue, 1e-14, "mcnemar")
    local b, md = {1.0, 2.0, 3.0, 4.0, 5.0, 6.0}, {2.5, 2.0, 4.5, 5.0, 7.0, 6.5}
    local r = stats.min_effect_test(b, md, {direction = "increase"})
    assert.equal(r.kind, "mean")
    assert.equal(r.min_effect, 0.2)
    assert.equal(r.test, "noncentral t (pooled)")
    rel(r.statistic, 0.9599391111188333, 1e-12, "t")
    rel(r.pvalue, 0.28202780940357774, 1e-9, "nct p")
    rel(r.effect, 0.5542211042101085, 1e-12, "d")
    assert.equal(r.ci.upper, math.huge)
    assert.equal(stats.min_effect_test(b, md, {paired = true}).test, "noncentral t (paired)")
  end)

  it("handles degenerate data without NaN", function()
    local r = stats.min_effect_test({0, 0, 0}, {0, 0, 0}, {min_effect = 0, direction = "increase"})
    assert.equal(r.pvalue, 1)
    local c = stats.min_effect_test({2.5, 2.5}, {3.5, 3.5}, {direction = "increase"})
    assert.equal(c.effect, math.huge)
    assert.equal(c.pvalue, 0)
    local p = stats.min_effect_test({1, 0, 1}, {1, 0, 1}, {paired = true})
    assert.equal(p.p_zero, 1)
    assert.truthy(p.pvalue == p.pvalue)
  end)

  it("names bad arguments", function()
    assert.errors(function() stats.min_effect_test({1}, {0, 1}) end, {contains = "base must have at least 2"})
    assert.errors(function() stats.min_effect_test({0, 1}, {0, 1, 1}, {paired = true}) end, {contains = "same length"})
    assert.errors(function() stats.min_effect_test({0, 1}, {0, 0.5}, {kind = "rate"}) end, {contains = "model[1] must be 0 or 1"})
    assert.errors(function() stats.min_effect_test({0, 1}, {0, 1}, {min_effect = -1}) end, {contains = "option 'min_effect'"})
    assert.errors(function() stats.min_effect_test({0, 1}, {0, 1}, {min_effect = 1}) end, {contains = "minEffect must be in [0, 1)"})
    assert.errors(function() stats.min_effect_test({0, 1}, {0, 1}, {direction = "up"}) end, {contains = "option 'direction' must be one of"})
    assert.errors(function() stats.min_effect_test({0, 1}, {0, 1}, {kind = "median"}) end, {contains = "option 'kind' must be one of"})
    assert.errors(function() stats.min_effect_test({0, 1}, {0, 1}, {level = 2}) end, {contains = "option 'level'"})
    assert.errors(function() stats.min_effect_test({0, 1}, {0, 1}, {margin = 0.1}) end, {contains = "unknown option 'margin'"})
    assert.errors(function() stats.min_effect_test("x", {0, 1}) end, {contains = "bad argument #1"})
    assert.errors(function() stats.min_effect_test({0, 1}, {0, 0 / 0}) end, {contains = "model[1] must be finite"})
  end)
end)

describe("discern.stats.min_effect_n", function()
  it("gives n per model with the approximate power", function()
    local r = stats.min_effect_n{kind = "rate", expected_effect = 0.15, min_effect = 0.05, base_rate = 0.3}
    assert.truthy(math.type(r.n) == "integer" and r.n > 100 and r.n < 1000)
    assert.truthy(r.power >= 0.8 and r.power < 0.81)
    local paired = stats.min_effect_n{kind = "rate", expected_effect = 0.15, min_effect = 0.05, base_rate = 0.3, paired = true,
                                      correlation = 0.5}
    assert.truthy(paired.n < r.n)
    local m = stats.min_effect_n{kind = "mean", expected_effect = 0.6, power = 0.9}
    assert.truthy(m.power >= 0.9)
    assert.truthy(stats.min_effect_n{kind = "mean", expected_effect = 0.6, paired = true}.n < m.n)
  end)

  it("names bad arguments", function()
    assert.errors(function() stats.min_effect_n{expected_effect = 0.1} end, {contains = "option 'kind'"})
    assert.errors(function() stats.min_effect_n{kind = "rate"} end, {contains = "option 'expected_effect'"})
    assert.errors(function() stats.min_effect_n{kind = "rate", expected_effect = 0.05} end, {contains = "expectedEffect must be > minEffect"})
    assert.errors(function() stats.min_effect_n{kind = "mean", expected_effect = 0.5, correlation = 0.2} end, {contains = "correlation applies only"})
    assert.errors(function() stats.min_effect_n{kind = "rate", expected_effect = 0.6, base_rate = 0.5} end, {contains = "baseRate + expectedEffect"})
    assert.errors(function() stats.min_effect_n{kind = "rate", expected_effect = 0.2, power = 1.5} end, {contains = "option 'power'"})
    assert.errors(function() stats.min_effect_n{kind = "ratio", expected_effect = 0.2} end, {contains = "option 'kind' must be one of"})
  end)
end)
