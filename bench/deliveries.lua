-- wrk script: sends pre-signed deliveries (wrk's Lua cannot sign), each thread from its own file
-- BENCH_FILE.<thread>.tsv, one delivery a line: webhook-id TAB webhook-timestamp TAB webhook-signature TAB body.
-- Environment:
--   BENCH_FILE    prefix of the per-thread files (written by GeminiHooks.Bench.Load gen)
--   BENCH_PATH    request path (default /webhooks/gemini)
--   BENCH_SKIP_<t> lines thread t skips first (what a warm-up run already sent, so the measured run stays distinct)
--   BENCH_RATE    if set, total requests/s to pace to (open-loop schedule per thread); otherwise as fast as possible
-- A thread that reaches the end of its file starts over (its deliveries are then duplicates): done() reports that
-- as "wrapped", so a run that ran out of distinct deliveries is visible in the results instead of silently faster.

local prefix = os.getenv("BENCH_FILE")
local path = os.getenv("BENCH_PATH") or "/webhooks/gemini"
local rate = tonumber(os.getenv("BENCH_RATE") or "")
local threads = {}
local next_id = 0

function setup(thread)
   thread:set("tid", next_id)
   next_id = next_id + 1
   table.insert(threads, thread)
end

function init(args)
   file = assert(io.open(prefix .. "." .. tid .. ".tsv", "r"))
   used = 0
   wrapped = 0
   local skip = tonumber(os.getenv("BENCH_SKIP_" .. tid) or "0")
   for _ = 1, skip do
      if not file:read("*l") then file:seek("set", 0) end
   end
   headers = { ["Content-Type"] = "application/json" }
   if rate then
      local ffi = require("ffi")
      ffi.cdef [[ typedef struct { long tv_sec; long tv_nsec; } bench_timespec; int clock_gettime(int, bench_timespec*); ]]
      local ts = ffi.new("bench_timespec")
      now_ms = function()
         ffi.C.clock_gettime(1, ts) -- CLOCK_MONOTONIC
         return tonumber(ts.tv_sec) * 1000 + tonumber(ts.tv_nsec) / 1e6
      end
      interval_ms = 1000 / (rate / next_id_total())
      next_slot = now_ms()
   end
end

-- Threads do not know how many threads there are; the bench passes it (wrk -t) in BENCH_THREADS.
function next_id_total()
   return tonumber(os.getenv("BENCH_THREADS") or "2")
end

function request()
   local line = file:read("*l")
   if not line then
      file:seek("set", 0)
      wrapped = wrapped + 1
      line = file:read("*l")
   end
   used = used + 1
   local a = line:find("\t", 1, true)
   local b = line:find("\t", a + 1, true)
   local c = line:find("\t", b + 1, true)
   headers["webhook-id"] = line:sub(1, a - 1)
   headers["webhook-timestamp"] = line:sub(a + 1, b - 1)
   headers["webhook-signature"] = line:sub(b + 1, c - 1)
   return wrk.format("POST", path, headers, line:sub(c + 1))
end

if rate then
   -- Open-loop pacing: each request of a thread takes the next slot of a fixed schedule (rate/threads per second).
   -- A thread that falls behind does not burst to catch up; the achieved rate is what wrk reports.
   function delay()
      local now = now_ms()
      if next_slot < now then next_slot = now end
      local wait = next_slot - now
      next_slot = next_slot + interval_ms
      return wait
   end
end

function done(summary, latency, requests)
   local used_list, wrapped_total = {}, 0
   for _, thread in ipairs(threads) do
      table.insert(used_list, thread:get("used"))
      wrapped_total = wrapped_total + thread:get("wrapped")
   end
   local e = summary.errors
   io.write(string.format(
      "RESULT requests=%d duration_s=%.3f rps=%.1f p50_ms=%.3f p99_ms=%.3f max_ms=%.3f non2xx=%d socket_errors=%d wrapped=%d used=%s\n",
      summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
      latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
      e.status, e.connect + e.read + e.write + e.timeout, wrapped_total, table.concat(used_list, ",")))
end
