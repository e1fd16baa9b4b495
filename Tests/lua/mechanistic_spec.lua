local discern = require "discern"
local GPT2 = "Tests/Fixtures/models/gpt2"
local LLAMA = "Tests/Fixtures/models/llama"
local PLT = "Tests/Fixtures/transcoders/plt"

local function tmpstore()
  local path = os.tmpname()
  os.remove(path)
  return discern.store.open(path .. ".sqlite")
end

-- A planted pair: the model is the base with its last MLP's output bias pushed along the unembedding of " cat", so
-- it says "cat" far more often everywhere (an output shift in the residual stream the screen must find and the tests
-- must validate).
local function planted_pair()
  local base = discern.model.load(GPT2)
  local model = discern.model.load(GPT2)
  local ids = model:to_tokens(" cat", {prepend_bos = false}):tolist()
  local cat = (type(ids[1]) == "table" and ids[1] or ids)
  cat = cat[#cat]
  local p = model:parameters()
  local wte = p["transformer.wte.weight"]
  local dir = wte:select(0, cat)
  p["transformer.h.1.mlp.c_proj.bias"]:add_(dir:div(dir:square():sum():sqrt()):mul(12))
  return base, model
end

local prompts = {}
for i = 1, 60 do prompts[i] = (i % 3 == 0 and "Alice went to the market number " or (i % 3 == 1 and "Bob read a book about " or "The weather today in town ")) .. i end

local small = {n_screen = 24, screen_tokens = 6, batch_size = 8, continuation_tokens = 4, pool_size = 64, max_rounds = 4,
  causal_prompts = 6, validation = {n_min = 12, n_max = 16}, sampling = {max_new_tokens = 6, temperature = 0.7, stop = {}, batch_size = 16}}

local function opts(extra)
  local o = {prompts = prompts, seed = 1, quiet = true, method = "mechanistic", transcoders = PLT}
  for k, v in pairs(small) do o[k] = v end
  for k, v in pairs(extra or {}) do o[k] = v end
  return o
end

describe("discern.circuit.transfer", function()
  local base, model = planted_pair()
  local tc = discern.circuit.load_transcoders(PLT)
  it("evaluates the base transcoders on both models", function()
    local r = discern.circuit.transfer(tc, base, model, {"Alice went to the market", "Bob read a book about trees"})
    assert.equal(#r.layers, 2)
    for i, l in ipairs(r.layers) do
      assert.equal(l.layer, i - 1)
      assert.truthy(l.fvu_base > 0 and l.fvu_model > 0)
      assert.near(l.fvu_ratio, l.fvu_model / l.fvu_base, 1e-9)
    end
    -- Only the last MLP's output bias differs: layer 0 is the same on both models, layer 1's output moved.
    assert.near(r.layers[1].fvu_model, r.layers[1].fvu_base, 1e-6)
    assert.truthy(r.layers[2].fvu_model > r.layers[2].fvu_base)
    assert.truthy(r.tokens > 0)
    assert.truthy(r.spliced_base.clean_loss > 0)
  end)
  it("rejects a pair without a shared basis and an empty corpus", function()
    local llama = discern.model.load(LLAMA)
    assert.errors(function() discern.circuit.transfer(tc, base, llama, {"a b c"}) end, {contains = "cannot share a feature basis"})
    assert.errors(function() discern.circuit.transfer(tc, base, model, {}) end, {contains = "non-empty list of texts"})
  end)
  it("gives each feature's decoder row", function()
    local d = tc:decoder(1)
    assert.equal(d:shape()[2], 64)
    assert.equal(d:shape()[1], tc:info().d_transcoder[2])
    assert.errors(function() tc:decoder(5) end, {contains = "layer in 0..<2"})
    assert.errors(function() tc:decoder(0, 1) end, {contains = "output layer"})
  end)
end)

describe("discern.circuit.train_crosscoder", function()
  local base, model = planted_pair()
  local texts = {}
  for i = 1, 40 do texts[i] = prompts[i] .. " and then the story goes on for a while" end
  it("trains on both models' activations, classifies latents and saves, loads and resumes", function()
    local dir = os.tmpname()
    os.remove(dir)
    local seen = 0
    local cc, r = discern.circuit.train_crosscoder(base, model, texts, {layer = 1, steps = 30, k = 4, expansion = 2, batch_size = 64,
      lr = 3e-3, seed = 2, out = dir, on_progress = function(p) seen = p.step end})
    assert.equal(seen, 30)
    assert.equal(#r.loss, 30)
    assert.truthy(r.loss[30] < r.loss[1], "the loss falls")
    assert.equal(#r.latents, 128)
    local total = 0
    for _, k in ipairs(r.kinds) do total = total + k end
    assert.equal(total, 128)
    for _, l in ipairs(r.latents) do assert.truthy(l.relative_norm >= 0 and l.relative_norm <= 1) end
    local info = cc:info()
    assert.equal(info.layer, 1)
    assert.equal(info.width, 128)
    assert.equal(cc:decoder("model"):shape(), {128, 64})
    local x = discern.tensor.randn({3, 64})
    assert.equal(cc:encode(x, x):shape(), {3, 128})
    local back = discern.circuit.load_crosscoder(dir)
    assert.equal(back:info().threshold, info.threshold)
    assert.errors(function() cc:decoder("left") end, {contains = "\"base\" or \"model\""})
    assert.errors(function() discern.circuit.train_crosscoder(base, model, texts, {layer = 9, steps = 2}) end, {contains = "layer 9"})
    assert.errors(function() discern.circuit.train_crosscoder(base, model, texts, {layer = 1}) end, {contains = "steps"})
    -- Stopped by on_progress after a checkpoint, then resumed: the same loss curve as the uninterrupted run.
    local ck = os.tmpname()
    os.remove(ck)
    local o = {layer = 1, steps = 30, k = 4, expansion = 2, batch_size = 64, lr = 3e-3, seed = 2, checkpoint_dir = ck, checkpoint_every = 10}
    o.on_progress = function(p) return p.step < 15 end
    assert.errors(function() discern.circuit.train_crosscoder(base, model, texts, o) end, {contains = "after step 15"})
    o.on_progress = function() error("callback broke") end
    assert.errors(function() discern.circuit.train_crosscoder(base, model, texts, o) end, {contains = "callback broke"})
    o.on_progress = nil
    local _, again = discern.circuit.train_crosscoder(base, model, texts, o)
    assert.equal(again.resumed_from, 15)
    assert.equal(again.loss, r.loss)
  end)
  it("trains one inside the mechanistic pipeline when asked", function()
    local run = discern.diff(opts{base = base, model = model, store = false, max_rounds = 1,
      crosscoder = {layer = 1, steps = 10, k = 4, expansion = 2, batch_size = 64}})
    local cc = run:step("basis").crosscoder
    assert.truthy(cc and cc.kinds and cc.kinds.shared ~= nil)
    assert.truthy(#cc.loss == 10)
  end)
end)

describe("discern.pipelines.mechanistic.align", function()
  local base = discern.model.load(GPT2)
  local plt = discern.circuit.load_transcoders(PLT)
  local topk = discern.circuit.load_transcoders("Tests/Fixtures/transcoders/topk")
  local align = discern.pipelines.mechanistic.align
  it("matches a set with itself feature for feature", function()
    local r = align(plt, plt, {layer = 1, model = base, texts = {"Alice went to the market", "Bob read a book"}})
    assert.equal(r.matched_fraction, 1)
    assert.equal(#r.unmatched_a, 0)
    for _, p in ipairs(r.pairs) do
      assert.equal(p.a, p.b)
      assert.near(p.cosine, 1, 1e-5)
    end
  end)
  it("leaves unrelated random sets mostly unmatched and needs a layer", function()
    local r = align(plt, topk, {layer = 0, threshold = 0.7})
    assert.truthy(r.matched_fraction < 0.2, tostring(r.matched_fraction))
    assert.equal(#r.unmatched_a + #r.pairs, plt:info().d_transcoder[1])
    assert.errors(function() align(plt, topk, {}) end, {contains = "option 'layer'"})
  end)
end)

describe("discern.circuit.diff", function()
  local base, model = planted_pair()
  local tc = discern.circuit.load_transcoders(PLT)
  local rb, rm = discern.circuit.replacement_model(base, tc), discern.circuit.replacement_model(model, tc)
  local prompt = "Alice went to the market and"
  it("is empty for a graph against itself", function()
    local g = discern.circuit.attribute(prompt, rb, {max_n_logits = 2, cache = false, progress = false})
    local d = discern.circuit.diff(g, g)
    assert.equal(d.counts[1], 0)
    assert.equal(d.counts[2], 0)
    assert.truthy(d.counts[3] > 0)
    for i = 4, 8 do assert.equal(d.counts[i], 0) end
    assert.equal(#d.edges, 0)
    for _, n in ipairs(d.nodes) do assert.equal(n.influence_delta, 0) end
    for _, p in ipairs(d.paths) do assert.equal(p.rerouted, false); assert.truthy(#p.base >= 2) end
    assert.equal(d.error_share_base, d.error_share_model)
  end)
  it("finds the planted change in the last layer's paths and exports circuit-tracer JSON with the diff", function()
    local ids = model:to_tokens(" cat", {prepend_bos = false}):tolist()
    local cat = (type(ids[1]) == "table" and ids[1] or ids)
    local targets = {cat[#cat]}
    local gb = discern.circuit.attribute(prompt, rb, {targets = targets, cache = false, progress = false})
    local gm = discern.circuit.attribute(prompt, rm, {targets = targets, cache = false, progress = false})
    local d = discern.circuit.diff(gb, gm, {top = 5})
    assert.equal(#d.paths, 1)
    assert.equal(#d.targets_only_base + #d.targets_only_model, 0)
    assert.truthy(#d.edges > 0 and #d.edges <= 5)
    -- Only the last MLP's output moved: layer 0's features are the same in both graphs.
    for _, n in ipairs(d.nodes) do if n.layer == 0 and n.id:match("^0_%d+_") then assert.equal(n.status, "shared") end end
    local path = os.tmpname()
    discern.circuit.export_diff(gb, gm, path, {slug = "cat"})
    local j = discern.json.decode(discern.fs.read(path))
    os.remove(path)
    assert.equal(j.metadata.slug, "cat")
    assert.truthy(j.metadata.diff.error_share_model ~= nil)
    local statuses = {}
    for _, n in ipairs(j.nodes) do if n.diff_status then statuses[n.diff_status] = true end end
    assert.truthy(statuses.shared)
    local other = discern.circuit.attribute("Bob read", rb, {max_n_logits = 1, cache = false, progress = false})
    assert.errors(function() discern.circuit.diff(gb, other) end, {contains = "different tokens"})
  end)
end)

describe("discern.hypotheses and discern.generators", function()
  it("lists the built-ins and validates tables field by field", function()
    local names = discern.hypotheses.list()
    for _, n in ipairs({"output_shift", "style", "suppression", "emergence", "continuation_change"}) do
      assert.truthy(discern.hypotheses.get(n), n)
    end
    assert.truthy(#names >= 5)
    for _, n in ipairs({"retrieval", "neighbours", "kl", "perturb"}) do assert.truthy(discern.generators.get(n), n) end
    assert.errors(function() discern.hypotheses.register{name = "x", description = "d"} end, {contains = "field 'make' must be a function"})
    assert.errors(function() discern.hypotheses.register{name = "x", description = "d", make = print, prio = 1} end,
      {contains = "unknown field 'prio'"})
    assert.errors(function() discern.hypotheses.register{name = "x", description = "d", make = print, priority = "high"} end,
      {contains = "field 'priority' must be a number"})
    assert.errors(function() discern.generators.register{name = "bad name", description = "d", make = print} end,
      {contains = "field 'name' must be a word"})
    assert.errors(function() discern.generators.get("nope") end, {contains = "no test generator named 'nope'"})
  end)
  it("reloads a module of templates", function()
    local before = discern.hypotheses.get("output_shift")
    discern.hypotheses.reload("discern.hypotheses.builtin")
    assert.truthy(discern.hypotheses.get("output_shift") ~= before)
    assert.equal(discern.hypotheses.get("output_shift").name, "output_shift")
  end)
end)

describe("discern.behavior.test with looks", function()
  local m = discern.model.load(GPT2)
  local always = function() return true end
  it("validates the looks", function()
    local h = {statement = "s", prompts = {"a b"}, measure = always, direction = "increase"}
    assert.errors(function() discern.behavior.test(h, m, m, {looks = {{fraction = 0.5, weight = 1}}}) end, {contains = "last look's fraction must be 1"})
    assert.errors(function() discern.behavior.test(h, m, m, {looks = {{fraction = 0.5, weight = 0.2}, {fraction = 1, weight = 0.2}}}) end,
      {contains = "weights must sum to 1"})
    assert.errors(function() discern.behavior.test(h, m, m, {futility = 2}) end, {contains = "option 'futility'"})
  end)
  it("stops at an interim look for futility and reports p = min p_k / w_k", function()
    -- Identical models: the interim p is 1 > futility, so the test ends after the first look.
    local h = {statement = "no change", prompts = {"Alice went", "Bob read"}, measure = function(_, c) return #c > 10 end,
      direction = "increase", expected_effect = 0.3}
    local t = discern.behavior.test(h, m, m, {n = 40, seed = 3, store = false, futility = 0.5, sampling = {max_new_tokens = 4, stop = {}},
      looks = {{fraction = 0.25, weight = 0.2}, {fraction = 0.5, weight = 0.3}, {fraction = 1, weight = 0.5}}})
    assert.equal(t.stopped, "futility")
    assert.equal(t.n.base, 10)
    assert.equal(t.pvalue, math.min(1, t.pvalue_last_look / 0.2))
  end)
end)

describe("the mechanistic pipeline", function()
  local base, model = planted_pair()
  it("screens, groups, interprets and validates a planted output shift", function()
    local store = tmpstore()
    local run = discern.diff(opts{base = base, model = model, store = store})
    assert.equal(run.status, "done")
    for _, name in ipairs(discern.pipelines.mechanistic.order) do assert.truthy(run.steps[name] ~= nil, name) end
    local screen = run:step("screen")
    assert.truthy(#screen.events > 0)
    assert.truthy(screen.kl_quantiles.median > 0)
    assert.equal(screen.prompt_features:shape()[1], 24)
    -- The ADL read of the answer-start difference names the planted token first.
    assert.equal(screen.adl.promoted[1].token:gsub("%s", ""), "cat")
    local mechs = run:step("mechanisms")
    assert.truthy(#mechs >= 1)
    assert.truthy(mechs[1].summary:find("cat", 1, true), mechs[1].summary)
    assert.truthy(#run:findings() >= 1, "no finding")
    local f = run:findings()[1]
    assert.truthy(f.statement:find("cat", 1, true), f.statement)
    assert.equal(f.origin.pipeline, "mechanistic")
    assert.truthy(f.effect > 0)
    -- Meta-analysis per mechanism with two tests or more (reported).
    for _, m in ipairs(run:step("meta")) do
      assert.truthy(m.tests >= 2 and m.ci.lower <= m.estimate and m.estimate <= m.ci.upper)
    end
    -- Causal check on the finding's features (reported, not a decision).
    assert.truthy(type(run:step("causal")) == "table")
    -- Exploration record: arm, hypothesis, reward and the policy's state per round, FDR order kept.
    local rounds = run:step("explore").rounds
    assert.equal(#rounds, #run:tests())
    for i, r in ipairs(rounds) do
      assert.truthy(r.arm and r.hypothesis and r.reward and r.state)
      assert.equal(run:fdr().tests[i].pvalue, run:tests()[i].pvalue)
    end
    -- Ledger: screening and basis are forward passes; validation generates.
    local steps = {}
    for _, s in ipairs(run:ledger().steps) do steps[s.step] = s.counts end
    assert.truthy(steps.screen.prefill_tokens > 0 and steps.basis.prefill_tokens > 0)
    assert.truthy(steps.validate.generated_tokens > 0)
    -- Rerun with the same store: the same tests and findings.
    local again = discern.diff(opts{base = base, model = model, store = store})
    assert.equal(#again:tests(), #run:tests())
    for i, t in ipairs(again:tests()) do assert.equal(t.pvalue, run:tests()[i].pvalue) end
  end)

  it("screens a plain-text corpus instead of greedy answers", function()
    local corpus = {}
    for i = 1, 24 do corpus[i] = prompts[i] .. " and then the story goes on with more words here" end
    local run = discern.diff(opts{base = base, model = model, store = false, corpus = corpus, max_rounds = 1})
    assert.equal(#run:step("texts"), 24)
    assert.equal(run:step("texts")[1].text, corpus[1])
    assert.truthy(#run:step("texts")[1].prompt < #corpus[1])
    assert.truthy(#run:step("screen").events > 0)
    -- No greedy screening answers: the screen step generates only the ADL-steered answers (4 prompts, steered
    -- and not).
    for _, s in ipairs(run:ledger().steps) do
      if s.step == "screen" then assert.equal(s.counts.samples, 8) end
    end
  end)

  it("draws a hypothesis's prompts from each built-in generator", function()
    local run = discern.diff(opts{base = base, model = model, store = false, max_rounds = 1})
    local p = run:step("mechanisms")[1].patterns[1]
    for _, name in ipairs({"retrieval", "neighbours", "kl", "perturb"}) do
      run.opts.generator = name
      local hs = discern.pipelines.mechanistic.make_hypotheses(run, p)
      assert.truthy(#hs > 0, name)
      local ps = hs[1].prompts:draw(discern.random.new(1), 12)
      assert.equal(#ps, 12)
      for _, x in ipairs(ps) do assert.equal(type(x), "string") end
      assert.equal(hs[1].origin.generator, name)
    end
  end)

  it("finds nothing on a model against itself", function()
    local run = discern.diff(opts{base = base, model = base, store = false})
    assert.equal(#run:step("screen").events, 0)
    assert.equal(#run:findings(), 0)
  end)

  it("takes template, generator and strategy swaps between rounds", function()
    local seen = {}
    local swapped = {name = "output_shift", description = "swapped in mid-run", priority = 0,
      applies = function(p) return p.model_phrase ~= nil end,
      make = function(p, ctx)
        return {{statement = "SWAPPED: the model says " .. p.model_phrase, prompts = ctx.prompts(), direction = "increase",
          measure = ctx.measure.contains{p.model_phrase, "zzzq"}, expected_effect = 0.5}}
      end}
    local original = discern.hypotheses.get("output_shift")
    local ok, err = pcall(function()
      local run = discern.diff(opts{base = base, model = model, store = false, max_rounds = 4,
        on_round = function(r, round)
          seen[#seen + 1] = round
          if round == 1 then
            discern.hypotheses.register(swapped)
            r.opts.generator = "kl"
            r.opts.strategy = "ucb1"
            -- A fresh pattern queue so the next round makes hypotheses with what is registered now.
            for _, arm in ipairs(r:step("hypotheses")) do arm.queue = {}; arm.next_pattern = 1 end
          end
        end})
      local rounds = run:step("explore").rounds
      assert.truthy(#rounds >= 2)
      assert.equal(rounds[1].strategy, "thompson")
      assert.equal(rounds[2].strategy, "ucb1")
      assert.equal(run:step("explore").strategy, "ucb1")
      assert.truthy(run:tests()[2].statement:find("^SWAPPED"), run:tests()[2].statement)
      assert.equal(run:tests()[2].origin.generator, "kl")
      assert.equal(run:tests()[1].origin.generator, "retrieval")
    end)
    discern.hypotheses.register(original)
    assert.truthy(ok, tostring(err))
    assert.truthy(#seen >= 2)
  end)

  it("rejects transcoders of another model, a pair that tokenizes differently and a bad transcoders option", function()
    local llama = discern.model.load(LLAMA)
    assert.errors(function() discern.diff(opts{base = base, model = llama, store = false}) end, {contains = "tokenize"})
    assert.errors(function() discern.diff(opts{base = base, model = model, store = false, transcoders = 3}) end,
      {contains = "option 'transcoders'"})
    -- Transcoders trained on the planted model record its fingerprint: they are not the base model's.
    local texts = {}
    for i = 1, 40 do texts[i] = prompts[i] .. " and then some more words follow here" end
    local tc = discern.circuit.train_transcoders(model, texts, {steps = 3, batch_size = 64, expansion = 2, k = 4, progress = false})
    assert.errors(function() discern.diff(opts{base = base, model = model, store = false, transcoders = tc}) end,
      {contains = "not trained on the base model"})
    assert.errors(function() discern.diff(opts{base = llama, model = llama, store = false, transcoders = tc}) end,
      {contains = "was made for a gpt2 model"})
  end)
end)
