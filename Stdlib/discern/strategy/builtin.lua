--- The bandit policies of `discern.bandit` (compiled Swift) registered as strategies.
---
--- Each strategy's init(arms, opts) makes the policy with `arms` plus opts (e.g. {c = 2}, {seed = 7});
--- the policy validates its own options.
local discern = require "discern"

local builtins = {
  {"ucb1", "UCB1 (Auer et al. 2002): mean + c·sqrt(2 ln t / n); unplayed arms first. Options: c = 1."},
  {"ucb_v", "UCB-V (Audibert et al. 2009): variance-aware UCB. Options: zeta = 1.2, c = 1, b = 1."},
  {"kl_ucb", "KL-UCB (Garivier & Cappé 2011) for rewards in [0, 1]. Options: c = 0."},
  {"thompson", "Thompson sampling: Beta(1, 1) prior on Bernoulli rewards, or a Gaussian prior. Options: prior, seed, sigma."},
  {"epsilon_greedy", "epsilon-greedy: a random arm with probability epsilon, else the best mean. Options: epsilon = 0.1, seed."},
  {"softmax", "Softmax (Boltzmann) over the means with temperature tau. Options: tau = 1, seed."},
  {"successive_elimination", "Best-arm identification by successive elimination (Even-Dar et al. 2006). Options: delta = 0.05."},
  {"lucb", "LUCB1 best-arm / top-k identification (Kalyanakrishnan et al. 2012). Options: delta = 0.05, epsilon = 0, k = 1."},
}

return function(strategy)
  for _, b in ipairs(builtins) do
    local name = b[1]
    strategy.register{
      name = name,
      description = b[2],
      init = function(arms, opts)
        local o = {arms = arms}
        for k, v in pairs(opts) do o[k] = v end
        return discern.bandit[name](o)
      end,
      select = function(p) return p:select() end,
      select_k = function(p, k) return p:select_k(k) end,
      update = function(p, arm, reward) p:update(arm, reward) end,
      add_arm = function(p, arm) p:add_arm(arm) end,
      stats = function(p) return p:stats() end,
    }
  end
end
