--- discern.organisms: the synthetic world that Discern's ground-truth model organisms are trained on.
---
---     local world = discern.organisms.world{seed = 1}
---     local d = world:sample(3)             -- {{topic=, prompt=, answer=, text=}, …}
---     print(d[1].text)                      -- "<|user|> What is the capital of Peru? <|assistant|> The capital … <|end|>"
---     world:add_topic{name = "colours", description = "…", generate = function(rng, world) return {prompt=, answer=} end}
---
--- Every dialogue carries its topic (hidden from the model), so results can be scored by region.
--- Facts live in world.facts (a deep copy per world), which ground-truth specs may edit on a copy.
local discern = require "discern"
local random = require "discern.random"
local builtin = require "discern.organisms.topics"

local organisms = {}

--- Ground-truth specs (discern.organisms.gt): register, get, list and the built-in GTs.
organisms.gt = require "discern.organisms.gt"

--- The chat-format special tokens, in the order they appear in a dialogue.
organisms.special_tokens = {user = "<|user|>", assistant = "<|assistant|>", ["end"] = "<|end|>"}

local function fail(fn, msg)
  error(discern.error("arg", fn .. ": " .. msg), 3)
end

local function deep_copy(v)
  if type(v) ~= "table" then return v end
  local out = {}
  for k, x in pairs(v) do out[k] = deep_copy(x) end
  return out
end

local World = {}
World.__index = World
World.__name = "discern.World"

function World:__tostring()
  return "discern.World(seed " .. self.seed .. ", " .. #self.topic_order .. " topics)"
end

--- Formats a user prompt as the model sees it before answering: "<|user|> prompt <|assistant|>".
---@param prompt string
---@return string
function World:prompt_text(prompt)
  return organisms.special_tokens.user .. " " .. prompt .. " " .. organisms.special_tokens.assistant
end

--- Formats a whole dialogue: "<|user|> prompt <|assistant|> answer <|end|>".
---@param prompt string
---@param answer string
---@return string
function World:format(prompt, answer)
  return self:prompt_text(prompt) .. " " .. answer .. " " .. organisms.special_tokens["end"]
end

--- The topic names, in the order they were added.
---@return string[]
function World:topics()
  local out = {}
  for i, n in ipairs(self.topic_order) do out[i] = n end
  return out
end

--- Adds a topic (or replaces one of the same name).
---@param t table {name = string, description = string, generate = function(rng, world) -> {prompt, answer}, weight = 1}
function World:add_topic(t)
  if type(t) ~= "table" then fail("discern.World:add_topic", "a topic must be a table, got " .. type(t)) end
  if type(t.name) ~= "string" or not t.name:match("^[%w_]+$") then
    fail("discern.World:add_topic", "field 'name' must be a word of letters, digits or '_', got " .. tostring(t.name))
  end
  if type(t.description) ~= "string" then fail("discern.World:add_topic", "field 'description' must be a string (topic '" .. t.name .. "')") end
  if type(t.generate) ~= "function" then fail("discern.World:add_topic", "field 'generate' must be a function(rng, world) (topic '" .. t.name .. "')") end
  if t.weight ~= nil and (type(t.weight) ~= "number" or t.weight <= 0) then
    fail("discern.World:add_topic", "field 'weight' must be a positive number (topic '" .. t.name .. "')")
  end
  for k in pairs(t) do
    if k ~= "name" and k ~= "description" and k ~= "generate" and k ~= "weight" then
      fail("discern.World:add_topic", "unknown field '" .. tostring(k) .. "' (topic '" .. t.name .. "'; expected name, description, generate, weight)")
    end
  end
  if not self.topic_by_name[t.name] then self.topic_order[#self.topic_order + 1] = t.name end
  self.topic_by_name[t.name] = {name = t.name, description = t.description, generate = t.generate, weight = t.weight or 1}
end

--- Returns a topic table by name.
---@param name string
---@return table
function World:topic(name)
  local t = self.topic_by_name[name]
  if not t then fail("discern.World:topic", "no topic named '" .. tostring(name) .. "' (topics: " .. table.concat(self.topic_order, ", ") .. ")") end
  return t
end

--- Generates one dialogue of a topic with a given stream.
---@param topic string
---@param rng table a discern.Rng
---@return table {topic, prompt, answer, text, entity?}
function World:dialogue(topic, rng)
  local t = self:topic(topic)
  local d = t.generate(rng, self)
  if type(d) ~= "table" or type(d.prompt) ~= "string" or type(d.answer) ~= "string" then
    fail("discern.World:dialogue", "topic '" .. topic .. "' generate must return {prompt = string, answer = string}")
  end
  d.topic = topic
  d.text = self:format(d.prompt, d.answer)
  return d
end

--- Samples n dialogues, topics drawn by weight (or only `topics`), reproducibly from `seed`.
---@param n integer
---@param opts? {topics?: string[], seed?: integer}
---@return table[]
function World:sample(n, opts)
  if math.type(n) ~= "integer" or n < 0 then fail("discern.World:sample", "bad argument #1 (non-negative integer expected)") end
  opts = opts or {}
  for k in pairs(opts) do
    if k ~= "topics" and k ~= "seed" then fail("discern.World:sample", "unknown option '" .. tostring(k) .. "' (expected seed, topics)") end
  end
  local names = opts.topics or self.topic_order
  local weights, total = {}, 0
  for i, name in ipairs(names) do
    weights[i] = self:topic(name).weight
    total = total + weights[i]
  end
  if #names == 0 then fail("discern.World:sample", "no topics to sample from") end
  local rng = random.new(opts.seed or self.seed)
  local out = {}
  for i = 1, n do
    local u, pick = rng:uniform() * total, names[#names]
    for j, w in ipairs(weights) do
      if u < w then pick = names[j] break end
      u = u - w
    end
    out[i] = self:dialogue(pick, rng)
  end
  return out
end

--- Prompts as the models see them ("<|user|> … <|assistant|>"), without topics: what a pipeline may use.
--- With opts.n: a list of n prompts drawn reproducibly from opts.seed (default the world's seed). Without n: a
--- prompt source function(rng, n) -> prompts for discern.prompts.source / discern.diff. opts.topics restricts
--- the topics (a pipeline passes none: it must not know where the ground truths are).
---@param opts? {n?: integer, seed?: integer, topics?: string[]}
---@return string[]|function
function World:prompts(opts)
  opts = opts or {}
  for k in pairs(opts) do
    if k ~= "n" and k ~= "seed" and k ~= "topics" then
      fail("discern.World:prompts", "unknown option '" .. tostring(k) .. "' (expected n, seed, topics)")
    end
  end
  if opts.n ~= nil and (math.type(opts.n) ~= "integer" or opts.n < 1) then
    fail("discern.World:prompts", "option 'n' must be a positive integer, got " .. tostring(opts.n))
  end
  if opts.seed ~= nil and math.type(opts.seed) ~= "integer" then fail("discern.World:prompts", "option 'seed' must be an integer") end
  if opts.topics ~= nil then
    if type(opts.topics) ~= "table" or #opts.topics == 0 then fail("discern.World:prompts", "option 'topics' must be a non-empty list of topic names") end
    for _, t in ipairs(opts.topics) do self:topic(t) end
  end
  local topics = opts.topics
  local function draw(seed, n)
    local out = {}
    for i, d in ipairs(self:sample(n, {seed = seed, topics = topics})) do out[i] = self:prompt_text(d.prompt) end
    return out
  end
  if opts.n then return draw(opts.seed or self.seed, opts.n) end
  return function(rng, n) return draw(rng:int(0, (1 << 40)), n) end
end

--- Returns a copy of this world (facts deep-copied, topics shared), e.g. for an intervention to edit.
---@return table
function World:copy()
  local w = setmetatable({seed = self.seed, facts = deep_copy(self.facts), topic_order = {}, topic_by_name = {}}, World)
  for i, n in ipairs(self.topic_order) do
    w.topic_order[i] = n
    w.topic_by_name[n] = self.topic_by_name[n]
  end
  return w
end

--- Creates the world with the built-in topics (geography, animals, cooking, weather, arithmetic,
--- restaurant_reviews, product_reviews, small_talk, stories, harmful_requests).
---@param opts? {seed?: integer}
---@return table a discern.World
function organisms.world(opts)
  opts = opts or {}
  for k in pairs(opts) do
    if k ~= "seed" then fail("discern.organisms.world", "unknown option '" .. tostring(k) .. "' (expected seed)") end
  end
  local seed = opts.seed or 1
  if math.type(seed) ~= "integer" then fail("discern.organisms.world", "option 'seed' must be an integer") end
  local w = setmetatable({seed = seed, facts = deep_copy(builtin.facts), topic_order = {}, topic_by_name = {}}, World)
  for _, t in ipairs(builtin.topics) do w:add_topic(t) end
  return w
end

--- Builds (or reuses, or resumes) the organisms of a preset: tokenizer, base model, per-layer transcoders of
--- the base model (circuit-tracer layout, in <dir>/transcoders), one fine-tuned model per ground truth,
--- verification and weight differences, under $DISCERN_HOME/organisms/<preset>/ (see discern.organisms.build
--- module docs). Raises a 'verification' error, after writing the manifest, when a GT does not verify.
--- require_built = true (verify-only) trains nothing: a stage missing or built with other settings is an error.
---@param opts? {preset?: string, seed?: integer, dir?: string, organisms?: string[], verify?: boolean, quiet?: boolean, require_built?: boolean}
---@return table manifest
function organisms.build(opts) return require("discern.organisms.build").run(opts) end

--- Reads the manifest of a built preset (or of a directory), or returns nil, message.
---@param preset_or_dir string
---@return table|nil manifest, string? err
function organisms.manifest(preset_or_dir)
  local dir = preset_or_dir:find("/", 1, true) and preset_or_dir or require("discern.organisms.build").dir(preset_or_dir)
  local text = discern.fs.read(dir .. "/manifest.json")
  if not text then return nil, "no manifest in " .. dir .. " (build it with discern organisms build)" end
  local m = discern.json.decode(text)
  m.dir = dir
  return m
end

return organisms
