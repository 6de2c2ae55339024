#!/usr/bin/env bash
# max_connections_per_client = 2: a client holding two connections gets its third reset, another
# client is still served, and a slot freed by a close can be used again.
. "$(dirname "$0")/lib.sh"
scenario_lab
tg_start gateway.tcp_ports=7 limits.max_connections_per_client=2

# hold NAME: an echo connection from the client that stays open until killed
hold() {
  # Not through a function: $! must be the client process itself (tools/lab exec execs it).
  "$LAB_TOOL" exec client "$PY" -I -S "$NETC" --timeout 60 --out "$OUT/$1.out" --meta "$OUT/$1.meta" \
    10.77.2.2 7 "send:$1\\n" "until:$1\\n" read &
}
hold one; pid_one=$!
hold two; pid_two=$!
on_exit "kill $pid_one $pid_two 2>/dev/null"
wait_for counter_eq active_connections 2
wait_for grep -q two "$OUT/two.out"
wait_for grep -q one "$OUT/one.out"

netc client third 10.77.2.2 7 'send:third\n' read
assert_eq "reset 0" "$NETC_END $NETC_RECEIVED" "third connection from the same client: end and bytes"
assert_eq 1 "$(counter connections_rejected_limit)" "connections_rejected_limit"

netc client2 other 10.77.2.2 7 'send:other\n' 'until:other\n' shut read
assert_eq "eof other" "$NETC_END $(cat "$OUT/other.out")" "a connection from client2"

kill "$pid_one"
wait_for counter_eq active_connections 1
netc client again 10.77.2.2 7 'send:again\n' 'until:again\n' shut read
assert_eq "eof again" "$NETC_END $(cat "$OUT/again.out")" "a new connection after one was closed"
assert_eq 1 "$(counter connections_rejected_limit)" "connections_rejected_limit at the end"
pass
