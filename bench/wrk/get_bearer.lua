-- wrk script: GET one path with a bearer token, taking the tokens in turn, count non-200
-- responses, and print one JSON summary line at the end (the same line as post_form.lua's).
--
-- Environment:
--   BENCH_PATH    request path and query, e.g. /api/skus?page[size]=25 (required)
--   BENCH_TOKENS_FILE  a file of access tokens, one a line (required): request n carries
--                      token n modulo their number, each wrk thread starting at its own
--                      offset (a file: hundreds of tokens overflow an environment variable)
--
-- Usage:
--   BENCH_PATH='/api/skus?page[size]=25' BENCH_TOKENS_FILE=tokens.txt \
--     wrk -t2 -c8 -d10s -s bench/wrk/get_bearer.lua http://127.0.0.1:3000

local path = os.getenv("BENCH_PATH")
local tokens = {}
local file = io.open(os.getenv("BENCH_TOKENS_FILE") or "", "r")
if file ~= nil then
  for token in file:lines() do
    if token ~= "" then table.insert(tokens, token) end
  end
  file:close()
end
if path == nil or path == "" or #tokens == 0 then
  io.stderr:write("get_bearer.lua: BENCH_PATH and BENCH_TOKENS_FILE must be set\n")
  os.exit(2)
end

wrk.method = "GET"
wrk.path = path

local threads = {}

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

non_200 = 0
local n = 0

function init(args)
  n = (id or 0) * 7
end

function request()
  n = n + 1
  wrk.headers["Authorization"] = "Bearer " .. tokens[n % #tokens + 1]
  return wrk.format()
end

function response(status, headers, body)
  if status ~= 200 then
    non_200 = non_200 + 1
  end
end

function done(summary, latency, requests)
  local bad = 0
  for _, thread in ipairs(threads) do
    bad = bad + (thread:get("non_200") or 0)
  end
  local e = summary.errors
  local socket_errors = e.connect + e.read + e.write + e.timeout
  local secs = summary.duration / 1e6
  local rps = 0
  if secs > 0 then rps = summary.requests / secs end
  io.write(string.format(
    '{"requests":%d,"non_200":%d,"socket_errors":%d,"duration_s":%.3f,"rps":%.1f,"p50_ms":%.3f,"p99_ms":%.3f}\n',
    summary.requests, bad, socket_errors, secs, rps,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
