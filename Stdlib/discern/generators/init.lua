--- discern.generators: test generators of the mechanistic pipeline — where a hypothesis's fresh prompts come
--- from — registered by name and swappable while a run goes.
---
---     discern.generators.register{
---       name = "my_gen", description = "…",
---       make = function(pattern, ctx) return function(rng, n) return {…prompts…} end end,
---     }
---
--- ctx: source (the run's prompt source), avoid (set of exploration prompts never to reuse), features(prompts)
--- -> a row-normalised tensor [n, d] of the base model's mean feature activations over each prompt (forward
--- passes only, counted in the ledger), answer_kl(prompts) -> KL(model‖base) of the first answer token per
--- prompt (forward passes of both models), screen = {prompts, features} (the screening prompts and their
--- feature rows). Generators are looked up by name when a hypothesis is made, so `register`/`reload` during a
--- run takes effect at the next hypothesis.
local registry = require "discern.registry"

local generators = registry.new{what = "test generator", module = "discern.generators", required = {make = "function"}}

for _, t in ipairs(require "discern.generators.builtin") do generators:register(t) end

local M = {}
--- Registers (or replaces) a generator; fields are validated one by one.
---@param t table
---@return table
function M.register(t) return generators:register(t) end
--- The generator registered under name.
---@param name string
---@return table
function M.get(name) return generators:get(name) end
--- The registered generator names.
---@return string[]
function M.list() return generators:list() end
--- Removes a generator.
---@param name string
function M.unregister(name) generators:unregister(name) end
--- Reloads a module of generators (REPL :reload).
---@param module string
function M.reload(module) return generators:reload(module) end
--- Checks a generator field by field without registering it.
---@param t table
---@return table
function M.validate(t) return generators:validate(t) end

return M
