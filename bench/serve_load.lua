-- wrk script for bench/serve_load.py: GET lookups of the queries in the file named by
-- BITEXT_QUERIES (one per line), each thread in turn from its own start, and one JSON
-- summary line at the end.
local queries = {}
local path = os.getenv("BITEXT_QUERIES")
local route = os.getenv("BITEXT_ROUTE") or "/api/v1/lookup?src=en&tgt=ru&min=70&limit=5&q="

local function urlencode(s)
  return (s:gsub("[^%w%-%._~]", function(c) return string.format("%%%02X", string.byte(c)) end))
end

for line in io.lines(path) do
  if #line > 0 then queries[#queries + 1] = route .. urlencode(line) end
end

local threads = {}
function setup(thread)
  thread:set("first", #threads * 7919)
  threads[#threads + 1] = thread
end

local i = 0
function init(args)
  i = tonumber(first) or 0
end

function request()
  i = i + 1
  return wrk.format("GET", queries[(i % #queries) + 1])
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests": %d, "seconds": %.3f, "per_second": %.1f, "p50_ms": %.3f, "p99_ms": %.3f, "max_ms": %.3f, "socket_errors": %d, "non_2xx": %d}\n',
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
    e.connect + e.read + e.write + e.timeout, e.status))
end
