-- Online FDR with a bandit: a stream of hypotheses tested with SAFFRON while a bandit decides
-- which probe generator to spend the next batch of samples on.
--   Scripts/discern run Scripts/examples/online_fdr.lua [rounds] [seed]
--
-- Each probe generator covers one region of prompts. For every round the strategy picks a
-- generator; we draw n prompts from it, record whether each model shows the behaviour, test
-- "the behaviour rate differs between the models in this region" with Fisher's exact test on
-- fresh samples, and feed the p-value to SAFFRON. The bandit is rewarded with 1 - p while the
-- region has no discovery yet, and with 0 once it has one (a confirmed region teaches nothing new),
-- so budget flows to regions that look different and then moves on. Here the two models are simulated by Bernoulli draws with
-- known rates (two regions carry a planted difference), so the discoveries can be checked; with
-- real models the same loop samples completions and applies a detector.
local discern = require "discern"
local stats = discern.stats

local rounds = tonumber(arg and arg[1]) or 120
local seed = math.tointeger(tonumber(arg and arg[2]) or 7)
local n = 60  -- samples per model per test

-- Behaviour rates (base, intervened) per region; "cooking" and "reviews" differ.
local regions = {
  {name = "capitals", base = 0.10, intervened = 0.10},
  {name = "cooking", base = 0.05, intervened = 0.45},
  {name = "reviews", base = 0.20, intervened = 0.40},
  {name = "weather", base = 0.15, intervened = 0.15},
  {name = "arithmetic", base = 0.08, intervened = 0.08},
}
local by_name, names = {}, {}
for i, r in ipairs(regions) do by_name[r.name], names[i] = r, r.name end

-- A seeded uniform stream (SplitMix64) for the simulated models.
local state = seed
local function uniform()
  state = state + 0x9E3779B97F4A7C15
  local z = state
  z = (z ~ (z >> 30)) * 0xBF58476D1CE4E5B9
  z = (z ~ (z >> 27)) * 0x94D049BB133111EB
  z = z ~ (z >> 31)
  return (z >> 11) * 0x1.0p-53
end
local function count(rate)
  local k = 0
  for _ = 1, n do if uniform() < rate then k = k + 1 end end
  return k
end

discern.strategy.use("thompson")
local policy = discern.strategy.policy(names, {seed = seed})
local saffron = stats.saffron{alpha = 0.05}  -- R onlineFDR defaults: w0 = alpha/2, lambda = 0.5

local discoveries, tested = {}, {}
print(string.format("%-5s %-11s %8s %8s %10s %10s %s", "t", "region", "base", "interv.", "p", "alpha_t", "decision"))
for t = 1, rounds do
  local region = policy:select()
  local r = by_name[region]
  local kb, ki = count(r.base), count(r.intervened)
  local test = stats.fisher_exact({{ki, n - ki}, {kb, n - kb}})
  local rejected, alpha_t = saffron:test_one(test.pvalue)
  policy:update(region, discoveries[region] and 0 or 1 - test.pvalue)
  tested[region] = (tested[region] or 0) + 1
  if rejected then discoveries[region] = (discoveries[region] or 0) + 1 end
  if rejected or t <= 10 or t % 20 == 0 then
    print(string.format("%-5d %-11s %5d/%-2d %5d/%-2d %10.3g %10.3g %s", t, region, kb, n, ki, n, test.pvalue, alpha_t,
      rejected and "REJECT (discovery)" or "-"))
  end
end

local s = saffron:state()
print(string.format("\nSAFFRON after %d tests: %d rejections, wealth %.4g, FDP estimate %.3g (<= alpha 0.05)",
  s.t, s.rejections, s.wealth, s.fdp_estimate))
print(string.format("%-11s %8s %11s %s", "region", "tests", "discoveries", "planted difference"))
local false_discoveries = 0
for _, r in ipairs(regions) do
  local planted = r.base ~= r.intervened
  if not planted then false_discoveries = false_discoveries + (discoveries[r.name] or 0) end
  print(string.format("%-11s %8d %11d %s", r.name, tested[r.name] or 0, discoveries[r.name] or 0,
    planted and string.format("yes (%.2f -> %.2f)", r.base, r.intervened) or "no"))
end
print(string.format("false discoveries: %d of %d", false_discoveries, s.rejections))
