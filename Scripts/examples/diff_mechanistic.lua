-- The mechanistic behavioural diff on the ground-truth organisms: screen both models with forward passes over
-- the base model's greedy answers (per-token KL, the tokens that moved, feature differences in the base model's
-- transcoders), group divergent positions into mechanisms, interpret them, turn them into hypotheses, and test
-- those on fresh samples, chosen by a bandit, through one SAFFRON stream. Prints the mechanisms, the findings
-- with their causal check, the exploration rounds and the ledger, and writes the run as JSON.
--   Scripts/discern run Scripts/examples/diff_mechanistic.lua [preset] [organism] [seed] [out.json]
-- Defaults: the tiny preset (built on first use, about 2 minutes), the multi organism (three planted changes),
-- seed 1, $DISCERN_HOME/diff-mechanistic-<organism>-<seed>.json. Rerunning reuses every cached sample.
local discern = require "discern"

local preset = arg and arg[1] or "tiny"
local organism = arg and arg[2] or "multi"
local seed = math.tointeger(tonumber(arg and arg[3] or "1"))
local out = arg and arg[4] or (discern.fs.home() .. "/diff-mechanistic-" .. organism .. "-" .. seed .. ".json")

local manifest = discern.organisms.build{preset = preset, quiet = true}
local base = discern.model.load(manifest.dir .. "/base")
local model = discern.model.load(manifest.dir .. "/" .. organism)
local world = discern.organisms.world{seed = manifest.seed}

local run = discern.diff{base = base, model = model, method = "mechanistic", transcoders = manifest.dir .. "/transcoders",
                         prompts = world:prompts(), alpha = 0.05, budget = {generated_tokens = 400000}, seed = seed,
                         strategy = "thompson"}

print(string.format("\n%s vs base (%s preset, seed %d, mechanistic): %d tests, %d findings, status %s", organism, preset, seed,
  #run:tests(), #run:findings(), run.status))

print("\nshared basis (the base transcoders on both models):")
for _, l in ipairs(run:step("basis").layers) do
  print(string.format("  layer %d  FVU %.3f (base) -> %.3f (model)  x%.2f", l.layer, l.fvu_base, l.fvu_model, l.fvu_ratio))
end
local screen = run:step("screen")
print(string.format("\nscreen: %d divergent positions, KL median %.4f, 99th percentile %.3f; %d features differ (BH)",
  #screen.events, screen.kl_quantiles.median, screen.kl_quantiles.p99, #screen.features))
local adl = {}
for i = 1, math.min(5, #screen.adl.promoted) do adl[i] = string.format("%q", screen.adl.promoted[i].token) end
print("ADL (answer-start difference through the logit lens) promotes: " .. table.concat(adl, " "))
for _, st in ipairs(screen.adl.steered or {}) do
  print(string.format("  steered with it: '%s' -> '%s' (unsteered '%s')", st.prompt, st.steered, st.base))
end

print("\nmechanisms:")
for _, m in ipairs(run:step("mechanisms")) do
  print(string.format("  %s (mean KL %.2f): %s", m.id, m.mean_kl, m.summary))
  local f = m.patterns[1].emergent[1]
  if f and f.describe then print("     emergent " .. f.describe) end
end

for i, f in ipairs(run:findings()) do
  print(string.format("\n%d. %s", i, f.statement))
  print(string.format("   effect %+.3f [%+.3f, %+.3f] (base %.2f -> model %.2f), p %.2e <= alpha_t %.2e, n %d pairs%s",
    f.effect, f.ci.lower, f.ci.upper, f.base_mean, f.model_mean, f.pvalue, f.alpha_t, f.n.base,
    f.stopped and (", stopped early (" .. f.stopped .. ")") or ""))
  print(string.format("   from template %s, pattern %s, generator %s", f.origin.template, f.origin.pattern, f.origin.generator))
  if f.causal then print("   causal check: " .. f.causal.summary) end
  for _, e in ipairs(f.examples) do
    print("   prompt: " .. e.prompt)
    print("     base : " .. e.base)
    print("     model: " .. e.model)
  end
end

print("\nexploration rounds (" .. run:step("explore").strategy .. "):")
for _, r in ipairs(run:step("explore").rounds) do
  print(string.format("  %2d  %-5s %-28s p=%-9.2e reward %.2f%s", r.round, r.arm, r.hypothesis, r.pvalue, r.reward, r.rejected and "  FINDING" or ""))
end

local L = run:ledger()
print(string.format("\nledger: %d generated tokens, %d prefill tokens, %d forward passes, %d samples (%d cached), %.1f s",
  L.generated_tokens, L.prefill_tokens, L.forward_passes, L.samples, L.cached_samples, L.seconds))
for _, s in ipairs(L.steps) do
  print(string.format("  %-10s %8d generated  %9d prefill  %6.1f s", s.step, s.counts.generated_tokens, s.counts.prefill_tokens, s.counts.seconds))
end
run:save_json(out)
print("\nwrote " .. out)
