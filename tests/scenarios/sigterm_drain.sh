#!/usr/bin/env bash
# SIGTERM drains: a 100 MB download in flight (rate-limited to 20 MB/s, about 5 s) completes with
# the right checksum, the daemon exits once it is done (within drain_timeout), and connections
# opened after the SIGTERM are not intercepted: they either reach the origin untouched
# (fail_mode open) or are reset, and never get a decision line.
. "$(dirname "$0")/lib.sh"
scenario_lab
tg_start limits.drain_timeout=15s

# The download runs in the client namespace; curl's messages and size go to dl.err, the exit
# status of the pipeline to dl.exit.
client bash -c 'set -o pipefail
  curl -sS -m "$1" --limit-rate 20M -w "%{stderr}size=%{size_download}\n" http://10.77.2.2/100m |
    sha256sum >"$2"; echo "exit=$?" >"$3"' _ "$(scaled 20)" "$OUT/sum" "$OUT/dl.exit" 2>"$OUT/dl.err" &
dl_pid=$!
on_exit "kill $dl_pid 2>/dev/null"
wait_for counter_eq active_connections 1
pid=$(tg_pid)
# Only a download well under way proves the drain: wait for at least 5 MB relayed.
wait_for counter_ge relay_splice_bytes 5000000

t_term=$(now_ms)
lab signal tollgated TERM

# A new connection after the SIGTERM: either untouched (the origin answers) or reset/refused.
wait_for grep -q draining "$STATE/tollgated.log"
set +e
res=$(client curl -sS -m "$(scaled 10)" -o "$OUT/after" -w '%{http_code}' 'http://10.77.2.2/1k?after-sigterm' 2>&1)
rc=$?
set -e
case $rc in
  0) assert_eq 200 "$res" "status of a request sent after SIGTERM"
     assert_eq "$(file_sha 1k)" "$(sha256sum <"$OUT/after" | cut -d' ' -f1)" "body after SIGTERM" ;;
  7|56|52) note "request after SIGTERM: curl exit $rc ($res): reset/refused" ;;
  *) fail "request after SIGTERM: curl exit $rc: $res" ;;
esac

wait "$dl_pid" || true
t_done=$(now_ms)
state="daemon $(pid_running "$pid" && echo "still running" || echo "already gone")"
grep -q '^exit=0$' "$OUT/dl.exit" ||
  fail "the download in flight failed $((t_done - t_term)) ms after SIGTERM ($state): $(cat "$OUT/dl.exit" "$OUT/dl.err" | paste -sd' ')"
assert_eq "$(file_sha 100m)" "$(cut -d' ' -f1 "$OUT/sum")" "sha256 of the download in flight"

# The daemon leaves once nothing is in flight: within drain_timeout (15 s), and without waiting
# for all of it (a few seconds after the download at most).
try_wait_for -t 15 pid_gone "$pid" ||
  fail "tollgated still running $(( ($(now_ms) - t_term) / 1000 )) s after SIGTERM"
t_exit=$(now_ms)
note "download done $((t_done - t_term)) ms after SIGTERM, daemon exited after $((t_exit - t_term)) ms"
assert_le 15000 $((t_exit - t_term)) "ms between SIGTERM and the daemon's exit"
assert_le "$(awk -v s="$SCALE" 'BEGIN { printf "%d", 5000 * s }')" $((t_exit - t_done)) \
  "ms between the end of the last download and the daemon's exit"
grep -q 'stopped' "$STATE/tollgated.log" || fail "no 'stopped' in the daemon's log"

assert_eq 1 "$(log_lines)" "decision lines (the drained download only)"
assert_eq "http://10.77.2.2/100m 200" "$(log_field 1 url) $(log_field 1 status)" "decision line"
assert_ge 104857600 "$(log_field 1 bytes_down)" "bytes_down of the drained download"
pass
