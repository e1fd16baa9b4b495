-- Every public function of the discern tree has a doc string (discern.help, REPL ?name).
local discern = require "discern"

--- Walks tables under `prefix`, calling visit(name, fn) for every function; skips private (_x) keys.
local function walk(t, prefix, visit, seen, depth)
  if seen[t] or depth > 4 then return end
  seen[t] = true
  local keys = {}
  for k in pairs(t) do if type(k) == "string" and not k:match("^_") then keys[#keys + 1] = k end end
  table.sort(keys)
  for _, k in ipairs(keys) do
    local v = rawget(t, k)
    local name = prefix .. "." .. k
    if type(v) == "function" then visit(name, v)
    elseif type(v) == "table" and getmetatable(v) ~= getmetatable(discern.error("x", "y")) then
      walk(v, name, visit, seen, depth + 1)
    end
  end
end

--- The method table of a registered userdata class, or of a Lua object's metatable.
local function methods_of(mt)
  if type(mt) ~= "table" then return nil end
  if type(rawget(mt, "__methods")) == "table" then return rawget(mt, "__methods") end
  if type(rawget(mt, "__index")) == "table" then return rawget(mt, "__index") end
  return nil
end

describe("discern.help", function()
  it("documents every public function of every submodule and class", function()
    for _, name in ipairs({"tensor", "store", "model", "tokenizer", "embed", "stats", "bandit", "json", "fs", "circuit",
                           "strategy", "organisms", "random", "spec", "pp", "sampling", "prompts", "measure", "behavior",
                           "diff", "pipelines", "cluster", "text", "hypotheses", "generators", "registry", "cli"}) do
      local _ = discern[name]
    end
    local missing, count = {}, 0
    local seen = {}
    local function visit(name, fn)
      count = count + 1
      if discern.help(fn) == nil then missing[#missing + 1] = name end
    end
    walk(discern, "discern", visit, seen, 0)
    -- Classes: every metatable the bindings registered, and the Lua classes reachable from constructors.
    local reg = debug.getregistry()
    local classes = {}
    for k, v in pairs(reg) do
      if type(k) == "string" and k:match("^discern%.[A-Z]") and k ~= "discern.Error" then classes[#classes + 1] = k end
    end
    table.sort(classes)
    for _, k in ipairs(classes) do
      local m = methods_of(reg[k])
      if m then walk(m, k, visit, seen, 0) end
    end
    walk(methods_of(getmetatable(discern.organisms.world())), "discern.World", visit, seen, 0)
    walk(methods_of(getmetatable(discern.behavior.stream())), "discern.FDRStream", visit, seen, 0)
    walk(methods_of(getmetatable(discern.prompts.list{"a"})), "discern.PromptSource", visit, seen, 0)
    walk(discern.diff.Run, "discern.Run", visit, seen, 0)
    assert.truthy(count > 300, "walked " .. count .. " functions")
    assert.equal(missing, {})
  end)

  it("reads the --- comment above a Lua function's definition", function()
    local h = discern.help(discern.strategy.validate)
    assert.truthy(h:find("strategy.validate(t, fn)", 1, true), h)
    assert.truthy(h:find("Checks a strategy table field by field", 1, true), h)
    assert.truthy(h:find("fn?: string", 1, true), h)
    assert.equal(discern.help(function() end), nil)
  end)
end)
