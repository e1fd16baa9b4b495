local discern = require "discern"
local strategy = discern.strategy

local function first_arm(name)
  return {
    name = name or "first_arm", description = "always the first arm",
    init = function(arms) return {arms = arms} end,
    select = function(s) return s.arms[1] end,
    update = function() end,
  }
end

describe("discern.strategy registry", function()
  local previous
  before_each(function() previous = strategy.active() end)
  after_each(function() strategy.use(previous) end)

  it("validates strategy tables field by field", function()
    assert.errors(function() strategy.register(3) end, {contains = "a strategy must be a table, got number"})
    local t = first_arm()
    t.select = nil
    assert.errors(function() strategy.register(t) end,
      {message = "discern.strategy.register: field 'select' must be a function, got nil (strategy 'first_arm')"})
    t = first_arm()
    t.name = "has space"
    assert.errors(function() strategy.register(t) end, {contains = "field 'name' must be a non-empty word"})
    t = first_arm()
    t.selectk = function() end
    assert.errors(function() strategy.register(t) end, {contains = "unknown field 'selectk'"})
    t = first_arm()
    t.stats = "x"
    assert.errors(function() strategy.register(t) end, {contains = "field 'stats' must be a function when present, got string"})
    t = first_arm()
    t.description = nil
    assert.errors(function() strategy.register(t) end, {contains = "field 'description' must be a string"})
  end)

  it("registers, lists, swaps and replaces strategies", function()
    strategy.register(first_arm("spec_first"))
    local names = table.concat(strategy.list(), ",")
    for _, n in ipairs({"decaying_epsilon", "epsilon_greedy", "kl_ucb", "lucb", "softmax", "spec_first",
                        "successive_elimination", "thompson", "ucb1", "ucb_v"}) do
      assert.truthy(names:find(n, 1, true), n .. " registered")
    end
    assert.equal(strategy.use("spec_first").name, "spec_first")
    assert.equal(strategy.get().name, "spec_first")
    assert.equal(strategy.active(), "spec_first")
    local replacement = first_arm("spec_first")
    replacement.description = "replaced"
    strategy.register(replacement)
    assert.equal(strategy.get().description, "replaced")
    local inline = first_arm("spec_inline")
    assert.equal(strategy.use(inline), inline)
    assert.equal(strategy.get(), inline)
    assert.errors(function() strategy.use("no_such") end, {contains = "no strategy named 'no_such' (registered: "})
    assert.errors(function() strategy.use(42) end, {contains = "strategy name or table expected"})
  end)

  it("runs a policy and checks what the strategy returns", function()
    strategy.use(first_arm("spec_first"))
    local p = strategy.policy({"a", "b"})
    assert.equal(p:select(), "a")
    p:update("a", 1)
    p:update("b", 0.5)
    p:update("a", 0)
    local s = p:stats()
    assert.equal(s[1], {arm = "a", pulls = 2, mean = 0.5})
    assert.equal(s[2], {arm = "b", pulls = 1, mean = 0.5})
    assert.equal(tostring(p), "discern.Policy(spec_first, 2 arms, 3 updates)")
    assert.errors(function() p:update("z", 1) end, {contains = "arm \"z\" is not one of the arms (a, b)"})
    assert.errors(function() p:update("a", 0 / 0) end, {contains = "reward must be a number"})
    assert.errors(function() p:select_k(1) end, {contains = "the strategy has no select_k"})
    assert.errors(function() p:add_arm("c") end, {contains = "cannot add arms at runtime"})
    local bad = first_arm("spec_bad")
    bad.select = function() return "nope" end
    local q = strategy.policy({"a"}, {strategy = bad.name and strategy.register(bad).name})
    assert.errors(function() q:select() end, {contains = "select returned \"nope\" is not one of the arms"})
    assert.errors(function() strategy.policy({"a", "a"}) end, {contains = "arm \"a\" is listed twice"})
    assert.errors(function() strategy.policy({}) end, {contains = "non-empty list of arm names"})
    assert.errors(function() strategy.policy({"a"}, {strategy = "missing"}) end, {contains = "no strategy named 'missing'"})
  end)
end)

describe("discern.strategy decaying_epsilon (pure Lua)", function()
  -- Seeded Bernoulli rewards from a discern.random stream.
  local function bernoulli(seed)
    local rng = discern.random.new(seed)
    return function(p) return rng:bernoulli(p) and 1 or 0 end
  end

  it("finds the best arm and is reproducible by seed", function()
    local means = {a = 0.3, b = 0.7, c = 0.5}
    local function run(seed)
      local p = strategy.policy({"a", "b", "c"}, {strategy = "decaying_epsilon", seed = seed, c = 0.2, d = 0.2})
      local draw = bernoulli(seed + 100)
      local picks = {}
      for t = 1, 2000 do
        local arm = p:select()
        picks[t] = arm
        p:update(arm, draw(means[arm]))
      end
      return p, picks
    end
    local p1, picks1 = run(1)
    local _, picks2 = run(1)
    assert.equal(picks1, picks2)
    local _, picks3 = run(2)
    assert.truthy(table.concat(picks1) ~= table.concat(picks3), "different seeds give different runs")
    local late = 0
    for t = 1501, 2000 do if picks1[t] == "b" then late = late + 1 end end
    assert.truthy(late > 400, "best arm played in the last 500 steps: " .. late)
    local stats = p1:stats()
    assert.truthy(stats[2].pulls > stats[1].pulls and stats[2].pulls > stats[3].pulls)
    assert.truthy(stats[1].epsilon < 0.01, "epsilon decays")
  end)

  it("adds arms at runtime and picks k distinct arms", function()
    local p = strategy.policy({"a", "b"}, {strategy = "decaying_epsilon"})
    p:add_arm("c")
    local seen = {}
    for _ = 1, 3 do
      local arm = p:select()
      seen[arm] = true
      p:update(arm, arm == "c" and 1 or 0)
    end
    assert.truthy(seen.a and seen.b and seen.c, "unplayed arms first")
    local k = p:select_k(2)
    assert.equal(#k, 2)
    assert.truthy(k[1] ~= k[2])
    assert.errors(function() p:select_k(4) end, {contains = "k must be an integer in [1, 3]"})
    assert.errors(function() p:add_arm("a") end, {contains = "already exists"})
    assert.errors(function() strategy.policy({"a"}, {strategy = "decaying_epsilon", temperature = 1}) end,
      {contains = "unknown option 'temperature' for strategy 'decaying_epsilon' (expected one of: c, d, seed)"})
  end)
end)
