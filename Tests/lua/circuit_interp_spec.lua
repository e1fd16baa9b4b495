local discern = require "discern"
local GPT2 = "Tests/Fixtures/models/gpt2"
local PLT = "Tests/Fixtures/transcoders/plt"
local CLT = "Tests/Fixtures/transcoders/clt"

local corpus = {
  "The cat sees a big apple.",
  "Alice says the weather is rain today",
  "42 birds",
  "we bake bread and butter. They write new ideas",
  "The dog and the cat eat bread.",
  "Bob says the apple is big",
}

describe("discern.circuit.logit_lens", function()
  local m = discern.model.load(GPT2)
  local plt = discern.circuit.load_transcoders(PLT)
  local clt = discern.circuit.load_transcoders(CLT)

  it("returns promoted (highest first) and suppressed (lowest first) tokens with ids and scores", function()
    for _, tc in ipairs({plt, clt}) do
      local lens = discern.circuit.logit_lens(m, tc, 1, 3, {k = 5})
      assert.equal(lens.layer, 1)
      assert.equal(lens.feature, 3)
      assert.equal(#lens.promoted, 5)
      assert.equal(#lens.suppressed, 5)
      for i = 2, 5 do
        assert.truthy(lens.promoted[i - 1].score >= lens.promoted[i].score)
        assert.truthy(lens.suppressed[i - 1].score <= lens.suppressed[i].score)
      end
      assert.truthy(lens.promoted[5].score > lens.suppressed[5].score)
      for _, e in ipairs(lens.promoted) do
        assert.equal(math.type(e.id), "integer")
        assert.equal(e.token, m:to_string({e.id}))
      end
    end
  end)

  it("defaults to k = 10, takes a list of features, and final_norm changes the scores", function()
    local one = discern.circuit.logit_lens(m, plt, 0, 2)
    assert.equal(#one.promoted, 10)
    local many = discern.circuit.logit_lens(m, plt, 0, {2, 5})
    assert.equal(#many, 2)
    -- A batch of features is one matrix product, a single feature a vector product: the same tokens,
    -- scores equal to float32 rounding (BLAS kernels sum in different orders).
    assert.equal(many[1].feature, one.feature)
    for _, side in ipairs({"promoted", "suppressed"}) do
      for i, e in ipairs(one[side]) do
        assert.equal(many[1][side][i].id, e.id)
        assert.equal(many[1][side][i].token, e.token)
        assert.truthy(math.abs(many[1][side][i].score - e.score) <= 1e-5 * math.max(1, math.abs(e.score)))
      end
    end
    assert.equal(many[2].feature, 5)
    local normed = discern.circuit.logit_lens(m, plt, 0, 2, {final_norm = true})
    assert.truthy(normed.promoted[1].score ~= one.promoted[1].score)
  end)

  it("names bad arguments", function()
    assert.errors(function() discern.circuit.logit_lens(plt, plt, 0, 0) end, {code = "arg", contains = "bad argument #1 (discern.Model expected"})
    assert.errors(function() discern.circuit.logit_lens(m, m, 0, 0) end, {code = "arg", contains = "bad argument #2 (discern.Transcoders expected"})
    assert.errors(function() discern.circuit.logit_lens(m, plt, 2, 0) end,
      {code = "arg", message = "discern.circuit.logit_lens: bad argument #3 (layer must be in 0..<2, got 2)"})
    assert.errors(function() discern.circuit.logit_lens(m, plt, 0, 32) end, {contains = "bad argument #4 (feature must be in 0..<32, got 32)"})
    assert.errors(function() discern.circuit.logit_lens(m, plt, 0, {1, -1}) end, {contains = "features must be in 0..<32 at layer 0, got -1"})
    assert.errors(function() discern.circuit.logit_lens(m, plt, 0, "x") end, {contains = "bad argument #4 (feature index or list"})
    assert.errors(function() discern.circuit.logit_lens(m, plt, 0, 0, {k = 0}) end, {contains = "option 'k' must be in 1..384"})
    assert.errors(function() discern.circuit.logit_lens(m, plt, 0, 0, {top = 3}) end, {contains = "unknown option 'top'"})
  end)
end)

describe("discern.circuit.feature_contexts", function()
  local m = discern.model.load(GPT2)
  local plt = discern.circuit.load_transcoders(PLT)
  local dir = os.tmpname()
  os.remove(dir)
  local store_path = dir .. "-interp.sqlite"

  it("keeps the top contexts of every feature, equal to a dense scan", function()
    local fc = discern.circuit.feature_contexts(m, plt, corpus, {k = 3, store = false, progress = false})
    assert.equal(fc:type(), "discern.FeatureContexts")
    assert.truthy(tostring(fc):find("discern.FeatureContexts(2 layers, 32 features/layer, k 3, 6 texts, ", 1, true))
    assert.equal(fc:cached(), false)
    local info = fc:info()
    assert.equal(info.k, 3)
    assert.equal(info.d_transcoder, {32, 32})
    assert.equal(info.texts, #corpus)
    assert.equal(info.window, 8)
    assert.equal(info.forward_passes, 1)
    -- dense scan: every text separately, BOS prepended, position 0 left out
    local best = {}  -- best[layer][feature] = {activation, text, position}
    local active = {}
    for ti, text in ipairs(corpus) do
      local toks = m:to_tokens(text, {prepend_bos = true})
      local names = {"blocks.0.ln2.hook_normalized", "blocks.1.ln2.hook_normalized"}
      local _, cache = m:run_with_cache(toks, {names_filter = names})
      for layer = 0, 1 do
        local acts = plt:encode(layer, cache[names[layer + 1]]):tolist()[1]
        best[layer] = best[layer] or {}
        active[layer] = active[layer] or {}
        for pos = 2, #acts do
          for f = 1, 32 do
            local a = acts[pos][f]
            if a ~= 0 then
              active[layer][f] = (active[layer][f] or 0) + 1
              local b = best[layer][f]
              if not b or a > b[1] then best[layer][f] = {a, ti, pos - 1} end
            end
          end
        end
      end
    end
    local live = 0
    for layer = 0, 1 do
      for f = 1, 32 do
        local top = fc:top(layer, f - 1)
        local b = best[layer][f]
        assert.equal(fc:active_count(layer, f - 1), active[layer][f] or 0)
        assert.near(fc:density(layer, f - 1), (active[layer][f] or 0) / info.scored_tokens, 1e-12)
        if b then
          live = live + 1
          assert.near(top[1].activation, b[1], 1e-5)
          assert.equal(top[1].text_index, b[2])
          assert.equal(top[1].position, b[3])
          assert.near(fc:max_activation(layer, f - 1), b[1], 1e-5)
          assert.truthy(fc:mean_activation(layer, f - 1) <= b[1] + 1e-6)
          assert.truthy(#top <= 3)
        else
          assert.equal(#top, 0)
          assert.equal(fc:max_activation(layer, f - 1), nil)
        end
      end
    end
    assert.truthy(live > 20)
  end)

  it("shows context windows with the activating token marked; text_index is 1-based", function()
    local fc = discern.circuit.feature_contexts(m, plt, corpus, {k = 4, window = 2, store = false, progress = false})
    local seen = 0
    for f = 0, 31 do
      for _, c in ipairs(fc:top(0, f)) do
        assert.equal(c.context, c.left .. "«" .. c.token .. "»" .. c.right)
        assert.equal(c.token, m:to_string({c.token_id}))
        assert.truthy(c.position >= 1)
        local whole = fc:top(0, f, {window = 100})
        for _, w in ipairs(whole) do
          assert.equal(w.left .. w.token .. w.right, corpus[w.text_index])
        end
        seen = seen + 1
      end
    end
    assert.truthy(seen > 10)
    local line = fc:describe(0, 1)
    assert.truthy(line:find("^layer 0 feature 1: ") ~= nil)
    assert.truthy(line:find("; promotes '", 1, true) ~= nil)
    assert.truthy(line:find("; suppresses '", 1, true) ~= nil)
  end)

  it("caches the index in a store: the second call reads it back", function()
    local a = discern.circuit.feature_contexts(m, plt, corpus, {k = 3, store = store_path, progress = false})
    assert.equal(a:cached(), false)
    assert.truthy(a:info().forward_passes > 0)
    local b = discern.circuit.feature_contexts(m, plt, corpus, {k = 3, batch_size = 2, store = store_path, progress = false})
    assert.equal(b:cached(), true)
    assert.equal(b:info().forward_passes, 0)
    assert.equal(b:info().key, a:info().key)
    assert.truthy(tostring(b):find(", cached)", 1, true))
    for f = 0, 31 do
      assert.equal(b:top(1, f), a:top(1, f))
      assert.equal(b:density(1, f), a:density(1, f))
    end
    local s = discern.store.open(store_path)
    assert.equal(s:has(a:info().key), true)
    local c = discern.circuit.feature_contexts(m, plt, {corpus[1], corpus[2]}, {k = 3, store = s, progress = false})
    assert.equal(c:cached(), false)
    assert.truthy(c:info().key ~= a:info().key)
    local d = discern.circuit.feature_contexts(m, plt, corpus, {k = 4, store = s, progress = false})
    assert.equal(d:cached(), false)
    os.remove(store_path)
  end)

  it("samples a discern.World corpus", function()
    local world = discern.organisms.world{seed = 3}
    local fc = discern.circuit.feature_contexts(m, plt, world, {n_texts = 5, seed = 7, max_tokens = 32, store = false, progress = false})
    assert.equal(fc:info().texts, 5)
    local texts = {}
    for i, d in ipairs(world:sample(5, {seed = 7})) do texts[i] = d.text end
    local same = discern.circuit.feature_contexts(m, plt, texts, {max_tokens = 32, store = false, progress = false})
    assert.equal(same:top(1, 4), fc:top(1, 4))
    assert.errors(function() discern.circuit.feature_contexts(m, plt, corpus, {n_texts = 3, store = false}) end,
      {contains = "option 'n_texts' only applies to a discern.World corpus"})
  end)

  it("names bad arguments and options", function()
    local fc = discern.circuit.feature_contexts(m, plt, corpus, {k = 2, store = false, progress = false})
    local fn = "discern.circuit.feature_contexts"
    assert.errors(function() discern.circuit.feature_contexts(m, plt, "text", {store = false}) end,
      {code = "arg", contains = fn .. ": bad argument #3 (list of strings or discern.World expected, got string)"})
    assert.errors(function() discern.circuit.feature_contexts(m, plt, {}, {store = false}) end, {contains = "the corpus is empty"})
    assert.errors(function() discern.circuit.feature_contexts(m, plt, {"a", 3}, {store = false}) end, {contains = "element 2 is number"})
    assert.errors(function() discern.circuit.feature_contexts(m, plt, corpus, {bogus = 1}) end, {contains = "unknown option 'bogus'"})
    assert.errors(function() discern.circuit.feature_contexts(m, plt, corpus, {k = 0, store = false}) end, {contains = "option 'k' must be at least 1"})
    assert.errors(function() discern.circuit.feature_contexts(m, plt, corpus, {max_tokens = 65, store = false}) end,
      {contains = "option 'max_tokens' must be in 1..64"})
    assert.errors(function() discern.circuit.feature_contexts(m, plt, corpus, {batch_size = 0, store = false}) end,
      {contains = "option 'batch_size' must be at least 1"})
    assert.errors(function() discern.circuit.feature_contexts(m, plt, corpus, {store = 42}) end, {contains = "option 'store' must be"})
    assert.errors(function() fc:top(2, 0) end,
      {code = "arg", message = "discern.FeatureContexts:top: bad argument #1 (layer must be in 0..<2, got 2)"})
    assert.errors(function() fc:density(0, 32) end, {contains = "bad argument #2 (feature must be in 0..<32, got 32)"})
    assert.errors(function() fc:top(0, 0, {window = -1}) end, {contains = "option 'window' must be at least 0"})
    assert.errors(function() fc:describe(0, 0, {tokens = 0}) end, {contains = "option 'tokens' must be at least 1"})
    assert.errors(function() fc:max_activation("a", 0) end, {contains = "bad argument #1 (layer index expected, got string)"})
    fc:release()
    assert.errors(function() fc:top(0, 0) end, {code = "released"})
  end)
end)
