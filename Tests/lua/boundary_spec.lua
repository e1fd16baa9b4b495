-- Regressions from mutation fuzzing (issue 13): deep nesting, huge numbers, lying __len, NUL bytes.
local discern = require "discern"

local function nested(depth, leaf)
  local t = leaf
  for _ = 1, depth do t = {t} end
  return t
end

describe("the Lua boundary", function()
  it("decodes and encodes deeply nested JSON without corrupting the heap", function()
    for _, depth in ipairs({35, 100, 511}) do
      local v = discern.json.decode(string.rep("[", depth) .. string.rep("]", depth))
      local d = 0
      while type(v) == "table" and v[1] ~= nil do v = v[1]; d = d + 1 end
      assert.equal(d, depth - 1)
    end
    assert.errors(function() discern.json.decode(string.rep("[", 600) .. string.rep("]", 600)) end, {code = "format"})
    collectgarbage(); collectgarbage()
    local junk = {}
    for i = 1, 10000 do junk[i] = {i, tostring(i)} end
    assert.equal(#junk, 10000)
    assert.equal(#discern.json.encode(nested(60, 1)) > 0, true)
    assert.errors(function() discern.json.encode(nested(100000, 1)) end, {contains = "nested more than 512 deep"})
  end)

  it("stores and reads back nested tables, and refuses absurd depth", function()
    local s = discern.store.open(os.tmpname() .. ".sqlite")
    s:set("deep", nested(60, "x"))
    local back = s:get("deep")
    for _ = 1, 60 do back = back[1] end
    assert.equal(back, "x")
    assert.errors(function() s:set("deeper", nested(100000, 1)) end, {contains = "deeper than 512"})
  end)

  it("builds and lists tensors of many dimensions or refuses cleanly", function()
    local t = discern.tensor(nested(60, 1))
    assert.equal(t:dim(), 60)
    local l = t:tolist()
    for _ = 1, 60 do l = l[1] end
    assert.equal(l, 1)
    assert.errors(function() discern.tensor(nested(70, 1)) end, {contains = "at most 64 dimensions"})
  end)

  it("rejects numbers that do not fit a size or an id", function()
    for _, v in ipairs({1e300, math.huge, -math.huge, 0 / 0}) do
      assert.errors(function() discern.tensor.zeros({v}) end, {contains = "list of integers expected"})
      assert.errors(function() discern.tensor.zeros({2}):reshape({v}) end, {contains = "list of integers expected"})
    end
    local tok = discern.tokenizer.load("Tests/Fixtures/models/gpt2")
    assert.errors(function() tok:decode({1e300}) end, {contains = "list of integers expected"})
  end)

  it("bounds the length a __len metamethod reports", function()
    for _, n in ipairs({-1, 2 ^ 40 // 1, 2 ^ 62 // 1}) do
      local liar = setmetatable({}, {__len = function() return n end, __index = function() return 0.5 end})
      assert.errors(function() discern.tensor(liar) end, {contains = "out of range"})
      assert.errors(function() discern.stats.fdr(liar) end, {contains = "out of range"})
    end
    local proxy = setmetatable({}, {__len = function() return 3 end, __index = function(_, k) return k / 10 end})
    assert.equal(#discern.stats.fdr(proxy).adjusted, 3)
  end)

  it("keeps NUL bytes in JSON, keys and the store", function()
    assert.equal(discern.json.decode('"a\\u0000b"'), "a\0b")
    local o = discern.json.decode('{"k\\u0000x": 1, "k\\u0000y": 2}')
    assert.equal(o["k\0x"], 1)
    assert.equal(o["k\0y"], 2)
    assert.equal(discern.json.decode(discern.json.encode({s = "a\0b"})).s, "a\0b")
    local s = discern.store.open(os.tmpname() .. ".sqlite")
    s:set("nul", {s = "a\0b", ["k\0"] = 1})
    local back = s:get("nul")
    assert.equal(back.s, "a\0b")
    assert.equal(back["k\0"], 1)
  end)
end)
