--- discern.pipelines.mechanistic: look inside both models to decide where they differ, then spend the sampling
--- budget only there.
---
--- prompts → screen texts (the base model's greedy answers, or a corpus) → basis (the base transcoders on both
--- models: per-layer FVU) → screen (forward passes of both models over the texts: per-token KL(model‖base), the
--- tokens whose probability moved most, the activation difference δ read through the logit lens (ADL), per-feature
--- activation differences with a paired test and BH) → mechanisms (divergent positions grouped by the token the
--- model newly prefers, groups merged by co-activation of their feature differences) → interpret (each pattern's
--- context, both models' continuations there, its emergent and vanishing features with their logit lens) →
--- hypotheses (templates from discern.hypotheses, prompts from discern.generators) → explore (a bandit from
--- discern.strategy over mechanisms; each round tests one hypothesis on fresh prompts through the run's single
--- online FDR stream) → causal (each finding's features ablated in the model, the effect re-measured; reported,
--- never a decision).
---
--- Every step is a function (run) -> value in run.steps[name]; replace one with `discern.diff{…, steps = {…}}`.
--- The pipeline never sees a ground truth: only prompts, the models, their transcoders and completions.
local discern = require "discern"
local random = require "discern.random"
local prompts_mod = require "discern.prompts"
local measure = require "discern.measure"
local behavior = require "discern.behavior"
local strategy = require "discern.strategy"
local hypotheses = require "discern.hypotheses"
local generators = require "discern.generators"

local M = {}
local unembedding, decode_token  -- defined below, used by the basis step

--- Options of the mechanistic pipeline (discern.diff takes them at its top level) and their defaults.
M.defaults = {
  transcoders = false,     -- the base model's transcoders (a discern.Transcoders or a directory); false: residual stream only
  basis_texts = 128,       -- screening texts the transfer of the base transcoders is measured on
  check_transcoders = true, -- transcoders that record another model's fingerprint are an error (false: a warning)
  crosscoder = false,      -- options of discern.circuit.train_crosscoder ({layer =, steps =, …}) to train one on the
                           -- screening texts in the basis step and report its model-only latents; false: none
  corpus = false,          -- screening texts (a list, or function(rng, n)); chat texts part at "<|assistant|>", others
                           -- after their first words; false: the base model's greedy answers to the prompts
  n_screen = 512,          -- screening prompts (forward passes; greedy answers when there is no corpus)
  screen_tokens = 40,      -- greedy answer length for the screening texts
  batch_size = 16,         -- texts per forward pass while screening
  events_per_text = 2,     -- divergent positions kept per text at most
  min_kl = 0.25,           -- a position diverges when KL(model‖base) of its next-token distributions reaches this (nats)
  min_events = 2,          -- a pattern needs this many divergent positions (in as many texts)
  merge_cosine = 0.6,      -- patterns whose mean feature differences are this close form one mechanism
  min_mechanism_kl = 2.0,  -- mechanisms whose positions diverge less than this on average (nats) are not pursued:
                           -- the pipeline looks for large, concentrated changes, not a fine-tune's diffuse drift
  max_mechanisms = 12,
  feature_alpha = 0.05,    -- BH level of the per-feature paired screen
  continuation_tokens = 8, -- tokens of each model's greedy continuation at a pattern's context (interpretation)
  interpret_texts = 128,   -- divergent screening texts the features' top-activating contexts are drawn from
  adl_steer = 4,           -- screening prompts the base model answers greedily with the answer-start δ added (ADL steering)
  templates = false,       -- template names in the order tried (false: every registered template by priority)
  generator = "retrieval", -- the test generator hypotheses draw prompts from (discern.generators)
  strategy = "thompson",   -- the bandit over mechanisms (discern.strategy)
  max_rounds = 40,         -- tests at most
  on_round = false,        -- function(run, round) called after each round (swap strategies, templates, generators)
  pool_size = 1024,        -- fresh candidate prompts the generators choose from (forward passes only)
  circuit_mechanisms = 3,  -- mechanisms whose top pattern is traced in both models and diffed (0: none)
  causal_prompts = 24,     -- validation prompts re-sampled with a finding's features ablated
  validation = {n_min = 40, n_max = 300},
  -- Group-sequential validation: looks at these fractions of n with Bonferroni alpha spending (weights), stopping
  -- early for a rejection or when an interim p exceeds futility (behavior.test's looks and futility).
  sequential = {looks = {{fraction = 0.25, weight = 0.2}, {fraction = 0.5, weight = 0.3}, {fraction = 1, weight = 0.5}}, futility = 0.5},
  sampling = {max_new_tokens = 48, temperature = 0.7, stop = {"<|end|>"}, batch_size = 32},
}

--- The steps, in order.
M.order = {"prompts", "texts", "basis", "screen", "mechanisms", "interpret", "circuits", "hypotheses", "explore", "meta", "causal"}

M.steps = {}

local function log(run, fmt, ...) run:log(string.format(fmt, ...)) end

local END = "<|end|>"

-- The transcoders (loaded once per run) or nil.
local function transcoders(run)
  local tc = run.opts.transcoders
  if tc == false or tc == nil then return nil end
  if run._tc then return run._tc end
  if type(tc) == "string" then tc = discern.circuit.load_transcoders(tc) end
  if type(tc) ~= "userdata" or tc:type() ~= "discern.Transcoders" then
    error(discern.error("arg", "discern.diff: option 'transcoders' must be a discern.Transcoders or a directory, got " .. type(tc)), 0)
  end
  run._tc = tc
  return tc
end

-- Counts forward work in the ledger: tokens and passes of one or more models.
local function count_forward(run, step, tokens, passes, t0)
  run.meter:add(step, {prefill_tokens = tokens, forward_passes = passes, seconds = discern.clock() - t0})
end

--- Screening prompts: n_screen from the source with the run's exploration seed.
function M.steps.prompts(run)
  return run.source:draw(random.new(run.seed):fork("screen-prompts"), run.opts.n_screen)
end

--- The screening texts: the corpus (when given) or each prompt followed by the base model's greedy answer
--- (screen_tokens at most, the end marker kept so that positions where the model would go on are seen).
function M.steps.texts(run)
  local c = run.opts.corpus
  if c and c ~= false then
    local list = type(c) == "table" and c or c(random.new(run.seed):fork("corpus"), run.opts.n_screen)
    if type(list) ~= "table" or #list == 0 then error(discern.error("arg", "discern.diff: option 'corpus' gave no texts"), 0) end
    local out = {}
    for i, t in ipairs(list) do
      if type(t) ~= "string" or t == "" then error(discern.error("arg", "discern.diff: corpus text " .. i .. " is not a non-empty string"), 0) end
      -- A chat text's prompt ends at the assistant marker; any other text's first words (20 characters or more)
      -- act as its prompt, the rest as its answer.
      local cut = t:find("<|assistant|>", 1, true)
      local prompt = cut and t:sub(1, cut + #"<|assistant|>" - 1) or (t:match("^(.-%S)%s", 20) or t)
      out[i] = {prompt = prompt, text = t}
    end
    return out
  end
  local o = {n = 1, seed = run.seed, temperature = 0, max_new_tokens = run.opts.screen_tokens, stop = {END},
    batch_size = run.opts.sampling.batch_size, ledger = run.meter, step = "screen", store = run.store}
  local out = {}
  for i, s in ipairs(behavior.sample(run.base, run.steps.prompts, o)) do
    -- The completion starts with its own space and ends before the end marker, which is kept.
    local answer = s.completion
    if s.stop_reason ~= "length" then answer = answer .. END end
    out[i] = {prompt = run.steps.prompts[s.prompt_index], text = run.steps.prompts[s.prompt_index] .. answer}
  end
  return out
end

--- The shared basis: the base transcoders' FVU and L0 on both models over the screening texts
--- (discern.circuit.transfer), or nil without transcoders.
function M.steps.basis(run)
  local tc = transcoders(run)
  local texts = {}
  for i, t in ipairs(run.steps.texts) do texts[i] = t.text end
  local cc = run.opts.crosscoder and run.opts.crosscoder ~= false and M.crosscoder(run, texts) or nil
  if not tc then return cc and {crosscoder = cc, layers = {}} or nil end
  local t0 = discern.clock()
  local r = discern.circuit.transfer(tc, run.base, run.model, texts, {batch_size = run.opts.batch_size, max_texts = run.opts.basis_texts})
  -- Per model: one pass for FVU and L0, three for the clean, spliced and zero-ablated losses.
  local n = math.min(#texts, run.opts.basis_texts)
  count_forward(run, "basis", 8 * (r.tokens + n), 8 * math.ceil(n / run.opts.batch_size), t0)
  for _, w in ipairs(r.warnings) do
    if run.opts.check_transcoders and w:find("fingerprint", 1, true) then
      error(discern.error("arg", "discern.diff: the transcoders were not trained on the base model (" .. w ..
        "); pass check_transcoders = false to use them anyway"), 0)
    end
    log(run, "basis: warning: %s", w)
  end
  for _, l in ipairs(r.layers) do log(run, "basis: layer %d FVU %.3f (base) → %.3f (model), ×%.2f", l.layer, l.fvu_base, l.fvu_model, l.fvu_ratio) end
  r.crosscoder = cc
  return r
end

--- Aligns two separately trained transcoder sets at a layer (e.g. one trained on the base model, one on the
--- intervened model): the cosine of every pair of decoder rows and, with opts.model and opts.texts, the Pearson
--- correlation of their activations on the same inputs (that model's activations at the input hook); the
--- similarity is their mean (or the cosine alone), features are paired by Hungarian assignment on it, and pairs
--- below opts.threshold (0.7) count as unmatched. Returns {pairs = {{a, b, cosine, correlation, similarity}…},
--- unmatched_a = {features}, unmatched_b = {…}, matched_fraction}.
---@param a table discern.Transcoders
---@param b table discern.Transcoders
---@param opts table {layer = integer, model?, texts?, threshold?}
---@return table
function M.align(a, b, opts)
  opts = opts or {}
  local layer = opts.layer
  if math.type(layer) ~= "integer" then error(discern.error("arg", "discern.pipelines.mechanistic.align: option 'layer' (an integer) is required"), 2) end
  local threshold = opts.threshold or 0.7
  local function unit(m) return m:div(m:square():sum(1, {keepdim = true}):sqrt():clamp(1e-12)) end
  local da, db = a:decoder(layer), b:decoder(layer)
  if da:shape()[2] ~= db:shape()[2] then
    error(discern.error("arg", "discern.pipelines.mechanistic.align: the sets have d_model " .. da:shape()[2] .. " and " .. db:shape()[2]), 2)
  end
  local cos = unit(da):matmul(unit(db):t())
  local sim, corr = cos, nil
  if opts.model and opts.texts then
    local hook = "blocks." .. layer .. "." .. a:info().feature_input_hook
    local _, cache = opts.model:run_with_cache(opts.texts, {names_filter = hook})
    local x = cache[hook]
    x = x:reshape({-1, x:shape()[#x:shape()]})
    local function standard(m)
      local c = m:sub(m:mean(0, {keepdim = true}))
      local norm = c:square():sum(0, {keepdim = true}):sqrt()
      return c:div(norm:clamp(1e-12)), norm:gt(0):to("float32")
    end
    local sa, va = standard(a:encode(layer, x))
    local sb, vb = standard(b:encode(layer, x))
    corr = sa:t():matmul(sb)
    -- A feature silent on the texts has no correlation: its pairs keep the cosine alone.
    local both = va:t():matmul(vb)
    sim = discern.tensor.where(both:gt(0), cos:add(corr):div(2), cos)
  end
  local m = discern.cluster.hungarian(sim, {maximize = true})
  local C, S = cos:tolist(), sim:tolist()
  local R = corr and corr:tolist()
  local pairs_, used_a, used_b = {}, {}, {}
  for _, pr in ipairs(m.pairs) do
    local i, j = pr[1], pr[2]
    if S[i][j] >= threshold then
      pairs_[#pairs_ + 1] = {a = i - 1, b = j - 1, cosine = C[i][j], correlation = R and R[i][j] or nil, similarity = S[i][j]}
      used_a[i], used_b[j] = true, true
    end
  end
  local ua, ub = {}, {}
  for i = 1, #C do if not used_a[i] then ua[#ua + 1] = i - 1 end end
  for j = 1, #C[1] do if not used_b[j] then ub[#ub + 1] = j - 1 end end
  table.sort(pairs_, function(x, y) return x.similarity > y.similarity end)
  return {pairs = pairs_, unmatched_a = ua, unmatched_b = ub, matched_fraction = #pairs_ / math.max(#C, #C[1])}
end

--- A crosscoder trained on the screening texts with run.opts.crosscoder's options (discern.circuit.train_crosscoder;
--- forward passes only, counted under "basis"): its latent kinds, and the model-only latents (relative decoder norm
--- < 0.1) that Latent Scaling confirms (ν_error < 0.5), with the tokens their model-side decoder promotes.
function M.crosscoder(run, texts)
  local o = {}
  for k, v in pairs(run.opts.crosscoder) do o[k] = v end
  if o.seed == nil then o.seed = run.seed end
  local t0 = discern.clock()
  local cc, r = discern.circuit.train_crosscoder(run.base, run.model, texts, o)
  local tokens = 0
  for _, t in ipairs(texts) do tokens = tokens + run.base:to_tokens(t):shape()[2] end
  count_forward(run, "basis", 2 * tokens, 2 * math.ceil(#texts / 32), t0)
  local wu = unembedding(run.base)
  local dec = cc:decoder("model")
  local specific = {}
  for _, l in ipairs(r.latents) do
    if l.kind == "model_only" and l.frequency > 0 and l.nu_error == l.nu_error and math.abs(l.nu_error) < 0.5 then
      local item = {index = l.index, frequency = l.frequency, nu_error = l.nu_error, nu_recon = l.nu_recon, promotes = {}}
      if wu then
        local _, ids = dec:select(0, l.index):matmul(wu):topk(5)
        for i, id in ipairs(ids:tolist()) do item.promotes[i] = decode_token(run.base, id) end
      end
      specific[#specific + 1] = item
    end
  end
  table.sort(specific, function(a, b) return a.frequency > b.frequency end)
  log(run, "basis: crosscoder at layer %d: %d model-only, %d base-only, %d shared latents; %d model-specific by Latent Scaling",
    o.layer, r.kinds[1], r.kinds[2], r.kinds[3], #specific)
  return {crosscoder = cc, kinds = {model_only = r.kinds[1], base_only = r.kinds[2], shared = r.kinds[3], other = r.kinds[4]},
    fvu_base = r.fvu_base, fvu_model = r.fvu_model, model_specific = specific, loss = r.loss}
end

-- Unembedding [d_model, d_vocab] of a model (tied or not).
function unembedding(m)
  local p = m:parameters()
  local w = p["lm_head.weight"] or p["transformer.wte.weight"] or p["model.embed_tokens.weight"] or p["embed_out.weight"]
  if not w then return nil end
  return w:t()
end

function decode_token(m, id)
  local ok, s = pcall(m.to_string, m, {id})
  return ok and s or ("#" .. id)
end

-- A prompt's retrieval row: per layer the mean and the max of its feature activations (or of the last residual
-- stream) over positions 1 … n-1, concatenated and L2-normalised.
local function prompt_row(run, feats, resid, b, n, tc)
  local parts = {}
  for l = 0, #run.layer_hooks - 1 do
    local src = tc and feats[l] or resid
    local x = src:select(0, b - 1):narrow(0, 1, math.max(1, n - 1))
    parts[#parts + 1] = x:mean(0)
    parts[#parts + 1] = x:amax(0)
    if not tc then break end
  end
  local row = discern.tensor.cat(parts, 0)
  return row:div(row:square():sum():sqrt():clamp(1e-12))
end

-- Per-layer feature activations of texts in one forward pass: {[layer] = tensor [B, T, F]}, and the last
-- residual stream [B, T, d].
local function activations(run, m, texts, tc)
  local nl = #run.layer_hooks
  local names = {}
  for _, h in ipairs(run.layer_hooks) do names[#names + 1] = h end
  names[#names + 1] = run.resid_hook
  local logits, cache = m:run_with_cache(texts, {names_filter = names})
  local feats = {}
  if tc then
    for l = 0, nl - 1 do feats[l] = tc:encode(l, cache[run.layer_hooks[l + 1]]) end
  end
  return logits, feats, cache[run.resid_hook]
end

--- Forward passes of both models over every screening text: per answer position KL(model‖base) of the
--- next-token distributions, the token the model newly prefers (largest p_model − p_base) and the one it gives up;
--- divergent positions (KL ≥ min_kl, at most events_per_text per text) with both models' feature activations
--- there; per text the mean activation difference of every feature over its answer, tested across texts (Wilcoxon
--- signed-rank, BH); the activation difference δ of the last layer at the answer start read through the logit lens
--- and by steering the base model with it (ADL); and each prompt's mean and max feature activations in the base
--- model (the retrieval basis).
function M.steps.screen(run)
  local o = run.opts
  local tc = transcoders(run)
  local texts = run.steps.texts
  -- Hooks: the transcoders' input hook per layer, and the last residual stream.
  local hook_names = run.base:hook_names()
  local layers = 0
  for _, h in ipairs(hook_names) do
    local l = h:match("^blocks%.(%d+)%.")
    if l then layers = math.max(layers, tonumber(l) + 1) end
  end
  local input_hook = tc and tc:info().feature_input_hook or "hook_resid_pre"
  run.layer_hooks = {}
  for l = 0, layers - 1 do run.layer_hooks[l + 1] = "blocks." .. l .. "." .. input_hook end
  run.resid_hook = "blocks." .. (layers - 1) .. ".hook_resid_post"
  local nl = layers
  local end_ids = run.base:to_tokens(END, {prepend_bos = false}):tolist()
  run.end_id = (type(end_ids[1]) == "table" and end_ids[1] or end_ids)[1]
  local events, per_text, prompt_rows = {}, {}, {}
  local diffs = {}         -- per text: tensor [F_total] of mean (model − base) feature activation over the answer
  local delta_sum, delta_n = nil, 0
  local kl_hist = {}
  local t0 = discern.clock()
  local tokens_total, passes = 0, 0
  for start = 1, #texts, o.batch_size do
    local batch, plen = {}, {}
    for i = start, math.min(#texts, start + o.batch_size - 1) do
      batch[#batch + 1] = texts[i].text
      plen[#plen + 1] = run.base:to_tokens(texts[i].prompt):shape()[2]
    end
    local toks, mask = run.base:to_tokens(batch, {return_mask = true})
    local lens = mask:sum(1):tolist()
    local lb, fb, rb = activations(run, run.base, batch, tc)
    local lm, fm, rm = activations(run, run.model, batch, tc)
    passes = passes + 2
    local lpb, lpm = lb:log_softmax(-1), lm:log_softmax(-1)
    local pb, pm = lpb:exp(), lpm:exp()
    local kl = pm:mul(lpm:sub(lpb)):sum(-1):tolist()
    local dp = pm:sub(pb)
    local up = dp:argmax(-1):tolist()
    local down = dp:neg():argmax(-1):tolist()
    local up_gain = dp:amax(-1):tolist()
    local ids = toks:tolist()
    -- ADL: δ of the last residual stream at the answer start.
    local rows = {}
    for b = 1, #batch do rows[b] = plen[b] - 1 end
    for b = 1, #batch do
      local d = rm:select(0, b - 1):select(0, rows[b]):sub(rb:select(0, b - 1):select(0, rows[b]))
      delta_sum = delta_sum and delta_sum:add(d) or d
      delta_n = delta_n + 1
    end
    for b = 1, #batch do
      local ti = start + b - 1
      local n_tok = math.floor(lens[b] + 0.5)
      tokens_total = tokens_total + 2 * n_tok
      local cands = {}
      -- Positions predicting an answer token: plen-1 … n_tok-2 (0-based).
      local maxkl, start_kl = 0, kl[b][plen[b]] or 0
      for pos = plen[b] - 1, n_tok - 2 do
        local k = kl[b][pos + 1]
        kl_hist[#kl_hist + 1] = k
        if k > maxkl then maxkl = k end
        if k >= o.min_kl then cands[#cands + 1] = {pos = pos, kl = k} end
      end
      table.sort(cands, function(a, c) return a.kl > c.kl end)
      per_text[ti] = {max_kl = maxkl, start_kl = start_kl, events = 0, tokens = n_tok}
      for j = 1, math.min(o.events_per_text, #cands) do
        local c = cands[j]
        local e = {text = ti, pos = c.pos, kl = c.kl, promoted = up[b][c.pos + 1], suppressed = down[b][c.pos + 1],
          gain = up_gain[b][c.pos + 1], at_start = c.pos == plen[b] - 1,
          at_end = ids[b][c.pos + 2] == run.end_id,
          context_ids = {table.unpack(ids[b], 1, c.pos + 1)}}
        if tc then
          local vb, vm = {}, {}
          for l = 0, nl - 1 do
            vb[#vb + 1] = fb[l]:select(0, b - 1):select(0, c.pos)
            vm[#vm + 1] = fm[l]:select(0, b - 1):select(0, c.pos)
          end
          e.fbase, e.fmodel = discern.tensor.cat(vb, 0), discern.tensor.cat(vm, 0)
        else
          e.fbase, e.fmodel = rb:select(0, b - 1):select(0, c.pos), rm:select(0, b - 1):select(0, c.pos)
        end
        events[#events + 1] = e
        per_text[ti].events = per_text[ti].events + 1
      end
      -- Per-text mean feature difference over the answer and the prompt's mean base features.
      local a_len = n_tok - plen[b]
      local fbm, fmm = {}, {}
      for l = 0, nl - 1 do
        local src_b = tc and fb[l] or rb
        local src_m = tc and fm[l] or rm
        if a_len > 0 then
          fbm[#fbm + 1] = src_b:select(0, b - 1):narrow(0, plen[b], a_len):mean(0)
          fmm[#fmm + 1] = src_m:select(0, b - 1):narrow(0, plen[b], a_len):mean(0)
        end
        if not tc then break end
      end
      if #fbm > 0 then diffs[ti] = discern.tensor.cat(fmm, 0):sub(discern.tensor.cat(fbm, 0)) end
      prompt_rows[ti] = prompt_row(run, fb, rb, b, plen[b], tc)
    end
  end
  count_forward(run, "screen", tokens_total, passes, t0)
  -- Per-feature paired screen across texts (only with transcoders: features are the basis).
  local features = {}
  if tc then
    local rows = {}
    for i = 1, #texts do if diffs[i] then rows[#rows + 1] = diffs[i] end end
    local D = discern.tensor.stack(rows, 0)
    local width = D:shape()[2]
    local per_layer = width // nl
    local cols = D:t():tolist()
    local ps, which = {}, {}
    for f = 1, width do
      local nz = 0
      for _, v in ipairs(cols[f]) do if v ~= 0 then nz = nz + 1 end end
      if nz >= 10 then
        local w = discern.stats.wilcoxon(cols[f])
        ps[#ps + 1] = w.pvalue
        local s = 0
        for _, v in ipairs(cols[f]) do s = s + v end
        which[#which + 1] = {layer = (f - 1) // per_layer, feature = (f - 1) % per_layer, mean_diff = s / #cols[f], pvalue = w.pvalue}
      end
    end
    if #ps > 0 then
      local bh = discern.stats.fdr(ps, {alpha = o.feature_alpha})
      for i, w in ipairs(which) do
        w.adjusted, w.rejected = bh.adjusted[i], bh.rejected[i]
        if w.rejected then features[#features + 1] = w end
      end
    end
    table.sort(features, function(a, b) return a.pvalue < b.pvalue or (a.pvalue == b.pvalue and math.abs(a.mean_diff) > math.abs(b.mean_diff)) end)
  end
  -- ADL: the mean δ at the answer start through the logit lens.
  local adl = {promoted = {}, suppressed = {}}
  local wu = unembedding(run.base)
  if wu and delta_sum then
    local scores = delta_sum:div(delta_n):matmul(wu)
    local tv, ti = scores:topk(10)
    local bv, bi = scores:neg():topk(10)
    tv, bv = tv:tolist(), bv:tolist()
    for i, id in ipairs(ti:tolist()) do adl.promoted[i] = {token = decode_token(run.base, id), score = tv[i]} end
    for i, id in ipairs(bi:tolist()) do adl.suppressed[i] = {token = decode_token(run.base, id), score = -bv[i]} end
  end
  -- ADL steering: the base model generates with δ added to its last residual stream at every position; what it
  -- then says shows what the difference encodes (greedy, adl_steer prompts, counted as generation).
  if delta_sum and o.adl_steer > 0 then
    local delta = delta_sum:div(delta_n)
    local ps = {}
    for i = 1, math.min(o.adl_steer, #texts) do ps[i] = texts[i].prompt end
    local t0 = discern.clock()
    local gen = run.base:generate(ps, {greedy = true, max_new_tokens = o.continuation_tokens * 3, stop = {END}, progress = false,
      fwd_hooks = {{run.resid_hook, function(x) return x:add(delta) end}}})
    local plain = run.base:generate(ps, {greedy = true, max_new_tokens = o.continuation_tokens * 3, stop = {END}, progress = false})
    local toks = 0
    adl.steered = {}
    for i, g in ipairs(gen) do
      toks = toks + #g.tokens + #plain[i].tokens
      adl.steered[i] = {prompt = prompts_mod.plain(ps[i]), steered = g.text, base = plain[i].text}
    end
    run.meter:add("screen", {generated_tokens = toks, samples = 2 * #gen, seconds = discern.clock() - t0})
  end
  table.sort(kl_hist)
  local q = function(p) return #kl_hist > 0 and kl_hist[math.max(1, math.ceil(p * #kl_hist))] or 0 end
  local rank = {}
  for i, t in ipairs(per_text) do rank[i] = {text = i, max_kl = t.max_kl} end
  table.sort(rank, function(a, b) return a.max_kl > b.max_kl end)
  local feats = discern.tensor.stack(prompt_rows, 0)
  log(run, "screen: %d texts, %d divergent positions (KL ≥ %g), KL median %.3f, 99th pct %.3f; %d features differ (BH %g)",
    #texts, #events, o.min_kl, q(0.5), q(0.99), #features, o.feature_alpha)
  return {events = events, per_text = per_text, ranked = rank, features = features, adl = adl,
    kl_quantiles = {median = q(0.5), p90 = q(0.9), p99 = q(0.99)}, prompt_features = feats}
end

local function cosine(a, b)
  local na, nb = a:square():sum():sqrt():item(), b:square():sum():sqrt():item()
  if na == 0 or nb == 0 then return 0 end
  return a:mul(b):sum():item() / (na * nb)
end

--- Patterns and mechanisms: divergent positions grouped by the token the model newly prefers (a pattern: output
--- shift where the base model's preferred token loses), kept with min_events positions in as many texts; patterns
--- whose mean feature differences (model − base at their positions) have cosine ≥ merge_cosine are one mechanism
--- (co-activation). Mechanisms with a mean KL per position below min_mechanism_kl are dropped; the rest are ranked
--- by it.
function M.steps.mechanisms(run)
  local o = run.opts
  local by_token = {}
  for _, e in ipairs(run.steps.screen.events) do
    local g = by_token[e.promoted]
    if not g then g = {promoted = e.promoted, events = {}, texts = {}, kl = 0}; by_token[e.promoted] = g end
    g.events[#g.events + 1] = e
    g.texts[e.text] = true
    g.kl = g.kl + e.kl
  end
  local patterns = {}
  for _, g in pairs(by_token) do
    local nt = 0
    for _ in pairs(g.texts) do nt = nt + 1 end
    if #g.events >= o.min_events and nt >= o.min_events then
      table.sort(g.events, function(a, b) return a.kl > b.kl end)
      local sum
      for _, e in ipairs(g.events) do
        local d = e.fmodel:sub(e.fbase)
        sum = sum and sum:add(d) or d
      end
      g.delta = sum:div(#g.events)
      g.n_texts = nt
      patterns[#patterns + 1] = g
    end
  end
  table.sort(patterns, function(a, b) return a.kl > b.kl or (a.kl == b.kl and a.promoted < b.promoted) end)
  -- Union-find over patterns by co-activation.
  local parent = {}
  for i = 1, #patterns do parent[i] = i end
  local function find(i) while parent[i] ~= i do i = parent[i] end return i end
  for i = 1, #patterns do
    for j = i + 1, #patterns do
      if cosine(patterns[i].delta, patterns[j].delta) >= o.merge_cosine then
        local a, b = find(i), find(j)
        if a ~= b then parent[math.max(a, b)] = math.min(a, b) end
      end
    end
  end
  local groups, order = {}, {}
  for i, p in ipairs(patterns) do
    local r = find(i)
    if not groups[r] then groups[r] = {patterns = {}, kl = 0}; order[#order + 1] = r end
    local g = groups[r]
    g.patterns[#g.patterns + 1] = p
    g.kl = g.kl + p.kl
  end
  local mechs, dropped = {}, 0
  for _, r in ipairs(order) do
    local g = groups[r]
    local n = 0
    for _, p in ipairs(g.patterns) do n = n + #p.events end
    g.mean_kl = g.kl / n
    if g.mean_kl >= o.min_mechanism_kl then mechs[#mechs + 1] = g else dropped = dropped + 1 end
  end
  table.sort(mechs, function(a, b) return a.mean_kl > b.mean_kl end)
  while #mechs > o.max_mechanisms do table.remove(mechs) end
  for i, m in ipairs(mechs) do
    m.id = "m" .. i
    for j, p in ipairs(m.patterns) do p.id = m.id .. "." .. j; p.mechanism = m.id end
  end
  log(run, "mechanisms: %d patterns in %d mechanisms (%d more below min_mechanism_kl %g)", #patterns, #mechs, dropped, o.min_mechanism_kl)
  return mechs
end

-- The first words of `a` that `b` does not start with: the phrase where a continuation departs.
local function departure(a, b)
  local wa, wb = measure.words(a), measure.words(b)
  local i = 1
  while i <= #wa and wa[i] == wb[i] do i = i + 1 end
  if i > #wa then return nil end
  local out = {}
  for j = i, math.min(#wa, i + 1) do out[#out + 1] = wa[j] end
  -- Common function words alone say little: keep two words when the first is short.
  if #out == 2 and #out[1] > 3 then out[2] = nil end
  return table.concat(out, " ")
end

-- Top features of a pattern by mean activation difference: emergent (active in the model, ≈ silent in the
-- base model) and vanishing (the reverse), with logit-lens tokens.
local function pattern_features(run, p, tc, per_layer)
  if not tc then return {}, {}, {} end
  local sb, sm
  for _, e in ipairs(p.events) do
    sb = sb and sb:add(e.fbase) or e.fbase
    sm = sm and sm:add(e.fmodel) or e.fmodel
  end
  local n = #p.events
  local mb, mm = sb:div(n):tolist(), sm:div(n):tolist()
  local all, emergent, vanishing = {}, {}, {}
  for f = 1, #mb do
    local d = mm[f] - mb[f]
    if d ~= 0 then all[#all + 1] = {index = f, layer = (f - 1) // per_layer, feature = (f - 1) % per_layer, base = mb[f], model = mm[f], delta = d} end
  end
  table.sort(all, function(a, b) return math.abs(a.delta) > math.abs(b.delta) end)
  local top = {}
  for i = 1, math.min(8, #all) do top[i] = all[i] end
  for _, f in ipairs(top) do
    if f.delta > 0 and f.base <= 0.1 * f.model then emergent[#emergent + 1] = f end
    if f.delta < 0 and f.model <= 0.1 * f.base then vanishing[#vanishing + 1] = f end
  end
  for _, f in ipairs(emergent) do
    local ok, lens = pcall(discern.circuit.logit_lens, run.model, tc, f.layer, f.feature, {k = 5})
    if ok then
      f.lens = {}
      for _, t in ipairs(lens.promoted or {}) do
        for _, w in ipairs(measure.words(t.token or "")) do f.lens[#f.lens + 1] = w end
      end
    end
  end
  return top, emergent, vanishing
end

--- Interpretation of every pattern: the context where the models part (decoded), both models' greedy
--- continuations there (continuation_tokens; counted as generation in step "interpret"), the phrases where they
--- depart, the prompts where it fires, the screening estimate of its rate change, and its features (top
--- differences, emergent and vanishing, with the logit lens of emergent ones). A plain-words summary per
--- mechanism.
function M.steps.interpret(run)
  local o = run.opts
  local tc = transcoders(run)
  local per_layer = tc and tc:info().d_transcoder[1] or nil
  local contexts, owners = {}, {}
  for _, m in ipairs(run.steps.mechanisms) do
    for _, p in ipairs(m.patterns) do
      contexts[#contexts + 1] = run.base:to_string(p.events[1].context_ids)
      owners[#owners + 1] = p
    end
  end
  if #contexts == 0 then return {} end
  local so = {n = 1, seed = run.seed, temperature = 0, max_new_tokens = o.continuation_tokens, stop = {END},
    batch_size = o.sampling.batch_size, ledger = run.meter, step = "interpret", store = run.store}
  local cb = behavior.sample(run.base, contexts, so)
  local cm = behavior.sample(run.model, contexts, so)
  for i, p in ipairs(owners) do
    p.context = contexts[i]
    p.base_continuation, p.model_continuation = cb[i].completion, cm[i].completion
    p.model_phrase = departure(p.model_continuation, p.base_continuation)
    p.base_phrase = departure(p.base_continuation, p.model_continuation)
    p.promoted_text = decode_token(run.base, p.promoted)
    local e1 = p.events[1]
    p.at_start, p.at_end = e1.at_start, e1.at_end
    p.suppressed_text = decode_token(run.base, e1.suppressed)
    local seen, ps, idx = {}, {}, {}
    local gain, start_kl = 0, math.huge
    for _, e in ipairs(p.events) do
      gain = gain + e.gain
      if not seen[e.text] then
        seen[e.text] = true
        ps[#ps + 1] = run.steps.texts[e.text].prompt
        idx[#idx + 1] = e.text
        start_kl = math.min(start_kl, run.steps.screen.per_text[e.text].start_kl)
      end
    end
    p.prompts, p.prompt_indices = ps, idx
    p.start_kl = start_kl
    p.example = prompts_mod.plain(ps[1])
    -- The screening estimate: the mean probability the model gained on its preferred token.
    p.effect = gain / #p.events
    p.features, p.emergent, p.vanishing = pattern_features(run, p, tc, per_layer)
  end
  -- Top-activating contexts of the emergent and vanishing features over the screening texts, in the model
  -- (emergent) or the base model (vanishing): discern.circuit.feature_contexts, one pass each, cached in the store.
  if tc and #owners > 0 then
    -- The texts where the models part (the patterns' own texts first), at most interpret_texts of them.
    local texts, seen = {}, {}
    for _, p in ipairs(owners) do
      for _, i in ipairs(p.prompt_indices) do
        if not seen[i] and #texts < o.interpret_texts then seen[i] = true; texts[#texts + 1] = run.steps.texts[i].text end
      end
    end
    for i, t in ipairs(run.steps.texts) do
      if #texts >= o.interpret_texts then break end
      if not seen[i] and run.steps.screen.per_text[i].events > 0 then seen[i] = true; texts[#texts + 1] = t.text end
    end
    local so_fc = {progress = false, store = run.store == nil and true or run.store}
    local fcs = {}
    local function index(side)
      if not fcs[side] then
        local t0 = discern.clock()
        fcs[side] = discern.circuit.feature_contexts(side == "model" and run.model or run.base, tc, texts, so_fc)
        local tokens = 0
        for _, t in ipairs(texts) do tokens = tokens + run.base:to_tokens(t):shape()[2] end
        if not fcs[side]:cached() then count_forward(run, "interpret", tokens, math.ceil(#texts / 8), t0) end
      end
      return fcs[side]
    end
    for _, p in ipairs(owners) do
      for _, list in ipairs({{p.emergent, "model"}, {p.vanishing, "base"}}) do
        for _, f in ipairs(list[1]) do
          local ok, line = pcall(index(list[2]).describe, index(list[2]), f.layer, f.feature)
          if ok then f.describe = line end
        end
      end
    end
  end
  local out = {}
  for _, m in ipairs(run.steps.mechanisms) do
    local p = m.patterns[1]
    local says = {}
    for _, q in ipairs(m.patterns) do if q.model_phrase then says[#says + 1] = "'" .. q.model_phrase .. "'" end end
    m.summary = string.format("on prompts like '%s' the models part at '…%s': the model continues '%s' where the base model continues '%s'%s%s",
      p.example, (p.context:sub(-40)), p.model_continuation, p.base_continuation,
      #says > 1 and (" (its patterns say " .. table.concat(says, ", ") .. ")") or "",
      (p.emergent[1] and string.format("; feature L%d_F%d emerges", p.emergent[1].layer, p.emergent[1].feature) or ""))
    out[#out + 1] = {mechanism = m.id, summary = m.summary, patterns = #m.patterns}
    log(run, "interpret: %s %s", m.id, m.summary)
  end
  return out
end

--- Circuit diff of the top mechanisms (with transcoders): the top pattern's context is traced in both models with
--- the base model's transcoders and the same logit targets (the tokens each model prefers there), and the graphs
--- diffed (discern.circuit.diff): feature nodes that appear, vanish or change influence, edges that change, and
--- whether the strongest path to a target is rerouted. Each mechanism gets `circuit` and, when a path is rerouted, a
--- "rerouting" tag in its summary.
function M.steps.circuits(run)
  local tc = transcoders(run)
  local out = {}
  if not tc or run.opts.circuit_mechanisms <= 0 then return out end
  local rb, rm
  for i, m in ipairs(run.steps.mechanisms) do
    if i > run.opts.circuit_mechanisms then break end
    rb = rb or discern.circuit.replacement_model(run.base, tc)
    rm = rm or discern.circuit.replacement_model(run.model, tc)
    local p = m.patterns[1]
    local e = p.events[1]
    local targets = {p.promoted}
    if e.suppressed ~= p.promoted then targets[2] = e.suppressed end
    local t0 = discern.clock()
    local ok, gb = pcall(discern.circuit.attribute, e.context_ids, rb, {targets = targets, progress = false, store = run.store})
    local ok2, gm = pcall(discern.circuit.attribute, e.context_ids, rm, {targets = targets, progress = false, store = run.store})
    run.meter:add("circuits", {seconds = discern.clock() - t0, forward_passes = 2, prefill_tokens = 2 * #e.context_ids})
    if ok and ok2 then
      local d = discern.circuit.diff(gb, gm, {top = 10})
      local rerouted = {}
      for _, path in ipairs(d.paths) do if path.rerouted then rerouted[#rerouted + 1] = path.target end end
      m.circuit = {diff = d, rerouted = rerouted, error_share = {base = d.error_share_base, model = d.error_share_model},
        graphs = {base = gb, model = gm}}
      if #rerouted > 0 then m.summary = m.summary .. "; rerouted paths to " .. #rerouted .. " of " .. #d.paths .. " targets" end
      out[#out + 1] = {mechanism = m.id, counts = d.counts, rerouted = #rerouted, error_share = m.circuit.error_share}
      log(run, "circuits: %s: features new %d, removed %d; edges strengthened %d, weakened %d, flipped %d; %d rerouted paths; error share %.2f → %.2f",
        m.id, d.counts[1], d.counts[2], d.counts[6], d.counts[7], d.counts[8], #rerouted, d.error_share_base, d.error_share_model)
    else
      log(run, "circuits: %s not traced (%s)", m.id, tostring(ok and gm or gb))
    end
  end
  return out
end

-- Retrieval rows and answer-start KL of prompts (forward passes of both models, counted under "retrieve").
local function score_prompts(run, list)
  local tc = transcoders(run)
  local t0 = discern.clock()
  local rows, kls, tokens = {}, {}, 0
  local bs = run.opts.batch_size
  for s = 1, #list, bs do
    local batch = {table.unpack(list, s, math.min(#list, s + bs - 1))}
    local toks, mask = run.base:to_tokens(batch, {return_mask = true})
    local lens = mask:sum(1):tolist()
    local lb, fb, rb = activations(run, run.base, batch, tc)
    local lpb = lb:log_softmax(-1)
    local lpm = run.model:forward(toks, {attention_mask = mask}):log_softmax(-1)
    local kl = lpm:exp():mul(lpm:sub(lpb)):sum(-1):tolist()
    for b = 1, #batch do
      local n = math.floor(lens[b] + 0.5)
      tokens = tokens + 2 * n
      rows[#rows + 1] = prompt_row(run, fb, rb, b, n, tc)
      kls[#kls + 1] = kl[b][n]
    end
  end
  count_forward(run, "retrieve", tokens, 2 * math.ceil(#list / bs), t0)
  return discern.tensor.stack(rows, 0), kls
end

-- Helpers the generators use: a candidate pool of fresh prompts scored once (retrieval rows in the base model,
-- answer-start KL), and the same scores for any other prompts.
local function generator_ctx(run)
  if run._gctx then return run._gctx end
  local avoid = {}
  for _, t in ipairs(run.steps.texts) do avoid[t.prompt] = true end
  local ctx = {source = run.source, avoid = avoid, screen = {prompts = run.steps.prompts, features = run.steps.screen.prompt_features}}
  function ctx.generator(name) return generators.get(name) end
  --- The run's embedder (opts.embedder or the default all-MiniLM-L6-v2, loaded on first use).
  function ctx.embedder()
    run.embedder = run.embedder or discern.embed.load()
    return run.embedder
  end
  function ctx.features(list) return (score_prompts(run, list)) end
  function ctx.answer_kl(list)
    local _, k = score_prompts(run, list)
    return k
  end
  function ctx.pool()
    if ctx._pool then return ctx._pool end
    local drawn = run.source:draw(random.new(run.seed):fork("candidate-pool"), run.opts.pool_size, avoid)
    local seen, list = {}, {}
    for _, p in ipairs(drawn) do
      if not seen[p] and not avoid[p] then seen[p] = true; list[#list + 1] = p end
    end
    if #list == 0 then error(discern.error("arg", "discern.diff: the prompt source gave no prompt outside the screening set"), 0) end
    local f, k = score_prompts(run, list)
    ctx._pool = {prompts = list, features = f, kl = k}
    log(run, "retrieve: a pool of %d fresh candidate prompts", #list)
    return ctx._pool
  end
  run._gctx = ctx
  return ctx
end

--- The context generators receive for a run (its candidate pool, scoring helpers, screening rows).
---@param run table a discern.Run of this pipeline, screened
---@return table
function M.generator_context(run) return generator_ctx(run) end

-- Template names in the order they are tried.
local function template_names(run)
  if run.opts.templates and run.opts.templates ~= false then return run.opts.templates end
  local names = hypotheses.list()
  local prio = {}
  for _, n in ipairs(names) do prio[n] = hypotheses.get(n).priority or 5 end
  table.sort(names, function(a, b) return prio[a] < prio[b] or (prio[a] == prio[b] and a < b) end)
  return names
end

-- Hypotheses of one pattern from the templates registered now (validated field by field).
local function make_hypotheses(run, p)
  local gctx = generator_ctx(run)
  local ctx = {measure = measure, min_effect = run.opts.min_effect or behavior.defaults.min_effect.rate}
  function ctx.prompts(name)
    local g = generators.get(name or run.opts.generator)
    local fn = g.make(p, gctx)
    return prompts_mod.fn(fn, g.name .. " for " .. p.id)
  end
  function ctx.reference()
    return measure.differs_from_reference{reference = run.base, sampling = run.opts.sampling, ledger = run.meter, store = run.store}
  end
  -- The features a causal check ablates: those the circuit diff shows gaining the most influence on the logits
  -- (when the mechanism was traced), else the pattern's largest activation differences.
  local features = p.features and #p.features > 0 and {p.features[1], p.features[2], p.features[3]} or nil
  for _, m in ipairs(run.steps.mechanisms or {}) do
    if m.id == p.mechanism and m.circuit then
      local picked = {}
      for _, n in ipairs(m.circuit.diff.nodes) do
        if #picked < 3 and n.id:match("^%d+_%d+_%d+$") and n.influence_delta > 0 then
          picked[#picked + 1] = {layer = n.layer, feature = n.index, delta = n.influence_delta, source = "circuit"}
        end
      end
      if #picked > 0 then features = picked end
    end
  end
  local out = {}
  for _, name in ipairs(template_names(run)) do
    local ok, t = pcall(hypotheses.get, name)
    if ok and (not t.applies or t.applies(p)) then
      for _, h in ipairs(t.make(p, ctx) or {}) do
        h.origin = {pipeline = "mechanistic", template = name, pattern = p.id, mechanism = p.mechanism,
          generator = run.opts.generator, context = p.context, features = features}
        h.id = p.id .. ":" .. name
        out[#out + 1] = behavior.hypothesis(h)
      end
    end
  end
  return out
end

--- The hypotheses the templates registered now make from a pattern (validated).
---@param run table
---@param pattern table
---@return table[]
function M.make_hypotheses(run, pattern) return make_hypotheses(run, pattern) end

--- The arms of exploration: one per mechanism, each a queue of its patterns (hypotheses are made from them
--- lazily, by the templates registered when the arm is pulled).
function M.steps.hypotheses(run)
  local arms = {}
  for _, m in ipairs(run.steps.mechanisms) do
    arms[#arms + 1] = {id = m.id, mechanism = m, queue = {}, next_pattern = 1, done = false}
  end
  return arms
end

-- The next hypothesis of an arm not too close to one already tested (same measure and direction).
local function next_hypothesis(run, arm, tested)
  while true do
    if #arm.queue == 0 then
      local p = arm.mechanism.patterns[arm.next_pattern]
      if not p then return nil end
      arm.next_pattern = arm.next_pattern + 1
      arm.queue = make_hypotheses(run, p)
    end
    local h = table.remove(arm.queue, 1)
    if h then
      local key = (type(h.measure) == "table" and h.measure.describe or tostring(h.measure)) .. "|" .. h.direction .. "|" .. (h.origin.template == "continuation_change" and h.origin.mechanism or "")
      if not tested[key] then tested[key] = true return h end
    end
  end
end

--- Active exploration: a bandit (the run's strategy; swappable between rounds through run.opts.strategy or
--- on_round) over mechanisms. Each round tests the chosen arm's next hypothesis on fresh prompts with a fresh seed
--- through the run's online FDR stream; the reward is 1 for a finding, else the evidence (1 − p) scaled by ½.
--- Once a pattern's hypothesis is validated its other hypotheses (restatements) are dropped. An arm is retired
--- when its hypotheses run out or after two rounds without a finding and with p > 0.5; the
--- loop stops on budget, max_rounds, or when no arm is left. Every round's arm, hypothesis, reward and the
--- policy's state are recorded.
function M.steps.explore(run)
  local o = run.opts
  local arms = run.steps.hypotheses
  local rounds = {}
  if #arms == 0 then return {rounds = rounds} end
  local by_id, names = {}, {}
  for _, a in ipairs(arms) do by_id[a.id] = a; names[#names + 1] = a.id end
  local history = {}
  local current = o.strategy
  local policy = strategy.policy(names, {strategy = current})
  local tested = {}
  for round = 1, o.max_rounds do
    -- A strategy swapped while the run goes: a fresh policy replays the rewards so far.
    if o.strategy ~= current then
      current = o.strategy
      policy = strategy.policy(names, {strategy = current})
      for _, h in ipairs(history) do policy:update(h.arm, h.reward) end
      log(run, "explore: strategy is now %s", current)
    end
    local live = 0
    for _, a in ipairs(arms) do if not a.done then live = live + 1 end end
    if live == 0 then break end
    -- Every arm is pulled once in rank order (most divergent mechanism first), then the policy chooses.
    local arm_id = round <= #arms and arms[round].id or policy:select()
    local arm = by_id[arm_id]
    if arm.done then
      -- A retired arm: pick the first live one instead (the policy keeps its statistics).
      for _, a in ipairs(arms) do if not a.done then arm = a break end end
      arm_id = arm.id
    end
    local h = next_hypothesis(run, arm, tested)
    if not h then
      arm.done = true
    else
      local seed = random.new(run.seed):fork("validate-" .. h.id):int(0, 1 << 40)
      local ok, t = pcall(behavior.test, h, run.base, run.model, {stream = run.stream, ledger = run.meter, seed = seed,
        n_min = o.validation.n_min, n_max = o.validation.n_max, sampling = o.sampling, store = run.store,
        looks = o.sequential and o.sequential.looks or nil, futility = o.sequential and o.sequential.futility or nil})
      if not ok then
        if type(t) == "table" and t.code == "budget" then run:stop("budget", tostring(t)) break end
        error(t, 0)
      end
      if t then
        run:record_test(t)
        local reward = t.rejected and 1 or 0.5 * (1 - t.pvalue)
        history[#history + 1] = {arm = arm_id, reward = reward}
        policy:update(arm_id, reward)
        arm.pulls = (arm.pulls or 0) + 1
        arm.findings = (arm.findings or 0) + (t.rejected and 1 or 0)
        if not t.rejected and t.pvalue > 0.5 and arm.pulls >= 2 and arm.findings == 0 then arm.done = true end
        -- Diversity: a validated pattern's other hypotheses restate it; the arm moves on to its next pattern.
        if t.rejected then arm.queue = {} end
        rounds[#rounds + 1] = {round = round, arm = arm_id, hypothesis = h.id, statement = h.statement, pvalue = t.pvalue,
          rejected = t.rejected, reward = reward, strategy = current, state = policy:stats()}
        log(run, "explore: round %d %s %s p=%.3g alpha_t=%.3g effect=%.3f%s", round, arm_id, h.id, t.pvalue, t.alpha_t, t.effect,
          t.rejected and "  FINDING" or "")
      end
    end
    if type(o.on_round) == "function" then o.on_round(run, round) end
  end
  return {rounds = rounds, strategy = current}
end

--- Meta-analysis per mechanism (reported, never used to decide anything): the effects of its tests in their
--- hypotheses' directions (paired differences of the validation samples, variance var(d)/n, at least 1/n²) combined by a
--- random-effects model (discern.stats.random_effects, DerSimonian–Laird) when it has two tests or more.
function M.steps.meta(run)
  local by = {}
  local order = {}
  for _, t in ipairs(run.tests_list) do
    local m = t.origin and t.origin.mechanism
    if m and t.samples and #t.samples >= 2 then
      if not by[m] then by[m] = {}; order[#order + 1] = m end
      local sign = t.direction == "decrease" and -1 or 1
      local n, sum, sq = #t.samples, 0, 0
      for _, x in ipairs(t.samples) do
        local d = sign * (x.model_value - x.base_value)
        sum, sq = sum + d, sq + d * d
      end
      local mean = sum / n
      -- A test without any difference has sample variance 0; one discordant pair's worth (1/n²) keeps it from
      -- taking all the weight.
      local var = math.max((sq - n * mean * mean) / (n - 1) / n, 1 / (n * n))
      table.insert(by[m], {effect = mean, variance = var, statement = t.statement})
    end
  end
  local out = {}
  for _, m in ipairs(order) do
    local list = by[m]
    if #list >= 2 then
      local e, v = {}, {}
      for i, x in ipairs(list) do e[i], v[i] = x.effect, x.variance end
      local r = discern.stats.random_effects(e, v)
      out[#out + 1] = {mechanism = m, tests = #list, estimate = r.estimate, ci = r.ci, tau2 = r.tau2, i2 = r.i2}
      log(run, "meta: %s: %d tests, combined effect %.3f [%.3f, %.3f], I² %.2f", m, #list, r.estimate, r.ci.lower, r.ci.upper, r.i2)
    end
  end
  return out
end

--- Causal check of each finding with features (those the circuit diff shows gaining the most logit influence when
--- the mechanism was traced, else the pattern's largest activation differences): they are ablated in the intervened
--- model (their decoded contribution subtracted from the MLP output they write) and the model re-samples
--- causal_prompts of the finding's validation prompts with the same seed; the share of the effect that remains is
--- reported ("ablating L1_F17 removes 80 % of the effect"). Reported, never an FDR decision.
function M.steps.causal(run)
  local tc = transcoders(run)
  local out = {}
  if not tc then return out end
  local info = tc:info()
  for _, f in ipairs(run.findings_list) do
    local feats = {}
    for _, x in ipairs((f.origin and f.origin.features) or {}) do
      if x.delta and x.delta > 0 then feats[#feats + 1] = x end
    end
    if #feats > 0 and f.samples and #f.samples > 0 then
      local hooks = {}
      local by_layer = {}
      for _, x in ipairs(feats) do
        by_layer[x.layer] = by_layer[x.layer] or {}
        table.insert(by_layer[x.layer], x.feature)
      end
      for layer, list in pairs(by_layer) do
        local slot = {}
        local idx = discern.tensor.new(list, {dtype = "int64"})
        local dec = tc:decoder(layer):index_select(0, idx)
        hooks[#hooks + 1] = {"blocks." .. layer .. "." .. info.feature_input_hook, function(x) slot.x = x end}
        hooks[#hooks + 1] = {"blocks." .. layer .. "." .. info.feature_output_hook, function(y)
          local a = tc:encode(layer, slot.x):index_select(-1, idx)
          return y:sub(a:matmul(dec))
        end}
      end
      local ps, base_vals, model_vals = {}, {}, {}
      for i = 1, math.min(run.opts.causal_prompts, #f.samples) do
        local s = f.samples[i]
        ps[i], base_vals[i], model_vals[i] = s.prompt, s.base_value, s.model_value
      end
      local so = {n = 1, seed = f.seed, max_new_tokens = run.opts.sampling.max_new_tokens, temperature = run.opts.sampling.temperature,
        stop = run.opts.sampling.stop, fwd_hooks = hooks, progress = false}
      local t0 = discern.clock()
      local gen = run.model:generate(ps, so)
      local toks = 0
      for _, g in ipairs(gen) do toks = toks + #g.tokens end
      run.meter:add("causal", {generated_tokens = toks, samples = #gen, seconds = discern.clock() - t0})
      local m = f.hypothesis.measure
      local sb, sm, sa = 0, 0, 0
      for i, g in ipairs(gen) do
        local v = m(ps[i], g.text)
        sa = sa + ((v == true and 1) or (v == false and 0) or v)
        sb, sm = sb + base_vals[i], sm + model_vals[i]
      end
      local n = #gen
      local effect, ablated = (sm - sb) / n, (sa - sb) / n
      local names = {}
      for _, x in ipairs(feats) do names[#names + 1] = string.format("L%d_F%d", x.layer, x.feature) end
      local removed = effect ~= 0 and (1 - ablated / effect) or 0
      local r = {statement = f.statement, features = names, n = n, effect = effect, ablated_effect = ablated, removed = removed,
        summary = string.format("ablating %s removes %.0f %% of the effect (%.2f → %.2f on %d prompts)",
          table.concat(names, ", "), 100 * removed, effect, ablated, n)}
      f.causal = r
      out[#out + 1] = r
      log(run, "causal: %s", r.summary)
    end
  end
  return out
end

return M
