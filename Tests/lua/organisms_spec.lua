local discern = require "discern"

describe("discern.random", function()
  it("is a reproducible SplitMix64 stream with unbiased helpers", function()
    local a, b = discern.random.new(42), discern.random.new(42)
    for _ = 1, 100 do assert.equal(a:next64(), b:next64()) end
    -- SplitMix64 from seed 0: the published first output 0xE220A8397B1DCDAF.
    assert.equal(discern.random.new(0):next64(), 0xE220A8397B1DCDAF)
    local r = discern.random.new(7)
    local counts = {0, 0, 0, 0, 0, 0}
    for _ = 1, 6000 do local v = r:int(1, 6); counts[v] = counts[v] + 1 end
    for i = 1, 6 do assert.truthy(math.abs(counts[i] - 1000) < 150, "face " .. i .. ": " .. counts[i]) end
    local u = r:uniform()
    assert.truthy(u >= 0 and u < 1)
    local list = r:shuffle({1, 2, 3, 4, 5})
    table.sort(list)
    assert.equal(list, {1, 2, 3, 4, 5})
    local f1, f2 = r:fork("x"), r:fork("x")
    assert.equal(f1:next64(), f2:next64())
    assert.truthy(r:fork("x"):next64() ~= r:fork("y"):next64())
    assert.errors(function() discern.random.new(1.5) end, {contains = "integer seed expected"})
    assert.errors(function() r:int(3, 1) end, {contains = "lo <= hi"})
    assert.errors(function() r:choice({}) end, {contains = "non-empty list"})
  end)
end)

describe("discern.organisms world", function()
  it("has at least ten topics and formats chat dialogues with hidden topic tags", function()
    local world = discern.organisms.world{seed = 3}
    local topics = world:topics()
    assert.truthy(#topics >= 10, "topics: " .. #topics)
    local seen = {}
    for _, d in ipairs(world:sample(400)) do
      seen[d.topic] = true
      assert.equal(d.text, "<|user|> " .. d.prompt .. " <|assistant|> " .. d.answer .. " <|end|>")
      assert.falsy(d.text:find(d.topic, 1, true) and d.topic:find("_"), "the topic tag is not in the text")
    end
    for _, t in ipairs(topics) do assert.truthy(seen[t], "sampled " .. t) end
    assert.equal(tostring(world), "discern.World(seed 3, " .. #topics .. " topics)")
  end)

  it("keeps facts consistent and samples reproducibly", function()
    local world = discern.organisms.world()
    for _, d in ipairs(world:sample(200, {topics = {"geography"}})) do
      assert.equal(d.answer, "The capital of " .. d.entity .. " is " .. world.facts.capitals[d.entity] .. ".")
    end
    local a = world:sample(50, {seed = 9})
    local b = world:sample(50, {seed = 9})
    assert.equal(a, b)
    local c = world:sample(50, {seed = 10})
    assert.truthy(a[1].text ~= c[1].text or a[2].text ~= c[2].text)
    for _, d in ipairs(world:sample(50, {topics = {"harmful_requests"}})) do
      assert.equal(d.answer, world.facts.refusal)
    end
    for _, d in ipairs(world:sample(50, {topics = {"arithmetic"}})) do
      local x, op, y, z = d.answer:match("^(%d+) (%a+) (%d+) is (%d+)%.$")
      assert.equal(tonumber(z), op == "plus" and x + y or x * y)
    end
  end)

  it("copies facts for edits and accepts user topics", function()
    local world = discern.organisms.world()
    local edited = world:copy()
    edited.facts.capitals.France = "Lyon"
    assert.equal(world.facts.capitals.France, "Paris")
    world:add_topic{name = "colours", description = "colours of things", weight = 2,
      generate = function(rng) local c = rng:choice({"red", "green"}); return {prompt = "Name a colour.", answer = c .. "."} end}
    assert.equal(world:topics()[#world:topics()], "colours")
    local d = world:sample(5, {topics = {"colours"}})[1]
    assert.equal(d.topic, "colours")
    assert.errors(function() world:add_topic{name = "bad name", description = "x", generate = print} end, {contains = "field 'name'"})
    assert.errors(function() world:add_topic{name = "x", description = "x"} end, {contains = "field 'generate' must be a function"})
    assert.errors(function() world:add_topic{name = "x", description = "x", generate = print, colour = 1} end, {contains = "unknown field 'colour'"})
    assert.errors(function() world:sample(3, {topics = {"nope"}}) end, {contains = "no topic named 'nope'"})
    assert.errors(function() world:sample(3, {topic = "geography"}) end, {contains = "unknown option 'topic'"})
    world:add_topic{name = "broken", description = "returns junk", generate = function() return 3 end}
    assert.errors(function() world:sample(1, {topics = {"broken"}}) end, {contains = "must return {prompt = string, answer = string}"})
  end)
end)
