#!/usr/bin/env bash
# A server-first protocol (SMTP-like banner on port 25) on a port listed in tls_ports: the
# client stays silent, so after sniff_timeout the daemon connects upstream and relays opaque; the
# banner arrives about sniff_timeout after connect and the conversation then works both ways.
. "$(dirname "$0")/lib.sh"
scenario_lab
tg_start gateway.tls_ports="443, 25" limits.sniff_timeout=300ms

netc client smtp 10.77.2.2 25 'until:220 origin.test ESMTP lab\r\n' 'send:EHLO lab\r\n' 'until:EHLO lab\r\n' \
  'send:QUIT\r\n' read
assert_eq eof "$NETC_END" "end of the conversation"
printf '220 origin.test ESMTP lab\r\nEHLO lab\r\n221 bye\r\n' >"$OUT/smtp.want"
cmp -s "$OUT/smtp.want" "$OUT/smtp.out" || fail "conversation: $(cat -A "$OUT/smtp.out")"
# The daemon waits sniff_timeout (0.3 s) for a first client byte before it gives up sniffing.
assert_between 0.25 "$(scaled 2.3)" "$NETC_T_FIRST" "seconds until the banner arrived"

assert_eq 1 "$(counter sniff_timeout_opaque)" "sniff_timeout_opaque"
wait_for log_has_lines 1
assert_eq "10.77.2.2 25" "$(log_field 1 dst) $(log_field 1 dst_port)" "decision line destination"
pass
