local discern = require "discern"
local pp = discern.pp

describe("discern.pp", function()
  it("prints scalars as Lua literals and short tables on one line with sorted keys", function()
    assert.equal(pp("a\nb"), '"a\\nb"')
    assert.equal(pp(nil), "nil")
    assert.equal(pp(3), "3")
    assert.equal(pp(1.5), "1.5")
    assert.equal(pp(true), "true")
    assert.equal(pp({}), "{}")
    assert.equal(pp({3, 1, 2}), "{3, 1, 2}")
    assert.equal(pp({b = 2, a = 1, 10, [2.5] = "x", ["a b"] = true}), '{10, [2.5] = "x", a = 1, ["a b"] = true, b = 2}')
  end)

  it("indents nested tables that do not fit one line and packs short list items", function()
    local t = {name = "a fairly long name to push the line past eighty columns", values = {}}
    for i = 1, 30 do t.values[i] = i end
    assert.equal(pp(t), table.concat({
      "{",
      '  name = "a fairly long name to push the line past eighty columns",',
      "  values = {",
      "    1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20,",
      "    … (10 more)",
      "  }",
      "}"}, "\n"))
  end)

  it("marks cycles, limits depth and items, and counts what it leaves out", function()
    local t = {a = {b = {c = {d = {e = 1}}}}}
    t.a.back = t
    assert.equal(pp(t), "{a = {b = {c = {d = {… 1 item}}}, back = <cycle>}}")
    assert.equal(pp(t, {depth = 1}), "{a = {… 2 items}}")
    local shared = {1}
    assert.equal(pp({shared, shared}), "{{1}, {1}}")  -- a repeated table is not a cycle
    assert.equal(pp({1, 2, 3, 4, 5}, {max_items = 2}), "{1, 2, … (3 more)}")
    assert.equal(pp({x = 1, y = 2, z = 3}, {max_items = 1}), "{x = 1, … (2 more)}")
  end)

  it("prints userdata and objects with __tostring through tostring, without running other metamethods", function()
    local x = discern.tensor({1, 2})
    assert.equal(pp({x}), "{" .. tostring(x) .. "}")
    assert.equal(pp(discern.random.new(7)), "discern.Rng(seed 7)")
    local guarded = setmetatable({}, {__index = function() error("read") end, __pairs = function() error("pairs") end})
    guarded.k = 1
    assert.equal(pp(guarded), "{k = 1}")
    local bad = setmetatable({}, {__tostring = function() error("no") end})
    assert.equal(pp(bad), "table (tostring failed)")
  end)

  it("rejects unknown or malformed options by name and has a doc string", function()
    assert.errors(function() pp({}, {deep = 2}) end, {code = "arg", message = "discern.pp: unknown option 'deep' (options: depth, max_items)"})
    assert.errors(function() pp({}, {depth = 0}) end, {message = "discern.pp: option 'depth' must be a positive integer, got 0"})
    assert.errors(function() pp({}, 3) end, {message = "discern.pp: bad argument #2 (options table expected, got number)"})
    assert.truthy(discern.help(pp):find("^discern.pp%(value, {depth = 4, max_items = 20}%)"))
  end)
end)
