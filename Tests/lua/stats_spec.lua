local discern = require "discern"
local stats = discern.stats

-- Relative comparison for lists or numbers.
local function rel(actual, expected, tol, what)
  tol = tol or 1e-12
  if type(expected) == "table" then
    assert.equal(#actual, #expected, (what or "") .. " length")
    for i = 1, #expected do rel(actual[i], expected[i], tol, (what or "") .. "[" .. i .. "]") end
    return
  end
  local scale = math.max(math.abs(expected), 1e-300)
  if math.abs(actual - expected) > tol * scale then
    error((what or "value") .. ": expected " .. string.format("%.17g", expected) .. ", got " .. string.format("%.17g", actual), 2)
  end
end

describe("discern.stats distributions", function()
  it("keeps far tails and inverts them", function()
    local n = stats.normal()
    rel(n:sf(9), 1.1285884059538e-19, 1e-12, "normal sf(9)")
    rel(n:cdf(-9), 1.1285884059538e-19, 1e-12, "normal cdf(-9)")
    rel(n:isf(1.1285884059538e-19), 9, 1e-12, "normal isf")
    rel(n:ppf({0.025, 0.5, 0.975}), {-1.959963984540054, 0, 1.959963984540054}, 1e-13, "normal ppf list")
    assert.equal(tostring(n), "discern.Distribution(normal, mean 0.0, sd 1.0)")
    rel(stats.normal{mean = 2, sd = 3}:variance(), 9)
    rel(stats.normal{mean = 2, sd = 3}:mean(), 2)
    -- Log-space variants stay finite where the probabilities underflow.
    rel(n:logsf(40), -804.60844201375379, 1e-12, "normal logsf(40)")
    rel(n:logcdf(-40), -804.60844201375379, 1e-12, "normal logcdf(-40)")
    rel(n:logpdf(0), -0.91893853320467274, 1e-14, "normal logpdf(0)")
    rel(n:pdf(0), 0.3989422804014327, 1e-14, "normal pdf(0)")
  end)

  it("covers t, chi2, F, beta, gamma, binomial and hypergeometric", function()
    rel(stats.t{df = 10}:sf(2.228138851986274), 0.025, 1e-10, "t")
    rel(stats.chi2{df = 10}:sf(18.307038053275146), 0.05, 1e-10, "chi2")
    rel(stats.f{df1 = 3, df2 = 20}:sf(3.0983912121407795), 0.05, 1e-10, "F")
    rel(stats.beta{a = 2, b = 3}:cdf(0.5), 0.6875, 1e-13, "beta")
    rel(stats.gamma{shape = 2, scale = 3}:mean(), 6)
    local b = stats.binomial{n = 10, p = 0.5}
    rel(b:pmf(5), 252 / 1024, 1e-14, "binomial pmf")
    rel(b:sf(7), (45 + 10 + 1) / 1024, 1e-14, "binomial sf")
    rel(b:logpmf(0), -10 * math.log(2), 1e-14, "binomial logpmf")
    assert.equal(b:ppf(0.5), 5)
    assert.equal(b:isf(0.5), 5)
    local h = stats.hypergeometric{population = 20, successes = 7, draws = 12}
    rel(h:pmf(4), 35 * 1287 / 125970, 1e-13, "hypergeometric pmf")
  end)

  it("rejects bad parameters and the wrong mass function", function()
    assert.errors(function() stats.normal{sd = -1} end, {contains = "sd"})
    assert.errors(function() stats.t{} end, {contains = "option 'df' (degrees of freedom) is required"})
    assert.errors(function() stats.normal{sigma = 1} end, {contains = "unknown option 'sigma'"})
    assert.errors(function() stats.binomial{n = 10, p = 0.5}:pdf(3) end, {contains = "use :pmf"})
    assert.errors(function() stats.normal():pmf(3) end, {contains = "use :pdf"})
    assert.errors(function() stats.normal():cdf({1, "x"}) end, {contains = "element 2 is string"})
  end)
end)

-- Levels and decisions from PyPI online-fdr 1.0.0 on the same stream (explicit parameters:
-- wealth 0.025 / 0.005 / 0.025, lambda 0.5 / 0.25, tau 0.5).
local stream = {1e-4, 0.3, 0.002, 0.8, 0.04, 1e-5, 0.6, 0.01, 0.2, 0.0005}
local reference = {
  saffron = {{1, 0, 1, 0, 0, 1, 0, 0, 0, 1}, {0.0054686270725, 0.010937254145, 0.010937254145, 0.02187450829,
    0.0072158966832305636, 0.0072158966832305636, 0.018153150828230564, 0.007379710438438764, 0.007379710438438764,
    0.007379710438438764}},
  lord_plus_plus = {{1, 0, 0, 0, 0, 1, 0, 0, 0, 1}, {0.0002675838545630043, 0.0024664457199817477, 0.000573281754204682,
    0.0004872804760455688, 0.0004059066212002699, 0.00034472863862898366, 0.0029745012820979033, 0.0008450114061401572,
    0.0007305648272027261, 0.0006243142501075557}},
  addis = {{1, 0, 0, 0, 0, 1, 0, 0, 0, 1}, {0.00273431353625, 0.0054686270725, 0.0018039741708076409, 0.0018039741708076409,
    0.0018039741708076409, 0.0018039741708076409, 0.0072726012433076415, 0.0072726012433076415, 0.0072726012433076415,
    0.0072726012433076415}},
  lond = {{1, 0, 0, 0, 0, 1, 0, 0, 0, 1}, {0.0026758385456300436, 0.0011638205782941741, 0.0009912498794460713,
    0.0008243606058967334, 0.0006988869709347985, 0.0006045900341664856, 0.0007979166327882442, 0.0007117838146979051,
    0.0006421422921095657, 0.0005847377857895838}},
  alpha_investing = {{1, 0, 1, 0, 0, 1, 0, 1, 0, 1}, {0.010818924814725699, 0.021406256944998755, 0.007164200552227745,
    0.028268075217344278, 0.01086824224275172, 0.00611450312730562, 0.027262551180075055, 0.01113649635578781,
    0.03207361794818156, 0.013707041907108801}},
}

describe("discern.stats online FDR", function()
  it("matches online-fdr level by level with R onlineFDR's defaults where online-fdr used them", function()
    local procs = {
      saffron = stats.saffron{alpha = 0.05},                -- w0 = alpha/2, lambda = 0.5 by default
      lord_plus_plus = stats.lord_plus_plus{w0 = 0.005},     -- R's default w0 is alpha/10 = 0.005
      addis = stats.addis(),                                 -- w0 = alpha/2, lambda = 0.25, tau = 0.5
      lond = stats.lond(),
      alpha_investing = stats.alpha_investing(),
    }
    for name, proc in pairs(procs) do
      local want = reference[name]
      for t, p in ipairs(stream) do
        local next_level = proc:next_alpha()
        local rejected, level = proc:test_one(p)
        assert.equal(rejected, want[1][t] == 1, name .. " decision " .. t)
        rel(level, want[2][t], 1e-12, name .. " alpha_" .. t)
        assert.equal(next_level, level, name .. " next_alpha")
      end
      local s = proc:state()
      assert.equal(s.t, 10)
      assert.equal(s.rejections, #(string.gsub(table.concat(want[1]), "0", "")))
      assert.equal(s.procedure, name)
    end
  end)

  it("keeps SAFFRON's FDP estimate at or below alpha and reports wealth", function()
    local proc = stats.saffron{alpha = 0.1}
    local r = proc:test_many(stream)
    assert.equal(#r.rejected, 10)
    local s = proc:state()
    assert.truthy(s.fdp_estimate <= 0.1, "fdp_estimate")
    assert.truthy(s.wealth > 0, "wealth")
    assert.equal(tostring(proc), "discern.OnlineFDR(saffron, alpha 0.1, t 10, rejections " .. s.rejections .. ")")
  end)

  it("takes gamma as a list or a Lua function, equal to the default sequence", function()
    local list = {}
    for j = 1, 20 do list[j] = 0.4374901658 / j ^ 1.6 end
    local a, b, c = stats.saffron(), stats.saffron{gamma = list}, stats.saffron{gamma = function(j) return 0.4374901658 / j ^ 1.6 end}
    for _, p in ipairs(stream) do
      local _, la = a:test_one(p)
      local _, lb = b:test_one(p)
      local _, lc = c:test_one(p)
      rel(lb, la, 1e-15, "list gamma")
      rel(lc, la, 1e-15, "function gamma")
    end
  end)

  it("raises errors from a gamma function and for bad values, leaving the state unchanged", function()
    local bad = stats.lord_plus_plus{gamma = function(j) if j > 2 then error("boom at " .. j) end return 0.1 end}
    bad:test_one(0.5)
    bad:test_one(0.5)
    assert.errors(function() bad:test_one(0.5) end, {contains = "gamma function failed"})
    assert.errors(function() stats.saffron{gamma = function() return "x" end}:test_one(0.1) end, {contains = "must return a number"})
    local proc = stats.saffron()
    assert.errors(function() proc:test_one(1.5) end, {contains = "[0, 1]"})
    assert.errors(function() proc:test_many({0.1, 0 / 0}) end, {contains = "value 2"})
    assert.equal(proc:state().t, 1)
    assert.errors(function() stats.saffron{lambda = 1} end, {contains = "lambda"})
    assert.errors(function() stats.saffron{gamma = 3} end, {contains = "option 'gamma' must be a list"})
    assert.errors(function() stats.addis{w0 = 0.2} end, {contains = "w0"})
  end)

  it("keeps a gamma function working across coroutines and releases it safely", function()
    local lord = function(j) return 0.07720838 * math.log(math.max(j, 2)) / (j * math.exp(math.sqrt(math.log(j)))) end
    local proc
    local co = coroutine.wrap(function()
      proc = stats.lord_plus_plus{gamma = lord}
      proc:test_one(0.5)
    end)
    co()
    co = nil
    collectgarbage()
    collectgarbage()
    local _, level = proc:test_one(0.5)   -- now from the main thread, after the coroutine is gone
    rel(level, stats.lord_plus_plus():test_many({0.5, 0.5}).alpha[2], 1e-15, "same levels as the built-in sequence")
    proc = nil
    collectgarbage()
    collectgarbage()
  end)

  it("tests e-values with e_lond", function()
    local proc = stats.e_lond()
    local want = {false, false, true, false, false}
    local levels = {0.002675838545630043, 0.0005819102891470871, 0.0004956249397230357, 0.0008243606058967334, 0.0006988869709347985}
    for i, e in ipairs({50.0, 1.0, 3000.0, 0.5, 200.0}) do
      local r, level = proc:test_one(e)
      assert.equal(r, want[i], "e_lond decision " .. i)
      rel(level, levels[i], 1e-12, "e_lond level " .. i)
    end
  end)
end)

describe("discern.stats.fdr", function()
  local p = {0.01, 0.04, 0.03, 0.005, 0.2, 0.5}
  it("adjusts like scipy.stats.false_discovery_control", function()
    local bh = stats.fdr(p)
    rel(bh.adjusted, {0.03, 0.06, 0.06, 0.03, 0.24, 0.5}, 1e-14, "bh")
    assert.equal(bh.rejected, {true, false, false, true, false, false})
    assert.equal(bh.n_rejected, 2)
    rel(stats.fdr(p, {method = "by"}).adjusted, {0.0735, 0.147, 0.147, 0.0735, 0.588, 1.0}, 1e-14, "by")
    local storey = stats.fdr(p, {method = "storey", alpha = 0.1, lambda = 0.5})
    assert.equal(#storey.adjusted, 6)
  end)
  it("controls the family-wise error like statsmodels multipletests", function()
    local q = {0.01, 0.04, 0.03, 0.005, 0.2, 0.5, 0.04}
    local holm = stats.fwer(q)
    rel(holm.adjusted, {0.06, 0.16, 0.15, 0.035, 0.4, 0.5, 0.16}, 1e-14, "holm")
    assert.equal(holm.n_rejected, 1)
    rel(stats.fwer(q, {method = "bonferroni"}).adjusted, {0.07, 0.28, 0.21, 0.035, 1.0, 1.0, 0.28}, 1e-14, "bonferroni")
    assert.errors(function() stats.fwer(q, {method = "sidak"}) end, {contains = "option 'method' must be one of \"holm\", \"bonferroni\", got \"sidak\""})
  end)
  it("names bad input", function()
    assert.errors(function() stats.fdr(p, {method = "holm"}) end, {contains = "option 'method' must be one of \"bh\", \"by\", \"storey\""})
    assert.errors(function() stats.fdr(p, {lambda = 0.3}) end, {contains = "only applies"})
    assert.errors(function() stats.fdr({0.1, 2}) end, {contains = "p[1]"})
  end)
end)

-- Golden values from scipy 1.x / statsmodels on the notes' data: a behaviour in 41/200 samples of
-- the intervened model and 18/200 of the base model; continuous scores x (12) and y (10).
describe("discern.stats tests, intervals, effect sizes, power and meta-analysis", function()
  local x = {7.1, 8.2, 6.9, 7.7, 8.8, 7.4, 6.5, 9.1, 7.9, 8.4, 7.0, 8.0}
  local y = {6.2, 5.9, 7.1, 6.6, 5.4, 6.8, 6.0, 7.3, 5.8, 6.4}

  it("tests proportions and tables", function()
    local z = stats.two_proportion_z(41, 200, 18, 200)
    rel(z.z, 3.2430574066780093, 1e-10, "z")
    rel(z.pvalue, 0.001182543817454811, 1e-10, "z p")
    local c = stats.chi2_contingency({{41, 159}, {18, 182}})
    rel(c.statistic, 9.622744669218152, 1e-10, "Yates chi2")
    rel(c.pvalue, 0.0019218230655280004, 1e-10, "chi2 p")
    assert.equal(c.dof, 1)
    assert.truthy(c.corrected)
    local f = stats.fisher_exact({{41, 159}, {18, 182}})
    rel(f.odds_ratio, 2.607267645003494, 1e-12, "odds ratio")
    rel(f.pvalue, 0.0017415708024243642, 1e-10, "fisher p")
    rel(stats.fisher_exact({{41, 159}, {18, 182}}, {alternative = "greater"}).pvalue, 0.0008707854012121821, 1e-10)
    local b = stats.binom_test(41, 200, {p = 0.1})
    rel(b.pvalue, 8.682489573243015e-06, 1e-10, "binom p")
    rel({b.ci.lower, b.ci.upper}, {0.15131057199551853, 0.2676539207852852}, 1e-10, "Clopper-Pearson")
    assert.equal(b.alternative, "two-sided")
  end)

  it("tests samples", function()
    local w = stats.welch_t(x, y)
    rel(w.t, 4.672964465303647, 1e-10, "welch t")
    rel(w.pvalue, 0.0001490151551808574, 1e-10, "welch p")
    rel(stats.student_t(x, y).pvalue, 0.00019341878445214877, 1e-10, "student p")
    local m = stats.mann_whitney(x, y)
    assert.equal(m.u, 110.5)
    rel(m.pvalue, 0.0009743386937058591, 1e-10, "mann-whitney p (ties: asymptotic)")
    assert.equal(m.method, "asymptotic")
    local a = stats.auc(x, y)
    rel(a.auc, 110.5 / 120, 1e-14, "auc = U/(n1 n2)")
    assert.truthy(a.ci.lower < a.auc and a.auc < a.ci.upper)
    rel(a.pvalue, m.pvalue, 1e-12, "auc p from Mann-Whitney")
    rel(stats.rank_biserial(x, y), 2 * 110.5 / 120 - 1, 1e-14)
  end)

  it("resamples reproducibly and with Lua statistics", function()
    local p1 = stats.permutation_test(x, y, {n = 999, seed = 3})
    local p2 = stats.permutation_test(x, y, {n = 999, seed = 3})
    assert.equal(p1, p2)
    assert.truthy(p1.pvalue >= 1 / 1000 and p1.pvalue < 0.01, "p " .. p1.pvalue)
    assert.falsy(p1.exact)
    local exact = stats.permutation_test({1, 2, 3}, {4, 5, 6})
    assert.truthy(exact.exact)
    rel(exact.pvalue, 0.1, 1e-12, "exact: 2 of 20 splits as extreme, two-sided")
    local med = stats.permutation_test(x, y, {n = 199, statistic = function(a, b)
      table.sort(a); table.sort(b); return a[#a // 2 + 1] - b[#b // 2 + 1] end})
    assert.truthy(med.pvalue < 0.05)
    assert.errors(function() stats.permutation_test(x, y, {n = 9, statistic = function() error("boom") end}) end, {contains = "boom"})
    local boot = stats.bootstrap_ci(x, {n = 2000, seed = 1})
    assert.truthy(boot.lower < boot.estimate and boot.estimate < boot.upper)
    assert.equal(boot.method, "bca")
    local bm = stats.bootstrap_ci(x, {statistic = function(v) local s = 0; for _, a in ipairs(v) do s = s + a end; return s / #v end,
      n = 2000, seed = 1})
    rel(bm.lower, boot.lower, 1e-12, "a Lua mean gives the built-in mean's interval")
    assert.errors(function() stats.bootstrap_ci(x, {statistic = "mode"}) end, {contains = "option 'statistic' must be \"mean\", \"median\" or a function, got \"mode\""})
  end)

  it("computes intervals, effect sizes, power and meta-analyses", function()
    local wi = stats.wilson_ci(41, 200)
    rel({wi.lower, wi.upper}, {0.15486176203836208, 0.2662569805242252}, 1e-10, "wilson")
    local cp = stats.clopper_pearson_ci(41, 200)
    rel(cp.lower, 0.15131057199551853, 1e-10, "clopper-pearson")
    local nc = stats.diff_proportions_ci(41, 200, 18, 200)
    rel({nc.lower, nc.upper}, {0.04575112423120668, 0.1842569030781675}, 1e-10, "newcombe")
    rel(stats.cohens_h(41 / 200, 18 / 200), 0.3303521779860802, 1e-12, "h")
    assert.truthy(stats.hedges_g(x, y) < stats.cohens_d(x, y))
    rel(stats.cramers_v({{10, 20, 30}, {20, 15, 5}}), 0.43186564636231084, 1e-10, "cramer's v")
    local h = 0.2
    -- p1, p2 with Cohen's h = 0.2 exactly: p2 = sin(asin(sqrt(p1)) - h/2)^2.
    local p1 = 0.5
    local p2 = math.sin(math.asin(math.sqrt(p1)) - h / 2) ^ 2
    rel(stats.power_two_proportions{p1 = p1, p2 = p2, power = 0.8}.n, 392.4430232577885, 1e-8, "n for h = 0.2")
    rel(stats.power_two_proportions{p1 = p1, p2 = p2, n = 300}.power, 0.687770420076401, 1e-8, "power at n = 300")
    rel(stats.power_t_test{d = 0.5, power = 0.8}.n, 63.76561058891169, 1e-8, "t-test n for d = 0.5")
    assert.errors(function() stats.power_t_test{d = 0.5, n = 10, power = 0.8} end, {contains = "not both"})
    local fc = stats.combine_pvalues({.01, .04, .2, .03, .5})
    rel(fc.statistic, 27.266378002340634, 1e-10)
    rel(fc.pvalue, 0.002363129904931564, 1e-10)
    local sw = stats.combine_pvalues({.01, .04, .2, .03, .5}, {method = "stouffer", weights = {50, 80, 30, 120, 40}})
    rel(sw.statistic, 3.1584123883833746, 1e-10)
    rel(sw.pvalue, 0.0007931549128499314, 1e-10)
    local re = stats.random_effects({.30, .12, .45, .22, .05}, {.010, .020, .030, .015, .025})
    rel(re.estimate, 0.23330067967903775, 1e-10, "DL estimate")
    rel(re.se, 0.05879160804351285, 1e-10, "DL se")
    rel(re.q, 4.007777777777779, 1e-10, "Q")
    rel(re.tau2, 3.500000000000547e-05, 1e-8, "tau2")
  end)

  it("names bad input", function()
    assert.errors(function() stats.binom_test(5, 3) end, {message = "discern.stats.binom_test: k must be <= n (3), got 5"})
    assert.errors(function() stats.fisher_exact({{1, 2}, {3}}) end,
      {message = "discern.stats.fisher_exact: table must be 2x2, got 2 rows of lengths [2, 1]"})
    assert.errors(function() stats.fisher_exact({{1, 2.5}, {3, 4}}) end, {contains = "table[1][2] must be a non-negative integer count"})
    assert.errors(function() stats.welch_t(x, y, {alternative = "bigger"}) end, {contains = "option 'alternative' must be one of \"two-sided\", \"greater\", \"less\", got \"bigger\""})
    assert.errors(function() stats.mann_whitney(x, y, {method = "fast"}) end, {contains = "option 'method' must be one of \"auto\", \"exact\", \"asymptotic\""})
    assert.errors(function() stats.wilson_ci(3, 10, {level = 1.5}) end, {contains = "level"})
    assert.errors(function() stats.power_two_proportions{p1 = 0.5} end, {contains = "option 'p2' (second proportion) is required"})
    assert.errors(function() stats.random_effects({1}, {1}) end, {contains = "effects"})
    assert.errors(function() stats.chi2_contingency({{0, 0}, {1, 2}}) end, {code = "data"})
  end)
end)
