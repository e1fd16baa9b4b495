local discern = require "discern"

local dir = os.tmpname()
os.remove(dir)

describe("discern.store", function()
  local s
  before_each(function() s = discern.store.open(dir .. "-store.sqlite") end)

  it("round-trips strings, tables and tensors", function()
    s:set("blob", "raw\0bytes")
    assert.equal(s:get("blob"), "raw\0bytes")
    s:set("json", {a = 1, b = {1, 2, 3}, c = "x", d = true})
    local v, kind = s:get("json")
    assert.equal(kind, "json")
    assert.equal(v, {a = 1, b = {1, 2, 3}, c = "x", d = true})
    local t = discern.tensor({{1, 2}, {3, 4}}, {dtype = "float64"})
    s:set("tensor", t)
    local back = s:get("tensor")
    assert.equal(back:dtype(), "float64")
    assert.equal(back:tolist(), {{1, 2}, {3, 4}})
    assert.truthy(s:has("tensor"))
    assert.truthy(s:remove("tensor"))
    assert.falsy(s:has("tensor"))
  end)

  it("returns nil, 'miss' for absent keys", function()
    local v, err = s:get("absent")
    assert.equal(v, nil)
    assert.equal(err, "miss")
  end)

  it("derives stable content keys", function()
    local k1 = discern.store.key({model = "base", n = 3, opts = {t = 1.5}})
    local k2 = discern.store.key({opts = {t = 1.5}, n = 3, model = "base"})
    assert.equal(k1, k2)
    assert.equal(#k1, 64)
    assert.truthy(k1 ~= discern.store.key({model = "base", n = 4, opts = {t = 1.5}}))
  end)

  it("commits or rolls back transactions", function()
    s:transaction(function() s:set("t1", "a"); s:set("t2", "b") end)
    assert.truthy(s:has("t1") and s:has("t2"))
    assert.errors(function() s:transaction(function() s:set("t3", "c"); error("abort") end) end)
    assert.falsy(s:has("t3"))
  end)

  it("rejects values it cannot store", function()
    assert.errors(function() s:set("f", function() end) end,
      {code = "arg", contains = "bad argument #2 (string, table, number, boolean or discern.Tensor expected, got function)"})
    assert.errors(function() discern.store.key({1, 2, x = 3}) end, {code = "arg", contains = "mixes"})
  end)

  it("is a discern.Store userdata", function()
    assert.equal(s:type(), "discern.Store")
    assert.truthy(tostring(s):find("discern.Store(", 1, true))
    assert.equal(s:integrity_check(), "ok")
  end)
end)
