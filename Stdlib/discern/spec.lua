--- discern.spec: a small spec runner for Lua tests (`discern test`, Tests/lua/*_spec.lua).
---
--- A spec file calls describe/it (passed as globals while the file runs) and the assertions
--- in `spec.assert` (also exposed as the global `expect` helpers below).
local spec = {}

local unpack = table.unpack

--- Deep equality for plain values and tables (numbers compared exactly).
---@param a any
---@param b any
---@return boolean
function spec.deep_equal(a, b)
  if a == b then return true end
  if type(a) ~= "table" or type(b) ~= "table" then return false end
  for k, v in pairs(a) do if not spec.deep_equal(v, b[k]) then return false end end
  for k in pairs(b) do if a[k] == nil then return false end end
  return true
end

--- Renders a value on one line for failure messages (tables with sorted keys, strings quoted).
---@param v any
---@return string
local function show(v)
  if type(v) == "string" then return string.format("%q", v) end
  if type(v) ~= "table" or getmetatable(v) then return tostring(v) end
  local parts, n = {}, #v
  for i = 1, n do parts[#parts + 1] = show(v[i]) end
  for k, x in pairs(v) do
    if not (math.type(k) == "integer" and k >= 1 and k <= n) then parts[#parts + 1] = tostring(k) .. "=" .. show(x) end
  end
  return "{" .. table.concat(parts, ", ") .. "}"
end
spec.show = show

local function fail(msg, level) error({spec_failure = true, message = msg}, (level or 1) + 2) end

spec.assert = {}
local A = spec.assert

--- Fails unless a and b are deeply equal.
function A.equal(actual, expected, what)
  if not spec.deep_equal(actual, expected) then
    fail((what and what .. ": " or "") .. "expected " .. show(expected) .. ", got " .. show(actual))
  end
end

--- Fails unless |a - b| <= tol (elementwise for nested lists).
function A.near(actual, expected, tol, what)
  tol = tol or 1e-6
  local function walk(a, e, path)
    if type(e) == "table" then
      if type(a) ~= "table" or #a ~= #e then fail((what or "") .. " shape differs at " .. path .. ": " .. show(a)) end
      for i = 1, #e do walk(a[i], e[i], path .. "[" .. i .. "]") end
    elseif type(a) ~= "number" or math.abs(a - e) > tol then
      fail((what and what .. ": " or "") .. "at " .. path .. " expected " .. tostring(e) .. " ± " .. tol .. ", got " .. tostring(a))
    end
  end
  walk(actual, expected, "")
end

--- Fails unless v is truthy.
function A.truthy(v, what) if not v then fail((what or "value") .. " expected to be truthy, got " .. show(v)) end end

--- Fails unless v is falsy.
function A.falsy(v, what) if v then fail((what or "value") .. " expected to be falsy, got " .. show(v)) end end

--- Calls fn and fails unless it raises; `want` may be a code string ({code=...}), a table
--- {code=, message=, contains=}, or nil. Returns the error value.
function A.errors(fn, want)
  local ok, err = pcall(fn)
  if ok then fail("expected an error, none was raised") end
  if type(want) == "string" then want = {code = want} end
  if want then
    local code = type(err) == "table" and err.code or nil
    local msg = type(err) == "table" and (err.message or tostring(err)) or tostring(err)
    if want.code and code ~= want.code then
      fail("expected error code " .. show(want.code) .. ", got " .. show(code) .. " (" .. msg .. ")")
    end
    if want.message and msg ~= want.message then
      fail("expected error message " .. show(want.message) .. ", got " .. show(msg))
    end
    if want.contains and not msg:find(want.contains, 1, true) then
      fail("expected error message containing " .. show(want.contains) .. ", got " .. show(msg))
    end
  end
  return err
end

--- Runs spec files and prints a report ending in "N passed, N failed".
---@param files string[]
---@param opts? {filter?: string, quiet?: boolean}
---@return {passed: integer, failed: integer, failures: table[]}
function spec.run(files, opts)
  opts = opts or {}
  local result = {passed = 0, failed = 0, failures = {}}
  for _, file in ipairs(files) do
    local stack, tests = {}, {}
    local env = setmetatable({}, {__index = _G})
    env.describe = function(name, body)
      stack[#stack + 1] = {name = name, before = {}, after = {}}
      body()
      stack[#stack] = nil
    end
    env.it = function(name, body)
      local names, befores, afters = {}, {}, {}
      for _, s in ipairs(stack) do
        names[#names + 1] = s.name
        for _, f in ipairs(s.before) do befores[#befores + 1] = f end
        for i = #s.after, 1, -1 do afters[#afters + 1] = s.after[i] end
      end
      names[#names + 1] = name
      tests[#tests + 1] = {name = table.concat(names, " "), body = body, before = befores, after = afters}
    end
    env.before_each = function(f) stack[#stack].before[#stack[#stack].before + 1] = f end
    env.after_each = function(f) stack[#stack].after[#stack[#stack].after + 1] = f end
    env.assert = A
    local chunk, err = loadfile(file, "t", env)
    if not chunk then
      result.failed = result.failed + 1
      result.failures[#result.failures + 1] = {name = file, message = err}
      print("FAIL " .. file .. ": " .. err)
    else
      local ok, lerr = xpcall(chunk, debug.traceback)
      if not ok then
        result.failed = result.failed + 1
        result.failures[#result.failures + 1] = {name = file, message = tostring(lerr)}
        print("FAIL " .. file .. " (while loading): " .. tostring(lerr))
      end
    end
    for _, t in ipairs(tests) do
      if not opts.filter or t.name:find(opts.filter, 1, true) then
        local ok, terr = xpcall(function()
          for _, f in ipairs(t.before) do f() end
          t.body()
          for _, f in ipairs(t.after) do f() end
        end, function(e)
          if type(e) == "table" and e.spec_failure then return e.message .. "\n" .. debug.traceback("", 2) end
          if type(e) == "table" and e.code then return "[" .. tostring(e.code) .. "] " .. tostring(e.message) .. "\n" .. (e.traceback or debug.traceback("", 2)) end
          return tostring(e) .. "\n" .. debug.traceback("", 2)
        end)
        if ok then
          result.passed = result.passed + 1
          if not opts.quiet then print("ok   " .. t.name) end
        else
          result.failed = result.failed + 1
          result.failures[#result.failures + 1] = {name = t.name, message = terr}
          print("FAIL " .. t.name .. "\n     " .. tostring(terr):gsub("\n", "\n     "))
        end
      end
    end
  end
  print(string.format("%d passed, %d failed", result.passed, result.failed))
  return result
end

return spec
