--- discern.diff: compares an intervened model with its base model and returns a run with validated findings.
---
---     local run = discern.diff{base = base, model = ft, method = "exhaustive", prompts = world:prompts(),
---                              alpha = 0.05, budget = {generated_tokens = 3e5}, seed = 1}
---     for _, f in ipairs(run:findings()) do print(f.statement, f.effect, f.ci.lower, f.pvalue) end
---     print(run:ledger().generated_tokens)
---
--- A run samples through the store's cache, so rerunning the same call after a kill regenerates nothing and ends
--- with the same findings. Every step's output is a plain Lua value (`run:step("clusters")`).
local discern = require "discern"
local prompts = require "discern.prompts"
local behavior = require "discern.behavior"

local diff = {}

--- The pipelines by name; each is a module with `defaults`, `order` and `steps`.
diff.methods = {exhaustive = "discern.pipelines.exhaustive", mechanistic = "discern.pipelines.mechanistic"}

local Run = {}
Run.__index = Run
Run.__name = "discern.Run"
--- The methods of a run (discern.Run).
diff.Run = Run

function Run:__tostring()
  return string.format("discern.Run(%s, %s, %d tests, %d findings)", self.method, self.status, #self.tests_list, #self.findings_list)
end

--- The findings (rejected hypotheses) in the order they were tested.
---@return table[]
function Run:findings() return self.findings_list end

--- Every test that reached a decision, in the order it ran (the FDR stream's order).
---@return table[]
function Run:tests() return self.tests_list end

--- A step's output (e.g. "prompts", "sample", "cluster", "match", "label", "discriminate", "validate"), or nil.
---@param name string
---@return any
function Run:step(name)
  if type(name) ~= "string" then error(discern.error("arg", "discern.Run:step: bad argument #1 (a step name expected)"), 2) end
  return self.steps[name]
end

--- The ledger: the run's total counts (prompts, samples, cached_samples, prefill_tokens, generated_tokens,
--- compute_tokens, forward_passes, seconds) with steps = {{step =, counts =}, …}, budget and exceeded (a reason
--- or nil). The discern.Ledger object itself is run.meter.
---@return table
function Run:ledger()
  local t = self.meter:counts()
  t.steps, t.budget, t.exceeded = self.meter:steps(), self.meter:budget(), self.meter:exceeded()
  return t
end

--- The online FDR trace: {procedure, alpha, tests = {{t, statement, pvalue, alpha_t, rejected, wealth}, …}}.
---@return table
function Run:fdr() return {procedure = self.stream.procedure, alpha = self.alpha, tests = self.stream.trace} end

--- Writes a progress line to stderr ("[diff] …") unless the run is quiet.
---@param msg string
function Run:log(msg)
  if self.quiet then return end
  io.stderr:write("[diff] " .. msg .. "\n")
end

--- Records a test that reached a decision (pipelines call this in the order tests ran).
---@param t table a behavior.test result
function Run:record_test(t)
  self.tests_list[#self.tests_list + 1] = t
  if t.rejected then self.findings_list[#self.findings_list + 1] = t end
end

--- Stops the run (no further steps run); status is e.g. "budget".
---@param status string
---@param reason string
function Run:stop(status, reason)
  self.status, self.stopped = status, reason
  self:log("stopped: " .. reason)
end

local function summary_of(t)
  return {statement = t.statement, pvalue = t.pvalue, p_zero = t.p_zero, alpha_t = t.alpha_t, rejected = t.rejected,
    effect = t.effect, ci = t.ci, n = t.n, kind = t.kind, direction = t.direction, min_effect = t.min_effect,
    base_mean = t.base_mean, model_mean = t.model_mean, origin = t.origin, test = t.test, examples = t.examples,
    samples = t.samples}
end

--- A JSON-able summary of the run: config, findings, tests, FDR trace, ledger.
---@return table
function Run:summary()
  local tests, findings = {}, {}
  for i, t in ipairs(self.tests_list) do tests[i] = summary_of(t) end
  for i, t in ipairs(self.findings_list) do findings[i] = summary_of(t) end
  return {method = self.method, status = self.status, stopped = self.stopped, seed = self.seed, alpha = self.alpha,
    base = self.base_fingerprint, model = self.model_fingerprint, findings = findings, tests = tests,
    fdr = self:fdr(), ledger = self:ledger()}
end

--- Writes the summary as JSON to path.
---@param path string
function Run:save_json(path)
  if type(path) ~= "string" then error(discern.error("arg", "discern.Run:save_json: bad argument #1 (a path expected)"), 2) end
  discern.fs.write(path, discern.json.encode(self:summary()))
end

local function fail(msg) error(discern.error("arg", "discern.diff: " .. msg), 3) end

local function load_model(x, what)
  if type(x) == "string" then return discern.model.load(x) end
  if type(x) == "userdata" and x:type() == "discern.Model" then return x end
  fail("option '" .. what .. "' must be a discern.Model or a model directory, got " .. type(x))
end

local function check_tokenizers(base, model, sample)
  for _, p in ipairs(sample) do
    local ok1, a = pcall(base.to_tokens, base, p)
    local ok2, b = pcall(model.to_tokens, model, p)
    if not (ok1 and ok2) then fail("both models need a tokenizer (" .. tostring(ok1 and b or a) .. ")") end
    local ta, tb = a:tolist(), b:tolist()
    ta, tb = type(ta[1]) == "table" and ta[1] or ta, type(tb[1]) == "table" and tb[1] or tb
    local same = #ta == #tb
    for i = 1, #ta do same = same and ta[i] == tb[i] end
    if not same then
      fail("the two models tokenize differently (prompt '" .. p .. "' gives " .. #ta .. " and " .. #tb ..
        " tokens): they need the same tokenizer to be compared prompt by prompt")
    end
  end
end

local run_keys = {base = 1, model = 1, method = 1, prompts = 1, alpha = 1, procedure = 1, budget = 1, seed = 1,
  min_effect = 1, steps = 1, quiet = 1, store = 1, embedder = 1, labeller = 1}

--- Runs a pipeline. opts: base, model (discern.Model or directories), method ("exhaustive"), prompts (a prompt
--- source; required), alpha (0.05), procedure (online FDR: "saffron"), budget ({generated_tokens, forward_tokens,
--- seconds}), seed (1), min_effect (default 0.05 for rates), steps ({name = function(run)} replacing steps),
--- quiet, store, embedder, labeller, and the pipeline's own options (see discern.pipelines.<method>.defaults).
---@param opts table
---@return table a discern.Run
function diff.run(opts)
  if type(opts) ~= "table" then fail("expected a table of options, got " .. type(opts)) end
  local method = opts.method or "exhaustive"
  if not diff.methods[method] then
    local names = {}
    for k in pairs(diff.methods) do names[#names + 1] = k end
    table.sort(names)
    fail("unknown method '" .. tostring(method) .. "' (" .. table.concat(names, ", ") .. ")")
  end
  local pipeline = require(diff.methods[method])
  for k in pairs(opts) do
    if not run_keys[k] and pipeline.defaults[k] == nil then
      local names = {}
      for n in pairs(run_keys) do names[#names + 1] = n end
      for n in pairs(pipeline.defaults) do names[#names + 1] = n end
      table.sort(names)
      fail("unknown option '" .. tostring(k) .. "' (expected " .. table.concat(names, ", ") .. ")")
    end
  end
  if opts.base == nil or opts.model == nil then fail("options 'base' and 'model' are required") end
  if opts.prompts == nil then fail("option 'prompts' is required (a list, a function(rng, n) or world:prompts())") end
  local source = prompts.source(opts.prompts)
  local alpha = opts.alpha or 0.05
  if type(alpha) ~= "number" or not (alpha > 0 and alpha < 1) then fail("option 'alpha' must be in (0, 1), got " .. tostring(alpha)) end
  local seed = opts.seed or 1
  if math.type(seed) ~= "integer" or seed < 0 then fail("option 'seed' must be a non-negative integer") end
  local po = {}
  for k, v in pairs(pipeline.defaults) do po[k] = v end
  for k, v in pairs(opts) do if pipeline.defaults[k] ~= nil then po[k] = v end end
  if type(po.sampling) == "table" and opts.sampling then
    local s = {}
    for k, v in pairs(pipeline.defaults.sampling) do s[k] = v end
    for k, v in pairs(opts.sampling) do s[k] = v end
    po.sampling = s
  end
  po.min_effect = opts.min_effect
  if opts.steps ~= nil then
    if type(opts.steps) ~= "table" then fail("option 'steps' must be a table {name = function(run)}") end
    for k, v in pairs(opts.steps) do
      if pipeline.steps[k] == nil then fail("option 'steps': no step named '" .. tostring(k) .. "' (steps: " .. table.concat(pipeline.order, ", ") .. ")") end
      if type(v) ~= "function" then fail("option 'steps': step '" .. k .. "' must be a function(run)") end
    end
  end
  local budget = opts.budget
  local ok, ledger = pcall(behavior.ledger, budget and {budget = budget} or nil)
  if not ok then fail(tostring(ledger):gsub("^discern%.sampling%.ledger: ", "")) end
  local base, model = load_model(opts.base, "base"), load_model(opts.model, "model")
  local run = setmetatable({method = method, opts = po, seed = seed, alpha = alpha, source = source, base = base, model = model,
    meter = ledger, stream = behavior.stream{alpha = alpha, procedure = opts.procedure}, steps = {}, tests_list = {},
    findings_list = {}, status = "running", quiet = opts.quiet, store = opts.store, labeller = opts.labeller,
    embedder = opts.embedder or (pipeline.needs_embedder and discern.embed.load() or nil)}, Run)
  -- The prompt source must give prompts, and both models must tokenize them alike.
  local probe = source:draw(discern.random.new(seed):fork("probe"), 8)
  check_tokenizers(base, model, probe)
  run.base_fingerprint, run.model_fingerprint = base:fingerprint(), model:fingerprint()
  run:log(string.format("%s: base %s vs model %s, alpha %g, seed %d", method, run.base_fingerprint, run.model_fingerprint, alpha, seed))
  for _, name in ipairs(pipeline.order) do
    if run.status ~= "running" then break end
    local fn = (opts.steps and opts.steps[name]) or pipeline.steps[name]
    local t0 = discern.clock()
    local ok2, out = pcall(fn, run)
    if not ok2 then
      if type(out) == "table" and out.code == "budget" then
        run:stop("budget", tostring(out))
        break
      end
      error(out, 0)
    end
    run.steps[name] = out
    run:log(string.format("%-12s %6.1f s", name, discern.clock() - t0))
  end
  if run.status == "running" then run.status = "done" end
  run:log(string.format("%d tests, %d findings; %d generated tokens", #run.tests_list, #run.findings_list,
    ledger:counts().generated_tokens))
  return run
end

return setmetatable(diff, {__call = function(_, opts) return diff.run(opts) end})
