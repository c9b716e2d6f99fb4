-- wrk script: the answer flow with valid one-time tokens. Each thread cycles over its learners:
-- GET /quiz?mode=practice, parse the question form, then POST /quiz/answer with its token.
-- Acknowledged answers (303) are counted separately from the GETs.
local threads = {}
local counter = 1

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

function init(args)
  cookies, by_name = {}, {}
  local n = 0
  for line in io.lines(os.getenv("COOKIES")) do
    local name, cookie = line:match("^([^\t]+)\t(.+)$")
    if name then
      n = n + 1
      if n % 2 == id % 2 then
        table.insert(cookies, cookie)
        by_name[name] = cookie
      end
    end
  end
  idx, queue = 0, {}
  acked, stale, other = 0, 0, 0
end

-- wrk runs LuaJIT (Lua 5.1): no utf8 library, so code points are encoded by hand.
local function u8(cp)
  if cp < 0x80 then return string.char(cp) end
  if cp < 0x800 then return string.char(0xC0 + math.floor(cp / 0x40), 0x80 + cp % 0x40) end
  if cp < 0x10000 then
    return string.char(0xE0 + math.floor(cp / 0x1000), 0x80 + math.floor(cp / 0x40) % 0x40, 0x80 + cp % 0x40)
  end
  return string.char(0xF0 + math.floor(cp / 0x40000), 0x80 + math.floor(cp / 0x1000) % 0x40,
    0x80 + math.floor(cp / 0x40) % 0x40, 0x80 + cp % 0x40)
end

local function unescape(s)
  return (s:gsub("&#(%d+);", function(d) return u8(tonumber(d)) end)
           :gsub("&#x(%x+);", function(h) return u8(tonumber(h, 16)) end)
           :gsub("&quot;", '"'):gsub("&lt;", "<"):gsub("&gt;", ">"):gsub("&amp;", "&"))
end

local function enc(s)
  return (s:gsub("[^%w%-_%.~]", function(c) return string.format("%%%02X", string.byte(c)) end))
end

local function field(body, name)
  local v = body:match('name="' .. name .. '" value="([^"]*)"')
  return v and unescape(v)
end

function request()
  local item = table.remove(queue, 1)
  if item then
    return wrk.format("POST", "/quiz/answer", {
      ["Cookie"] = item.cookie,
      ["Content-Type"] = "application/x-www-form-urlencoded",
    }, item.body)
  end
  idx = idx % #cookies + 1
  return wrk.format("GET", "/quiz?mode=practice", { ["Cookie"] = cookies[idx] })
end

function response(status, headers, body)
  if status == 303 then acked = acked + 1 return end
  if status == 409 then stale = stale + 1 return end
  if status ~= 200 then other = other + 1 return end
  local name = body:match('class="who" href="/settings"[^>]*>([^<]+)</a>')
  local token = field(body, "token")
  if not (name and token and by_name[name]) then return end
  local parts = {}
  for _, k in ipairs({ "csrf", "concept", "card", "version", "token", "mode", "shown_at" }) do
    table.insert(parts, k .. "=" .. enc(field(body, k) or ""))
  end
  local answer = field(body, "answer")
  if answer then
    table.insert(parts, "answer=" .. enc(answer))
  elseif body:find('name="grade"', 1, true) then
    table.insert(parts, "answer=x&grade=3")
  else
    table.insert(parts, "answer=&give_up=1")
  end
  table.insert(queue, { cookie = by_name[unescape(name)], body = table.concat(parts, "&") })
end

function done(summary, latency, requests)
  local a, s, o = 0, 0, 0
  for _, t in ipairs(threads) do
    a = a + (t:get("acked") or 0); s = s + (t:get("stale") or 0); o = o + (t:get("other") or 0)
  end
  io.write(string.format("ANSWERS_ACKED %d\nANSWERS_STALE %d\nOTHER_STATUS %d\n", a, s, o))
end
