--- discern.prompts: prompt sources for the behavioural core and the pipelines.
---
--- A source is anything that yields model inputs (strings): a Lua list, a function `(rng, n) -> prompts`, a
--- file (`discern.prompts.file`), or the organisms' world (`world:prompts()`). Pipelines call
--- `discern.prompts.source(x)` to turn any of these into a source table with `:draw(rng, n, avoid)`.
---
---     local src = discern.prompts.file("prompts.jsonl", {field = "prompt"})
---     local rng = discern.random.new(1)
---     local ps = src:draw(rng, 100)                 -- 100 prompts
---     local fresh = src:draw(rng, 100, used)       -- avoiding the prompts in the set `used` where it can
local discern = require "discern"

local prompts = {}

local function fail(fn, msg, level)
  error(discern.error("arg", "discern.prompts." .. fn .. ": " .. msg), level or 3)
end

local Source = {}
Source.__index = Source
Source.__name = "discern.PromptSource"

function Source:__tostring() return "discern.PromptSource(" .. self.name .. ")" end

local function check_prompt(fn, p, i)
  if type(p) ~= "string" then fail(fn, "prompt " .. i .. " is a " .. type(p) .. ", not a string", 4) end
  if p == "" then fail(fn, "prompt " .. i .. " is empty", 4) end
end

--- Draws n prompts. A list draws without replacement while it can (then starts over, reshuffled); a function
--- source is called with a forked stream. Prompts in the set `avoid` (prompt -> true) are skipped where the
--- source has others: a list filters them out; a function is asked up to 8 times for more. When the source
--- cannot give n fresh prompts the rest repeat (the caller's fresh seeds keep completions fresh).
---@param rng table a discern.Rng
---@param n integer
---@param avoid? table<string, boolean>
---@return string[]
function Source:draw(rng, n, avoid)
  if math.type(n) ~= "integer" or n < 1 then fail("draw", "n must be a positive integer, got " .. tostring(n)) end
  if type(rng) ~= "table" or not rng.uniform then fail("draw", "argument #1 must be a discern.Rng (discern.random.new(seed))") end
  avoid = avoid or {}
  if self.list then
    local pool = {}
    for _, p in ipairs(self.list) do if not avoid[p] then pool[#pool + 1] = p end end
    if #pool == 0 then pool = {table.unpack(self.list)} end
    local out = {}
    while #out < n do
      local round = {table.unpack(pool)}
      rng:shuffle(round)
      for i = 1, math.min(#round, n - #out) do out[#out + 1] = round[i] end
    end
    return out
  end
  local out, tries = {}, 0
  while #out < n and tries < 8 do
    tries = tries + 1
    local got = self.fn(rng:fork("draw" .. tries), (n - #out) * (tries == 1 and 1 or 2))
    if type(got) ~= "table" then fail("draw", "the prompt function must return a list of strings, got " .. type(got)) end
    if #got == 0 and tries == 1 then fail("draw", "the prompt source gave no prompts") end
    for i, p in ipairs(got) do
      check_prompt("draw", p, i)
      if not avoid[p] and #out < n then out[#out + 1] = p end
    end
  end
  if #out < n then  -- not enough fresh ones: repeat
    local got = self.fn(rng:fork("repeat"), n - #out)
    for i, p in ipairs(got) do check_prompt("draw", p, i); if #out < n then out[#out + 1] = p end end
  end
  if #out == 0 then fail("draw", "the prompt source gave no prompts") end
  local m = #out
  for i = m + 1, n do out[i] = out[(i - 1) % m + 1] end
  return out
end

--- A source from a list of prompts.
---@param list string[]
---@param name? string
---@return table a discern.PromptSource
function prompts.list(list, name)
  if type(list) ~= "table" then fail("list", "expected a list of strings, got " .. type(list)) end
  if #list == 0 then fail("list", "the prompt list is empty") end
  local copy = {}
  for i, p in ipairs(list) do check_prompt("list", p, i); copy[i] = p end
  return setmetatable({list = copy, name = name or ("list of " .. #copy)}, Source)
end

--- A source from a function (rng, n) -> prompts.
---@param fn function
---@param name? string
---@return table a discern.PromptSource
function prompts.fn(fn, name)
  if type(fn) ~= "function" then fail("fn", "expected a function(rng, n) -> prompts, got " .. type(fn)) end
  return setmetatable({fn = fn, name = name or "function"}, Source)
end

--- A prompt for display: without the chat markers "<|user|>" and "<|assistant|>" and the spaces around it.
---@param p string
---@return string
function prompts.plain(p)
  if type(p) ~= "string" then fail("plain", "bad argument #1 (a string expected, got " .. type(p) .. ")") end
  return (p:gsub("<|user|>", ""):gsub("<|assistant|>", ""):gsub("^%s+", ""):gsub("%s+$", ""))
end

--- Turns a list, a function (rng, n) -> prompts or a source into a source; anything else is an error.
---@param x string[]|function|table
---@return table a discern.PromptSource
function prompts.source(x)
  if getmetatable(x) == Source then return x end
  if type(x) == "function" then return prompts.fn(x) end
  if type(x) == "table" and type(x.draw) == "function" then return x end
  if type(x) == "table" then return prompts.list(x) end
  fail("source", "a prompt source is a list of strings, a function(rng, n) -> prompts or a source table, got " .. type(x))
end

local function split_csv_line(line)
  local out, field, i, quoted = {}, {}, 1, false
  while i <= #line do
    local c = line:sub(i, i)
    if quoted then
      if c == '"' and line:sub(i + 1, i + 1) == '"' then field[#field + 1] = '"'; i = i + 1
      elseif c == '"' then quoted = false
      else field[#field + 1] = c end
    elseif c == '"' then quoted = true
    elseif c == "," then out[#out + 1] = table.concat(field); field = {}
    else field[#field + 1] = c end
    i = i + 1
  end
  out[#out + 1] = table.concat(field)
  return out, quoted
end

--- A source from a file: .txt (one prompt per line, blank lines skipped), .jsonl (opts.field of each object,
--- default "prompt") or .csv (opts.column, a header name or a 1-based index, default "prompt"; with an index
--- the first row is data unless opts.header = true; RFC 4180 quoting, no newlines inside fields). opts.format overrides the extension. opts.template formats each prompt, e.g.
--- "<|user|> %s <|assistant|>".
---@param path string
---@param opts? {field?: string, column?: string|integer, header?: boolean, format?: string, template?: string}
---@return table a discern.PromptSource
function prompts.file(path, opts)
  if type(path) ~= "string" then fail("file", "bad argument #1 (a path expected, got " .. type(path) .. ")") end
  opts = opts or {}
  for k in pairs(opts) do
    if k ~= "field" and k ~= "column" and k ~= "format" and k ~= "template" and k ~= "header" then
      fail("file", "unknown option '" .. tostring(k) .. "' (expected field, column, format, template, header)")
    end
  end
  local text = discern.fs.read(path)
  if not text then fail("file", "cannot read '" .. path .. "'") end
  local format = opts.format or path:match("%.(%w+)$") or "txt"
  format = format:lower()
  local list = {}
  local lineno = 0
  if format == "txt" then
    for line in (text .. "\n"):gmatch("(.-)\r?\n") do
      if line:match("%S") then list[#list + 1] = line end
    end
  elseif format == "jsonl" or format == "ndjson" then
    local field = opts.field or "prompt"
    for line in (text .. "\n"):gmatch("(.-)\r?\n") do
      lineno = lineno + 1
      if line:match("%S") then
        local ok, v = pcall(discern.json.decode, line)
        if not ok then fail("file", path .. ":" .. lineno .. ": not valid JSON (" .. tostring(v) .. ")") end
        if type(v) ~= "table" or type(v[field]) ~= "string" then
          fail("file", path .. ":" .. lineno .. ": no string field '" .. field .. "' (set opts.field)")
        end
        list[#list + 1] = v[field]
      end
    end
  elseif format == "csv" then
    local column, index = opts.column or "prompt", nil
    for line in (text .. "\n"):gmatch("(.-)\r?\n") do
      lineno = lineno + 1
      if line ~= "" then
        local cells, open = split_csv_line(line)
        if open then fail("file", path .. ":" .. lineno .. ": unterminated quoted field (newlines inside fields are not supported)") end
        if not index then
          if math.type(column) == "integer" then
            index = column
            if index < 1 or index > #cells then fail("file", path .. ": column " .. index .. " is out of range (the file has " .. #cells .. ")") end
            if opts.header then goto continue end
          else
            for i, c in ipairs(cells) do if c == column then index = i end end
            if not index then fail("file", path .. ": no column named '" .. tostring(column) .. "' in the header (" .. table.concat(cells, ", ") .. ")") end
            goto continue
          end
        end
        if cells[index] and cells[index] ~= "" then list[#list + 1] = cells[index] end
      end
      ::continue::
    end
  else
    fail("file", "unknown format '" .. format .. "' (txt, jsonl or csv; set opts.format)")
  end
  if #list == 0 then fail("file", "'" .. path .. "' holds no prompts") end
  if opts.template then
    if type(opts.template) ~= "string" or not opts.template:find("%s", 1, true) then
      fail("file", "option 'template' must be a string containing %s")
    end
    for i, p in ipairs(list) do list[i] = opts.template:gsub("%%s", function() return p end) end
  end
  return prompts.list(list, path)
end

return prompts
