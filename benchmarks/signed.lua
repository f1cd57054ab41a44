-- Replays Slack requests signed in Python just before the run (benchmarks/load.py): the
-- signature covers a timestamp and the body, wrk's Lua has no HMAC, and Slack's verifier
-- accepts a timestamp for five minutes, so pre-signing is exact for a short run.
-- One request per line: content type, timestamp, signature, body, separated by tabs.

local requests = {}
local index = 0

function init(args)
  local file = assert(io.open(args[1], "r"))
  for line in file:lines() do
    local ctype, stamp, signature, body = line:match("^([^\t]*)\t([^\t]*)\t([^\t]*)\t(.*)$")
    requests[#requests + 1] = wrk.format("POST", nil, {
      ["Content-Type"] = ctype,
      ["X-Slack-Request-Timestamp"] = stamp,
      ["X-Slack-Signature"] = signature,
    }, body)
  end
  file:close()
end

function request()
  index = index % #requests + 1
  return requests[index]
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'KAPBOT_BENCH {"requests":%d,"duration_us":%d,"connect":%d,"read":%d,"write":%d,' ..
    '"status":%d,"timeout":%d,"p50_us":%d,"p95_us":%d,"p99_us":%d,"max_us":%d}\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max))
end
