-- wrk script for bench/connector.py: POSTs an OER ILP Prepare (ILP-over-HTTP, synchronous mode)
-- on every request and classifies the reply by its first byte: 13 Fulfill, 14 Reject.
--
-- The Prepare comes from a file; its last 16 bytes (the end of its data field, so the file's
-- Prepare needs at least 16 bytes of data) are replaced by a thread id and a counter, cycling
-- through RING distinct requests. Unique packets matter: ilp-connector's deduplicate middleware
-- answers a repeated packet (same condition, destination and data) from its cache without
-- forwarding it. Condition and amount stay fixed, so one fulfillment fulfils them all.
--
--   wrk -t1 -c<concurrency> -d<seconds>s -s bench/ilp_prepare.lua <url> -- <prepare file> <token>
--
-- done() prints one line:
--   RESULT {"requests", "fulfilled", "rejected", "rejectCodes": {code: n}, "errors",
--           "seconds", "packetsPerSecond", "p50Ms", "p99Ms"}
-- where errors = non-200 replies, other first bytes, and wrk's socket errors.

local threads = {}
local RING = 20000

function setup(thread)
  table.insert(threads, thread)
  thread:set("thread_id", #threads)
end

function init(args)
  local file = assert(io.open(args[1], "rb"))
  local body = file:read("*a")
  file:close()
  fulfilled, rejected, other = 0, 0, 0
  codes = {}
  local headers = {
    ["Content-Type"] = "application/octet-stream",
    ["Authorization"] = "Bearer " .. args[2],
  }
  local prefix = body:sub(1, #body - 16)
  ring = {}
  for i = 1, RING do
    local unique = string.format("%08x%08x", thread_id or 0, i)
    ring[i] = wrk.format("POST", wrk.path, headers, prefix .. unique)
  end
  next_index = 0
end

function request()
  next_index = next_index % RING + 1
  return ring[next_index]
end

function response(status, headers, body)
  local kind = body:byte(1)
  if status ~= 200 then
    other = other + 1
  elseif kind == 13 then
    fulfilled = fulfilled + 1
  elseif kind == 14 then
    rejected = rejected + 1
    local first = body:byte(2)
    local start = 3
    if first >= 128 then start = 3 + (first - 128) end
    local code = body:sub(start, start + 2)
    codes[code] = (codes[code] or 0) + 1
  else
    other = other + 1
  end
end

function done(summary, latency, requests)
  local f, r, o, all = 0, 0, 0, {}
  for _, thread in ipairs(threads) do
    f = f + thread:get("fulfilled")
    r = r + thread:get("rejected")
    o = o + thread:get("other")
    for code, n in pairs(thread:get("codes")) do all[code] = (all[code] or 0) + n end
  end
  local e = summary.errors
  local socket_errors = e.connect + e.read + e.write + e.timeout
  local parts = {}
  for code, n in pairs(all) do table.insert(parts, string.format('"%s":%d', code, n)) end
  local seconds = summary.duration / 1e6
  io.write(string.format(
    'RESULT {"requests":%d,"fulfilled":%d,"rejected":%d,"rejectCodes":{%s},"errors":%d,'
      .. '"seconds":%.6f,"packetsPerSecond":%.3f,"p50Ms":%.4f,"p99Ms":%.4f}\n',
    summary.requests, f, r, table.concat(parts, ","), o + socket_errors,
    seconds, summary.requests / seconds,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
