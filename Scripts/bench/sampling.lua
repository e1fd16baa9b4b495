-- Sampler overhead: generated tokens/s of discern.sampling.sample (cache off, and writing a fresh store)
-- against model:generate alone, same prompts, settings and threads, measured in the same run.
--   discern run Scripts/bench/sampling.lua [model_dir] [prompts] [n] [max_new_tokens] [repeats]
-- Target: the sampler's overhead ≤ 5 % (ratio ≥ 0.95 of generate's tokens/s).
local discern = require "discern"
local dir = arg and arg[1] or "Tests/Fixtures/models/gpt2"
local n_prompts = math.tointeger(tonumber(arg and arg[2] or "128"))
local n = math.tointeger(tonumber(arg and arg[3] or "4"))
local max_new = math.tointeger(tonumber(arg and arg[4] or "32"))
local repeats = math.tointeger(tonumber(arg and arg[5] or "3"))
local m = discern.model.load(dir)
local prompts = {}
for i = 1, n_prompts do prompts[i] = "Sample " .. i .. " of the bench:" end
local opts = {n = n, max_new_tokens = max_new, temperature = 1, seed = 1, batch_size = 32, stop_at_eos = false}

local function tokens_of(samples, field)
  local t = 0
  for _, s in ipairs(samples) do t = t + (field == "tokens" and #s.tokens or s.generated_tokens) end
  return t
end

local function best(fn)
  local b = math.huge
  local tokens
  for _ = 1, repeats do
    local t0 = discern.clock()
    tokens = fn()
    b = math.min(b, discern.clock() - t0)
  end
  return tokens, b
end

local gen_tokens, gen_s = best(function() return tokens_of(m:generate(prompts, opts), "tokens") end)
local so = {n = n, max_new_tokens = max_new, temperature = 1, seed = 1, batch_size = 32, stop_at_eos = false, store = false, progress = false}
local s_tokens, s_s = best(function() return tokens_of(discern.sampling.sample(m, prompts, so), "generated") end)
local w_tokens, w_s = best(function()
  local path = os.tmpname(); os.remove(path)
  so.store = discern.store.open(path .. ".sqlite")
  local r = tokens_of(discern.sampling.sample(m, prompts, so), "generated")
  os.remove(path .. ".sqlite")
  return r
end)
local c_tokens, c_s = best(function() return tokens_of(discern.sampling.sample(m, prompts, so), "generated") end)

print(string.format("sampler bench: %s, %d prompts × %d, %d new tokens, best of %d, %d threads", dir, n_prompts, n, max_new,
  repeats, discern.num_threads()))
print(string.format("%-34s %12s %10s %8s", "", "tokens", "tokens/s", "ratio"))
local ref = gen_tokens / gen_s
local function row(name, t, s) print(string.format("%-34s %12d %10.0f %8.3f", name, t, t / s, (t / s) / ref)) end
row("model:generate (reference)", gen_tokens, gen_s)
row("sampling.sample, no store", s_tokens, s_s)
row("sampling.sample, fresh store", w_tokens, w_s)
row("sampling.sample, all cached", c_tokens, c_s)
