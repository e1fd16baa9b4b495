--- discern.hypotheses: hypothesis templates of the mechanistic pipeline, registered by name and swappable.
---
--- A template maps a pattern (a screened mechanism with its interpretation) to hypotheses:
---
---     discern.hypotheses.register{
---       name = "my_shift", description = "…",
---       applies = function(pattern) return pattern.model_phrase ~= nil end,   -- optional
---       make = function(pattern, ctx) return {{statement = …, prompts = ctx.prompts(), measure = …,
---                                              direction = "increase", expected_effect = …}} end,
---       priority = 1,                                                          -- optional: lower first
---     }
---
--- ctx: prompts(generator_name?) -> a fresh-prompt source for the pattern's region (the run's generator by
--- default), measure (discern.measure), reference() -> a measure "differs from the base model's greedy answer",
--- min_effect. A pattern: {id, mechanism, kind ("output_shift"), context (the text where the models part),
--- at_start, at_end, promoted = {id, text}, suppressed = {id, text}, model_phrase, base_phrase,
--- model_continuation, base_continuation, example (a prompt), prompts (the screening prompts where it fires),
--- effect (the screening estimate of the rate change), kl, features = {{layer, feature, delta, base, model,
--- lens = {tokens}}…}, emergent = {…}, vanishing = {…}}. Templates are looked up by name each time a run makes
--- hypotheses, so `register` or `reload` during a run takes effect at its next round.
local registry = require "discern.registry"

local hypotheses = registry.new{what = "hypothesis template", module = "discern.hypotheses",
  required = {make = "function"}, optional = {applies = "function", priority = "number"}}

--- The built-in templates' module, registered here.
for _, t in ipairs(require "discern.hypotheses.builtin") do hypotheses:register(t) end

--- register(t) (validated field by field; replaces one of the same name), get(name), list(), unregister(name),
--- reload(module) (REPL :reload: the tables a module returns are registered again), validate(t).
local M = hypotheses:functions()
return M
