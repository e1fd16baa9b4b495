--- discern.pipelines.exhaustive: the exhaustive behavioural comparison of the original research system.
---
--- sample N prompts × k completions from both models → embed → cluster the union (k-means) or each model
--- apart (matched by Hungarian on centroid cosine) → for each cluster's prompt region, contrastive labels
--- (distinguishing n-grams, log-odds with an informative Dirichlet prior) → discriminative validation on
--- held-out texts (AUC with DeLong CI, one-sided Mann–Whitney p; a classifier two-sample test on embeddings per
--- region as the "any difference here" baseline) → generative validation: each label becomes a hypothesis
--- over its region, tested on fresh prompts and fresh seeds through the run's single online FDR stream.
---
--- Every step is a function (run) -> value stored in run.steps[name]; replace one with
--- `discern.diff{…, steps = {label = my_label}}` or by assigning `exhaustive.steps.label`. Steps run in the
--- order of `exhaustive.order`. The pipeline never sees a ground truth: only prompts, completions and the
--- models.
local discern = require "discern"
local random = require "discern.random"
local prompts_mod = require "discern.prompts"
local measure = require "discern.measure"
local behavior = require "discern.behavior"

local M = {}

--- Options of the exhaustive pipeline (discern.diff takes them at its top level) and their defaults.
M.defaults = {
  n_prompts = 400,        -- exploration prompts
  samples_per_prompt = 2, -- completions per prompt and model
  clusters = "sqrt",      -- k for k-means; "sqrt": √(texts/2) within [2, 64]; "auto": best silhouette over a grid
  match = "union",        -- "union": cluster both models' texts together; "hungarian": cluster apart, match centroids
  label_fraction = 0.5,   -- share of a region's prompts whose texts the labeller sees (the rest is held out)
  min_region = 6,         -- regions with fewer exploration prompts are not labelled
  max_regions = 24,       -- regions labelled at most (largest model-mix difference first)
  ngram_max = 2, top_ngrams = 4, min_docs = 3, min_z = 1.5,
  min_change = 0.1,       -- "change" labels: model answers new to the base model this much more often than its own
  screen_p = 0.05,        -- discriminative screen: labels with a held-out Mann–Whitney p above this are not validated
  classifier_permutations = 100,
  duplicate_jaccard = 0.5, -- labels this close (n-gram sets) to an earlier one are tested once
  validation = {n_min = 40, n_max = 300},
  sampling = {max_new_tokens = 48, temperature = 0.7, stop = {"<|end|>"}, batch_size = 32},
}

--- The pipeline embeds completions: discern.diff loads the default embedder for it (or takes opts.embedder).
M.needs_embedder = true

--- The steps, in order.
M.order = {"prompts", "sample", "embed", "cluster", "match", "label", "discriminate", "validate"}

M.steps = {}

local function log(run, fmt, ...) run:log(string.format(fmt, ...)) end

--- Exploration prompts: opts.n_prompts from the source with the run's exploration seed.
function M.steps.prompts(run)
  local rng = random.new(run.seed):fork("explore-prompts")
  return run.source:draw(rng, run.opts.n_prompts)
end

--- samples_per_prompt completions of every exploration prompt from both models (cached in the store).
function M.steps.sample(run)
  local ps = run.steps.prompts
  local o = {n = run.opts.samples_per_prompt, seed = run.seed, ledger = run.meter, step = "explore", store = run.store}
  for k, v in pairs(run.opts.sampling) do o[k] = v end
  local function side(m)
    local out = {}
    for i, s in ipairs(behavior.sample(m, ps, o)) do
      out[i] = {prompt_index = s.prompt_index, completion = s.completion, key = s.key}
    end
    return out
  end
  return {base = side(run.base), model = side(run.model)}
end

--- Embeddings of every completion (rows L2-normalised) and of the exploration prompts.
function M.steps.embed(run)
  local s = run.steps.sample
  local texts = {}
  for _, c in ipairs(s.base) do texts[#texts + 1] = c.completion end
  for _, c in ipairs(s.model) do texts[#texts + 1] = c.completion end
  local t0 = discern.clock()
  local all = run.embedder:encode(texts)
  local nb = #s.base
  local out = {base = all:narrow(0, 0, nb), model = all:narrow(0, nb, #s.model), all = all,
    prompts = run.embedder:encode(run.steps.prompts)}
  run.meter:add("embed", {seconds = discern.clock() - t0})
  return out
end

--- k-means over the union of both models' completions (match = "union"), or over each model apart.
function M.steps.cluster(run)
  local e = run.steps.embed
  local k = run.opts.clusters
  if k == "sqrt" then
    local n = run.opts.match == "hungarian" and e.base:shape()[1] or e.all:shape()[1]
    k = math.max(2, math.min(64, math.floor(math.sqrt(n / 2))))
  end
  local o = {k = k, metric = "cosine", seed = run.seed, n_init = 3}
  if run.opts.match == "hungarian" then
    return {base = discern.cluster.kmeans(e.base, o), model = discern.cluster.kmeans(e.model, o)}
  end
  local r = discern.cluster.kmeans(e.all, o)
  local nb = #run.steps.sample.base
  local lb, lm = {}, {}
  for i, l in ipairs(r.labels) do
    if i <= nb then lb[#lb + 1] = l else lm[#lm + 1] = l end
  end
  return {k = r.k, union = r, base = {labels = lb, k = r.k}, model = {labels = lm, k = r.k}}
end

-- A region per cluster (or matched pair): the exploration prompts with a completion (either model's) in it.
local function region_of(run, cb, cm)
  local s, cl = run.steps.sample, run.steps.cluster
  local in_region, nb, nm = {}, 0, 0
  for i, c in ipairs(s.base) do
    if cl.base.labels[i] == cb then in_region[c.prompt_index] = true; nb = nb + 1 end
  end
  for i, c in ipairs(s.model) do
    if cl.model.labels[i] == cm then in_region[c.prompt_index] = true; nm = nm + 1 end
  end
  local list = {}
  for p in pairs(in_region) do list[#list + 1] = p end
  table.sort(list)
  return list, nb, nm
end

--- Regions to compare, most different model mix first: for union clusters, each cluster with its counts and a
--- Fisher p of its model share against the overall share (a screening statistic, not a decision); for
--- Hungarian matching, each matched pair (centroid cosine) and the unmatched clusters.
function M.steps.match(run)
  local cl, s = run.steps.cluster, run.steps.sample
  local regions = {}
  local NB, NM = #s.base, #s.model
  if run.opts.match == "hungarian" then
    local function unit(c) return c:div(c:square():sum(1, {keepdim = true}):sqrt():clamp(1e-12)) end
    local cb, cm = unit(cl.base.centroids), unit(cl.model.centroids)
    local sim = cb:matmul(cm:t()):tolist()
    local m = discern.cluster.hungarian(sim, {maximize = true})
    for _, pr in ipairs(m.pairs) do
      local list, nb, nm = region_of(run, pr[1], pr[2])
      regions[#regions + 1] = {clusters = {base = pr[1], model = pr[2]}, cosine = sim[pr[1]][pr[2]], prompts = list, n_base = nb, n_model = nm}
    end
  else
    for c = 1, cl.k do
      local list, nb, nm = region_of(run, c, c)
      regions[#regions + 1] = {clusters = {base = c, model = c}, prompts = list, n_base = nb, n_model = nm}
    end
  end
  for _, r in ipairs(regions) do
    r.mix_p = discern.stats.fisher_exact({{r.n_model, r.n_base}, {NM - r.n_model, NB - r.n_base}}).pvalue
    r.model_share = (r.n_model + r.n_base) > 0 and r.n_model / (r.n_model + r.n_base) or 0
  end
  table.sort(regions, function(a, b)
    if a.mix_p ~= b.mix_p then return a.mix_p < b.mix_p end
    return #a.prompts > #b.prompts
  end)
  for i, r in ipairs(regions) do r.id = i end
  return regions
end

local function texts_for(run, side, prompt_set)
  local out = {}
  for _, c in ipairs(run.steps.sample[side]) do
    if prompt_set[c.prompt_index] then out[#out + 1] = c.completion end
  end
  return out
end

-- Jaccard similarity of the word sets of two n-gram lists.
local function jaccard(a, b)
  local function words(list)
    local set = {}
    for _, g in ipairs(list) do for w in g:gmatch("%S+") do set[w] = true end end
    return set
  end
  local sa, seen, inter, union = words(a), words(b), 0, 0
  for x in pairs(seen) do if sa[x] then inter = inter + 1 end end
  for x in pairs(sa) do union = union + 1 end
  for x in pairs(seen) do if not sa[x] then union = union + 1 end end
  return union == 0 and 0 or inter / union
end

local function pick_ngrams(list, opts, avoid)
  local out = {}
  for _, g in ipairs(list) do
    if #out >= opts.top_ngrams then break end
    local docs_share = math.max(g.docs_a or 0, g.docs_b or 0)
    if math.abs(g.z) >= opts.min_z and docs_share >= opts.min_docs and not avoid[g.ngram] then
      local redundant = false
      for _, h in ipairs(out) do
        if (" " .. h .. " "):find(" " .. g.ngram .. " ", 1, true) or (" " .. g.ngram .. " "):find(" " .. h .. " ", 1, true) then
          redundant = true
        end
      end
      if not redundant then out[#out + 1] = g.ngram end
    end
  end
  return out
end

local function quote(list, k)
  local out = {}
  for i = 1, math.min(k or #list, #list) do out[i] = "'" .. list[i] .. "'" end
  return table.concat(out, ", ")
end

--- A completion as a lower-cased word sequence (answers equal under it are "the same answer").
---@param text string
---@return string
function M.normalise(text) return table.concat(measure.words(text), " ") end

--- The labeller interface: labeller(model_texts, base_texts, context) -> {labels}. The offline labeller: the
--- n-grams that distinguish the model's texts from the base model's (log-odds with an informative Dirichlet
--- prior, Monroe et al. 2008), at most two labels (model-side n-grams more often; base-side n-grams less often),
--- and a "change" label when the model's answers to the region's prompts differ from the base model's first answer
--- to the same prompt clearly more often (by min_change) than the base model's other answers do, described by the words only
--- one side uses. context = {region =, avoid = set of n-grams already validated (diversification), example = a
--- prompt, by_prompt = {{prompt =, model = {texts}, base = {texts}}, …} over the labeller's half}.
function M.offline_labeller(model_texts, base_texts, context, opts)
  if #model_texts < 2 or #base_texts < 2 then return {} end
  local lo = discern.text.log_odds(model_texts, base_texts, {ngram_max = opts.ngram_max, min_count = opts.min_docs, top = 40})
  local up = pick_ngrams(lo.a, opts, context.avoid)
  local down = pick_ngrams(lo.b, opts, context.avoid)
  local where = context.example and (" on prompts like '" .. context.example .. "'") or ""
  local labels = {}
  -- "The model changed its answers here": model answers that match none of the base model's answers to the same
  -- prompt, against the base model's own rate of answers that match none of its other answers.
  -- Each side against the same single reference, the prompt's first base answer, so both rates are unbiased:
  -- P(model answer ≠ reference) against P(another base answer ≠ reference).
  local mc, mn, bc, bn = 0, 0, 0, 0
  for _, g in ipairs(context.by_prompt or {}) do
    if #g.base >= 2 then
      local ref = M.normalise(g.base[1])
      for _, m in ipairs(g.model) do mn = mn + 1; if M.normalise(m) ~= ref then mc = mc + 1 end end
      for j = 2, #g.base do bn = bn + 1; if M.normalise(g.base[j]) ~= ref then bc = bc + 1 end end
    end
  end
  if mn > 0 and bn > 0 and mc >= opts.min_docs and mc / mn - bc / bn >= opts.min_change then
    local lo1 = discern.text.log_odds(model_texts, base_texts, {ngram_max = 1, min_count = 1, top = 12})
    local says, instead = {}, {}
    for _, g in ipairs(lo1.a) do if #says < 4 and g.docs_b == 0 then says[#says + 1] = g.ngram end end
    for _, g in ipairs(lo1.b) do if #instead < 4 and g.docs_a == 0 then instead[#instead + 1] = g.ngram end end
    labels[#labels + 1] = {kind = "change", ngrams = says, direction = "increase", contrast = instead,
      change = {model = mc / mn, base = bc / bn},
      statement = "the model's answers differ from the base model's" .. where ..
        (#says > 0 and (" (it says " .. quote(says) .. (#instead > 0 and (" where the base model says " .. quote(instead)) or "") .. ")") or "")}
  end
  if #up > 0 then
    labels[#labels + 1] = {ngrams = up, direction = "increase", contrast = down,
      statement = "the model's answers contain " .. quote(up) .. " more often than the base model's" .. where ..
        (#down > 0 and (" (where the base model says " .. quote(down, 3) .. ")") or "")}
  end
  if #down > 0 then
    labels[#labels + 1] = {ngrams = down, direction = "decrease", contrast = up,
      statement = "the model's answers contain " .. quote(down) .. " less often than the base model's" .. where ..
        (#up > 0 and (" (it says " .. quote(up, 3) .. " instead)") or "")}
  end
  return labels
end

--- Labels for each region: the labeller sees the texts of a random label_fraction of the region's prompts (both
--- models); the rest are held out for discriminative validation. Near-duplicate labels are kept once.
function M.steps.label(run)
  local o = run.opts
  local labeller = run.labeller or function(a, b, ctx) return M.offline_labeller(a, b, ctx, o) end
  local labels = {}
  local rng = random.new(run.seed):fork("label-split")
  for r_i, region in ipairs(run.steps.match) do
    if r_i > o.max_regions then break end
    if #region.prompts >= o.min_region then
      local ps = {table.unpack(region.prompts)}
      rng:shuffle(ps)
      local cut = math.max(1, math.floor(#ps * o.label_fraction + 0.5))
      local label_set, held_set = {}, {}
      for i, p in ipairs(ps) do if i <= cut then label_set[p] = true else held_set[p] = true end end
      local groups, by_prompt = {}, {}
      for _, side in ipairs({"model", "base"}) do
        for _, c in ipairs(run.steps.sample[side]) do
          if label_set[c.prompt_index] then
            local g = groups[c.prompt_index]
            if not g then
              g = {prompt = run.steps.prompts[c.prompt_index], model = {}, base = {}}
              groups[c.prompt_index] = g
              by_prompt[#by_prompt + 1] = g
            end
            g[side][#g[side] + 1] = c.completion
          end
        end
      end
      local ctx = {region = region, avoid = run.validated_ngrams or {}, by_prompt = by_prompt,
        example = prompts_mod.plain(run.steps.prompts[region.prompts[1]])}
      for _, l in ipairs(labeller(texts_for(run, "model", label_set), texts_for(run, "base", label_set), ctx)) do
        local dup
        for _, prev in ipairs(labels) do
          if prev.kind == l.kind and prev.direction == l.direction and prev.region ~= region.id
            and jaccard(prev.ngrams, l.ngrams) >= o.duplicate_jaccard then dup = prev.id break end
        end
        l.kind = l.kind or "ngrams"
        l.id = #labels + 1
        l.region = region.id
        l.duplicate_of = dup
        l.label_prompts, l.heldout_prompts = label_set, held_set
        labels[#labels + 1] = l
      end
    end
  end
  log(run, "label: %d labels over %d regions", #labels, math.min(#run.steps.match, o.max_regions))
  return labels
end

--- Discriminative validation on held-out texts: the label's n-gram scorer on each held-out text of the region
--- (model texts vs base texts): AUC with DeLong CI and the one-sided Mann–Whitney p in the label's direction;
--- per region, a classifier two-sample test on the held-out embeddings (the "any difference here" baseline).
--- BH over each region's best label is reported beside (as the original system does); decisions are made only
--- by generative validation.
function M.steps.discriminate(run)
  local out = {labels = {}, regions = {}}
  local best = {}
  -- Base answers per prompt (for "change" labels: does a text match none of the base model's other answers?).
  local base_by_prompt = {}
  for i, c in ipairs(run.steps.sample.base) do
    local t = base_by_prompt[c.prompt_index] or {}
    t[#t + 1] = {i = i, text = M.normalise(c.completion)}
    base_by_prompt[c.prompt_index] = t
  end
  local function novel(c, self_index)
    for _, b in ipairs(base_by_prompt[c.prompt_index] or {}) do
      if b.i ~= self_index and b.text == M.normalise(c.completion) then return false end
    end
    return true
  end
  for _, l in ipairs(run.steps.label) do
    local score
    if l.kind == "change" then
      score = function(c, self_index) return novel(c, self_index) and 1 or 0 end
    else
      local m = measure.contains(l.ngrams)
      score = function(c) return m(nil, c.completion) and 1 or 0 end
    end
    local pos, neg = {}, {}
    local sign = l.direction == "decrease" and -1 or 1
    for _, c in ipairs(run.steps.sample.model) do
      if l.heldout_prompts[c.prompt_index] then pos[#pos + 1] = sign * score(c) end
    end
    for i, c in ipairs(run.steps.sample.base) do
      if l.heldout_prompts[c.prompt_index] then neg[#neg + 1] = sign * score(c, i) end
    end
    local d = {label = l.id, n_model = #pos, n_base = #neg}
    if #pos >= 2 and #neg >= 2 then
      local sp, sn = 0, 0
      for _, v in ipairs(pos) do sp = sp + v end
      for _, v in ipairs(neg) do sn = sn + v end
      d.effect = sp / #pos - sn / #neg  -- the held-out rate difference in the label's direction
      local a = discern.stats.auc(pos, neg)
      d.auc, d.ci = a.auc, a.ci
      d.pvalue = discern.stats.mann_whitney(pos, neg, {alternative = "greater"}).pvalue
    end
    out.labels[l.id] = d
    if d.pvalue and (not best[l.region] or d.pvalue < best[l.region].pvalue) then best[l.region] = {label = l.id, pvalue = d.pvalue} end
  end
  -- Classifier two-sample test per labelled region, on the held-out completions' embeddings.
  local e = run.steps.embed
  local seen = {}
  for _, l in ipairs(run.steps.label) do
    if not seen[l.region] then
      seen[l.region] = true
      local ib, im = {}, {}
      for i, c in ipairs(run.steps.sample.base) do if l.heldout_prompts[c.prompt_index] then ib[#ib + 1] = i - 1 end end
      for i, c in ipairs(run.steps.sample.model) do if l.heldout_prompts[c.prompt_index] then im[#im + 1] = i - 1 end end
      if #ib >= 4 and #im >= 4 then
        local xb = e.base:index_select(0, discern.tensor.new(ib, {dtype = "int64"}))
        local xm = e.model:index_select(0, discern.tensor.new(im, {dtype = "int64"}))
        local ct = discern.stats.classifier_test(xm, xb, {folds = math.min(5, #ib, #im), permutations = run.opts.classifier_permutations, seed = run.seed})
        out.regions[l.region] = {accuracy = ct.accuracy, auc = ct.auc, pvalue = ct.pvalue}
      end
    end
  end
  -- BH over each region's best label (reported, never used for decisions).
  local ids, ps = {}, {}
  for region, b in pairs(best) do ids[#ids + 1] = region; ps[#ps + 1] = b.pvalue end
  out.bh = {}
  if #ps > 0 then
    local bh = discern.stats.fdr(ps, {alpha = run.alpha})
    for i, region in ipairs(ids) do
      out.bh[#out.bh + 1] = {region = region, label = best[region].label, pvalue = ps[i], adjusted = bh.adjusted[i], rejected = bh.rejected[i]}
    end
    table.sort(out.bh, function(a, b) return a.pvalue < b.pvalue end)
  end
  return out
end

-- Fresh prompts of a region: candidates from the run's source (a fresh stream), kept when their nearest
-- exploration prompt (cosine of prompt embeddings) is in the region.
local function region_source(run, region)
  local in_region = {}
  for _, p in ipairs(region.prompts) do in_region[p] = true end
  local pe = run.steps.embed.prompts
  return prompts_mod.fn(function(rng, n)
    local out = {}
    for round = 1, 6 do
      local cands = run.source:draw(rng:fork("region" .. round), math.max(4 * n, 32))
      local sims = run.embedder:encode(cands):matmul(pe:t())
      local nearest = sims:argmax(1):tolist()
      for i, c in ipairs(cands) do
        if in_region[nearest[i] + 1] and #out < n then out[#out + 1] = c end
      end
      if #out >= n then break end
    end
    if #out == 0 then  -- the source never lands here again: the region's own prompts, with fresh seeds
      for _, p in ipairs(region.prompts) do out[#out + 1] = run.steps.prompts[p] end
    end
    return out
  end, "region " .. region.id)
end

--- Generative validation: each label (duplicates and labels that failed the discriminative screen excepted)
--- becomes a hypothesis over its region, tested on fresh prompts with a fresh seed through the run's stream,
--- in processing order. Validated labels' n-grams are passed back (run.validated_ngrams) so that labels made
--- later look elsewhere. Stops cleanly when the budget is reached.
function M.steps.validate(run)
  local results = {}
  local regions = {}
  for _, r in ipairs(run.steps.match) do regions[r.id] = r end
  run.validated_ngrams = run.validated_ngrams or {}
  local avoid = {}
  for _, p in ipairs(run.steps.prompts) do avoid[p] = true end
  for _, l in ipairs(run.steps.label) do
    local d = run.steps.discriminate.labels[l.id]
    local skip
    if l.duplicate_of then skip = "duplicate of label " .. l.duplicate_of
    elseif not d.pvalue then skip = "too few held-out texts"
    elseif d.pvalue > run.opts.screen_p then skip = string.format("discriminative p %.3g > %g", d.pvalue, run.opts.screen_p) end
    if skip then
      results[#results + 1] = {label = l.id, skipped = skip}
    else
      local m = l.kind == "change"
        and measure.differs_from_reference{reference = run.base, sampling = run.opts.sampling, ledger = run.meter, store = run.store}
        or measure.contains(l.ngrams)
      local h = {statement = l.statement, prompts = region_source(run, regions[l.region]), measure = m,
        direction = l.direction, kind = "rate", min_effect = run.opts.min_effect,
        -- Power analysis assumes the held-out effect, shrunk by a fifth against the winner's curse.
        expected_effect = math.max((run.opts.min_effect or 0.05) + 0.05, 0.8 * (d.effect or 0)), origin = {pipeline = "exhaustive", step = "label", label = l.id, region = l.region,
          ngrams = l.ngrams, discriminative = d}}
      local seed = random.new(run.seed):fork("validate-" .. l.id):int(0, 1 << 40)
      local ok, t = pcall(behavior.test, h, run.base, run.model, {stream = run.stream, ledger = run.meter, seed = seed,
        n_min = run.opts.validation.n_min, n_max = run.opts.validation.n_max, sampling = run.opts.sampling, avoid = avoid,
        store = run.store})
      if not ok then
        if type(t) == "table" and t.code == "budget" then
          run:stop("budget", tostring(t))
          break
        end
        error(t, 0)
      end
      t.label = l.id
      results[#results + 1] = t
      run:record_test(t)
      log(run, "validate: label %d %s p=%.3g alpha_t=%.3g effect=%.3f%s", l.id, l.direction, t.pvalue, t.alpha_t, t.effect,
        t.rejected and "  FINDING" or "")
      if t.rejected then for _, g in ipairs(l.ngrams) do run.validated_ngrams[g] = true end end
    end
  end
  return results
end

return M
