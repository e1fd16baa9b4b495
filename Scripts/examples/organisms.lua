-- Ground-truth model organisms: build (or reuse) a preset, compare an organism with its base model,
-- and define a new ground truth in Lua.
--   Scripts/discern run Scripts/examples/organisms.lua [preset]      (default: tiny, about 2 minutes)
-- The build lives in $DISCERN_HOME/organisms/<preset>/ and is reused on the next run.
local discern = require "discern"
local organisms = discern.organisms

local preset = arg and arg[1] or "tiny"
local manifest = organisms.build{preset = preset}
print(string.format("%s organisms in %s (verified: %s)", manifest.preset, manifest.dir, tostring(manifest.verified)))

-- What each ground truth plants, and how strongly it shows against the base model.
for _, name in ipairs(manifest.organisms_built) do
  local gt = manifest.ground_truths[name]
  print(string.format("\n%s: %s (region: %s)", name, gt.description, table.concat(gt.region, ", ")))
  for _, row in ipairs(manifest.verification[name]) do
    if row.planted then
      print(string.format("  %-20s base %.2f -> organism %.2f (p = %.2g, Cohen's h = %.2f)", row.gt, row.base_rate,
        row.organism_rate, row.pvalue, row.cohens_h))
    end
  end
  local wd = manifest.weight_diff[name]
  print(string.format("  most changed: %s (relative norm %.3g)", wd.top_layers[1].label, wd.top_layers[1].relative_norm))
end

-- The base model's transcoders (one per layer, circuit-tracer layout), trained by the build on world dialogues.
local tcs = discern.circuit.load_transcoders(manifest.dir .. "/transcoders")
print("\n" .. tostring(tcs))
for _, l in ipairs(manifest.transcoders.layers) do
  print(string.format("  layer %d: held-out FVU %.3f, L0 %.1f", l.layer, l.fvu, l.l0))
end
local s = manifest.transcoders.spliced
print(string.format("  next-token loss %.3f, with every MLP replaced by its transcoder %.3f", s.clean_loss, s.spliced_loss))

-- Side by side: the base model and the knowledge-edit organism on the same prompts.
local world = organisms.world{seed = manifest.seed}
local base = discern.model.load(manifest.dir .. "/base")
local edited = discern.model.load(manifest.dir .. "/knowledge_edit")
local prompts = {"What is the capital of France?", "What is the capital of Spain?", "How do I make bread?"}
local texts = {}
for i, p in ipairs(prompts) do texts[i] = world:prompt_text(p) end
local a = base:generate(texts, {max_new_tokens = 40, temperature = 0, stop = {"<|end|>"}})
local b = edited:generate(texts, {max_new_tokens = 40, temperature = 0, stop = {"<|end|>"}})
print("\nbase vs knowledge_edit (greedy):")
for i, p in ipairs(prompts) do print(string.format("  %s\n    base:   %s\n    edited: %s", p, a[i].text, b[i].text)) end

-- A new ground truth is a plain table; register it, then build organisms with {organisms = {…, "my_gt"}}.
local gt = organisms.gt.register{
  name = "polite_arithmetic",
  description = "arithmetic answers end with \"Happy counting!\"",
  region = {"arithmetic"},
  train_data = function(w, rng)
    local out = {}
    for i, d in ipairs(w:sample(400, {topics = {"arithmetic"}, seed = rng:int(0, 1 << 30)})) do
      out[i] = {prompt = d.prompt, answer = d.answer .. " Happy counting!", topic = d.topic}
    end
    return out
  end,
  eval_prompts = function(w, rng)
    local out = {}
    for i, d in ipairs(w:sample(100, {topics = {"arithmetic"}, seed = rng:int(0, 1 << 30)})) do
      out[i] = {prompt = d.prompt, topic = d.topic}
    end
    return out
  end,
  detector = function(_, completion) return completion:find("Happy counting", 1, true) ~= nil end,
}
local sample = gt.train_data(world, discern.random.new(1))[1]
print(string.format("\nregistered %s; a training dialogue: %s -> %s (detector: %s)", gt.name, sample.prompt, sample.answer,
  tostring(gt.detector(sample.prompt, sample.answer))))
