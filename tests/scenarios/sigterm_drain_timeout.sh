#!/usr/bin/env bash
# SIGTERM with a download that cannot finish within drain_timeout (2 s): the daemon does not wait
# for it; it cuts the connection and exits about drain_timeout after the signal.
. "$(dirname "$0")/lib.sh"
scenario_lab
tg_start limits.drain_timeout=2s

# 100 MB at 5 MB/s: about 20 s, far beyond the drain.
client curl -sS -m "$(scaled 12)" --limit-rate 5M -o /dev/null http://10.77.2.2/100m 2>"$OUT/curl.err" &
dl_pid=$!
on_exit "kill $dl_pid 2>/dev/null"
wait_for counter_ge relay_splice_bytes 1000000
pid=$(tg_pid)

t_term=$(now_ms)
lab signal tollgated TERM
try_wait_for -t 10 pid_gone "$pid" || fail "tollgated still running 10 s after SIGTERM"
t_exit=$(now_ms)
note "daemon exited $((t_exit - t_term)) ms after SIGTERM"
assert_between 1800 "$(awk -v s="$SCALE" 'BEGIN { print 2000 + 2000 * s }')" $((t_exit - t_term)) \
  "ms between SIGTERM and the daemon's exit"

# The cut download ends with an error instead of hanging.
set +e
wait "$dl_pid"
rc=$?
set -e
[[ $rc -ne 0 ]] || fail "the download completed although it could not fit in drain_timeout"
[[ $rc -ne 28 ]] || fail "the client was left hanging until its own timeout: $(cat "$OUT/curl.err")"
wait_for log_has_lines 1
assert_match 'drain' "$(log_field 1 note)" "note of the cut connection's decision line"
pass
