local discern = require "discern"

local base = os.tmpname()
os.remove(base)
local n = 0
local function fresh()
  n = n + 1
  local path = base .. "-gc-" .. n .. ".sqlite"
  return discern.store.open(path), path
end

describe("discern.store.stats", function()
  it("counts entries and bytes per kind and describes the file", function()
    local s, path = fresh()
    s:set("b1", string.rep("x", 100))
    s:set("b2", string.rep("y", 50))
    s:set("j", {a = 1})
    local st = discern.store.stats(path)
    assert.equal(st.path, path)
    assert.equal(#st.kinds, 2)
    assert.equal(st.kinds[1].kind, "blob")
    assert.equal(st.kinds[1].entries, 2)
    assert.equal(st.kinds[1].bytes, 150)
    assert.equal(st.kinds[2].kind, "json")
    assert.equal(st.kinds[2].bytes, #'{"a":1}')
    assert.equal(st.entries, 3)
    assert.equal(st.bytes, 150 + 7)
    assert.truthy(st.file_bytes > 0 and st.file_bytes % st.page_size == 0)
    assert.truthy(st.kinds[1].oldest <= st.kinds[1].newest)
    assert.truthy(math.abs(st.kinds[1].newest - os.time()) < 60)
    assert.equal(st.runs, 0)
    assert.equal(math.type(st.free_pages), "integer")
  end)

  it("needs an existing store when given a path", function()
    assert.errors(function() discern.store.stats(base .. "-absent.sqlite") end,
      {code = "store_open", contains = "discern.store.stats: no store at " .. base .. "-absent.sqlite"})
  end)
end)

describe("discern.store.gc", function()
  it("reports a dry run and changes nothing", function()
    local s, path = fresh()
    for i = 1, 5 do s:set("k" .. i, string.rep("z", 1000)) end
    local r = discern.store.gc{older_than = 0, dry_run = true, path = path}
    assert.equal(r.dry_run, true)
    assert.equal(r.entries, 5)
    assert.equal(r.bytes, 5000)
    assert.equal(r.kinds, {{kind = "blob", entries = 5, bytes = 5000}})
    assert.equal(r.file_bytes_after, r.file_bytes_before)
    assert.equal(s:count(), 5)
  end)

  it("evicts by size down to max_size (strings with units too) and compacts the file", function()
    local s, path = fresh()
    for i = 1, 40 do s:set("k" .. i, string.rep("z", 4096)) end
    local r = discern.store.gc{max_size = "100K", path = path}
    assert.equal(r.dry_run, false)
    assert.equal(r.entries, 40 - 25)
    assert.equal(r.remaining_bytes, 25 * 4096)
    assert.truthy(r.file_bytes_after < r.file_bytes_before)
    assert.equal(s:count(), 25)
    local r2 = discern.store.gc{max_size = 0, older_than = "7d", path = path}
    assert.equal(r2.entries, 25)
    assert.equal(s:count(), 0)
    -- Opening the file anew (stats) may leave one free page: GRDB creates and drops a table to set up WAL.
    assert.truthy(discern.store.stats(path).free_pages <= 1)
    assert.equal(s:integrity_check(), "ok")
  end)

  it("keeps entries accessed more recently than older_than", function()
    local s, path = fresh()
    s:set("a", "1")
    local r = discern.store.gc{older_than = "1h", path = path}
    assert.equal(r.entries, 0)
    assert.equal(r.kinds, {})
    assert.equal(s:get("a"), "1")
  end)

  it("names the option and the accepted forms for bad values", function()
    local _, path = fresh()
    assert.errors(function() discern.store.gc{older_than = "7", path = path} end,
      {code = "arg", contains = "discern.store.gc: option 'older_than': '7' is not a duration: use a number followed by s, m, h, d or w"})
    assert.errors(function() discern.store.gc{max_size = "10X", path = path} end,
      {code = "arg", contains = "option 'max_size': '10X' is not a size"})
    assert.errors(function() discern.store.gc{max_size = -1, path = path} end, {code = "arg", contains = "'max_size' must be at least 0"})
    assert.errors(function() discern.store.gc{older_than = -5, path = path} end, {code = "arg", contains = "'older_than' must be"})
    assert.errors(function() discern.store.gc{older_than = true, path = path} end,
      {code = "arg", contains = "option 'older_than' must be seconds or a duration string"})
    assert.errors(function() discern.store.gc{max_sise = 1, path = path} end, {code = "arg", contains = "max_sise"})
    assert.errors(function() discern.store.gc{path = base .. "-nope.sqlite"} end, {code = "store_open", contains = "no store at"})
  end)
end)

describe("discern.Embedder:encode with the cache", function()
  local emb = discern.embed.load("Tests/Fixtures/models/bert")
  -- Distinct texts from words in the tiny model's vocabulary (any other word is [UNK]).
  local words = {"the", "cat", "dog", "bird", "apple", "bread", "river", "paris", "alice", "bob"}
  local texts = {}
  for i = 0, 29 do texts[i + 1] = string.rep(words[i % 10 + 1] .. " " .. words[i // 10 + 1] .. " ", 1 + i % 4) end

  it("returns bit-identical vectors with and without the cache and embeds only new texts", function()
    local s, path = fresh()
    local plain = emb:encode(texts, {batch_size = 8, cache = false})
    local seen = {}
    local cold = emb:encode(texts, {batch_size = 8, cache = s, progress = function(p) seen[#seen + 1] = p end})
    assert.equal(#seen, 1 + 4)  -- once after the cache read, then per batch
    assert.equal(seen[1], {done = 0, total = 30, cached = 0})
    assert.equal(seen[#seen], {done = 30, total = 30, cached = 0})
    assert.equal(cold:tolist(), plain:tolist())
    assert.equal(s:count(), 30)
    local warm_seen = {}
    local warm = emb:encode(texts, {cache = s, progress = function(p) warm_seen[#warm_seen + 1] = p end})
    assert.equal(warm_seen, {{done = 30, total = 30, cached = 30}})
    assert.equal(warm:tolist(), plain:tolist())  -- float32 -> Lua number is exact: equal lists are equal bits
    local st = discern.store.stats(path)
    assert.equal(st.kinds[1].kind, "embedding")
    assert.equal(st.kinds[1].bytes, 30 * emb.dim * 4)
  end)

  it("keeps the finished batches when the progress function stops the call", function()
    local s = fresh()
    local calls = 0
    assert.errors(function()
      emb:encode(texts, {batch_size = 8, cache = s, progress = function() calls = calls + 1; return calls < 3 end})
    end, {code = "interrupted", contains = "stopped by the progress function after 16 of 30 texts; the 16 vectors embedded so far are cached"})
    assert.equal(s:count(), 16)
    local seen
    emb:encode(texts, {batch_size = 8, cache = s, progress = function(p) seen = seen or p end})
    assert.equal(seen, {done = 16, total = 30, cached = 16})
    assert.errors(function()
      emb:encode(texts, {cache = s, progress = function() error("boom") end})
    end, {contains = "boom"})
  end)

  it("checks its options", function()
    assert.errors(function() emb:encode({"x"}, {cache = "yes"}) end,
      {code = "arg", contains = "option 'cache' must be a boolean or a discern.Store, got string"})
    assert.errors(function() emb:encode({"x"}, {progress = 1}) end,
      {code = "arg", contains = "option 'progress' must be a boolean or a function(progress), got number"})
    assert.errors(function() emb:encode({"x"}, {batch_size = 0}) end, {code = "arg", contains = "batch_size"})
  end)
end)
