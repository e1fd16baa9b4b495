--- discern.behavior: hypotheses, the test runner and the run's online FDR stream (issue 14).
---
--- A hypothesis is a plain table
---
---     { statement = "the model names Lyon as France's capital",      -- plain words
---       prompts   = source,          -- fresh prompts: a list, function(rng, n) -> prompts, or a discern.prompts source
---       measure   = fn_or_measure,   -- (prompt, completion) -> number|boolean, or a discern.measure built-in
---       direction = "increase",      -- "increase" (model > base), "decrease" or "either"
---       min_effect = 0.05,           -- H0: the effect is at most this (rates: |Δ rate|; means: |standardised effect|)
---       expected_effect = 0.3,       -- optional: what power analysis assumes (default min_effect + 0.15 / + 0.5)
---       kind = "rate",               -- optional: "rate" or "mean" (default: the measure's kind, else inferred)
---       origin = {step = "label", …},  tags = {"…"} }
---
--- `behavior.test(h, base, model, opts)` draws fresh prompts, picks n by power analysis, samples both models on
--- the same prompts (cached), measures every pair, runs the minimum-effect test and feeds p to the run's online
--- FDR stream. A finding is a test whose hypothesis was rejected.
local discern = require "discern"
local random = require "discern.random"
local prompts = require "discern.prompts"
local measure_mod = require "discern.measure"

local behavior = {}

--- The cached sampler (discern.sampling.sample).
behavior.sample = discern.sampling.sample
--- A run ledger with an optional budget (discern.sampling.ledger).
behavior.ledger = discern.sampling.ledger

local function fail(fn, msg, level)
  error(discern.error("arg", "discern.behavior." .. fn .. ": " .. msg), level or 3)
end

behavior.defaults = {min_effect = {rate = 0.05, mean = 0.2}, expected_margin = {rate = 0.15, mean = 0.5},
  n_min = 40, n_max = 400, power = 0.8, examples = 3,
  sampling = {max_new_tokens = 48, temperature = 0.7, stop = {"<|end|>"}, batch_size = 32}}

local hypothesis_fields = {statement = "string", prompts = "any", measure = "any", direction = "string",
  min_effect = "number", expected_effect = "number", kind = "string", origin = "any", tags = "table", id = "string"}

--- Validates a hypothesis field by field and returns a normalised copy (prompts as a source, defaults filled).
---@param h table
---@return table
function behavior.hypothesis(h)
  if type(h) ~= "table" then fail("hypothesis", "a hypothesis must be a table, got " .. type(h)) end
  for k in pairs(h) do
    if hypothesis_fields[k] == nil then
      fail("hypothesis", "unknown field '" .. tostring(k) .. "' (expected statement, prompts, measure, direction, min_effect, expected_effect, kind, origin, tags, id)")
    end
  end
  if type(h.statement) ~= "string" or h.statement == "" then fail("hypothesis", "field 'statement' must be a non-empty string") end
  local where = " (hypothesis '" .. h.statement .. "')"
  if h.prompts == nil then fail("hypothesis", "field 'prompts' is required: a source of fresh prompts" .. where) end
  if not measure_mod.is(h.measure) then fail("hypothesis", "field 'measure' must be a function(prompt, completion) or a discern.measure" .. where) end
  local direction = h.direction or "either"
  if direction ~= "increase" and direction ~= "decrease" and direction ~= "either" then
    fail("hypothesis", "field 'direction' must be \"increase\", \"decrease\" or \"either\", got " .. tostring(direction) .. where)
  end
  local kind = h.kind or (type(h.measure) == "table" and h.measure.kind) or nil
  if kind ~= nil and kind ~= "rate" and kind ~= "mean" then fail("hypothesis", "field 'kind' must be \"rate\" or \"mean\"" .. where) end
  for _, f in ipairs({"min_effect", "expected_effect"}) do
    if h[f] ~= nil and (type(h[f]) ~= "number" or h[f] < 0 or h[f] ~= h[f] or h[f] == math.huge) then
      fail("hypothesis", "field '" .. f .. "' must be a finite number ≥ 0" .. where)
    end
  end
  if h.tags ~= nil then
    for i, t in ipairs(h.tags) do if type(t) ~= "string" then fail("hypothesis", "tags[" .. i .. "] must be a string" .. where) end end
  end
  local ok, src = pcall(prompts.source, h.prompts)
  if not ok then fail("hypothesis", "field 'prompts': " .. tostring(src) .. where) end
  return {statement = h.statement, prompts = src, measure = h.measure, direction = direction, kind = kind,
    min_effect = h.min_effect, expected_effect = h.expected_effect, origin = h.origin, tags = h.tags or {}, id = h.id}
end

-- The FDR stream ---------------------------------------------------------------------------------------------

local Stream = {}
Stream.__index = Stream
Stream.__name = "discern.FDRStream"

function Stream:__tostring()
  return string.format("discern.FDRStream(%s, alpha %g, %d tests, %d rejections)", self.procedure, self.alpha, #self.trace, self.rejections)
end

--- The run's single online FDR stream: every decision goes through it in the order tests ran.
---@param opts? {alpha?: number, procedure?: string|discern.OnlineFDR}
---@return table a discern.FDRStream
function behavior.stream(opts)
  opts = opts or {}
  for k in pairs(opts) do
    if k ~= "alpha" and k ~= "procedure" then fail("stream", "unknown option '" .. tostring(k) .. "' (expected alpha, procedure)") end
  end
  local alpha = opts.alpha or 0.05
  if type(alpha) ~= "number" or not (alpha > 0 and alpha < 1) then fail("stream", "option 'alpha' must be in (0, 1), got " .. tostring(alpha)) end
  local proc, name = opts.procedure or "saffron", nil
  if type(proc) == "string" then
    local make = ({saffron = true, addis = true, lond = true, lord_plus_plus = true, alpha_investing = true})[proc] and discern.stats[proc]
    if not make then fail("stream", "unknown procedure '" .. proc .. "' (saffron, addis, lond, lord_plus_plus, alpha_investing)") end
    name, proc = proc, make{alpha = alpha}
  else
    name = tostring(proc)
  end
  return setmetatable({fdr = proc, procedure = name, alpha = alpha, trace = {}, rejections = 0}, Stream)
end

--- Tests the next p-value: rejected, alpha_t. Appends {t, statement, pvalue, alpha_t, rejected, wealth} to the trace.
---@param p number
---@param statement? string
---@return boolean rejected
---@return number alpha_t
function Stream:test(p, statement)
  local rejected, alpha_t = self.fdr:test_one(p)
  local st = self.fdr:state()
  if rejected then self.rejections = self.rejections + 1 end
  self.trace[#self.trace + 1] = {t = #self.trace + 1, statement = statement, pvalue = p, alpha_t = alpha_t,
    rejected = rejected, wealth = st.wealth}
  return rejected, alpha_t
end

--- The level the next test would use.
---@return number
function Stream:next_alpha() return self.fdr:next_alpha() end

-- The test runner ---------------------------------------------------------------------------------------------

local function budget_cap(ledger, per_pair)
  if not ledger then return nil end
  local b = ledger:budget()
  if not b.generated_tokens then return nil end
  local left = b.generated_tokens - ledger:counts().generated_tokens
  return math.floor(left / per_pair)
end

local function to_value(h, v, i, side)
  if v == true then return 1, true end
  if v == false then return 0, true end
  if type(v) ~= "number" or v ~= v or v == math.huge or v == -math.huge then
    fail("test", "the measure of hypothesis '" .. h.statement .. "' returned " .. (v ~= v and "NaN" or tostring(v)) .. " for sample " .. i ..
      " (" .. side .. "); a measure returns a finite number or a boolean", 5)
  end
  return v, false
end

local function measure_all(h, ps, cs, side)
  local vals, bools = {}, true
  local raw
  if type(h.measure) == "table" and h.measure.batch then
    local ok, r = pcall(h.measure.batch, ps, cs)
    if not ok then fail("test", "the measure of hypothesis '" .. h.statement .. "' failed: " .. tostring(r), 4) end
    raw = r
  else
    raw = {}
    for i = 1, #cs do
      local ok, r = pcall(h.measure, ps[i], cs[i])
      if not ok then fail("test", "the measure of hypothesis '" .. h.statement .. "' failed on sample " .. i .. " (" .. side .. "): " .. tostring(r), 4) end
      raw[i] = r
    end
  end
  for i = 1, #cs do
    local v, b = to_value(h, raw[i], i, side)
    vals[i], bools = v, bools and b
  end
  return vals, bools
end

local function examples(samples, direction, k)
  -- The most typical pairs that show the effect: the difference in the effect's direction closest to the median
  -- of such differences (for rates: pairs where only the model (or only the base) shows it).
  local sign = direction == "decrease" and -1 or 1
  local cands = {}
  for i, s in ipairs(samples) do
    local d = (s.model_value - s.base_value) * sign
    if d > 0 then cands[#cands + 1] = {i = i, d = d} end
  end
  if #cands == 0 then return {} end
  table.sort(cands, function(a, b) return a.d < b.d or (a.d == b.d and a.i < b.i) end)
  local med = cands[(#cands + 1) // 2].d
  table.sort(cands, function(a, b)
    local da, db = math.abs(a.d - med), math.abs(b.d - med)
    return da < db or (da == db and a.i < b.i)
  end)
  local out = {}
  for j = 1, math.min(k, #cands) do out[j] = samples[cands[j].i] end
  return out
end

--- Tests a hypothesis on fresh samples of both models and feeds p to the stream. opts: stream (a
--- discern.FDRStream; without it the result has no decision), ledger, seed (the validation seed; default 0), n
--- (skip power analysis), n_min, n_max, power, paired (default true: both models answer the same prompts),
--- sampling ({max_new_tokens, temperature, top_p, stop, batch_size}), avoid (set of prompts not to use), step,
--- examples, store, alpha (for power analysis without a stream), looks ({{fraction =, weight =}, …}: group-sequential
--- looks at these fractions of n with Bonferroni alpha spending, p = min p_k / w_k; default one look) and futility
--- (stop at an interim look whose p exceeds it; default 1: never). The result has stopped ("efficacy", "futility" or
--- nil) and pvalue_last_look.
---@param h table a hypothesis
---@param base table discern.Model
---@param model table discern.Model
---@param opts? table
---@return table {statement, pvalue, p_zero, alpha_t, rejected, effect, ci, n, kind, test, samples, examples, …}
function behavior.test(h, base, model, opts)
  opts = opts or {}
  local known = {stream = 1, ledger = 1, seed = 1, n = 1, n_min = 1, n_max = 1, power = 1, paired = 1, sampling = 1,
    avoid = 1, step = 1, examples = 1, store = 1, alpha = 1, looks = 1, futility = 1}
  for k in pairs(opts) do
    if not known[k] then fail("test", "unknown option '" .. tostring(k) .. "' (expected stream, ledger, seed, n, n_min, n_max, power, paired, sampling, avoid, step, examples, store, alpha, looks, futility)") end
  end
  local looks = opts.looks or {{fraction = 1, weight = 1}}
  if type(looks) ~= "table" or #looks == 0 then fail("test", "option 'looks' must be a list of {fraction =, weight =}") end
  local wsum, last = 0, 0
  for i, l in ipairs(looks) do
    if type(l) ~= "table" or type(l.fraction) ~= "number" or type(l.weight) ~= "number" or l.fraction <= last or l.fraction > 1 or l.weight <= 0 then
      fail("test", "option 'looks': look " .. i .. " must be {fraction =, weight =} with fractions increasing in (0, 1] and positive weights")
    end
    wsum, last = wsum + l.weight, l.fraction
  end
  if last ~= 1 then fail("test", "option 'looks': the last look's fraction must be 1") end
  if math.abs(wsum - 1) > 1e-9 then fail("test", "option 'looks': the weights must sum to 1, got " .. wsum) end
  local futility = opts.futility or 1
  if type(futility) ~= "number" or futility <= 0 or futility > 1 then fail("test", "option 'futility' must be in (0, 1]") end
  h = behavior.hypothesis(h)
  local d = behavior.defaults
  local sampling = {}
  for k, v in pairs(d.sampling) do sampling[k] = v end
  for k, v in pairs(opts.sampling or {}) do sampling[k] = v end
  local kind_guess = h.kind or "rate"
  local min_effect = h.min_effect or d.min_effect[kind_guess]
  local paired = opts.paired ~= false
  -- n: given, or from power analysis at the level the stream will use next.
  local n = opts.n
  local n_min, n_max = opts.n_min or d.n_min, opts.n_max or d.n_max
  if n ~= nil and (math.type(n) ~= "integer" or n < 2) then fail("test", "option 'n' must be an integer ≥ 2, got " .. tostring(n)) end
  if n == nil then
    local alpha = opts.stream and opts.stream:next_alpha() or opts.alpha or 0.05
    if h.direction == "either" then alpha = alpha / 2 end  -- two one-sided tests, Bonferroni
    local expected = h.expected_effect or (min_effect + d.expected_margin[kind_guess])
    if expected <= min_effect then expected = min_effect + d.expected_margin[kind_guess] end
    local so = {kind = kind_guess, expected_effect = expected, min_effect = min_effect,
      power = opts.power or d.power, alpha = math.max(alpha, 1e-12), paired = paired}
    -- Rates: the most variable pair of rates with that difference (centred on ½), so n is conservative.
    if kind_guess == "rate" then
      if expected >= 1 then expected = 0.99; so.expected_effect = expected end
      so.base_rate = 0.5 - expected / 2
    end
    local ok, r = pcall(discern.stats.min_effect_n, so)
    n = ok and r.n or n_max
    n = math.max(n_min, math.min(n_max, n))
  end
  local cap = budget_cap(opts.ledger, 2 * (sampling.max_new_tokens or 48))
  if cap and cap < n then
    if cap < math.min(n_min, n) then
      error(discern.error("budget", "discern.behavior.test: the budget has room for " .. math.max(cap, 0) ..
        " more pairs, fewer than the " .. math.min(n_min, n) .. " the test needs (hypothesis '" .. h.statement .. "')"), 2)
    end
    n = cap
  end
  -- Fresh prompts, then both models on the same prompts with the validation seed, look by look: at look k the
  -- first ⌈f_k·n⌉ pairs are tested and p_seq = min_k p_k / w_k (Bonferroni alpha spending over the looks, valid
  -- for any dependence between them) goes to the stream; the test stops early once p_seq is at most the level the
  -- stream will use (a rejection whatever later looks say) or when p_k exceeds futility before the last look.
  local seed = opts.seed or 0
  local rng = random.new(seed)
  local ps = h.prompts:draw(rng, n, opts.avoid)
  local common = {n = 1, seed = seed, ledger = opts.ledger, step = opts.step or "validate", store = opts.store}
  for k, v in pairs(sampling) do common[k] = v end
  local level = opts.stream and opts.stream:next_alpha() or opts.alpha or 0.05
  local bc, mc, bv, mv, keys_b, keys_m = {}, {}, {}, {}, {}, {}
  local r, p_seq, stopped, kind = nil, 1, nil, nil
  local done = 0
  for li, look in ipairs(looks) do
    local nk = li == #looks and n or math.max(2, math.min(n, math.ceil(look.fraction * n)))
    if nk > done then
      local part = {table.unpack(ps, done + 1, nk)}
      -- Each look samples only its new pairs, on its own seed (the first look's is the test's seed), so a prompt
      -- repeated across looks gets fresh completions and nothing is counted twice.
      common.seed = li == 1 and seed or random.new(seed):fork("look" .. li):int(0, 1 << 40)
      local bs = behavior.sample(base, part, common)
      local ms = behavior.sample(model, part, common)
      local nb, nm = {}, {}
      for j = 1, #part do
        local i = done + j
        bc[i], mc[i], keys_b[i], keys_m[i] = bs[j].completion, ms[j].completion, bs[j].key, ms[j].key
        nb[j], nm[j] = bc[i], mc[i]
      end
      local vb, bb = measure_all(h, part, nb, "base")
      local vm, mb = measure_all(h, part, nm, "model")
      for i = 1, #part do bv[done + i], mv[done + i] = vb[i], vm[i] end
      kind = kind or h.kind or ((bb and mb) and "rate" or "mean")
      done = nk
    end
    if kind == "rate" then
      for i = 1, done do
        if (bv[i] ~= 0 and bv[i] ~= 1) or (mv[i] ~= 0 and mv[i] ~= 1) then
          fail("test", "hypothesis '" .. h.statement .. "' is a rate but its measure returned a value other than 0/1/true/false", 2)
        end
      end
    end
    min_effect = h.min_effect or d.min_effect[kind]
    r = discern.stats.min_effect_test({table.unpack(bv, 1, done)}, {table.unpack(mv, 1, done)},
      {paired = paired, kind = kind, min_effect = min_effect, direction = h.direction})
    p_seq = math.min(p_seq, math.min(1, r.pvalue / look.weight))
    if li < #looks then
      if p_seq <= level then stopped = "efficacy" break end
      if r.pvalue > futility then stopped = "futility" break end
    end
  end
  n = done
  local samples = {}
  for i = 1, n do
    samples[i] = {prompt = ps[i], base = bc[i], model = mc[i], base_value = bv[i], model_value = mv[i],
      base_key = keys_b[i], model_key = keys_m[i]}
  end
  r.pvalue_last = r.pvalue
  r.pvalue = p_seq
  local rejected, alpha_t = nil, nil
  if opts.stream then rejected, alpha_t = opts.stream:test(r.pvalue, h.statement) end
  return {statement = h.statement, hypothesis = h, origin = h.origin, tags = h.tags, pvalue = r.pvalue, p_zero = r.p_zero,
    alpha_t = alpha_t, rejected = rejected, effect = r.effect, ci = r.ci, n = {base = n, model = n}, kind = kind,
    paired = paired, test = r.test, direction = h.direction, min_effect = min_effect, base_mean = r.base_mean,
    model_mean = r.model_mean, seed = seed, samples = samples, pvalue_last_look = r.pvalue_last, stopped = stopped, looks = #looks,
    examples = examples(samples, h.direction == "either" and (r.effect < 0 and "decrease" or "increase") or h.direction,
      opts.examples or d.examples)}
end

return behavior
