#!/usr/bin/env bash
# Five SIGHUP reloads while wrk keeps 8 keep-alive connections busy for 8 s: not one request fails
# (no socket errors, no non-2xx/3xx), and the daemon still answers afterwards.
. "$(dirname "$0")/lib.sh"
scenario_lab
command -v wrk >/dev/null || skip "wrk is not installed"
tg_start

lab_exec client wrk -t2 -c8 -d"$(awk -v s="$SCALE" 'BEGIN { printf "%d", 8 * (s > 1 ? s : 1) }')s" --timeout 5s http://10.77.2.2/1k >"$OUT/wrk" 2>&1 &
wrk_pid=$!
on_exit "kill $wrk_pid 2>/dev/null"

# Spread the reloads over the first half of the run. The pause is pacing of the load pattern,
# not synchronisation: each reload also waits for traffic to have flowed since the previous one.
for i in 1 2 3 4 5; do
  before=$(counter http_requests)
  wait_for counter_ge http_requests $((before + 100))
  kill -0 "$wrk_pid" 2>/dev/null || fail "wrk ended before reload $i (machine too slow? raise TOLLGATE_TEST_TIMEOUT_SCALE)"
  tg_reload
  sleep 0.5
done
wait "$wrk_pid" || fail "wrk failed: $(cat "$OUT/wrk")"
note "$(grep -E 'requests in|Requests/sec' "$OUT/wrk" | paste -sd' ')"

assert_eq 5 "$(status_field reloads)" "reloads"
grep -qE '^ +[0-9]+ requests in' "$OUT/wrk" || fail "no wrk summary: $(cat "$OUT/wrk")"
if grep -qE 'Socket errors|Non-2xx or 3xx' "$OUT/wrk"; then
  fail "requests failed during the reloads: $(grep -E 'Socket errors|Non-2xx' "$OUT/wrk")"
fi
grep -q 'reload failed' "$STATE/tollgated.log" && fail "a reload failed: $(grep 'reload failed' "$STATE/tollgated.log")"

res=$(client curl -sS -m "$(scaled 10)" -o /dev/null -w '%{http_code}' http://10.77.2.2/1k 2>&1) || fail "curl: $res"
assert_eq 200 "$res" "a request after the reloads"
tgctl status >/dev/null || fail "the control socket no longer answers"
pass
