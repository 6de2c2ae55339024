#!/usr/bin/env bash
# Request heads with smuggling / malformed shapes get the daemon's own 400 and the connection is
# closed; none of them is forwarded to the origin (each case targets origin.py's /headers, which
# would echo a forwarded head with "Server: tollgate-lab-origin").
. "$(dirname "$0")/lib.sh"
scenario_lab
tg_start limits.max_head_size=4K

big=$(head -c 6000 /dev/zero | tr '\0' a)
H='Host: 10.77.2.2:8081\r\n'
declare -A case=(
  [cl_and_te]="POST /headers HTTP/1.1\r\n${H}Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
  [two_content_lengths]="POST /headers HTTP/1.1\r\n${H}Content-Length: 4\r\nContent-Length: 5\r\n\r\nabcde"
  [obs_fold]="GET /headers HTTP/1.1\r\n${H}X-Folded: a\r\n b\r\n\r\n"
  [bare_cr]="GET /headers HTTP/1.1\r\n${H}X-Cr: a\rb\r\n\r\n"
  [head_over_max_head_size]="GET /headers HTTP/1.1\r\n${H}X-Big: $big\r\n\r\n"
  [no_host_http11]="GET /headers HTTP/1.1\r\nUser-Agent: t\r\n\r\n"
  # The head is valid (so it may be forwarded), the chunk size is not: the body never is.
  [bad_chunk_size]="POST /headers HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n"
)
# What the decision line's note must mention for each case (the daemon saw the right problem).
declare -A why=([cl_and_te]='Transfer-Encoding' [two_content_lengths]='Content-Length' [obs_fold]='fold'
  [bare_cr]='CR' [head_over_max_head_size]='large' [no_host_http11]='Host' [bad_chunk_size]='chunk')
# Cases rejected on the head alone must not even open an upstream connection.
head_only="cl_and_te two_content_lengths obs_fold bare_cr head_over_max_head_size no_host_http11"

n=0
for name in $head_only bad_chunk_size; do
  n=$((n + 1))
  ups_before=$(counter upstream_connect_ok)
  netc client "$name" 10.77.2.2 8081 "send:${case[$name]}" read
  status=$(head -n 1 "$OUT/$name.out" | tr -d '\r')
  [[ $status == "HTTP/1.1 400 "* ]] || fail "$name: expected a 400 status line, got '$status' (end=$NETC_END)"
  if grep -qi '^Server: tollgate-lab-origin' "$OUT/$name.out"; then
    fail "$name: the reply came from the origin: the request was forwarded"
  fi
  assert_eq 1 "$(grep -c '^HTTP/1' "$OUT/$name.out")" "$name: responses on the connection"
  assert_eq eof "$NETC_END" "$name: the daemon closes the connection after the 400"
  assert_eq "$n" "$(counter http_bad_request)" "$name: http_bad_request"
  if [[ " $head_only " == *" $name "* ]]; then
    assert_eq "$ups_before" "$(counter upstream_connect_ok)" "$name: upstream connections opened"
  fi
  wait_for log_has_lines "$n"
  assert_eq 400 "$(log_field "$n" status)" "$name: status in the decision line"
  note=$(log_field "$n" note)
  [[ ${note,,} == *"${why[$name],,}"* ]] || fail "$name: decision note '$note' does not mention '${why[$name]}'"
done
pass
