-- tests/bench/cache_miss.lua -- wrk -s: a new cache key for every request, so each one misses.
--
--   wrk ... -s tests/bench/cache_miss.lua http://10.77.2.2/1k
--
-- Sends GET <url path>?miss=<start>-<thread>-<n>: start is the unix time the script was loaded
-- (runs of one daemon, a second or more apart, never share a key), n counts up per thread.  The
-- origin (nginx) ignores the query and answers the same 1 KB file; a cache keys on the whole
-- URL, so every response is a miss it then stores.  The request string is built per request,
-- also when no cache is in the path: the configurations compared with it pay the same wrk cost.
local next_id = 1

function setup(thread)
  thread:set("tid", next_id)
  next_id = next_id + 1
end

local start = os.time()
local n = 0

function request()
  n = n + 1
  return wrk.format(nil, wrk.path .. "?miss=" .. start .. "-" .. tid .. "-" .. n)
end
