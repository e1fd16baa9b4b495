--- decaying_epsilon: an exploration strategy written purely in Lua (an example to copy).
---
--- Auer, Cesa-Bianchi & Fischer's (2002) epsilon_n-greedy: at step t (1-based) explore with probability
--- epsilon_t = min(1, c·K / (d²·t)), where K is the number of arms and d a lower bound on the gap between
--- the best and the second-best mean; otherwise play the arm with the best mean (ties to the earlier arm).
--- Unplayed arms are played first. Its random numbers come from its own discern.random stream seeded
--- by opts.seed, so runs are reproducible and independent of math.random.
---
--- Options: c = 0.1, d = 0.1, seed = 0.

local random = require "discern.random"

local function best(state)
  local arm, value = nil, -math.huge
  for _, a in ipairs(state.arms) do
    local s = state.arm[a]
    local mean = s.sum / s.pulls
    if mean > value then arm, value = a, mean end
  end
  return arm
end

return {
  name = "decaying_epsilon",
  description = "epsilon_n-greedy (Auer et al. 2002): explore with probability min(1, cK/(d²t)); pure Lua. Options: c = 0.1, d = 0.1, seed = 0.",
  options = {c = 0.1, d = 0.1, seed = 0},
  init = function(arms, opts)
    local c, d, seed = opts.c or 0.1, opts.d or 0.1, opts.seed or 0
    assert(type(c) == "number" and c > 0, "decaying_epsilon: c must be a number > 0")
    assert(type(d) == "number" and d > 0 and d <= 1, "decaying_epsilon: d must be a number in (0, 1]")
    assert(math.type(seed) == "integer", "decaying_epsilon: seed must be an integer")
    local state = {arms = arms, arm = {}, t = 0, c = c, d = d, rng = random.new(seed)}
    for _, a in ipairs(arms) do state.arm[a] = {pulls = 0, sum = 0} end
    return state
  end,
  select = function(state)
    for _, a in ipairs(state.arms) do
      if state.arm[a].pulls == 0 then return a end
    end
    local k = #state.arms
    local epsilon = math.min(1, state.c * k / (state.d * state.d * (state.t + 1)))
    if state.rng:uniform() < epsilon then
      return state.arms[math.floor(state.rng:uniform() * k) + 1]
    end
    return best(state)
  end,
  select_k = function(state, k)
    -- The k best means (unplayed arms first), exploring each slot with probability epsilon_t.
    local ranked = {}
    for i, a in ipairs(state.arms) do
      local s = state.arm[a]
      ranked[i] = {arm = a, key = s.pulls == 0 and math.huge or s.sum / s.pulls, i = i}
    end
    table.sort(ranked, function(x, y) if x.key ~= y.key then return x.key > y.key end return x.i < y.i end)
    local epsilon = math.min(1, state.c * #state.arms / (state.d * state.d * (state.t + 1)))
    local chosen, taken = {}, {}
    for slot = 1, k do
      local pick
      if state.rng:uniform() < epsilon then
        local free = {}
        for _, r in ipairs(ranked) do if not taken[r.arm] then free[#free + 1] = r.arm end end
        pick = free[math.floor(state.rng:uniform() * #free) + 1]
      else
        for _, r in ipairs(ranked) do if not taken[r.arm] then pick = r.arm break end end
      end
      chosen[slot], taken[pick] = pick, true
    end
    return chosen
  end,
  update = function(state, arm, reward)
    local s = state.arm[arm]
    s.pulls, s.sum = s.pulls + 1, s.sum + reward
    state.t = state.t + 1
  end,
  add_arm = function(state, arm)
    state.arms[#state.arms + 1] = arm
    state.arm[arm] = {pulls = 0, sum = 0}
  end,
  stats = function(state)
    local out = {}
    local epsilon = math.min(1, state.c * #state.arms / (state.d * state.d * (state.t + 1)))
    for _, a in ipairs(state.arms) do out[#out + 1] = {arm = a, epsilon = epsilon} end
    return out
  end,
}
