#!/usr/bin/env bash
# format = squid: each decision line has Squid's native access.log layout
#   time.ms elapsed client code/status bytes method URL rfc931 hierarchy/peer type
. "$(dirname "$0")/lib.sh"
scenario_lab
tg_start log.format=squid

res=$(client curl -sS -m "$(scaled 10)" -o /dev/null -w '%{http_code} %{size_header} %{size_download}' \
  http://10.77.2.2/1k 2>&1) || fail "curl: $res"
read -r code hsize bsize <<<"$res"
assert_eq 200 "$code" "status"
wait_for log_has_lines 1
line=$(head -n 1 "$TG_DECISIONS")
note "line: $line"
re='^([0-9]{9,})\.([0-9]{3}) +([0-9]+) 10\.77\.1\.2 TCP_[A-Z_]+/200 ([0-9]+) GET http://10\.77\.2\.2/1k - [A-Z_]+/10\.77\.2\.2 application/octet-stream$'
[[ $line =~ $re ]] || fail "not Squid's native format: '$line'"
# Squid's bytes field is everything sent to the client: head and body.
assert_eq $((hsize + bsize)) "${BASH_REMATCH[4]}" "bytes field"
# The timestamp is the time of the reply (Unix seconds): close to now.
now=$(date +%s)
ts=${BASH_REMATCH[1]}
(( ts <= now && ts >= now - 60 )) || fail "timestamp $ts is not now ($now)"
pass
