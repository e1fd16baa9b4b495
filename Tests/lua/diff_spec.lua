local discern = require "discern"
local GPT2 = "Tests/Fixtures/models/gpt2"
local LLAMA = "Tests/Fixtures/models/llama"

local function tmpstore()
  local path = os.tmpname()
  os.remove(path)
  return discern.store.open(path .. ".sqlite")
end

describe("discern.diff", function()
  local m = discern.model.load(GPT2)
  local prompts = {}
  for i = 1, 40 do prompts[i] = (i % 2 == 0 and "The cat number " or "Alice went to ") .. i end

  it("runs every exhaustive step on a model against itself and finds nothing", function()
    local store = tmpstore()
    local run = discern.diff{base = m, model = m, prompts = prompts, seed = 3, quiet = true, store = store,
      n_prompts = 24, samples_per_prompt = 2, clusters = 3, min_region = 2, screen_p = 1,
      sampling = {max_new_tokens = 6, stop = {}}, validation = {n_min = 10, n_max = 20}}
    assert.equal(run.status, "done")
    for _, name in ipairs(discern.pipelines.exhaustive.order) do assert.truthy(run:step(name) ~= nil, name) end
    assert.equal(#run:step("prompts"), 24)
    assert.equal(#run:step("sample").base, 48)
    assert.equal(run:step("embed").all:shape(), {96, 384})
    assert.equal(run:step("cluster").k, 3)
    assert.equal(#run:findings(), 0)
    -- Identical models: every label that reached validation measured no effect.
    for _, t in ipairs(run:tests()) do assert.equal(t.effect, 0) end
    assert.equal(#run:fdr().tests, #run:tests())
    local L = run:ledger()
    assert.equal(L.steps[1].step, "explore")
    assert.equal(L.samples >= 96, true)
    local s = run:summary()
    assert.equal(s.method, "exhaustive")
    assert.equal(s.base, m:fingerprint())
    local path = os.tmpname()
    run:save_json(path)
    local back = discern.json.decode(discern.fs.read(path))
    os.remove(path)
    assert.equal(back.method, "exhaustive")
    assert.equal(#back.tests, #run:tests())
    assert.equal(back.ledger.samples, L.samples)
    assert.errors(function() run:save_json(3) end, {contains = "a path expected"})
    -- Rerun: every completion from the cache, same tests.
    local again = discern.diff{base = m, model = m, prompts = prompts, seed = 3, quiet = true, store = store,
      n_prompts = 24, samples_per_prompt = 2, clusters = 3, min_region = 2, screen_p = 1,
      sampling = {max_new_tokens = 6, stop = {}}, validation = {n_min = 10, n_max = 20}}
    assert.equal(again:ledger().cached_samples, again:ledger().samples - (again:ledger().steps[#again:ledger().steps].step == "reference" and again:ledger().steps[#again:ledger().steps].counts.samples or 0))
    assert.equal(#again:tests(), #run:tests())
  end)

  it("matches clusters of the two models by Hungarian assignment on centroid cosine", function()
    local run = discern.diff{base = m, model = m, prompts = prompts, seed = 5, quiet = true, store = false,
      n_prompts = 20, clusters = 3, match = "hungarian", min_region = 2, sampling = {max_new_tokens = 5, stop = {}},
      validation = {n_min = 10, n_max = 10}}
    local regions = run:step("match")
    assert.equal(#regions, 3)
    for _, r in ipairs(regions) do
      assert.truthy(r.clusters.base >= 1 and r.clusters.model >= 1)
      -- The same model on the same prompts and seeds: each base cluster matches its own twin.
      assert.near(r.cosine, 1, 1e-4)
      assert.equal(r.n_base, r.n_model)
    end
    assert.equal(#run:findings(), 0)
  end)

  it("replaces a step with a Lua function", function()
    local run = discern.diff{base = m, model = m, prompts = prompts, seed = 1, quiet = true, store = false,
      n_prompts = 8, clusters = 2, sampling = {max_new_tokens = 4, stop = {}},
      steps = {label = function(run) return {} end}}
    assert.equal(#run:step("label"), 0)
    assert.equal(#run:tests(), 0)
  end)

  it("rejects bad input with clear errors", function()
    assert.errors(function() discern.diff{base = m, model = m, prompts = {}} end, {contains = "empty"})
    assert.errors(function() discern.diff{base = m, model = m} end, {contains = "option 'prompts' is required"})
    assert.errors(function() discern.diff{base = m, model = m, prompts = prompts, budget = {generated_tokens = 0}} end,
      {contains = "generated_tokens"})
    assert.errors(function() discern.diff{base = m, model = m, prompts = prompts, method = "psychic"} end,
      {contains = "unknown method 'psychic'"})
    assert.errors(function() discern.diff{base = m, model = m, prompts = prompts, n_prompt = 3} end,
      {contains = "unknown option 'n_prompt'"})
    assert.errors(function() discern.diff{base = m, model = m, prompts = prompts, steps = {lable = print}} end,
      {contains = "no step named 'lable'"})
    assert.errors(function() discern.diff{base = m, model = 42, prompts = prompts} end, {contains = "option 'model'"})
    local llama = discern.model.load(LLAMA)
    assert.errors(function() discern.diff{base = m, model = llama, prompts = prompts} end, {contains = "tokenize differently"})
  end)

  it("stops cleanly at the budget, keeping what it sampled", function()
    local store = tmpstore()
    local run = discern.diff{base = m, model = m, prompts = prompts, seed = 2, quiet = true, store = store,
      n_prompts = 24, budget = {generated_tokens = 40}, sampling = {max_new_tokens = 6, stop = {}}}
    assert.equal(run.status, "budget")
    assert.truthy(run.stopped:find("budget", 1, true))
    assert.equal(#run:findings(), 0)
    assert.truthy(store:count() > 0)
  end)
end)
