--- discern.generators: test generators of the mechanistic pipeline — where a hypothesis's fresh prompts come
--- from — registered by name and swappable while a run goes.
---
---     discern.generators.register{
---       name = "my_gen", description = "…",
---       make = function(pattern, ctx) return function(rng, n) return {…prompts…} end end,
---     }
---
--- ctx: source (the run's prompt source), pool() (the run's candidate pool: {prompts, features, kl}), embedder()
--- (all-MiniLM-L6-v2 or the run's embedder), avoid (set of exploration prompts never to reuse), features(prompts)
--- -> a row-normalised tensor [n, d] of the base model's mean feature activations over each prompt (forward
--- passes only, counted in the ledger), answer_kl(prompts) -> KL(model‖base) of the first answer token per
--- prompt (forward passes of both models), screen = {prompts, features} (the screening prompts and their
--- feature rows). Generators are looked up by name when a hypothesis is made, so `register`/`reload` during a
--- run takes effect at the next hypothesis.
local registry = require "discern.registry"

local generators = registry.new{what = "test generator", module = "discern.generators", required = {make = "function"}}

for _, t in ipairs(require "discern.generators.builtin") do generators:register(t) end

--- register(t) (validated field by field; replaces one of the same name), get(name), list(), unregister(name),
--- reload(module) (REPL :reload: the tables a module returns are registered again), validate(t).
local M = generators:functions()
return M
