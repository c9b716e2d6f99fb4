-- wrk script for the yardstick: the same flow shape as answer.lua (a page read, then a write).
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) turn, acked = 0, 0 end
function request()
  turn = turn + 1
  if turn % 2 == 0 then
    return wrk.format("POST", "/write", { ["Content-Type"] = "application/x-www-form-urlencoded" }, "x=1")
  end
  return wrk.format("GET", "/read/" .. (os.getenv("PAGE_SIZE") or "6000"))
end
function response(status, headers, body) if status == 303 then acked = acked + 1 end end
function done(summary, latency, requests)
  local a = 0
  for _, t in ipairs(threads) do a = a + (t:get("acked") or 0) end
  io.write(string.format("ANSWERS_ACKED %d\n", a))
end
