--- discern.pipelines: the discovery pipelines discern.diff runs, each a module of plain Lua steps over Swift
--- cores that a researcher can read, call one by one, or replace.
---
---     local ex = discern.pipelines.exhaustive
---     print(table.concat(ex.order, " → "))
local pipelines = {}

--- The exhaustive pipeline (sample, embed, cluster, match, label, discriminate, validate).
pipelines.exhaustive = require "discern.pipelines.exhaustive"

--- The mechanistic pipeline (screen, mechanisms, interpret, hypotheses, explore, causal).
pipelines.mechanistic = require "discern.pipelines.mechanistic"

return pipelines
