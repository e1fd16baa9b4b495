--- discern.registry: named, validated, reloadable plug-in tables (hypothesis templates, test generators).
---
--- A registry holds tables registered by name; `register` validates each field (required and optional fields
--- with their types), so a typo is an error naming the field; `get` looks a name up at the moment of use, so a
--- template or generator replaced (or reloaded from its file with `reload`) while a run goes takes effect at the
--- run's next use of it.
local discern = require "discern"

local registry = {}

local Registry = {}
Registry.__index = Registry
Registry.__name = "discern.Registry"

function Registry:__tostring() return "discern.Registry(" .. self.what .. ", " .. #self:list() .. " entries)" end

local function fail(self, fn, msg, level)
  error(discern.error("arg", self.module .. "." .. fn .. ": " .. msg), (level or 1) + 1)
end

--- Checks a table field by field; returns it or raises naming the first bad field.
---@param t table
---@return table
function Registry:validate(t)
  if type(t) ~= "table" then fail(self, "validate", "a " .. self.what .. " must be a table, got " .. type(t), 2) end
  local req, opt = self.required, self.optional
  local keys = {}
  for k in pairs(req) do keys[#keys + 1] = k end
  table.sort(keys)
  for _, k in ipairs(keys) do
    if type(t[k]) ~= req[k] then
      fail(self, "validate", "field '" .. k .. "' must be a " .. req[k] .. ", got " .. type(t[k]) ..
        (type(t.name) == "string" and k ~= "name" and (" (" .. self.what .. " '" .. t.name .. "')") or ""), 2)
    end
  end
  if not t.name:match("^[%w_%-%.]+$") then
    fail(self, "validate", "field 'name' must be a word of letters, digits, '_', '-' or '.', got " .. string.format("%q", t.name), 2)
  end
  for k, v in pairs(t) do
    if req[k] == nil then
      if opt[k] == nil then
        local known = {}
        for n in pairs(req) do known[#known + 1] = n end
        for n in pairs(opt) do known[#known + 1] = n end
        table.sort(known)
        fail(self, "validate", "unknown field '" .. tostring(k) .. "' (" .. self.what .. " '" .. t.name .. "'; expected " .. table.concat(known, ", ") .. ")", 2)
      elseif type(v) ~= opt[k] then
        fail(self, "validate", "field '" .. k .. "' must be a " .. opt[k] .. " when present, got " .. type(v) .. " (" .. self.what .. " '" .. t.name .. "')", 2)
      end
    end
  end
  return t
end

--- Registers (or replaces) a table under its name.
---@param t table
---@return table t
function Registry:register(t)
  self:validate(t)
  if not self.entries[t.name] then self.order[#self.order + 1] = t.name end
  self.entries[t.name] = t
  return t
end

--- The table registered under name (raises naming the registered ones when there is none).
---@param name string
---@return table
function Registry:get(name)
  local t = self.entries[name]
  if not t then
    fail(self, "get", "no " .. self.what .. " named '" .. tostring(name) .. "' (registered: " .. table.concat(self:list(), ", ") .. ")", 2)
  end
  return t
end

--- The registered names in registration order.
---@return string[]
function Registry:list()
  local out = {}
  for _, n in ipairs(self.order) do if self.entries[n] then out[#out + 1] = n end end
  return out
end

--- Removes a name (a run then skips it).
---@param name string
function Registry:unregister(name) self.entries[name] = nil end

--- Reloads a Lua module (package.loaded cleared, required again); a module returning a table with a name is
--- registered again, and a module returning a list of them registers each.
---@param module string
---@return any
function Registry:reload(module)
  if type(module) ~= "string" then fail(self, "reload", "bad argument #1 (a module name expected)", 2) end
  package.loaded[module] = nil
  local v = require(module)
  if type(v) == "table" and type(v.name) == "string" then self:register(v)
  elseif type(v) == "table" then for _, t in ipairs(v) do if type(t) == "table" and type(t.name) == "string" then self:register(t) end end end
  return v
end

--- The module table a registry is used through (discern.hypotheses, discern.generators).
---@return table
function Registry:functions()
  local r = self
  local out = {}
  --- Registers (or replaces) a table under its name; its fields are validated one by one.
  ---@param t table
  ---@return table t
  function out.register(t) return r:register(t) end
  --- The table registered under name (an error naming the registered ones when there is none).
  ---@param name string
  ---@return table
  function out.get(name) return r:get(name) end
  --- The registered names in registration order.
  ---@return string[]
  function out.list() return r:list() end
  --- Removes a name; runs stop using it at their next use.
  ---@param name string
  function out.unregister(name) r:unregister(name) end
  --- Reloads a Lua module (REPL :reload); the tables it returns are registered again.
  ---@param module string
  ---@return any
  function out.reload(module) return r:reload(module) end
  --- Checks a table field by field without registering it.
  ---@param t table
  ---@return table
  function out.validate(t) return r:validate(t) end
  return out
end

--- A new registry. spec: {what = "hypothesis template", module = "discern.hypotheses", required = {field = type},
--- optional = {field = type}}.
---@param spec table
---@return table a discern.Registry
function registry.new(spec)
  local r = setmetatable({what = spec.what, module = spec.module, required = spec.required, optional = spec.optional or {},
    entries = {}, order = {}}, Registry)
  r.required.name, r.required.description = "string", "string"
  return r
end

return registry
