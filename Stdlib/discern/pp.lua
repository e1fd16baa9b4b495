--- discern.pp: renders a Lua value as readable text (the REPL prints tables with it).
---
---     print(discern.pp({1, 2, {a = true}}))          --> {1, 2, {a = true}}
---     print(discern.pp(t, {depth = 2, max_items = 5}))
---
--- Tables print with sorted keys (the list part first, in order), nested tables indented when the
--- one-line form would pass 80 columns, a table that contains itself as `<cycle>`, tables deeper than
--- `depth` as `{…}` with their size, and only the first `max_items` entries of a long table followed
--- by `… (N more)`. Userdata and tables with a `__tostring` metamethod print through `tostring`.
--- Metamethods other than `__tostring` are not run (keys and values are read raw).

local WIDTH = 80
local defaults = {depth = 4, max_items = 20}

local function err(msg)
  error(require("discern").error("arg", "discern.pp: " .. msg), 3)
end

local function quote(s)
  return (string.format("%q", s):gsub("\\\n", "\\n"):gsub("\r", "\\r"))
end

local function safe_tostring(v)
  local ok, s = pcall(tostring, v)
  if ok and type(s) == "string" then return s end
  return type(v) .. " (tostring failed)"
end

local function has_tostring(v)
  local mt = getmetatable(v)
  return type(mt) == "table" and rawget(mt, "__tostring") ~= nil
end

local function scalar(v)
  local t = type(v)
  if t == "string" then return quote(v) end
  if t == "number" or t == "boolean" or t == "nil" then return tostring(v) end
  return safe_tostring(v)
end

local function key_text(k)
  if type(k) == "string" and k:match("^[%a_][%w_]*$") then return k end
  return "[" .. scalar(k) .. "]"
end

-- Orders keys: numbers, then strings, then the rest (by their text), each group sorted.
local rank = {number = 1, string = 2}
local function key_less(a, b)
  local ra, rb = rank[type(a)] or 3, rank[type(b)] or 3
  if ra ~= rb then return ra < rb end
  if ra == 3 then return safe_tostring(a) < safe_tostring(b) end
  return a < b
end

local function render(v, opts, level, path, indent)
  if type(v) ~= "table" then return scalar(v) end
  if has_tostring(v) then return safe_tostring(v) end
  if path[v] then return "<cycle>" end
  -- The list part 1..n (raw), then every other key, sorted.
  local n = 0
  while rawget(v, n + 1) ~= nil do n = n + 1 end
  local keys = {}
  for k in next, v do
    if not (math.type(k) == "integer" and k >= 1 and k <= n) then keys[#keys + 1] = k end
  end
  local total = n + #keys
  if total == 0 then return "{}" end
  if level >= opts.depth then return string.format("{… %d item%s}", total, total == 1 and "" or "s") end
  table.sort(keys, key_less)
  path[v] = true
  local items = {}
  local shown = math.min(total, opts.max_items)
  local inner = indent .. "  "
  for i = 1, shown do
    if i <= n then
      items[i] = render(rawget(v, i), opts, level + 1, path, inner)
    else
      local k = keys[i - n]
      items[i] = key_text(k) .. " = " .. render(rawget(v, k), opts, level + 1, path, inner)
    end
  end
  path[v] = nil
  if total > shown then items[#items + 1] = string.format("… (%d more)", total - shown) end
  local one = "{" .. table.concat(items, ", ") .. "}"
  if #indent + #one <= WIDTH and not one:find("\n", 1, true) then return one end
  -- One entry per line, except short one-line list items, which fill lines up to the width.
  local lines, line = {}, nil
  local list_items = math.min(n, shown) + ((total > shown and shown <= n) and 1 or 0)
  for i, item in ipairs(items) do
    local packable = i <= list_items and #item <= 24 and not item:find("\n", 1, true)
    if packable and line and #inner + #line + 2 + #item < WIDTH then
      line = line .. ", " .. item
    else
      if line then lines[#lines + 1] = line end
      line = item
      if not packable then lines[#lines + 1] = line; line = nil end
    end
  end
  if line then lines[#lines + 1] = line end
  return "{\n" .. inner .. table.concat(lines, ",\n" .. inner) .. "\n" .. indent .. "}"
end

--- Renders `value` as text: scalars as Lua literals, tables nested and indented (see the module doc).
---@param value any
---@param opts? {depth?: integer, max_items?: integer}  depth: nesting levels shown (4); max_items: entries per table (20)
---@return string
local function pp(value, opts)
  local o = {depth = defaults.depth, max_items = defaults.max_items}
  if opts ~= nil then
    if type(opts) ~= "table" then err("bad argument #2 (options table expected, got " .. type(opts) .. ")") end
    for k, v in pairs(opts) do
      if defaults[k] == nil then err("unknown option '" .. tostring(k) .. "' (options: depth, max_items)") end
      if math.type(v) ~= "integer" or v < 1 then
        err("option '" .. k .. "' must be a positive integer, got " .. scalar(v))
      end
      o[k] = v
    end
  end
  return render(value, o, 0, {}, "")
end

return pp
