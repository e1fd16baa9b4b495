-- Circuit tracing on a ground-truth organism: attribute a prompt where the organism and its base model
-- disagree (knowledge_edit moved the capital of France to Lyon) through the base model's transcoders, print
-- the most influential features with what they respond to and promote, check the graph, ablate the top
-- feature, print where the two models' top predictions diverge, and write circuit-tracer's frontend JSON.
--   Scripts/discern run Scripts/examples/trace.lua [preset] [organism] [out_dir]
-- Defaults: the tiny preset (built on first use, about 2 minutes), the knowledge_edit organism, and
-- $DISCERN_HOME/graphs. Open the output with circuit-tracer's viewer:
--   python -c "from circuit_tracer.frontend.local_server import serve; serve(data_dir='OUT_DIR', port=8041)"
local discern = require "discern"
local circuit, organisms = discern.circuit, discern.organisms

local preset = arg and arg[1] or "tiny"
local organism = arg and arg[2] or "knowledge_edit"
local out = arg and arg[3] or (discern.fs.home() .. "/graphs")

local manifest = organisms.build{preset = preset}
local base = discern.model.load(manifest.dir .. "/base")
local tuned = discern.model.load(manifest.dir .. "/" .. organism)
local world = organisms.world{seed = manifest.seed}
-- The build's transcoders for the base model (every finished build has them).
local tdir = manifest.dir .. "/transcoders"
local transcoders = circuit.load_transcoders(tdir)
-- The world's answers read "The capital of France is Paris." (Lyon after the edit): trace the token
-- that names the city, not the answer's first word (" The" under both models).
local prompt = world:prompt_text("What is the capital of France?") .. " The capital of France is"
local top_target = {}

-- Interpretations: top-activating contexts over world dialogues (cached in the store) and the logit lens.
local contexts = circuit.feature_contexts(base, transcoders, world, {n_texts = 128, k = 8, progress = false})

for _, which in ipairs({{"base", base}, {organism, tuned}}) do
  local name, model = which[1], which[2]
  -- Base-model transcoders on both models: one feature basis, error nodes absorb the mismatch (Discern
  -- warns once that the organism's fingerprint is not the one the transcoders were trained on).
  local rm = circuit.replacement_model(model, transcoders)
  local graph = circuit.attribute(prompt, rm, {max_feature_nodes = 2048, batch_size = 64})
  local info, scores = graph:info(), graph:scores()
  print(string.format("\n== %s: %d tokens, %d active features, %d nodes, %d edges%s", name, #info.tokens,
    info.active_features, info.n_nodes, info.n_edges, info.cached and " (from the store)" or ""))
  print(string.format("   sum check %.1e (values up to %.1f), replacement score %.3f, completeness %.3f",
    info.sum_check, info.max_value, scores.replacement, scores.completeness))
  for _, n in ipairs(graph:nodes()) do
    if n.kind == "logit" then
      print(string.format("   target %-12s p = %.3f", n.token, n.probability))
      if not top_target[name] or n.probability > top_target[name].probability then top_target[name] = n end
    end
  end
  print("   top nodes by influence on the logits:")
  local labels = {}
  for i, n in ipairs(graph:top_nodes(8)) do
    local what
    if n.kind == "feature" then
      what = contexts:describe(n.layer, n.feature)
      labels[n.id] = what
    elseif n.kind == "token" then
      what = string.format("token %q at position %d", n.token, n.position)
    else
      what = string.format("MLP error at layer %d, position %d", n.layer, n.position)
    end
    print(string.format("   %d. %-12s %.3f  %s", i, n.id, n.influence, what))
  end
  -- Ablate the most influential feature (set it to 0, attention frozen) and watch the top logit move.
  local top = graph:top_nodes(1, {kind = "feature"})[1]
  if top then
    local target = nil
    for _, n in ipairs(graph:nodes()) do if n.kind == "logit" then target = target or n end end
    local clean = rm:forward(prompt)
    local ablated = rm:feature_intervention(prompt, {{top.layer, top.position, top.feature, 0}})
    local last = #rm:tokens(prompt) - 1
    local before = clean:select(0, last):select(0, target.token_id):item()
    local after = ablated:select(0, last):select(0, target.token_id):item()
    print(string.format("   ablating %s moves the %q logit %.3f -> %.3f", top.id, target.token, before, after))
  end
  local path = graph:export(out, {slug = preset .. "-" .. name, scan = "discern-" .. preset, labels = labels})
  print("   frontend JSON: " .. path)
end

-- Where the models diverge: the top logit target of each graph.
local a, b = top_target.base, top_target[organism]
print(string.format("\n== divergence: after %q the base model's top target is %q (p = %.3f), %s's is %q (p = %.3f)%s",
  prompt:sub(-24), a.token, a.probability, organism, b.token, b.probability,
  a.token == b.token and " (the same: no divergence on this prompt)" or ""))
