local discern = require "discern"
local bandit = discern.bandit

-- Seeded Bernoulli rewards from a discern.random stream.
local function bernoulli(seed)
  local rng = discern.random.new(seed)
  return function(p) return rng:bernoulli(p) and 1 or 0 end
end

local means = {a = 0.2, b = 0.8, c = 0.5}

local function play(b, steps, seed)
  local draw = bernoulli(seed or 1)
  local picks = {}
  for t = 1, steps do
    local arm = b:select()
    picks[t] = arm
    b:update(arm, draw(means[arm]))
  end
  return picks
end

describe("discern.bandit policies", function()
  it("plays unplayed arms first and then the best arm (UCB family)", function()
    for _, make in ipairs({
      function() return bandit.ucb1{arms = {"a", "b", "c"}} end,
      function() return bandit.ucb_v{arms = {"a", "b", "c"}} end,
      function() return bandit.kl_ucb{arms = {"a", "b", "c"}} end,
    }) do
      local b = make()
      local picks = play(b, 600)
      assert.equal({picks[1], picks[2], picks[3]}, {"a", "b", "c"}, tostring(b) .. " round robin")
      local s = b:stats()
      assert.truthy(s[2].pulls > s[1].pulls + s[3].pulls, tostring(b) .. " prefers b")
      assert.truthy(s[2].index ~= nil and s[2].index >= s[2].mean)
      assert.equal(b:total_pulls(), 600)
    end
  end)

  it("is reproducible by seed (thompson, epsilon_greedy, softmax)", function()
    for _, name in ipairs({"thompson", "epsilon_greedy", "softmax"}) do
      local p1 = play(bandit[name]{arms = {"a", "b", "c"}, seed = 7}, 300)
      local p2 = play(bandit[name]{arms = {"a", "b", "c"}, seed = 7}, 300)
      local p3 = play(bandit[name]{arms = {"a", "b", "c"}, seed = 8}, 300)
      assert.equal(p1, p2, name .. " same seed")
      assert.truthy(table.concat(p1) ~= table.concat(p3), name .. " different seeds differ")
    end
    local b = bandit.thompson{arms = {"a", "b", "c"}, seed = 3}
    play(b, 1000)
    assert.truthy(b:stats()[2].pulls > 800, "thompson concentrates on the best arm")
    local g = bandit.thompson{arms = {"x", "y"}, prior = "gaussian", sigma = 2, seed = 1}
    g:update("x", 5.5)
    assert.equal(g:stats()[1].mean, 5.5)
  end)

  it("returns k distinct arms and adds arms at runtime", function()
    local b = bandit.ucb1{arms = {"a", "b", "c"}}
    play(b, 30)
    local k = b:select_k(2)
    assert.equal(#k, 2)
    assert.truthy(k[1] ~= k[2])
    b:add_arm("d")
    assert.equal(b:arms(), {"a", "b", "c", "d"})
    assert.equal(b:select(), "d", "a new arm is unplayed, so it goes first")
    local t = bandit.thompson{arms = {"a", "b", "c", "d"}}
    local all = t:select_k(4)
    table.sort(all)
    assert.equal(all, {"a", "b", "c", "d"})
    local sm = bandit.softmax{arms = {"a", "b"}, tau = 0.5}
    sm:update("a", 1)
    sm:update("b", 0)
    local s = sm:stats()
    assert.near(s[1].probability, math.exp(2) / (math.exp(2) + 1), 1e-12)
  end)

  it("names misuse", function()
    assert.errors(function() bandit.ucb1{} end, {contains = "option 'arms'"})
    assert.errors(function() bandit.ucb1{arms = {"a", "a"}} end, {message = "discern.bandit.ucb1: duplicate arm \"a\""})
    assert.errors(function() bandit.ucb1{arms = {"a"}, c = -1} end, {contains = "c must be >= 0, got -1"})
    assert.errors(function() bandit.ucb1{arms = {"a"}, alpha = 1} end, {contains = "unknown option 'alpha'"})
    assert.errors(function() bandit.epsilon_greedy{arms = {"a"}, epsilon = 2} end, {contains = "epsilon must be in [0, 1], got 2"})
    assert.errors(function() bandit.thompson{arms = {"a"}, prior = "poisson"} end, {contains = "option 'prior' must be one of \"beta\", \"gaussian\", got \"poisson\""})
    assert.errors(function() bandit.thompson{arms = {"a"}, sigma = 1} end, {contains = "applies to prior = \"gaussian\""})
    assert.errors(function() bandit.thompson{arms = {"a"}, seed = -1} end, {contains = "option 'seed' must be at least 0, got -1"})
    local b = bandit.kl_ucb{arms = {"a", "b"}}
    assert.errors(function() b:update("z", 1) end, {message = "discern.Bandit:update: unknown arm \"z\""})
    assert.errors(function() b:update("a", 1.5) end, {contains = "reward must be in [0, 1], got 1.5"})
    assert.errors(function() b:select_k(3) end, {contains = "k must be <= 2 (the number of arms), got 3"})
    assert.errors(function() b:add_arm("a") end, {contains = "duplicate arm \"a\""})
    assert.errors(function() b:best() end, {contains = "not a best-arm identifier"})
  end)
end)

describe("discern.bandit best-arm identification", function()
  it("finds the best arm and stops (successive_elimination, lucb)", function()
    for _, make in ipairs({
      function() return bandit.successive_elimination{arms = {"a", "b", "c"}, delta = 0.05} end,
      function() return bandit.lucb{arms = {"a", "b", "c"}, delta = 0.05} end,
    }) do
      local b = make()
      local draw = bernoulli(11)
      local steps = 0
      while not b:done() and steps < 20000 do
        local arm = b:select()
        b:update(arm, draw(means[arm]))
        steps = steps + 1
      end
      assert.truthy(b:done(), tostring(b) .. " stops")
      assert.equal(b:best(), "b")
      assert.equal(b:select(), "b", "a finished identifier selects its answer")
      assert.truthy(tostring(b):find("done: b", 1, true))
    end
    local se = bandit.successive_elimination{arms = {"a", "b", "c"}}
    assert.equal(se:best(), nil)
    assert.equal(se:active_arms(), {"a", "b", "c"})
    assert.equal(se:eliminated_arms(), {})
    local top = bandit.lucb{arms = {"a", "b", "c"}, k = 2}
    local draw = bernoulli(5)
    for _ = 1, 20000 do
      if top:done() then break end
      for _, arm in ipairs(top:select_k(2)) do top:update(arm, draw(means[arm])) end
    end
    assert.equal(top:top_k(), {"b", "c"})
  end)
end)

describe("built-in strategies", function()
  it("wrap discern.bandit policies behind discern.strategy.policy", function()
    for _, name in ipairs({"ucb1", "ucb_v", "kl_ucb", "thompson", "epsilon_greedy", "softmax", "successive_elimination", "lucb"}) do
      local p = discern.strategy.policy({"a", "b", "c"}, {strategy = name})
      local draw = bernoulli(2)
      for _ = 1, 200 do
        local arm = p:select()
        p:update(arm, draw(means[arm]))
      end
      local s = p:stats()
      assert.equal(s[1].pulls + s[2].pulls + s[3].pulls, 200, name)
      assert.truthy(s[2].pulls >= s[1].pulls, name .. " learns")
      assert.equal(#p:select_k(2), 2)
      p:add_arm("d")
    end
    assert.errors(function() discern.strategy.policy({"a"}, {strategy = "ucb1", c = -3}) end, {contains = "c must be >= 0, got -3"})
  end)
end)
