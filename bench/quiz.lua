-- wrk script: GET the quiz page as many different logged-in learners.
-- Reads bench/.work/cookies.tsv (username<TAB>cookie), written by load.sh.
local threads = {}
local counter = 1

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

function init(args)
  cookies = {}
  local n = 0
  for line in io.lines(os.getenv("COOKIES")) do
    local name, cookie = line:match("^([^\t]+)\t(.+)$")
    if name then
      n = n + 1
      if n % 2 == id % 2 then table.insert(cookies, cookie) end
    end
  end
  idx = 0
  questions = 0
end

function request()
  idx = idx % #cookies + 1
  return wrk.format("GET", os.getenv("QUIZ_PATH") or "/quiz?mode=practice", { ["Cookie"] = cookies[idx] })
end

function response(status, headers, body)
  if status == 200 and body:find('name="token"', 1, true) then questions = questions + 1 end
end

function done(summary, latency, requests)
  local q = 0
  for _, t in ipairs(threads) do q = q + (t:get("questions") or 0) end
  io.write(string.format("QUIZ_QUESTIONS %d\n", q))
end
