--- discern.strategy: exploration strategies as plain Lua tables, registered by name and swapped at runtime.
---
--- A strategy decides which arm (a prompt region, a probe generator, a hypothesis…) to spend the next
--- sample on. It is a table
---
---     { name = "my_ucb", description = "…",
---       init = function(arms, opts) return state end,        -- arms: list of names
---       select = function(state) return arm_name end,
---       update = function(state, arm, reward) end,
---       -- optional:
---       select_k = function(state, k) return {names…} end,   -- k distinct arms
---       add_arm = function(state, name) end,                   -- arms added at runtime
---       stats = function(state) return {…} end,                -- per-arm details, merged into policy:stats()
---       options = {key = default, …} }                         -- the options init accepts
---
--- `register` validates it field by field; `use` makes it the active one; `policy(arms, opts)` starts an
--- instance of the active (or a named) strategy. The built-in bandit policies of `discern.bandit` are
--- registered as strategies, and `decaying_epsilon` is an example written purely in Lua
--- (Stdlib/discern/strategy/decaying_epsilon.lua).
local discern = require "discern"

local strategy = {}

local registry = {}
local order = {}
local active = "thompson"

local required = {name = "string", description = "string", init = "function", select = "function", update = "function"}
local optional = {select_k = "function", add_arm = "function", stats = "function", options = "table"}

local function fail(fn, msg, level)
  error(discern.error("arg", "discern.strategy." .. fn .. ": " .. msg), (level or 1) + 1)
end

--- Checks a strategy table field by field; returns it or raises naming the first bad field.
---@param t table
---@param fn? string the calling function, for messages
---@return table
function strategy.validate(t, fn)
  fn = fn or "validate"
  if type(t) ~= "table" then fail(fn, "a strategy must be a table, got " .. type(t), 2) end
  for _, key in ipairs({"name", "description", "init", "select", "update"}) do
    if type(t[key]) ~= required[key] then
      fail(fn, "field '" .. key .. "' must be a " .. required[key] .. ", got " .. type(t[key])
        .. (type(t.name) == "string" and key ~= "name" and " (strategy '" .. t.name .. "')" or ""), 2)
    end
  end
  if not t.name:match("^[%w_%-%.]+$") then
    fail(fn, "field 'name' must be a non-empty word of letters, digits, '_', '-' or '.', got " .. string.format("%q", t.name), 2)
  end
  for key, kind in pairs(optional) do
    if t[key] ~= nil and type(t[key]) ~= kind then
      fail(fn, "field '" .. key .. "' must be a " .. kind .. " when present, got " .. type(t[key]) .. " (strategy '" .. t.name .. "')", 2)
    end
  end
  for key in pairs(t) do
    if required[key] == nil and optional[key] == nil then
      local known = {}
      for k in pairs(required) do known[#known + 1] = k end
      for k in pairs(optional) do known[#known + 1] = k end
      table.sort(known)
      fail(fn, "unknown field '" .. tostring(key) .. "' (strategy '" .. t.name .. "'; expected: " .. table.concat(known, ", ") .. ")", 2)
    end
  end
  return t
end

--- Registers (or replaces, e.g. after a reload) a strategy under its name.
---@param t table the strategy table
---@return table t
function strategy.register(t)
  strategy.validate(t, "register")
  if registry[t.name] == nil then order[#order + 1] = t.name end
  registry[t.name] = t
  return t
end

--- Makes a registered strategy (by name) or a strategy table (registered first) the active one.
---@param s string|table
---@return table the active strategy
function strategy.use(s)
  if type(s) == "table" then
    strategy.register(s)
    s = s.name
  end
  if type(s) ~= "string" then fail("use", "bad argument #1 (strategy name or table expected, got " .. type(s) .. ")", 2) end
  if registry[s] == nil then
    fail("use", "no strategy named '" .. s .. "' (registered: " .. table.concat(strategy.list(), ", ") .. ")", 2)
  end
  active = s
  return registry[s]
end

--- Returns the active strategy table, or the one registered under `name`.
---@param name? string
---@return table
function strategy.get(name)
  if name == nil then return registry[active] end
  if registry[name] == nil then
    fail("get", "no strategy named '" .. tostring(name) .. "' (registered: " .. table.concat(strategy.list(), ", ") .. ")", 2)
  end
  return registry[name]
end

--- Returns the registered names, sorted.
---@return string[]
function strategy.list()
  local names = {}
  for _, n in ipairs(order) do names[#names + 1] = n end
  table.sort(names)
  return names
end

--- Returns the name of the active strategy.
---@return string
function strategy.active() return active end

--- Reloads a Lua module (clears package.loaded and requires it again), so edited strategy files take
--- effect without restarting. Strategies it registers replace those of the same name; a module that
--- returns a strategy table (like discern.strategy.decaying_epsilon) has it registered again.
---@param module string e.g. "my_strategies" or "discern.strategy.decaying_epsilon"
---@return any the module's value
function strategy.reload(module)
  if type(module) ~= "string" then fail("reload", "bad argument #1 (module name expected, got " .. type(module) .. ")", 2) end
  package.loaded[module] = nil
  local value = require(module)
  if type(value) == "table" and type(value.name) == "string" and type(value.select) == "function" then
    strategy.register(value)
  end
  local sub = module:match("^discern%.([%w_]+)$")
  if sub then rawset(discern, sub, value) end
  return value
end

local Policy = {}
Policy.__index = Policy
Policy.__name = "discern.Policy"

function Policy:__tostring()
  return "discern.Policy(" .. self.strategy.name .. ", " .. #self.arms .. " arms, " .. self.total .. " updates)"
end

local function policy_fail(self, fn, msg)
  error(discern.error("arg", "discern.Policy:" .. fn .. ": " .. msg .. " (strategy '" .. self.strategy.name .. "')"), 3)
end

local function check_arm(self, fn, arm, what)
  if type(arm) ~= "string" or self.index[arm] == nil then
    policy_fail(self, fn, (what or "arm") .. " " .. (type(arm) == "string" and string.format("%q", arm) or tostring(arm))
      .. " is not one of the arms (" .. table.concat(self.arms, ", ") .. ")")
  end
end

--- Chooses the next arm.
---@return string
function Policy:select()
  local arm = self.strategy.select(self.state)
  check_arm(self, "select", arm, "select returned")
  return arm
end

--- Chooses k distinct arms (for a batch of k samples).
---@param k integer
---@return string[]
function Policy:select_k(k)
  if math.type(k) ~= "integer" or k < 1 or k > #self.arms then
    policy_fail(self, "select_k", "k must be an integer in [1, " .. #self.arms .. "], got " .. tostring(k))
  end
  if not self.strategy.select_k then policy_fail(self, "select_k", "the strategy has no select_k") end
  local arms = self.strategy.select_k(self.state, k)
  if type(arms) ~= "table" or #arms ~= k then
    policy_fail(self, "select_k", "select_k must return a list of " .. k .. " arm names, got " .. tostring(arms))
  end
  local seen = {}
  for _, a in ipairs(arms) do
    check_arm(self, "select_k", a, "select_k returned")
    if seen[a] then policy_fail(self, "select_k", "select_k returned " .. a .. " twice") end
    seen[a] = true
  end
  return arms
end

--- Records a reward for an arm.
---@param arm string
---@param reward number
function Policy:update(arm, reward)
  check_arm(self, "update", arm)
  if type(reward) ~= "number" or reward ~= reward then
    policy_fail(self, "update", "reward must be a number, got " .. tostring(reward))
  end
  self.strategy.update(self.state, arm, reward)
  local s = self.counts[arm]
  s.pulls = s.pulls + 1
  s.sum = s.sum + reward
  self.total = self.total + 1
end

--- Adds an arm at runtime.
---@param name string
function Policy:add_arm(name)
  if type(name) ~= "string" or name == "" then policy_fail(self, "add_arm", "arm name must be a non-empty string") end
  if self.index[name] then policy_fail(self, "add_arm", "arm " .. string.format("%q", name) .. " already exists") end
  if not self.strategy.add_arm then policy_fail(self, "add_arm", "the strategy cannot add arms at runtime (no add_arm)") end
  self.strategy.add_arm(self.state, name)
  self.arms[#self.arms + 1] = name
  self.index[name] = #self.arms
  self.counts[name] = {pulls = 0, sum = 0}
end

--- Per-arm statistics: a list of {arm, pulls, mean} in arm order, merged with the strategy's own stats.
---@return table[]
function Policy:stats()
  local extra = {}
  if self.strategy.stats then
    for _, row in ipairs(self.strategy.stats(self.state) or {}) do
      if type(row) == "table" and row.arm then extra[row.arm] = row end
    end
  end
  local out = {}
  for _, arm in ipairs(self.arms) do
    local c = self.counts[arm]
    local row = {}
    for k, v in pairs(extra[arm] or {}) do row[k] = v end
    row.arm, row.pulls = arm, c.pulls
    row.mean = c.pulls > 0 and c.sum / c.pulls or nil
    out[#out + 1] = row
  end
  return out
end

--- Starts an instance of a strategy over named arms.
---@param arms string[] distinct non-empty names
---@param opts? table {strategy = name (default: the active one), ...options for the strategy's init}
---@return table a discern.Policy with :select(), :select_k(k), :update(arm, reward), :add_arm(name), :stats()
function strategy.policy(arms, opts)
  if type(arms) ~= "table" or #arms == 0 then fail("policy", "bad argument #1 (non-empty list of arm names expected)", 2) end
  opts = opts or {}
  if type(opts) ~= "table" then fail("policy", "bad argument #2 (options table expected, got " .. type(opts) .. ")", 2) end
  local s = registry[opts.strategy or active]
  if s == nil then
    fail("policy", "no strategy named '" .. tostring(opts.strategy) .. "' (registered: " .. table.concat(strategy.list(), ", ") .. ")", 2)
  end
  local init_opts = {}
  for k, v in pairs(opts) do
    if k ~= "strategy" then
      if s.options and s.options[k] == nil then
        local keys = {}
        for name in pairs(s.options) do keys[#keys + 1] = name end
        table.sort(keys)
        fail("policy", "unknown option '" .. tostring(k) .. "' for strategy '" .. s.name .. "' (expected one of: "
          .. table.concat(keys, ", ") .. ")", 2)
      end
      init_opts[k] = v
    end
  end
  local list, index, counts = {}, {}, {}
  for i, a in ipairs(arms) do
    if type(a) ~= "string" or a == "" then fail("policy", "arm " .. i .. " must be a non-empty string, got " .. tostring(a), 2) end
    if index[a] then fail("policy", "arm " .. string.format("%q", a) .. " is listed twice", 2) end
    list[i], index[a], counts[a] = a, i, {pulls = 0, sum = 0}
  end
  local copy = {}
  for i, a in ipairs(list) do copy[i] = a end
  local state = s.init(copy, init_opts)
  return setmetatable({strategy = s, state = state, arms = list, index = index, counts = counts, total = 0}, Policy)
end

require("discern.strategy.builtin")(strategy)
strategy.register(require "discern.strategy.decaying_epsilon")

return strategy
