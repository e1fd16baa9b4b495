--- discern.cli: the Lua side of the command-line tools (`discern diff`).
local discern = require "discern"
local prompts = require "discern.prompts"
local diff = require "discern.diff"

local cli = {}

local function command_fail(msg) error(discern.error("arg", "discern diff: " .. msg), 0) end

--- What `discern diff` runs (the organisms are built or read here, never by a pipeline): opts = {base =, model =
--- (model directories; both absent: the organisms' base model against `organism` of `preset`, built on first use), preset ("tiny"), organism ("multi"), method ("mechanistic",
--- "exhaustive" or "both"), transcoders (a directory; default the organisms' transcoders when diffing organisms),
--- prompts ("world" or a txt/JSONL/CSV file; default "world"), field (JSONL field / CSV column, default "prompt"),
--- alpha (0.05), min_effect, budget_tokens (generated tokens, default 4·10⁵), seed (1), json (a path for the
--- run's summary), quiet}. Prints progress per step, then a table of findings per method and the ledger;
--- returns the runs by method. Rerunning the same command reuses every cached sample.
---@param opts table
---@return table<string, table>
function cli.diff(opts)
  local method = opts.method or "mechanistic"
  local methods = method == "both" and {"mechanistic", "exhaustive"} or {method}
  for _, m in ipairs(methods) do
    if not diff.methods[m] then command_fail("unknown method '" .. tostring(method) .. "' (mechanistic, exhaustive or both)") end
  end
  if (opts.base == nil) ~= (opts.model == nil) then command_fail("give both BASE and MODEL directories, or neither (the organisms' demo)") end
  local base_dir, model_dir, tc_dir, world = opts.base, opts.model, opts.transcoders, nil
  if base_dir == nil then
    local preset, organism = opts.preset or "tiny", opts.organism or "multi"
    local organisms = require "discern.organisms"
    local manifest = organisms.manifest(preset)
    if not manifest then
      io.stderr:write(string.format("discern diff: building the %s organisms first (about %s on this machine; reused afterwards)\n",
        preset, preset == "tiny" and "2 minutes" or (preset == "small" and "20 minutes" or "hours without a GPU")))
    end
    manifest = organisms.build{preset = preset, quiet = opts.quiet}
    base_dir, model_dir = manifest.dir .. "/base", manifest.dir .. "/" .. organism
    if not discern.fs.exists(model_dir) then command_fail("the " .. preset .. " organisms have no '" .. organism .. "'") end
    tc_dir = tc_dir or (manifest.dir .. "/transcoders")
    world = organisms.world{seed = manifest.seed}
  end
  for _, x in ipairs({{"BASE", base_dir}, {"MODEL", model_dir}}) do
    if not discern.fs.exists(x[2] .. "/config.json") then command_fail(x[1] .. " '" .. x[2] .. "' is not a model directory (no config.json)") end
  end
  local source
  local pspec = opts.prompts or "world"
  if pspec == "world" then
    world = world or require("discern.organisms").world{seed = 1}
    source = world:prompts()
  else
    if not discern.fs.exists(pspec) then command_fail("no prompt file '" .. pspec .. "'") end
    source = prompts.file(pspec, opts.field and {field = opts.field, column = opts.field} or nil)
  end
  local base, model = discern.model.load(base_dir), discern.model.load(model_dir)
  local runs = {}
  for _, m in ipairs(methods) do
    local o = {base = base, model = model, method = m, prompts = source, alpha = opts.alpha, min_effect = opts.min_effect,
      seed = opts.seed or 1, budget = {generated_tokens = opts.budget_tokens or 4e5}, quiet = opts.quiet}
    if m == "mechanistic" and tc_dir then o.transcoders = tc_dir end
    local run = diff.run(o)
    runs[m] = run
    print(string.format("\n%s: %s vs %s — %d tests, %d findings (%s)", m, model_dir, base_dir, #run:tests(), #run:findings(), run.status))
    for i, f in ipairs(run:findings()) do
      print(string.format("%2d. %s", i, f.statement))
      print(string.format("    effect %+.3f, CI [%+.3f, %+.3f], base %.2f -> model %.2f, p %.2e <= alpha_t %.2e, %d pairs",
        f.effect, f.ci.lower, f.ci.upper, f.base_mean, f.model_mean, f.pvalue, f.alpha_t, f.n.base))
      local e = f.examples and f.examples[1]
      if e then
        print("    e.g. base: " .. (e.base:gsub("%s+", " "):gsub("^ ", "")) .. "  |  model: " .. (e.model:gsub("%s+", " "):gsub("^ ", "")))
      end
    end
    local L = run:ledger()
    print(string.format("ledger: %d generated tokens, %d prefill tokens, %d forward passes, %d completions (%d cached), %.1f s",
      L.generated_tokens, L.prefill_tokens, L.forward_passes, L.samples, L.cached_samples, L.seconds))
    if opts.json then
      local path = #methods > 1 and (opts.json:gsub("%.json$", "") .. "-" .. m .. ".json") or opts.json
      run:save_json(path)
      print("wrote " .. path)
    end
  end
  return runs
end

return cli
