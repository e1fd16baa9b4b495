local discern = require "discern"
local GPT2 = "Tests/Fixtures/models/gpt2"

local function tmpstore()
  local path = os.tmpname()
  os.remove(path)
  return discern.store.open(path .. ".sqlite"), path .. ".sqlite"
end

describe("discern.sampling", function()
  local m = discern.model.load(GPT2)
  local prompts = {"The cat", "Alice", "The cat", "A dog"}

  it("samples through the store's cache and equals model:generate", function()
    local store = tmpstore()
    local L = discern.sampling.ledger()
    local o = {n = 2, max_new_tokens = 6, seed = 5, store = store, ledger = L, step = "explore", chunk = 1}
    local s = discern.sampling.sample(m, prompts, o)
    assert.equal(#s, 8)
    assert.equal(s[1].prompt, "The cat")
    assert.equal(s[3].prompt_index, 2)
    assert.equal(s[4].sample_index, 2)
    assert.equal(s[1].cached, false)
    local g = m:generate(prompts, {n = 2, max_new_tokens = 6, seed = 5})
    for i = 1, 8 do assert.equal(s[i].completion, g[i].text) end
    -- The repeated prompt's second occurrence has its own stream.
    assert.truthy(s[5].completion .. s[6].completion ~= s[1].completion .. s[2].completion)
    local c = L:counts()
    assert.equal(c.samples, 8)
    assert.equal(c.cached_samples, 0)
    assert.truthy(c.forward_passes > 0)
    assert.truthy(c.generated_tokens > 0)
    assert.equal(c.compute_tokens, c.generated_tokens + c.prefill_tokens)
    -- Again: everything from the cache, identical, counted as used.
    local again = discern.sampling.sample(m, prompts, o)
    for i = 1, 8 do
      assert.equal(again[i].completion, s[i].completion)
      assert.equal(again[i].cached, true)
      assert.equal(again[i].key, s[i].key)
    end
    local c2 = L:counts()
    assert.equal(c2.cached_samples, 8)
    assert.equal(c2.generated_tokens, 2 * c.generated_tokens)
    assert.equal(c2.forward_passes, c.forward_passes)
    assert.equal(L:steps()[1].step, "explore")
    -- Other settings are other entries.
    local other = discern.sampling.sample(m, {"The cat"}, {n = 1, max_new_tokens = 6, seed = 6, store = store})
    assert.equal(other[1].cached, false)
  end)

  it("stops at the budget keeping what it made", function()
    local store = tmpstore()
    local L = discern.sampling.ledger{budget = {generated_tokens = 10}}
    local ok, e = pcall(discern.sampling.sample, m, {"a", "b", "c", "d", "e", "f"},
      {max_new_tokens = 8, stop_at_eos = false, seed = 1, store = store, ledger = L, chunk = 2})
    assert.equal(ok, false)
    assert.equal(e.code, "budget")
    assert.truthy(tostring(e):find("cached", 1, true))
    assert.equal(store:count() > 0, true)
    assert.truthy(L:exceeded():find("budget of 10", 1, true))
    assert.equal(L:budget().generated_tokens, 10)
  end)

  it("rejects bad input with clear errors", function()
    assert.errors(function() discern.sampling.sample(m, {}, {store = false}) end, {contains = "no prompts"})
    assert.errors(function() discern.sampling.sample(m, {"a", ""}, {store = false}) end, {contains = "prompt 2 is empty"})
    assert.errors(function() discern.sampling.sample(m, {"a"}, {n = 0, store = false}) end, {contains = "'n'"})
    assert.errors(function() discern.sampling.sample(m, {"a"}, {store = 3}) end, {contains = "discern.Store or false"})
    assert.errors(function() discern.sampling.sample(m, {"a"}, {top_p = 2, store = false}) end, {contains = "top_p"})
    assert.errors(function() discern.sampling.ledger{budget = {generated_tokens = 0}} end, {contains = "generated_tokens"})
    assert.errors(function() discern.sampling.ledger{budget = {tokens = 5}} end, {contains = "unknown option 'tokens'"})
  end)

  it("adds counts to a ledger by hand", function()
    local L = discern.sampling.ledger()
    L:add("embed", {seconds = 1.5, prefill_tokens = 10})
    L:add("embed", {seconds = 0.5})
    assert.near(L:counts().seconds, 2, 1e-12)
    assert.equal(L:steps()[1].counts.prefill_tokens, 10)
    assert.errors(function() L:add("x", {samples = -1}) end, {contains = "samples"})
    assert.equal(L:exceeded(), nil)
  end)
end)

describe("discern.prompts", function()
  local rng = discern.random.new(1)

  it("shows a prompt without its chat markers", function()
    assert.equal(discern.prompts.plain("<|user|> What is 2 plus 2? <|assistant|>"), "What is 2 plus 2?")
    assert.equal(discern.prompts.plain("  plain text "), "plain text")
    assert.errors(function() discern.prompts.plain(3) end, {contains = "discern.prompts.plain: bad argument #1 (a string expected, got number)"})
  end)

  it("draws from lists without replacement and avoids prompts", function()
    local src = discern.prompts.source({"a", "b", "c"})
    local d = src:draw(rng, 3)
    table.sort(d)
    assert.equal(d, {"a", "b", "c"})
    local fresh = src:draw(rng, 2, {a = true})
    for _, p in ipairs(fresh) do assert.truthy(p ~= "a") end
    assert.equal(#src:draw(rng, 7), 7)
  end)

  it("reads txt, jsonl and csv files", function()
    local dir = os.tmpname()
    os.remove(dir)
    discern.fs.mkdir(dir)
    discern.fs.write(dir .. "/p.txt", "one\n\ntwo\r\n")
    discern.fs.write(dir .. "/p.jsonl", '{"q": "x"}\n{"q": "y"}\n')
    discern.fs.write(dir .. "/p.csv", 'id,text\n1,"Hello, there"\n2,"Say ""hi"""\n')
    local function all(src) local t = src:draw(rng, 2); table.sort(t); return t end
    assert.equal(all(discern.prompts.file(dir .. "/p.txt")), {"one", "two"})
    assert.equal(all(discern.prompts.file(dir .. "/p.jsonl", {field = "q"})), {"x", "y"})
    assert.equal(all(discern.prompts.file(dir .. "/p.csv", {column = "text"})), {"Hello, there", "Say \"hi\""})
    assert.equal(all(discern.prompts.file(dir .. "/p.txt", {template = "<|user|> %s <|assistant|>"})),
      {"<|user|> one <|assistant|>", "<|user|> two <|assistant|>"})
    assert.errors(function() discern.prompts.file(dir .. "/p.jsonl") end, {contains = "no string field 'prompt'"})
    assert.errors(function() discern.prompts.file(dir .. "/p.csv", {column = "nope"}) end, {contains = "no column named 'nope'"})
    discern.fs.write(dir .. "/empty.txt", "\n\n")
    assert.errors(function() discern.prompts.file(dir .. "/empty.txt") end, {contains = "holds no prompts"})
    assert.errors(function() discern.prompts.file(dir .. "/missing.txt") end, {contains = "cannot read"})
    discern.fs.write(dir .. "/bad.jsonl", '{"prompt": "x"}\n{oops\n')
    assert.errors(function() discern.prompts.file(dir .. "/bad.jsonl") end, {contains = "bad.jsonl:2: not valid JSON"})
    assert.errors(function() discern.prompts.file(dir .. "/p.txt", {colum = 1}) end, {contains = "unknown option 'colum'"})
  end)

  it("rejects empty and malformed sources", function()
    assert.errors(function() discern.prompts.source({}) end, {contains = "empty"})
    assert.errors(function() discern.prompts.source({"a", 3}) end, {contains = "prompt 2"})
    assert.errors(function() discern.prompts.source(42) end, {contains = "a prompt source is"})
    local empty = discern.prompts.source(function() return {} end)
    assert.errors(function() empty:draw(rng, 3) end, {contains = "gave no prompts"})
  end)

  it("draws world prompts without topics", function()
    local w = discern.organisms.world{seed = 2}
    local list = w:prompts{n = 5, seed = 3}
    assert.equal(#list, 5)
    assert.truthy(list[1]:find("^<|user|> .* <|assistant|>$"))
    assert.equal(w:prompts{n = 5, seed = 3}, list)
    local src = discern.prompts.source(w:prompts())
    assert.equal(#src:draw(rng, 4), 4)
    assert.errors(function() w:prompts{n = 0} end, {contains = "'n'"})
    assert.errors(function() w:prompts{topic = "x"} end, {contains = "unknown option 'topic'"})
  end)
end)

describe("discern.measure", function()
  it("measures phrases, token rates and label scores", function()
    local m = discern.measure.contains{"Lyon", "New York"}
    assert.equal(m.kind, "rate")
    assert.equal(m("p", "The capital is Lyon."), true)
    assert.equal(m("p", "Lyons are big"), false)
    assert.equal(m("p", "I love new   york!"), true)
    assert.equal(discern.measure.contains{"a", "b", all = true}("p", "a c"), false)
    local r = discern.measure.rate_of_tokens{tokens = {"rude", "slow"}}
    assert.equal(r.kind, "mean")
    assert.near(r("p", "rude and slow staff"), 0.5, 1e-12)
    assert.equal(r("p", ""), 0)
    local ls = discern.measure.label_score{model = {"lyon"}, base = {"paris"}}
    assert.equal(ls("p", "lyon not paris"), 0)
    assert.equal(ls("p", "lyon"), 1)
    assert.equal(discern.measure.words("It's 12 o'clock, Bob!"), {"it's", "12", "o'clock", "bob"})
    assert.equal(discern.measure.is(print), true)
    assert.equal(discern.measure.is(m), true)
    assert.equal(discern.measure.is({}), false)
    assert.errors(function() discern.measure.contains{} end, {contains = "non-empty list"})
    assert.errors(function() discern.measure.contains{"x", any = true} end, {contains = "unknown option 'any'"})
    assert.errors(function() discern.measure.label_score{model = {}, base = {}} end, {contains = "no n-grams"})
  end)
end)

describe("discern.measure with models", function()
  local m = discern.model.load(GPT2)

  it("projects completion embeddings on a direction", function()
    local p = discern.measure.embedding_projection{toward = {"The cat sat on the mat."}, away = {"Stock markets fell sharply."}}
    assert.equal(p.kind, "mean")
    local v = p.batch({"a", "b"}, {"A cat was sitting on a rug.", "Shares dropped on the exchange."})
    assert.truthy(v[1] > v[2], tostring(v[1]) .. " vs " .. tostring(v[2]))
    assert.near(p("a", "A cat was sitting on a rug."), v[1], 1e-5)
    assert.errors(function() discern.measure.embedding_projection{toward = {"x"}} end, {contains = "'toward' and 'away'"})
    assert.errors(function() discern.measure.embedding_projection{direction = discern.tensor.zeros({2, 2})} end, {contains = "1-D"})
  end)

  it("compares completions with a reference model's greedy answer", function()
    local L = discern.sampling.ledger()
    local d = discern.measure.differs_from_reference{reference = m, sampling = {max_new_tokens = 4, stop = {}}, ledger = L, store = false}
    local greedy = m:generate({"The cat"}, {max_new_tokens = 4, greedy = true})[1].text
    assert.equal(d("The cat", greedy), false)
    assert.equal(d("The cat", greedy .. " and more"), true)
    assert.equal(L:steps()[1].step, "reference")
    assert.equal(L:counts().samples, 1)  -- the reference is generated once per prompt
    assert.errors(function() discern.measure.differs_from_reference{} end, {contains = "option 'reference'"})
  end)
end)

describe("discern.behavior", function()
  local m = discern.model.load(GPT2)
  local h = {statement = "says 'the'", prompts = {"The cat", "Alice", "A dog", "One day"}, measure = discern.measure.contains{"the"},
    direction = "increase"}

  it("validates hypotheses field by field", function()
    local ok = discern.behavior.hypothesis(h)
    assert.equal(ok.direction, "increase")
    assert.equal(ok.kind, "rate")
    assert.errors(function() discern.behavior.hypothesis{statement = "x", prompts = {"a"}, measure = 3} end, {contains = "field 'measure'"})
    assert.errors(function() discern.behavior.hypothesis{statement = "x", measure = print} end, {contains = "field 'prompts' is required"})
    assert.errors(function() discern.behavior.hypothesis{statement = "x", prompts = {}, measure = print} end, {contains = "empty"})
    assert.errors(function() discern.behavior.hypothesis{statement = "x", prompts = {"a"}, measure = print, direction = "up"} end,
      {contains = "field 'direction'"})
    assert.errors(function() discern.behavior.hypothesis{statement = "x", prompts = {"a"}, measure = print, colour = 1} end,
      {contains = "unknown field 'colour'"})
  end)

  it("tests a model against itself: no rejection, every decision in the stream", function()
    local stream = discern.behavior.stream{alpha = 0.05}
    local store = tmpstore()
    local r = discern.behavior.test(h, m, m, {stream = stream, n = 30, seed = 3, store = store,
      sampling = {max_new_tokens = 6, stop = {}}})
    assert.equal(r.rejected, false)
    assert.equal(r.effect, 0)
    assert.equal(r.n.base, 30)
    assert.equal(#r.samples, 30)
    assert.equal(r.samples[1].base, r.samples[1].model)
    assert.equal(#stream.trace, 1)
    assert.equal(stream.trace[1].pvalue, r.pvalue)
    assert.equal(r.alpha_t, stream.trace[1].alpha_t)
    assert.equal(#r.examples, 0)
  end)

  it("errors clearly on a measure that fails or returns NaN, keeping the samples cached", function()
    local store = tmpstore()
    local bad = {statement = "nan", prompts = {"The cat"}, measure = function() return 0 / 0 end}
    assert.errors(function() discern.behavior.test(bad, m, m, {n = 4, store = store, sampling = {max_new_tokens = 3}}) end,
      {contains = "returned NaN"})
    assert.truthy(store:count() > 0)
    local boom = {statement = "boom", prompts = {"The cat"}, measure = function() error("no way") end}
    assert.errors(function() discern.behavior.test(boom, m, m, {n = 4, store = store, sampling = {max_new_tokens = 3}}) end,
      {contains = "measure of hypothesis 'boom' failed"})
    assert.errors(function() discern.behavior.test(h, m, m, {n = 1}) end, {contains = "'n' must be an integer ≥ 2"})
    assert.errors(function() discern.behavior.test(h, m, m, {sample = 1}) end, {contains = "unknown option 'sample'"})
    assert.errors(function() discern.behavior.stream{procedure = "nope"} end, {contains = "unknown procedure 'nope'"})
  end)

  it("refuses a test the budget cannot pay for", function()
    local L = discern.sampling.ledger{budget = {generated_tokens = 50}}
    assert.errors(function() discern.behavior.test(h, m, m, {ledger = L, store = false, sampling = {max_new_tokens = 6}}) end,
      {contains = "budget has room for"})
  end)
end)
