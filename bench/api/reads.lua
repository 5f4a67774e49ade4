-- wrk script of bench/api/run.py: GETs the paths listed in the file given after `--` (one a line, picked at
-- random) with the Bearer token given after it; counts every answer that is not 200 and prints one RESULT
-- line (requests, microseconds, answers not 200, socket errors, p50 and p99 latency in microseconds).
local paths, token = {}, ""
local threads = {}
not_ok = 0

-- BENCH_PORTS (comma-separated): the servers' ports; wrk thread i reads from the i-th (-t one per server)
local ports = {}
for port in string.gmatch(os.getenv("BENCH_PORTS") or "", "%d+") do
  ports[#ports + 1] = port
end

function setup(thread)
  if #ports > 0 then
    thread.addr = wrk.lookup("127.0.0.1", ports[#threads % #ports + 1])[1]
  end
  table.insert(threads, thread)
end

function init(args)
  for line in io.lines(args[1]) do
    paths[#paths + 1] = line
  end
  token = args[2] or ""
  math.randomseed(os.time() + #threads)
end

function request()
  local headers = {}
  if token ~= "" then
    headers["Authorization"] = "Bearer " .. token
  end
  return wrk.format("GET", paths[math.random(#paths)], headers)
end

function response(status, headers, body)
  if status ~= 200 then
    not_ok = not_ok + 1
  end
end

function done(summary, latency, requests)
  local bad = 0
  for _, thread in ipairs(threads) do
    bad = bad + thread:get("not_ok")
  end
  local e = summary.errors
  io.write(string.format("RESULT %d %d %d %d %d %d\n", summary.requests, summary.duration, bad,
    e.connect + e.read + e.write + e.timeout, latency:percentile(50), latency:percentile(99)))
end
