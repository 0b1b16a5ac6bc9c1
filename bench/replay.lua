-- wrk script of `make bench`: replays the request lines of a file, counting statuses.
--
-- Arguments (after `--`): <file> <cycle|consume>
--   file:    one request per line, "METHOD<TAB>PATH<TAB>BODY" (BODY may be empty)
--   cycle:   round-robin over the lines until wrk's -d elapses
--   consume: each line is sent once (state-consuming endpoints); when the lines run out the
--            thread stops, and the cell's duration is the time up to the last response.
-- done() prints one machine-readable line: BENCH_RESULT {...}.

local has_ffi, ffi = pcall(require, "ffi")
local now_us
if has_ffi then
  ffi.cdef([[
    typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
    int clock_gettime(int clk_id, bench_timespec *tp);
  ]])
  local ts = ffi.new("bench_timespec")
  now_us = function()
    ffi.C.clock_gettime(1, ts) -- CLOCK_MONOTONIC
    return tonumber(ts.tv_sec) * 1000000 + tonumber(ts.tv_nsec) / 1000
  end
else
  now_us = function() return os.time() * 1000000 end
end

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

local lines, count, index, consume, filler = {}, 0, 0, false, nil

function init(args)
  consume = args[2] == "consume"
  for line in io.lines(args[1]) do
    local method, path, body = line:match("^(%u+)\t([^\t]+)\t?(.*)$")
    if method then
      count = count + 1
      if body == "" then body = nil end
      lines[count] = wrk.format(method, path, nil, body)
    end
  end
  filler = wrk.format("GET", "/__bench/exhausted")
  -- globals, read by done() through thread:get()
  ok, bad, exhausted, first_us, last_us = 0, 0, 0, now_us(), 0
end

function request()
  index = index + 1
  if index > count then
    if consume then
      exhausted = 1
      wrk.thread:stop()
      return filler
    end
    index = 1
  end
  return lines[index]
end

function response(status, headers, body)
  if status >= 200 and status < 300 then ok = ok + 1 else bad = bad + 1 end
  last_us = now_us()
end

function done(summary, latency, requests)
  local total_ok, total_bad, any_exhausted, first, last = 0, 0, 0, nil, 0
  for _, thread in ipairs(threads) do
    total_ok = total_ok + thread:get("ok")
    total_bad = total_bad + thread:get("bad")
    any_exhausted = math.max(any_exhausted, thread:get("exhausted"))
    local f, l = thread:get("first_us"), thread:get("last_us")
    if first == nil or f < first then first = f end
    if l > last then last = l end
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH_RESULT {"requests":%d,"duration_us":%d,"ok":%d,"bad":%d,"exhausted":%d,'
      .. '"timed_us":%d,"precise_timer":%s,"connect_errors":%d,"read_errors":%d,'
      .. '"write_errors":%d,"timeouts":%d,"p50_us":%d,"p99_us":%d,"mean_us":%.1f,"max_us":%d}\n',
    summary.requests, summary.duration, total_ok, total_bad, any_exhausted,
    math.max(0, last - first), tostring(has_ffi), e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(99), latency.mean, latency.max))
end
