-- The exhaustive behavioural diff (the original research system's pipeline) on the ground-truth organisms:
-- sample both models on world prompts, embed, cluster, label the regions by distinguishing n-grams, screen
-- the labels on held-out texts, and validate each on fresh samples under minimum-effect nulls through one
-- SAFFRON stream. Prints the findings, the FDR trace and the ledger, and writes the run as JSON.
--   Scripts/discern run Scripts/examples/diff_exhaustive.lua [preset] [organism] [seed] [out.json]
-- Defaults: the tiny preset (built on first use, about 2 minutes), the multi organism (three planted
-- changes), seed 1, $DISCERN_HOME/diff-<organism>-<seed>.json. Rerunning reuses every cached sample.
local discern = require "discern"

local preset = arg and arg[1] or "tiny"
local organism = arg and arg[2] or "multi"
local seed = math.tointeger(tonumber(arg and arg[3] or "1"))
local out = arg and arg[4] or (discern.fs.home() .. "/diff-" .. organism .. "-" .. seed .. ".json")

local manifest = discern.organisms.build{preset = preset, quiet = true}
local base = discern.model.load(manifest.dir .. "/base")
local model = discern.model.load(manifest.dir .. "/" .. organism)
local world = discern.organisms.world{seed = manifest.seed}

local run = discern.diff{base = base, model = model, method = "exhaustive", prompts = world:prompts(),
                         alpha = 0.05, budget = {generated_tokens = 400000}, seed = seed}

print(string.format("\n%s vs base (%s preset, seed %d): %d tests, %d findings, status %s", organism, preset, seed,
  #run:tests(), #run:findings(), run.status))
for i, f in ipairs(run:findings()) do
  print(string.format("\n%d. %s", i, f.statement))
  print(string.format("   effect %+.3f [%+.3f, %+.3f] (base %.2f -> model %.2f), p %.2e <= alpha_t %.2e, n %d pairs",
    f.effect, f.ci.lower, f.ci.upper, f.base_mean, f.model_mean, f.pvalue, f.alpha_t, f.n.base))
  for _, e in ipairs(f.examples) do
    print("   prompt: " .. e.prompt)
    print("     base : " .. e.base)
    print("     model: " .. e.model)
  end
end

print("\nonline FDR (" .. run:fdr().procedure .. "):")
for _, t in ipairs(run:fdr().tests) do
  print(string.format("  t=%-3d p=%-9.2e alpha_t=%-9.2e %s  %s", t.t, t.pvalue, t.alpha_t, t.rejected and "REJECT" or "      ",
    t.statement:sub(1, 90)))
end

local L = run:ledger()
print("\nledger:")
print(string.format("  %-10s %8s %8s %10s %10s %8s %8s", "step", "prompts", "samples", "generated", "prefill", "passes", "seconds"))
for _, s in ipairs(L.steps) do
  local c = s.counts
  print(string.format("  %-10s %8d %8d %10d %10d %8d %8.1f", s.step, c.prompts, c.samples, c.generated_tokens, c.prefill_tokens,
    c.forward_passes, c.seconds))
end
local t = L
print(string.format("  %-10s %8d %8d %10d %10d %8d %8.1f  (%d samples from the cache)", "total", t.prompts, t.samples,
  t.generated_tokens, t.prefill_tokens, t.forward_passes, t.seconds, t.cached_samples))

run:save_json(out)
print("\nrun written to " .. out)
