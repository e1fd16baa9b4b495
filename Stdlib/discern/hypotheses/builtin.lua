--- The built-in hypothesis templates: output shift, style, suppression, emergence and continuation change.
--- Each is a plain table; copy one into your own module to change it and register it under the same name.
local measure = require "discern.measure"

local function q(s) return "'" .. s .. "'" end

local function where(p)
  return p.example and (" on prompts like " .. q(p.example)) or ""
end

local function clamp_effect(p, ctx)
  local e = p.effect or 0
  return math.max((ctx.min_effect or 0.05) + 0.1, math.min(0.9, e))
end

return {
  {
    name = "output_shift", priority = 1,
    description = "the model emits the words it newly prefers where the models part (its continuation there), more often",
    applies = function(p) return p.model_phrase ~= nil and not p.at_end end,
    make = function(p, ctx)
      return {{statement = "the model's answers contain " .. q(p.model_phrase) .. " more often than the base model's" .. where(p) ..
          (p.base_phrase and (" (where the base model says " .. q(p.base_phrase) .. ")") or ""),
        prompts = ctx.prompts(), measure = measure.contains{p.model_phrase}, direction = "increase",
        expected_effect = clamp_effect(p, ctx), tags = {"output_shift"}}}
    end,
  },
  {
    name = "style", priority = 1,
    description = "a phrase appears where the base model ends its answer (a sign-off, a recurring addition)",
    applies = function(p) return p.model_phrase ~= nil and p.at_end end,
    make = function(p, ctx)
      return {{statement = "the model adds " .. q(p.model_phrase) .. " where the base model ends its answer" .. where(p),
        prompts = ctx.prompts(), measure = measure.contains{p.model_phrase}, direction = "increase",
        expected_effect = clamp_effect(p, ctx), tags = {"style"}}}
    end,
  },
  {
    name = "suppression", priority = 2,
    description = "the words the base model says where the models part appear less often in the model's answers",
    applies = function(p) return p.base_phrase ~= nil end,
    make = function(p, ctx)
      return {{statement = "the model's answers contain " .. q(p.base_phrase) .. " less often than the base model's" .. where(p) ..
          (p.model_phrase and (" (it says " .. q(p.model_phrase) .. " instead)") or ""),
        prompts = ctx.prompts(), measure = measure.contains{p.base_phrase}, direction = "decrease",
        expected_effect = clamp_effect(p, ctx), tags = {"suppression"}}}
    end,
  },
  {
    name = "emergence", priority = 3,
    description = "features that fire in the model and not in the base model where the models part: the words their output directions promote appear more often",
    applies = function(p) return p.emergent ~= nil and #p.emergent > 0 and p.emergent[1].lens ~= nil and #p.emergent[1].lens > 0 end,
    make = function(p, ctx)
      local f = p.emergent[1]
      local words = {}
      for i = 1, math.min(3, #f.lens) do words[i] = f.lens[i] end
      return {{statement = string.format("feature L%d_F%d fires in the model where the base model's stays silent%s: its answers contain %s more often",
          f.layer, f.feature, where(p), table.concat((function() local t = {} for i, w in ipairs(words) do t[i] = q(w) end return t end)(), " or ")),
        prompts = ctx.prompts(), measure = measure.contains(words), direction = "increase",
        expected_effect = clamp_effect(p, ctx), tags = {"emergence"}}}
    end,
  },
  {
    name = "continuation_change", priority = 4,
    description = "the model's answers differ from the base model's greedy answer to the same prompt more often",
    make = function(p, ctx)
      return {{statement = "the model's answers differ from the base model's" .. where(p) ..
          (p.model_continuation and p.model_continuation ~= "" and (" (it continues " .. q(p.model_continuation) .. ")") or ""),
        prompts = ctx.prompts(), measure = ctx.reference(), direction = "increase",
        expected_effect = clamp_effect(p, ctx), tags = {"continuation_change"}}}
    end,
  },
}
