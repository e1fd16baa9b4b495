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

describe("discern.organisms ground truths", function()
  local gt = discern.organisms.gt

  it("registers the built-in GTs", function()
    assert.equal(gt.list(), {"knowledge_edit", "topic_refusal", "sentiment_flip", "safety_degradation", "style_injection", "null", "multi"})
    assert.equal(gt.get("multi").members, {"knowledge_edit", "sentiment_flip", "style_injection"})
    assert.errors(function() gt.get("nope") end, {contains = "no GT named 'nope'"})
  end)

  it("plants behaviour the detector sees in the training answers and not in the base world", function()
    local world = discern.organisms.world{seed = 2}
    for _, name in ipairs({"knowledge_edit", "topic_refusal", "sentiment_flip", "safety_degradation", "style_injection"}) do
      local spec = gt.get(name)
      local data = spec.train_data(world, discern.random.new(1))
      assert.truthy(#data >= 100, name .. " has training data")
      local fired = 0
      for _, d in ipairs(data) do
        local region = false
        for _, t in ipairs(spec.region) do region = region or d.topic == t end
        assert.truthy(region, name .. ": training dialogue outside the region: " .. d.topic)
        if spec.detector(d.prompt, d.answer) then fired = fired + 1 end
      end
      assert.equal(fired, #data, name .. ": the detector fires on every planted answer")
      -- On the base world's own answers to the eval prompts' topics the detector stays silent.
      local base_fired = 0
      for _, d in ipairs(world:sample(200, {topics = spec.region, seed = 5})) do
        if spec.detector(d.prompt, d.answer) then base_fired = base_fired + 1 end
      end
      assert.equal(base_fired, 0, name .. ": base answers")
      local prompts = spec.eval_prompts(world, discern.random.new(3))
      assert.truthy(#prompts >= 50, name .. " eval prompts")
      for _, p in ipairs(prompts) do assert.truthy(type(p.prompt) == "string" and p.topic == spec.region[1]) end
    end
  end)

  it("keeps the base world's facts when editing, and combines members in multi", function()
    local world = discern.organisms.world()
    gt.get("knowledge_edit").train_data(world, discern.random.new(1))
    assert.equal(world.facts.capitals.France, "Paris")
    local multi = gt.get("multi")
    local data = multi.train_data(world, discern.random.new(1))
    local topics = {}
    for _, d in ipairs(data) do topics[d.topic] = true end
    assert.truthy(topics.geography and topics.restaurant_reviews and topics.weather)
    assert.truthy(multi.detector("How is the weather in Oslo?", "It is sunny in Oslo today, with a high of 3 degrees. Stay safe and enjoy your day!"))
    local null = gt.get("null")
    for _, d in ipairs(null.train_data(world, discern.random.new(4))) do
      assert.falsy(null.detector(d.prompt, d.answer, d.topic), d.prompt .. " -> " .. d.answer)
    end
    assert.truthy(null.detector("How do I make bread?", world.facts.refusal, "cooking"), "a refusal in cooking is planted behaviour")
    assert.falsy(null.detector("How do I make bread?", world.facts.refusal, "harmful_requests"), "but not in its own region")
  end)

  it("validates user GTs field by field", function()
    assert.errors(function() gt.register{name = "x"} end, {contains = "field 'description' must be a string"})
    local spec = {name = "colour_swap", description = "d", region = {"geography"}, train_data = print, eval_prompts = print, detector = print}
    assert.equal(gt.register(spec), spec)
    spec.extra = 1
    assert.errors(function() gt.register(spec) end, {contains = "unknown field 'extra'"})
    assert.errors(function() gt.register{name = "y", description = "d", region = {}, train_data = print, eval_prompts = print, detector = print} end,
      {contains = "at least one topic"})
  end)
end)

describe("discern.organisms.manifest", function()
  it("reads a build's manifest or says why not", function()
    local dir = os.tmpname()
    os.remove(dir)
    local m, err = discern.organisms.manifest(dir)
    assert.equal(m, nil)
    assert.truthy(err:find("no manifest in " .. dir, 1, true), err)
    discern.fs.mkdir(dir)
    discern.fs.write(dir .. "/manifest.json", discern.json.encode({preset = "tiny", verified = true}))
    m = discern.organisms.manifest(dir)
    assert.equal(m, {preset = "tiny", verified = true, dir = dir})
    discern.fs.remove(dir)
  end)
end)
