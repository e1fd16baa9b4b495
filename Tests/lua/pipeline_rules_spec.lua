-- Rules of validity that the code itself must show (../shared/PIPELINES.md): pipelines never see a ground truth.
local discern = require "discern"

local files = {"Stdlib/discern/behavior.lua", "Stdlib/discern/diff.lua", "Stdlib/discern/prompts.lua",
  "Stdlib/discern/measure.lua", "Stdlib/discern/pipelines/init.lua", "Stdlib/discern/registry.lua",
  "Stdlib/discern/hypotheses/init.lua", "Stdlib/discern/hypotheses/builtin.lua", "Stdlib/discern/generators/init.lua",
  "Stdlib/discern/generators/builtin.lua"}
for _, f in ipairs(discern.fs.list("Stdlib/discern/pipelines")) do
  if f:match("%.lua$") then files[#files + 1] = "Stdlib/discern/pipelines/" .. f end
end

describe("pipeline code", function()
  it("never reads ground truths, detectors or topic tags", function()
    assert.truthy(#files >= 6, "found " .. #files .. " files")
    for _, path in ipairs(files) do
      local text = discern.fs.read(path)
      assert.truthy(text, "cannot read " .. path)
      -- Comments may name the rule; code may not touch the names.
      local code = text:gsub("%-%-[^\n]*", "")
      for _, banned in ipairs({"organisms.gt", "organisms%.gt", "detector", "%.topic", "topics", "eval_prompts", "require \"discern.organisms"}) do
        assert.equal(code:find(banned), nil, path .. " mentions " .. banned)
      end
    end
  end)
end)
