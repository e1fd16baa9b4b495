local discern = require "discern"

local function tmpdir()
  local d = os.tmpname()
  os.remove(d)
  return d
end

-- A tiny world corpus, tokenizer and (untrained) model shared by the tests: transcoders learn whatever
-- the MLPs compute, trained or not.
local world = discern.organisms.world{seed = 5}
local texts = {}
for i, d in ipairs(world:sample(300)) do texts[i] = d.text end
local tok = discern.tokenizer.train(texts, {vocab_size = 300, special_tokens = {"<|endoftext|>", "<|user|>", "<|assistant|>", "<|end|>"}})
local model = discern.model.init({n_layers = 2, d_model = 32, n_heads = 2, n_ctx = 48}, {seed = 1, tokenizer = tok})
local small = {steps = 30, batch_size = 256, expansion = 4, k = 8, progress = false}

local function with(t, extra)
  local out = {}
  for k, v in pairs(t) do out[k] = v end
  for k, v in pairs(extra or {}) do out[k] = v end
  return out
end

describe("discern.circuit.train_transcoders", function()
  it("rejects bad arguments with messages that name the problem", function()
    local train = discern.circuit.train_transcoders
    assert.errors(function() train(model, texts, {}) end, {contains = "option 'steps'"})
    assert.errors(function() train(model, texts, with(small, {colour = "red"})) end, {contains = "unknown option 'colour'"})
    assert.errors(function() train(model, texts, with(small, {activation = "relu"})) end,
      {contains = "option 'activation' must be one of \"topk\", \"batchtopk\", got \"relu\""})
    assert.errors(function() train(model, texts, with(small, {export = "jumprelu"})) end,
      {contains = "export \"jumprelu\" needs activation \"batchtopk\""})
    assert.errors(function() train(model, texts, with(small, {layers = {0, 2}})) end,
      {contains = "layer 2 is out of range: the model has layers 0..<2 (0-based)"})
    assert.errors(function() train(model, texts, with(small, {width = 64, expansion = 2})) end,
      {contains = "either 'width' or 'expansion'"})
    assert.errors(function() train(model, texts, with(small, {k = 0})) end, {contains = "option 'k' must be at least 1, got 0"})
    assert.errors(function() train(model, texts, with(small, {k = 1000})) end, {contains = "k must be in 1...128"})
    assert.errors(function() train(model, 42, small) end, {contains = "bad argument #2 (corpus"})
    assert.errors(function() train(model, nil, small) end, {contains = "bad argument #2 (corpus"})
    assert.errors(function() train("model", texts, small) end, {contains = "bad argument #1 (discern.Model expected, got string)"})
    assert.errors(function() train(model, {}, small) end, {contains = "corpus is an empty list"})
    assert.errors(function() train(model, {"a", 3}, small) end, {contains = "corpus[2] must be a string, got number"})
    assert.errors(function() train(model, "/nonexistent/corpus.txt", small) end, {contains = "cannot read the text file /nonexistent/corpus.txt"})
    assert.errors(function() train(model, function() return 7 end, small) end,
      {contains = "the iterator's result 1 is a number, expected a string"})
    assert.errors(function() train(model, function() return nil end, small) end, {contains = "the iterator returned no string"})
    -- A World whose samples lack text, or whose texts hold no tokens, is an error (it used to loop forever).
    local function fake_world(items) return setmetatable({sample = function() return items end}, {__name = "discern.World"}) end
    assert.errors(function() train(model, fake_world({{speaker = "a"}}), small) end,
      {contains = "World:sample item 1 has no string field text"})
    assert.errors(function() train(model, fake_world({{text = ""}}), small) end, {contains = "World:sample gave no tokens"})
    assert.errors(function() train(model, texts, with(small, {on_progress = 3})) end, {contains = "'on_progress' must be a function"})
    local bare = discern.model.init({n_layers = 1, d_model = 16, n_heads = 2, n_ctx = 16, d_vocab = 50})
    assert.errors(function() train(bare, texts, small) end, {contains = "the model has no tokenizer"})
    assert.errors(function() train(model, {"<|user|>"}, small) end, {contains = "at least 2 are needed"})
  end)

  it("trains every layer from a list of strings, saves a loadable set and reports metrics", function()
    local out = tmpdir()
    local seen = 0
    local tc, m = discern.circuit.train_transcoders(model, texts, with(small, {out = out, on_progress = function(p)
      if p.event == "step" then
        seen = seen + 1
        assert.equal(#p.fvu, 2)
        assert.equal(p.layers, {0, 1})
      end
    end}))
    assert.equal(seen, 30)
    assert.equal(tostring(tc), "discern.Transcoders(TranscoderSet(2 layers, d_model 32, 128 features, ln2.hook_normalized → hook_mlp_out), " .. out .. ")")
    local info = tc:info()
    assert.equal(info.activation, {"topk", "topk"})
    assert.equal(info.k, {8, 8})
    assert.equal(m.stop_reason, "completed")
    assert.equal(m.steps, 30)
    assert.equal(m.tokens_seen, 30 * 256)
    assert.equal(#m.history.fvu, 30)
    assert.equal(#m.layers, 2)
    for i, l in ipairs(m.layers) do
      assert.equal(l.layer, i - 1)
      assert.truthy(l.fvu > 0 and l.fvu < 1, "held-out FVU " .. l.fvu)
      assert.equal(l.l0, 8)
      assert.truthy(l.dead_fraction >= 0 and l.dead_fraction <= 1)
    end
    assert.truthy(m.history.fvu[30][1] < m.history.fvu[1][1], "the training FVU falls")
    for _, key in ipairs({"clean_loss", "spliced_loss", "zero_ablation_loss", "loss_increase"}) do
      assert.truthy(type(m.spliced[key]) == "number", key)
    end
    assert.truthy(m.held_out_tokens > 0)
    assert.equal(m.path, out)
    assert.truthy(discern.fs.exists(out .. "/metrics.json"))
    local saved = discern.json.decode(discern.fs.read(out .. "/metrics.json"))
    assert.equal(saved.layers[1].fvu, m.layers[1].fvu)
    local back = discern.circuit.load_transcoders(out)
    local x = discern.tensor.randn({3, 32}, {seed = 1})
    assert.equal(back:encode(1, x):tolist(), tc:encode(1, x):tolist())
  end)

  it("trains from an iterator with BatchTopK, exported as JumpReLU", function()
    local i = 0
    local function next_text()
      i = i + 1
      return texts[(i - 1) % #texts + 1]
    end
    local tc, m = discern.circuit.train_transcoders(model, next_text, with(small, {activation = "batchtopk", threshold_start_step = 5}))
    assert.equal(tc:info().activation, {"jumprelu", "jumprelu"})
    assert.equal(m.training.export, "jumprelu")
    -- The iterator is read until steps·batch_size + eval_tokens tokens, not to its (infinite) end.
    assert.truthy(i > 100 and i < 2000, "iterator calls: " .. i)
    for _, l in ipairs(m.layers) do assert.truthy(l.l0 > 0 and l.l0 < 32, "L0 " .. l.l0) end
  end)

  it("trains a subset of layers from a World and a text file; subsets return nil plus metrics", function()
    local tc, m = discern.circuit.train_transcoders(model, discern.organisms.world{seed = 9}, with(small, {layers = {1}}))
    assert.equal(tc, nil)
    assert.equal(#m.layers, 1)
    assert.equal(m.layers[1].layer, 1)
    local path = os.tmpname()
    local f = io.open(path, "w")
    for j = 1, 60 do f:write(texts[j], "\n", texts[j + 60], "\n\n") end
    f:close()
    local tc2, m2 = discern.circuit.train_transcoders(model, path, with(small, {steps = 5, skip = true}))
    assert.equal(tc2:info().skip, {true, true})
    assert.equal(m2.steps, 5)
    -- One document per line (trailing blank lines do not make it paragraph-separated).
    f = io.open(path, "w")
    for j = 1, 120 do f:write(texts[j], "\n") end
    f:write("\n\n")
    f:close()
    local _, m3 = discern.circuit.train_transcoders(model, path, with(small, {steps = 5}))
    os.remove(path)
    assert.equal(m3.steps, 5)
  end)

  it("stops through on_progress with a checkpoint and resumes to the same result", function()
    local dir = tmpdir()
    local _, full = discern.circuit.train_transcoders(model, texts, with(small, {steps = 12}))
    local opts = with(small, {steps = 12, checkpoint_dir = dir, checkpoint_every = 5,
      on_progress = function(p) if p.event == "step" and p.step == 7 then return false end end})
    local _, part = discern.circuit.train_transcoders(model, texts, opts)
    assert.equal(part.stop_reason, "stopped")
    assert.equal(part.steps, 7)
    opts.on_progress = nil
    local _, again = discern.circuit.train_transcoders(model, texts, opts)
    assert.equal(again.resumed_from, 7)
    assert.equal(again.history, full.history)
    assert.equal(again.layers, full.layers)
    -- max_seconds ends the run after the step that passes it, still with transcoders and metrics.
    local tc, timed = discern.circuit.train_transcoders(model, texts, with(small, {steps = 12, max_seconds = 0}))
    assert.equal(timed.stop_reason, "max_seconds")
    assert.equal(timed.steps, 1)
    assert.equal(tc:info().n_layers, 2)
  end)
end)
