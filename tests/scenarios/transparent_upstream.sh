#!/usr/bin/env bash
# transparent_upstream = true: the origin sees the client's own address as the peer of the
# proxied connection (full transparency); replies come back through the gateway's WAN side and
# still reach the daemon. With the default (false) it sees the gateway's address.
. "$(dirname "$0")/lib.sh"
scenario_lab

peer_seen_by_origin() {
  # A slow download keeps the connection open while we look at it from the origin.
  client curl -sS -m 2 --limit-rate 1M -o /dev/null http://10.77.2.2/10m 2>/dev/null &
  local pid=$! peer=""
  for _ in $(seq 100); do
    peer=$(origin ss -Htn state established '( sport = :80 )' | awk '{print $4}' | head -1)
    [[ -n $peer ]] && break
    sleep 0.05
  done
  kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true
  echo "${peer%:*}"
}

tg_start gateway.transparent_upstream=true
assert_eq 10.77.1.2 "$(peer_seen_by_origin)" "peer address seen by the origin (transparent)"
code=$(client curl -sS -m 5 -o /dev/null -w '%{http_code}' http://10.77.2.2/1k) || fail "curl failed"
assert_eq 200 "$code" "HTTP through a transparent upstream"
tg_stop

tg_start
assert_eq 10.77.2.1 "$(peer_seen_by_origin)" "peer address seen by the origin (default)"
pass
