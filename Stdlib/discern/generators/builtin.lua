--- The built-in test generators: retrieval by feature activation, semantic neighbours, retrieval by KL at the
--- answer start, and template perturbation. None generates text: they choose among candidate prompts scored with
--- forward passes.

-- n prompts from a list: a seeded shuffle, repeated when the list is shorter.
local function pick(rng, list, n)
  local copy = {table.unpack(list)}
  rng:shuffle(copy)
  local out = {}
  for i = 1, n do out[i] = copy[(i - 1) % #copy + 1] end
  return out
end

-- A generator over the pattern's own prompts and the pool prompts most similar to them: similarity(pool)
-- returns, per pool prompt, its largest similarity to any of the pattern's prompts. The list is built on first use.
local function own_and_nearest(pattern, ctx, similarity)
  local eligible
  return function(rng, n)
    if not eligible then
      local pool = ctx.pool()
      local sim = similarity(pool)
      local order = {}
      for i = 1, #sim do order[i] = i end
      table.sort(order, function(a, b) return sim[a] > sim[b] or (sim[a] == sim[b] and a < b) end)
      eligible = {table.unpack(pattern.prompts)}
      for j = 1, math.min(#order, math.max(8, #pattern.prompts)) do eligible[#eligible + 1] = pool.prompts[order[j]] end
    end
    return pick(rng, eligible, n)
  end
end

return {
  {
    name = "retrieval",
    description = "the pattern's own screening prompts (answered afresh, with the test's seed) and as many candidate prompts from the run's pool (at least 8) closest to them in the base model's features (per layer mean and max activation over the prompt, cosine)",
    make = function(pattern, ctx)
      return own_and_nearest(pattern, ctx, function(pool)
        local discern = require "discern"
        local idx = {}
        for _, i in ipairs(pattern.prompt_indices) do idx[#idx + 1] = i - 1 end
        local P = ctx.screen.features:index_select(0, discern.tensor.new(idx, {dtype = "int64"}))
        return pool.features:matmul(P:t()):amax(1):tolist()
      end)
    end,
  },
  {
    name = "neighbours",
    description = "the pattern's own screening prompts (answered afresh) and the candidate prompts from the run's pool closest to them in meaning (all-MiniLM-L6-v2 cosine), at least 8",
    make = function(pattern, ctx)
      return own_and_nearest(pattern, ctx, function(pool)
        local e = ctx.embedder()
        return e:encode(pool.prompts):matmul(e:encode(pattern.prompts):t()):amax(1):tolist()
      end)
    end,
  },
  {
    name = "kl",
    description = "candidate prompts from the run's pool whose first answer tokens diverge (KL(model‖base) at the answer start) at least as much as at the pattern's least divergent prompt; the most divergent ones fill up",
    make = function(pattern, ctx)
      local eligible
      return function(rng, n)
        if not eligible then
          local pool = ctx.pool()
          local threshold = pattern.start_kl or 0
          local scored = {}
          eligible = {}
          for i, p in ipairs(pool.prompts) do
            scored[#scored + 1] = {p = p, kl = pool.kl[i]}
            if pool.kl[i] >= threshold then eligible[#eligible + 1] = p end
          end
          if #eligible < 8 then
            table.sort(scored, function(a, b) return a.kl > b.kl end)
            for i = #eligible + 1, math.min(8, #scored) do eligible[i] = scored[i].p end
          end
        end
        return pick(rng, eligible, n)
      end
    end,
  },
  {
    name = "perturb",
    description = "the pattern's screening prompts with one word swapped for the word at the same place in another of them (template perturbation); retrieval fills up",
    make = function(pattern, ctx)
      local base = pattern.prompts
      return function(rng, n)
        local out, seen = {}, {}
        for _, p in ipairs(base) do seen[p] = true end
        for _ = 1, 20 * n do
          if #out >= n or #base < 2 then break end
          local a, b = base[rng:int(1, #base)], base[rng:int(1, #base)]
          local wa, wb = {}, {}
          for w in a:gmatch("%S+") do wa[#wa + 1] = w end
          for w in b:gmatch("%S+") do wb[#wb + 1] = w end
          local i = rng:int(1, math.min(#wa, #wb))
          if wa[i] ~= wb[i] and not wa[i]:match("^<|") and not wb[i]:match("^<|") then
            wa[i] = wb[i]
            local p = table.concat(wa, " ")
            if not seen[p] and not ctx.avoid[p] then seen[p] = true; out[#out + 1] = p end
          end
        end
        if #out < n then
          for _, p in ipairs(ctx.generator("retrieval").make(pattern, ctx)(rng:fork("perturb-fill"), n - #out)) do out[#out + 1] = p end
        end
        return out
      end
    end,
  },
}
