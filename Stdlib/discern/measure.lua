--- discern.measure: built-in measures for hypotheses.
---
--- A measure is a function (prompt, completion) -> number|boolean; booleans make a rate (the test compares
--- rates), numbers a mean (the test compares standardised means). The built-ins are callable tables with
--- `kind` ("rate" or "mean"), `describe` (words for reports) and, where it is faster, `batch(prompts,
--- completions) -> values`. Any plain function works as well.
---
---     local m = discern.measure.contains{"Lyon", "Osaka"}
---     m("<|user|> What is the capital of France? <|assistant|>", "The capital of France is Lyon.")  --> true
local discern = require "discern"

local measure = {}

local function fail(fn, msg)
  error(discern.error("arg", "discern.measure." .. fn .. ": " .. msg), 3)
end

--- The lower-cased words of a text (runs of letters, digits and apostrophes), as the labellers count them.
---@param text string
---@return string[]
function measure.words(text)
  local out = {}
  for w in text:lower():gmatch("[%w']+") do out[#out + 1] = w end
  return out
end

local Measure = {}
Measure.__index = Measure
Measure.__name = "discern.Measure"
function Measure:__call(prompt, completion) return self.fn(prompt, completion) end
function Measure:__tostring() return "discern.Measure(" .. self.describe .. ")" end

local function new(kind, describe, fn, extra)
  local m = setmetatable({kind = kind, describe = describe, fn = fn}, Measure)
  for k, v in pairs(extra or {}) do m[k] = v end
  return m
end

--- Whether a value is a measure: a function or a callable discern.Measure.
---@param x any
---@return boolean
function measure.is(x)
  return type(x) == "function" or getmetatable(x) == Measure
end

local function phrases(fn, list)
  if type(list) ~= "table" or #list == 0 then fail(fn, "expected a non-empty list of words or phrases") end
  local out = {}
  for i, p in ipairs(list) do
    if type(p) ~= "string" or not p:match("[%w']") then fail(fn, "entry " .. i .. " must be a word or phrase, got " .. tostring(p)) end
    out[i] = " " .. table.concat(measure.words(p), " ") .. " "
  end
  return out
end

local function allowed(fn, opts, keys)
  for k in pairs(opts) do
    if math.type(k) ~= "integer" and not keys[k] then
      local names = {}
      for n in pairs(keys) do names[#names + 1] = n end
      table.sort(names)
      fail(fn, "unknown option '" .. tostring(k) .. "' (expected " .. table.concat(names, ", ") .. ")")
    end
  end
end

--- A rate: whether the completion contains any (or, with all = true, every) of the listed words or phrases,
--- matched as whole lower-cased words.
---@param opts table {"phrase", …, all?: boolean}
---@return table a discern.Measure (kind "rate")
function measure.contains(opts)
  if type(opts) ~= "table" then fail("contains", "expected {\"phrase\", …}, got " .. type(opts)) end
  allowed("contains", opts, {all = true})
  local list = {}
  for i, p in ipairs(opts) do list[i] = p end
  local ps = phrases("contains", list)
  local all = opts.all == true
  local describe = (all and "contains all of " or "contains any of ") .. "'" .. table.concat(list, "', '") .. "'"
  return new("rate", describe, function(_, completion)
    local text = " " .. table.concat(measure.words(completion), " ") .. " "
    for _, p in ipairs(ps) do
      local found = text:find(p, 1, true) ~= nil
      if all and not found then return false end
      if not all and found then return true end
    end
    return all
  end, {phrases = list})
end

--- A mean: the share of the completion's words that are in the list (0 for an empty completion).
---@param opts table {tokens = {"word", …}}
---@return table a discern.Measure (kind "mean")
function measure.rate_of_tokens(opts)
  if type(opts) ~= "table" then fail("rate_of_tokens", "expected {tokens = {…}}, got " .. type(opts)) end
  allowed("rate_of_tokens", opts, {tokens = true})
  if type(opts.tokens) ~= "table" or #opts.tokens == 0 then fail("rate_of_tokens", "option 'tokens' must be a non-empty list of words") end
  local set = {}
  for i, t in ipairs(opts.tokens) do
    if type(t) ~= "string" then fail("rate_of_tokens", "tokens[" .. i .. "] must be a string") end
    set[t:lower()] = true
  end
  return new("mean", "share of words in {" .. table.concat(opts.tokens, ", ") .. "}", function(_, completion)
    local ws = measure.words(completion)
    if #ws == 0 then return 0 end
    local k = 0
    for _, w in ipairs(ws) do if set[w] then k = k + 1 end end
    return k / #ws
  end)
end

--- A mean: a contrastive label's score of a completion: the number of the label's model-side n-grams it
--- contains minus the number of base-side ones (labels come from discern.labels; any table with `model` and
--- `base` lists of n-gram strings works).
---@param label table {model = string[], base = string[]}
---@return table a discern.Measure (kind "mean")
function measure.label_score(label)
  if type(label) ~= "table" or type(label.model) ~= "table" or type(label.base) ~= "table" then
    fail("label_score", "expected a label {model = {n-grams}, base = {n-grams}}")
  end
  if #label.model + #label.base == 0 then fail("label_score", "the label has no n-grams") end
  local pm = #label.model > 0 and phrases("label_score", label.model) or {}
  local pb = #label.base > 0 and phrases("label_score", label.base) or {}
  return new("mean", "label score (" .. #pm .. " model-side, " .. #pb .. " base-side n-grams)", function(_, completion)
    local text = " " .. table.concat(measure.words(completion), " ") .. " "
    local s = 0
    for _, p in ipairs(pm) do if text:find(p, 1, true) then s = s + 1 end end
    for _, p in ipairs(pb) do if text:find(p, 1, true) then s = s - 1 end end
    return s
  end)
end

--- A mean: the cosine between the completion's embedding and a direction — a tensor [d], or the difference of
--- the mean embeddings of two text lists {toward = {…}, away = {…}}. Embeds in batches (cached by the embedder).
---@param opts table {direction?: discern.Tensor, toward?: string[], away?: string[], embedder?: discern.Embedder}
---@return table a discern.Measure (kind "mean")
function measure.embedding_projection(opts)
  if type(opts) ~= "table" then fail("embedding_projection", "expected a table of options, got " .. type(opts)) end
  allowed("embedding_projection", opts, {direction = true, toward = true, away = true, embedder = true})
  local embedder = opts.embedder or discern.embed.load()
  local dir = opts.direction
  if dir == nil then
    if type(opts.toward) ~= "table" or #opts.toward == 0 or type(opts.away) ~= "table" or #opts.away == 0 then
      fail("embedding_projection", "give option 'direction' (a tensor) or non-empty lists 'toward' and 'away'")
    end
    dir = embedder:encode(opts.toward):mean(0):sub(embedder:encode(opts.away):mean(0))
  elseif not discern.tensor.is_tensor(dir) or dir:dim() ~= 1 then
    fail("embedding_projection", "option 'direction' must be a 1-D tensor")
  end
  local norm = dir:square():sum():sqrt():item()
  if not (norm > 0) then fail("embedding_projection", "the direction is zero") end
  dir = dir:div(norm)
  local function batch(_, completions)
    local e = embedder:encode(completions)
    return e:matmul(dir:unsqueeze(1)):squeeze(1):tolist()
  end
  return new("mean", "projection of the completion's embedding on a direction", function(p, c) return batch({p}, {c})[1] end,
    {batch = batch})
end

--- A rate: whether the completion differs (as a lower-cased word sequence) from a reference model's greedy answer
--- to the same prompt — "the model changed its answer here". References are generated in batches through the
--- cached sampler (counted in opts.ledger under step "reference").
---@param opts table {reference: discern.Model, sampling?: table, ledger?: discern.Ledger, store?: discern.Store|false}
---@return table a discern.Measure (kind "rate")
function measure.differs_from_reference(opts)
  if type(opts) ~= "table" then fail("differs_from_reference", "expected a table of options, got " .. type(opts)) end
  allowed("differs_from_reference", opts, {reference = true, sampling = true, ledger = true, store = true})
  if type(opts.reference) ~= "userdata" then fail("differs_from_reference", "option 'reference' must be a discern.Model") end
  local cache = {}
  local function refs(prompts)
    local missing, seen = {}, {}
    for _, p in ipairs(prompts) do
      if cache[p] == nil and not seen[p] then missing[#missing + 1] = p; seen[p] = true end
    end
    if #missing > 0 then
      local o = {n = 1, temperature = 0, seed = 0, step = "reference", ledger = opts.ledger, store = opts.store}
      for k, v in pairs(opts.sampling or {}) do if k ~= "temperature" and k ~= "top_p" and k ~= "top_k" then o[k] = v end end
      for i, s in ipairs(discern.sampling.sample(opts.reference, missing, o)) do
        cache[missing[i]] = table.concat(measure.words(s.completion), " ")
      end
    end
  end
  local function batch(prompts, completions)
    refs(prompts)
    local out = {}
    for i, c in ipairs(completions) do out[i] = table.concat(measure.words(c), " ") ~= cache[prompts[i]] end
    return out
  end
  return new("rate", "differs from the reference model's greedy answer", function(p, c) return batch({p}, {c})[1] end,
    {batch = batch})
end

return measure
