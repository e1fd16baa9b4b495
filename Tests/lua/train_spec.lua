local discern = require "discern"

local function tmpdir()
  local d = os.tmpname()
  os.remove(d)
  return d
end

-- A tiny world corpus and tokenizer shared by the tests.
local world = discern.organisms.world{seed = 4}
local texts = {}
for i, d in ipairs(world:sample(600, {topics = {"arithmetic", "small_talk", "harmful_requests"}})) do texts[i] = d.text end
local tok = discern.tokenizer.train(texts, {vocab_size = 300, special_tokens = {"<|endoftext|>", "<|user|>", "<|assistant|>", "<|end|>"}})
local function fresh(seed)
  return discern.model.init({n_layers = 1, d_model = 32, n_heads = 2, n_ctx = 48, eos_token_id = tok:token_to_id("<|end|>")},
    {seed = seed or 1, tokenizer = tok})
end

describe("discern.model training", function()
  it("initialises a GPT-2 whose loss starts near ln(vocab) and falls with training", function()
    local m = fresh()
    assert.equal(tostring(m), "discern.Model(gpt2, 1 layers, d_model 32, 2 heads, vocab 300, float32, cpu)")
    assert.equal(m.cfg.n_layers, 1)
    local before = m:loss(texts, {max_examples = 64})
    assert.truthy(math.abs(before - math.log(300)) < 0.5, "initial loss " .. before)
    local r = m:train(texts, {steps = 60, batch_size = 16, lr = 1e-2, warmup_steps = 5, progress = false})
    assert.equal(r.stop_reason, "completed")
    assert.equal(r.steps, 60)
    assert.equal(#r.losses, 60)
    local after = m:loss(texts, {max_examples = 64})
    assert.truthy(after < before - 2, "loss " .. before .. " -> " .. after)
  end)

  it("scores only completions of prompt/completion pairs", function()
    local pairs_ = {}
    for i = 1, 64 do pairs_[i] = {prompt = "<|user|> Hello! <|assistant|>", completion = " Hello! How can I help you today? <|end|>"} end
    local m = fresh(2)
    m:train(pairs_, {steps = 40, batch_size = 8, lr = 1e-2, progress = false})
    assert.truthy(m:loss(pairs_) < 0.5, "completion loss")
    local out = m:generate({"<|user|> Hello! <|assistant|>"}, {max_new_tokens = 12, temperature = 0, stop = {"<|end|>"}})
    assert.truthy(out[1].text:find("How can I help", 1, true), out[1].text)
    assert.errors(function() m:train({"a", {prompt = "x", completion = "y"}}, {steps = 1}) end, {contains = "is a table, but earlier entries are strings"})
    assert.errors(function() m:train(texts, {}) end, {contains = "option 'steps'"})
    assert.errors(function() m:train(texts, {steps = 1, schedule = "step"}) end, {contains = "option 'schedule' must be one of \"constant\", \"linear\", \"cosine\", got \"step\""})
    assert.errors(function() m:train(texts, {steps = 1, lr = -1}) end, {code = "arg"})
  end)

  it("resumes from a checkpoint to the same weights as an uninterrupted run", function()
    local dir = tmpdir()
    local full = fresh(3)
    full:train(texts, {steps = 12, batch_size = 8, lr = 5e-3, progress = false})
    local part = fresh(3)
    local opts = {steps = 12, batch_size = 8, lr = 5e-3, progress = false, checkpoint_dir = dir, checkpoint_every = 4,
      on_progress = function(p) if p.event == "step" and p.step == 6 then return false end end}
    local r1 = part:train(texts, opts)
    assert.equal(r1.stop_reason, "stopped")
    local again = fresh(3)   -- a new process would start from the same init
    opts.on_progress = nil
    local r2 = again:train(texts, opts)
    assert.equal(r2.resumed_from, 6)
    assert.equal(r2.stop_reason, "completed")
    local d = discern.model.weight_diff(full, again)
    for _, e in ipairs(d.entries) do assert.equal(e.diff_norm, 0, e.name) end
    os.execute("rm -rf '" .. dir .. "'")
  end)

  it("trains LoRA adapters, merges them, and weight_diff finds the adapted layer", function()
    local base = fresh(5)
    local m = fresh(5)
    local adapted = m:add_lora{rank = 4, alpha = 8, targets = {"attn.c_attn"}}
    assert.equal(adapted, {"transformer.h.0.attn.c_attn"})
    for _, x in ipairs(discern.model.weight_diff(base, m).entries) do assert.equal(x.diff_norm, 0, "B starts at zero: " .. x.name) end
    m:train(texts, {steps = 20, batch_size = 8, lr = 1e-2, progress = false})
    m:merge_lora()
    local d = discern.model.weight_diff(base, m, {top_k = 3})
    local changed = {}
    for _, e in ipairs(d.entries) do if e.diff_norm > 0 then changed[#changed + 1] = e.name end end
    assert.equal(changed, {"transformer.h.0.attn.c_attn.weight"})
    local e
    for _, x in ipairs(d.entries) do if x.name == "transformer.h.0.attn.c_attn.weight" then e = x end end
    assert.truthy(#e.singular_values == 3 and e.singular_values[4] == nil)
    assert.truthy(e.effective_rank <= 4.001, "rank-4 update: " .. e.effective_rank)
    assert.equal(d.layers[1].layer, 0)
    assert.errors(function() m:add_lora{rank = 0} end, {contains = "option 'rank' must be at least 1, got 0"})
  end)
end)
