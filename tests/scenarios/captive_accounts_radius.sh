#!/usr/bin/env bash
# auth = accounts, radius. Accounts: a file of lines from `tollgatectl account hash alice`
# (password on stdin); the right password logs client in (303, an "account" session for alice),
# a wrong password or an unknown user gets 403 and no session. RADIUS: a real FreeRADIUS in the
# gw namespace (private config dir, 127.0.0.1:1812/1813, a client with a secret, user bob with
# Session-Timeout 3600, Message-Authenticator on every answer so the daemon keeps
# require_message_authenticator = true): Access-Accept logs client2 in with the server's
# Session-Timeout, a wrong password is rejected (403, the server logs the reject); with
# accounting = true the server records an Accounting-Start for the session, and a Stop after a
# kick; with the server gone a login gets 503 and no session. Skips the RADIUS half (exit 77,
# after the accounts checks) when FreeRADIUS is not installed.
. "$(dirname "$0")/captive_lib.sh"
scenario_lab
MAC1=$(mac_of client)
MAC2=$(mac_of client2)
URL=http://10.77.2.2/1k
SECRET=tollgate-lab-secret
RADDB=$STATE/raddb

scn_dump_extra() {
  local f
  for f in "$RADDB/log/radius.log" "$RADDB/log/linelog" "$RADDB/acct/detail" "$STATE/freeradius.log"; do
    [[ -s $f ]] || continue
    echo "---- $f (last 40 lines)"
    tail -n 40 "$f"
  done
}

# ---- the accounts file ----------------------------------------------------------------------------
ACCOUNTS=$OUT/accounts
printf 'alice-pw-1234' | "$TOLLGATECTL" account hash alice >"$ACCOUNTS" ||
  fail "tollgatectl account hash alice failed"
assert_match '^alice:[$]pbkdf2-sha256[$]' "$(cat "$ACCOUNTS")" "the accounts-file line"
printf 'other-pw' | "$TOLLGATECTL" account hash carol >>"$ACCOUNTS" || fail "account hash carol"
chmod 600 "$ACCOUNTS"

# ---- FreeRADIUS (written as tests/unit/captive/freeradius_lab.h does) ----------------------------
HAVE_RADIUS=1
command -v freeradius >/dev/null || [[ -x /usr/sbin/freeradius ]] || HAVE_RADIUS=0
FREERADIUS=$(command -v freeradius || echo /usr/sbin/freeradius)
write_raddb() {
  mkdir -p "$RADDB"/{log,acct,run}
  chmod 700 "$RADDB"
  cat >"$RADDB/radiusd.conf" <<EOF
prefix = /usr
exec_prefix = /usr
sysconfdir = /etc
localstatedir = /var
sbindir = /usr/sbin
raddbdir = $RADDB
confdir = \${raddbdir}
modconfdir = \${confdir}
logdir = \${raddbdir}/log
radacctdir = \${raddbdir}/acct
run_dir = \${raddbdir}/run
db_dir = \${raddbdir}
libdir = /usr/lib/freeradius
pidfile = \${run_dir}/radiusd.pid
name = freeradius
max_request_time = 30
cleanup_delay = 5
max_requests = 1024
hostname_lookups = no
log {
  destination = files
  file = \${logdir}/radius.log
  auth = yes
}
security {
  allow_core_dumps = no
  max_attributes = 200
  reject_delay = 0
  status_server = no
}
thread pool {
  start_servers = 2
  max_servers = 4
  min_spare_servers = 1
  max_spare_servers = 2
  max_requests_per_server = 0
}
\$INCLUDE clients.conf
modules {
  expr {
  }
  pap {
  }
  files {
    filename = \${confdir}/users
  }
  detail {
    filename = \${radacctdir}/detail
    permissions = 0600
    header = "%t"
  }
  linelog {
    filename = \${logdir}/linelog
    permissions = 0600
    format = "%{Packet-Type} %{User-Name}"
    reference = "messages.%{%{Acct-Status-Type}:-default}"
    messages {
      default = "%{Packet-Type} user=%{User-Name}"
      Start = "Start session=%{Acct-Session-Id} user=%{User-Name} cli=%{Calling-Station-Id} ip=%{Framed-IP-Address}"
      Stop = "Stop session=%{Acct-Session-Id} user=%{User-Name} time=%{Acct-Session-Time} cause=%{Acct-Terminate-Cause}"
    }
  }
}
server default {
  listen {
    type = auth
    ipaddr = 127.0.0.1
    port = 1812
  }
  listen {
    type = acct
    ipaddr = 127.0.0.1
    port = 1813
  }
  authorize {
    files
    pap
  }
  authenticate {
    Auth-Type PAP {
      pap
    }
  }
  accounting {
    detail
    linelog
  }
  post-auth {
    update reply {
      &Message-Authenticator := 0x00
    }
    Post-Auth-Type REJECT {
      update reply {
        &Reply-Message := "Login incorrect"
        &Message-Authenticator := 0x00
      }
    }
  }
}
EOF
  cat >"$RADDB/clients.conf" <<EOF
client gateway {
  ipaddr = 127.0.0.1
  secret = $SECRET
  require_message_authenticator = yes
}
EOF
  cat >"$RADDB/users" <<'EOF'
bob Cleartext-Password := "secret-pw"
	Session-Timeout := 3600,
	Reply-Message = "Welcome, bob"
EOF
}
radius_ready() { grep -q 'Ready to process requests' "$RADDB/log/radius.log" 2>/dev/null; }
linelog_has() { grep -qE "$1" "$RADDB/log/linelog" 2>/dev/null; }

CONF=(captive.auth=accounts "captive.accounts=$ACCOUNTS")
if (( HAVE_RADIUS )); then
  CONF[0]="captive.auth=accounts, radius"
  write_raddb
  lab_spawn gw freeradius "$FREERADIUS" -f -d "$RADDB" >/dev/null
  wait_for radius_ready
  CONF+=(radius.server=127.0.0.1:1812:1813 "radius.secret=$SECRET" radius.accounting=true
         radius.timeout=500ms radius.tries=2)
fi
captive_start "${CONF[@]}"

# ---- accounts -----------------------------------------------------------------------------------
portal_form client >/dev/null
grep -q 'name="method" value="accounts"' "$OUT/form.html" || fail "the login page has no accounts form"
grep -q 'name="password"' "$OUT/form.html" || fail "the login page has no password field"
out=$(portal_login client accounts username=alice password=wrong-pw)
assert_eq "403 " "$out" "alice with a wrong password"
assert_match "Wrong user name or password" "$(login_message)" "message for a wrong password"
grep -q 'wrong-pw' "$OUT/login.html" && fail "the refused page echoes the password back"
out=$(portal_login client accounts username=mallory password=alice-pw-1234)
assert_eq "403 " "$out" "an unknown user"
out=$(portal_login client accounts username=carol password=alice-pw-1234)
assert_eq "403 " "$out" "carol with alice's password"
session_gone "$MAC1" || fail "a wrong password gave a session"
assert_match "^302 " "$(probe client "$URL")" "client after the refused passwords"
assert_eq 3 "$(counter portal_password_rejected)" "portal_password_rejected"
out=$(portal_login client accounts username=alice password=alice-pw-1234)
assert_eq "303 http://example.test/" "$out" "alice with her password"
assert_eq "account alice" "$(session_field "$MAC1" method) $(session_field "$MAC1" user)" "alice's session"
assert_eq "200 " "$(probe client "$URL")" "client after alice's login"
assert_eq 1 "$(counter portal_logins_accounts)" "portal_logins_accounts"

(( HAVE_RADIUS )) || skip "accounts checks passed; RADIUS part skipped: freeradius is not installed (apt-get install freeradius)"

# ---- RADIUS ---------------------------------------------------------------------------------------
grep -q 'name="method" value="radius"' "$OUT/form.html" || fail "the login page has no RADIUS form"
out=$(portal_login client2 radius username=bob password=not-bobs)
assert_eq "403 " "$out" "bob with a wrong password (Access-Reject)"
assert_match "Wrong user name or password" "$(login_message)" "message for an Access-Reject"
session_gone "$MAC2" || fail "an Access-Reject gave a session"
assert_eq 1 "$(counter portal_radius_rejected)" "portal_radius_rejected"
wait_for grep -q 'Login incorrect.*bob' "$RADDB/log/radius.log"

out=$(portal_login client2 radius username=bob password=secret-pw)
assert_eq "303 http://example.test/" "$out" "bob with his password (Access-Accept)"
assert_eq "radius bob" "$(session_field "$MAC2" method) $(session_field "$MAC2" user)" "bob's session"
assert_between 3590 3600 "$(session_field "$MAC2" seconds_left)" "seconds_left of bob's session (Session-Timeout 3600)"
assert_eq "200 " "$(probe client2 "$URL")" "client2 after bob's login"
assert_eq 1 "$(counter portal_logins_radius)" "portal_logins_radius"
grep -q 'Login OK.*bob' "$RADDB/log/radius.log" || fail "the server did not log bob's Login OK"

# accounting: a Start for the session (sent before the 303), from the gateway
wait_for -t 3 linelog_has "^Start .*user=bob "
start=$(grep -E '^Start .*user=bob ' "$RADDB/log/linelog" | tail -1)
assert_match "ip=10\.77\.1\.3$" "$start" "Framed-IP-Address of the Accounting-Start"
mac_dash=$(tr ':a-f' '-A-F' <<<"$MAC2")
grep -qiE "cli=($MAC2|$mac_dash)" <<<"$start" || fail "Calling-Station-Id of the Accounting-Start is not $MAC2: $start"
grep -q 'Acct-Status-Type = Start' "$RADDB/acct/detail" || fail "no Accounting-Start in the detail file"
assert_eq 0 "$(counter portal_accounting_failures)" "portal_accounting_failures"

# a kick ends it with an Accounting-Stop for the same session
sid=$(sed -E 's/^Start session=([^ ]*) .*/\1/' <<<"$start")
tgctl sessions kick "$MAC2" >/dev/null || fail "kick $MAC2"
wait_for -t 5 linelog_has "^Stop session=$sid user=bob "
assert_match "^302 " "$(probe client2 "$URL")" "client2 after the kick"

# the server gone: 503, no session
lab_stop freeradius
out=$(portal_login client2 radius username=bob password=secret-pw)
assert_eq "503 " "$out" "a RADIUS login with the server down"
assert_match "not answering" "$(login_message)" "message with the server down"
session_gone "$MAC2" || fail "a login with the server down gave a session"
assert_eq 1 "$(counter portal_radius_unavailable)" "portal_radius_unavailable"
pass
