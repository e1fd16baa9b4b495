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

local M = {}
--- Registers (or replaces) a template; fields are validated one by one.
---@param t table
---@return table
function M.register(t) return hypotheses:register(t) end
--- The template registered under name.
---@param name string
---@return table
function M.get(name) return hypotheses:get(name) end
--- The registered template names, built-ins first.
---@return string[]
function M.list() return hypotheses:list() end
--- Removes a template (runs stop using it at their next round).
---@param name string
function M.unregister(name) hypotheses:unregister(name) end
--- Reloads a module of templates (REPL :reload); the tables it returns are registered again.
---@param module string
function M.reload(module) return hypotheses:reload(module) end
--- Checks a template field by field without registering it.
---@param t table
---@return table
function M.validate(t) return hypotheses:validate(t) end

return M
