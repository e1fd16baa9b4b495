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
    rel(stats.student_t{df = 10}:sf(2.228138851986274), 0.025, 1e-10, "t")
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
    assert.errors(function() stats.student_t{} end, {contains = "option 'df' is required"})
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
  it("names bad input", function()
    assert.errors(function() stats.fdr(p, {method = "holm"}) end, {contains = "method must be"})
    assert.errors(function() stats.fdr(p, {lambda = 0.3}) end, {contains = "only applies"})
    assert.errors(function() stats.fdr({0.1, 2}) end, {contains = "p[1]"})
  end)
end)
