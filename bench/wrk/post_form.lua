-- wrk script: POST one fixed application/x-www-form-urlencoded body, count
-- non-200 responses, and print one JSON summary line at the end.
--
-- Environment:
--   BENCH_BODY              form body to POST (required), e.g.
--                           grant_type=client_credentials&client_id=..&client_secret=..&scope=..
--   BENCH_PATH              request path, e.g. /token (default: the path of wrk's URL)
--   BENCH_SPREAD_IP_HEADER  optional header name, e.g. x-bench-client-ip. When set,
--                           every request carries that header with an address in
--                           127.0.0.0/8, cycling over 2^17 distinct addresses
--                           (127.0.0.1 .. 127.2.0.0), each wrk thread starting at its
--                           own offset, so a server that keys a rate limit on the
--                           header sees ~131k clients instead of one.
--
-- Usage:
--   BENCH_PATH=/token BENCH_BODY='grant_type=...' \
--     wrk -t2 -c8 -d10s -s bench/wrk/post_form.lua http://127.0.0.1:4010
--
-- Output: wrk's usual report, then one line on stdout starting with '{':
--   {"requests":N,"non_200":M,"socket_errors":E,"duration_s":D,"rps":X,"p50_ms":Y,"p99_ms":Z}
-- rps counts every completed response (including non-200s); check non_200 == 0
-- and socket_errors == 0 before trusting it. Latencies are wrk's (microseconds,
-- converted to ms here), measured from request write to response read.

local body = os.getenv("BENCH_BODY")
if body == nil or body == "" then
  -- wrk only prints a script error and carries on with a GET, so exit instead.
  io.stderr:write("post_form.lua: BENCH_BODY must be set to the form body to POST\n")
  os.exit(2)
end

wrk.method = "POST"
wrk.body = body
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"

local path = os.getenv("BENCH_PATH")
if path ~= nil and path ~= "" then
  wrk.path = path
end

-- ---------------------------------------------------------------- threads
-- setup() runs in wrk's main Lua state, once per thread, before it starts.

local threads = {}

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

-- ------------------------------------------------------- per-thread state
-- Everything below this line (until done) runs in each thread's own Lua state.

non_200 = 0

function response(status, headers, body)
  if status ~= 200 then
    non_200 = non_200 + 1
  end
end

local spread_header = os.getenv("BENCH_SPREAD_IP_HEADER")
if spread_header ~= nil and spread_header ~= "" then
  local SPACE = 131072          -- 2^17 addresses
  local THREAD_STRIDE = 8192    -- 2^17 / 16: disjoint starting blocks for up to 16 threads
  local n = 0

  function init(args)
    n = ((id or 0) * THREAD_STRIDE) % SPACE
  end

  -- Defining request() makes wrk build every request in Lua (slower than the
  -- static request used when the header is not asked for).
  function request()
    local a = n + 1             -- 1 .. 2^17, i.e. 127.0.0.1 .. 127.2.0.0
    n = (n + 1) % SPACE
    wrk.headers[spread_header] = string.format("127.%d.%d.%d",
      math.floor(a / 65536) % 256, math.floor(a / 256) % 256, a % 256)
    return wrk.format()
  end
end

-- ------------------------------------------------------------------- done
-- done() runs in the main state after all threads have stopped.

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
