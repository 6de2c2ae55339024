#!/usr/bin/env bash
# The systemd integration, without a running systemd (this machine's PID 1 may be anything):
#  - `make install DESTDIR=` puts the unit, sysusers.d, tmpfiles.d and logrotate files in
#    Debian's places, and a second install keeps an edited tollgate.conf and logrotate file;
#  - `systemd-analyze verify` passes on the installed unit (its binaries pointed into DESTDIR)
#    with no warning about it, and `systemd-analyze security --offline` rates it 3.0 or better;
#  - systemd-sysusers and systemd-tmpfiles, run on DESTDIR as root, create the tollgate user and
#    its four directories owned by it; logrotate parses the snippet;
#  - in the lab (root + netns): the daemon speaks the protocol the Type=notify unit relies on
#    (READY=1, WATCHDOG=1 every WatchdogSec/2, RELOADING=1 + MONOTONIC_USEC then READY=1 on
#    SIGHUP, STOPPING=1 on SIGTERM, to an abstract NOTIFY_SOCKET) and stays root under it; the
#    unit's ExecStopPost (`tollgated --remove-interception`) removes what a SIGKILLed daemon
#    left with fail_mode = open, is a no-op the second time, and keeps it with fail_mode = closed;
#    under the unit's credentials (User= + the three ambient capabilities, emulated with
#    setpriv) the daemon starts, intercepts, reloads (nft as that user) and stops cleanly.
. "$(dirname "$0")/lib.sh"

for tool in systemd-analyze systemd-sysusers systemd-tmpfiles make; do
  command -v "$tool" >/dev/null || skip "$tool is not installed"
done
[[ -x $TOLLGATED && -x $TOLLGATECTL ]] || fail "$TOLLGATED or $TOLLGATECTL missing: build first"

DEST=$(mktemp -d /tmp/tollgate-units.XXXXXX)
trap 'rm -rf "$DEST"' EXIT
on_exit "rm -rf '$DEST'"  # scenario_lab replaces the trap below

# ---- make install -------------------------------------------------------------------------------
# -o build: the binaries of $BUILD as they are, no rebuild.
install_tree() {
  make -C "$ROOT" --no-print-directory -o build install BUILD="$BUILD" DESTDIR="$DEST" \
    PREFIX=/usr/local >"$DEST.make.log" 2>&1 || { cat "$DEST.make.log" >&2; fail "make install failed"; }
  rm -f "$DEST.make.log"
}
install_tree
for f in lib/systemd/system/tollgated.service usr/lib/sysusers.d/tollgate.conf \
         usr/lib/tmpfiles.d/tollgate.conf etc/logrotate.d/tollgate etc/tollgate/tollgate.conf \
         usr/local/sbin/tollgated; do
  [[ -f $DEST/$f ]] || fail "make install did not install /$f"
done
echo "# edited" >>"$DEST/etc/tollgate/tollgate.conf"
echo "# edited" >>"$DEST/etc/logrotate.d/tollgate"
install_tree
grep -q '^# edited' "$DEST/etc/tollgate/tollgate.conf" || fail "a second install overwrote tollgate.conf"
grep -q '^# edited' "$DEST/etc/logrotate.d/tollgate" || fail "a second install overwrote the logrotate file"

# ---- the unit -----------------------------------------------------------------------------------
UNIT=$DEST/verify/tollgated.service
mkdir -p "$DEST/verify"
sed "s|/usr/local/sbin/|$DEST/usr/local/sbin/|g" "$DEST/lib/systemd/system/tollgated.service" >"$UNIT"
systemd-analyze verify "$UNIT" >"$DEST/verify.out" 2>&1 ||
  fail "systemd-analyze verify: $(cat "$DEST/verify.out")"
# Unknown keys and bad values are only warnings to verify: none may name our unit.
if grep -F "tollgated.service" "$DEST/verify.out"; then fail "systemd-analyze verify warned about the unit"; fi
systemd-analyze security --offline=yes --threshold=30 "$UNIT" >"$DEST/security.out" 2>&1 ||
  fail "systemd-analyze security: exposure above 3.0: $(tail -n 3 "$DEST/security.out")"
note "$(grep -a 'Overall exposure' "$DEST/security.out")"
unit_has() { grep -qxF "$1" "$UNIT" || fail "the unit has no line '$1'"; }
unit_has "Type=notify"
unit_has "WatchdogSec=30s"
unit_has "ExecReload=/bin/kill -HUP \$MAINPID"
unit_has "User=tollgate"
unit_has "AmbientCapabilities=CAP_NET_ADMIN CAP_NET_RAW CAP_NET_BIND_SERVICE"
unit_has "CapabilityBoundingSet=CAP_NET_ADMIN CAP_NET_RAW CAP_NET_BIND_SERVICE"
unit_has "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_NETLINK"
unit_has "SystemCallFilter=@system-service"
grep -q "^ExecStopPost=.*tollgated --remove-interception" "$UNIT" || fail "no ExecStopPost removal"

# ---- sysusers.d, tmpfiles.d, logrotate on the DESTDIR tree ----------------------------------------
systemd-sysusers --root="$DEST" --dry-run >"$DEST/sysusers.out" 2>&1 ||
  fail "systemd-sysusers --dry-run: $(cat "$DEST/sysusers.out")"
if [[ $EUID -eq 0 ]]; then
  mkdir -p "$DEST/etc" "$DEST/run" "$DEST/var/lib" "$DEST/var/cache" "$DEST/var/log"
  systemd-sysusers --root="$DEST" >"$DEST/sysusers.out" 2>&1 ||
    fail "systemd-sysusers: $(cat "$DEST/sysusers.out")"
  line=$(grep '^tollgate:' "$DEST/etc/passwd") || fail "sysusers created no tollgate user"
  assert_match '^tollgate:x:[0-9]+:[0-9]+:[^:]*:/var/lib/tollgate:/usr/sbin/nologin$' "$line" "passwd line"
  tuid=$(cut -d: -f3 <<<"$line")
  tgid=$(cut -d: -f4 <<<"$line")
  systemd-tmpfiles --root="$DEST" --create >"$DEST/tmpfiles.out" 2>&1 ||
    fail "systemd-tmpfiles --create: $(cat "$DEST/tmpfiles.out")"
  for d in run/tollgate:750 var/lib/tollgate:750 var/cache/tollgate:700 var/log/tollgate:750; do
    assert_eq "$tuid $tgid ${d#*:}" "$(stat -c '%u %g %a' "$DEST/${d%:*}" 2>&1)" "owner and mode of /${d%:*}"
  done
else
  note "not root: tmpfiles --create and sysusers for real skipped (--dry-run passed)"
fi
command -v logrotate >/dev/null || skip "logrotate is not installed (the rest passed)"
# The su user must exist for logrotate to parse the file; root stands in for tollgate.
sed -e "s|/var/log/tollgate/|$DEST/var/log/tollgate/|" -e 's|tollgate tollgate|root root|g' \
  "$ROOT/systemd/tollgate.logrotate" >"$DEST/logrotate.conf"
logrotate -d -s "$DEST/logrotate.state" "$DEST/logrotate.conf" >"$DEST/logrotate.out" 2>&1 ||
  fail "logrotate -d: $(cat "$DEST/logrotate.out")"
if grep -i '^error' "$DEST/logrotate.out"; then fail "logrotate reported errors"; fi

# ---- the lab: the notify protocol and ExecStopPost --------------------------------------------------
if ! (require_root_netns) >/dev/null 2>&1; then
  note "no root or netns: the notify protocol and ExecStopPost parts skipped (the rest passed)"
  pass
fi
scenario_lab

NAME=tollgate-notify-$$
NOTES=$OUT/notify.log
# The service manager's socket: one line per datagram, newlines shown as spaces. Abstract names
# are per network namespace, so it runs in the gateway's, next to the daemon.
lab_spawn gw notifyd "$PY" -u -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("\0" + sys.argv[1])
with open(sys.argv[2], "ab", 0) as f:
    open(sys.argv[2] + ".ready", "w").close()
    while True:
        f.write(s.recv(4096).replace(b"\n", b" ") + b"\n")
' "$NAME" "$NOTES" >/dev/null
wait_for test -f "$NOTES.ready"

seen() { grep -c -- "$1" "$NOTES" 2>/dev/null || true; }
seen_ge() { (( $(seen "$1") >= $2 )); }

tg_write_config
rm -f "$TG_SOCK"
# A 600 ms watchdog: pings every 300 ms.
lab_spawn gw tollgated env NOTIFY_SOCKET="@$NAME" WATCHDOG_USEC=600000 "$TOLLGATED" -c "$TG_CONF" >/dev/null
wait_for tgctl status
wait_for seen_ge '^READY=1 STATUS=running' 1
assert_eq 0 "$(seen RELOADING=1)" "RELOADING before any SIGHUP"
wait_for -t 3 seen_ge '^WATCHDOG=1$' 3
pid=$(tg_pid)
assert_eq 0 "$(awk '$1 == "Uid:" { print $2 }' /proc/"$pid"/status)" "uid under a service manager"
if grep "privileges: running as" "$STATE/tollgated.log"; then
  fail "the daemon dropped privileges under NOTIFY_SOCKET"
fi

tg_reload
wait_for seen_ge '^READY=1 STATUS=running, reloaded' 1
assert_match '^RELOADING=1 MONOTONIC_USEC=[0-9]+$' "$(grep RELOADING "$NOTES" | tail -n 1)" "the RELOADING message"
# RELOADING comes before the READY that ends it.
r=$(grep -n '^RELOADING=1' "$NOTES" | tail -n 1 | cut -d: -f1)
y=$(grep -n '^READY=1 STATUS=running, reloaded' "$NOTES" | tail -n 1 | cut -d: -f1)
(( r < y )) || fail "READY (line $y) came before RELOADING (line $r): $(cat "$NOTES")"
assert_eq 0 "$(seen STOPPING=1)" "STOPPING before SIGTERM"
tg_stop
assert_eq 1 "$(seen '^STOPPING=1$')" "STOPPING after SIGTERM"

# ExecStopPost after a crash: fail_mode = open removes the table and the routing, twice is fine.
tg_start
tg_stop KILL
gw nft list table inet tollgate >/dev/null 2>&1 || fail "SIGKILL removed the table (nothing left to test)"
gw "$TOLLGATED" --remove-interception -c "$TG_CONF" || fail "--remove-interception failed"
if gw nft list table inet tollgate >/dev/null 2>&1; then fail "--remove-interception left the table"; fi
if gw ip -4 rule show | grep -E 'fwmark 0x1(/0xff)? lookup 100'; then
  fail "--remove-interception left the fwmark rule"
fi
gw "$TOLLGATED" --remove-interception -c "$TG_CONF" || fail "--remove-interception failed with nothing to remove"

# fail_mode = closed: the table stays, so the LAN's intercepted ports stay closed.
tg_start gateway.fail_mode=closed
tg_stop KILL
gw "$TOLLGATED" --remove-interception -c "$TG_CONF" || fail "--remove-interception (closed) failed"
gw nft list table inet tollgate >/dev/null 2>&1 || fail "--remove-interception removed the table with fail_mode = closed"
gw nft delete table inet tollgate

# ---- the unit's credentials: User= with AmbientCapabilities=, CapabilityBoundingSet= and
# NoNewPrivileges=, as systemd sets them (emulated with setpriv), and RuntimeDirectory= --------
if ! command -v setpriv >/dev/null || ! command -v useradd >/dev/null; then
  note "setpriv or useradd missing: the unit-credentials part skipped"
  pass
fi
U=tgunit$$
useradd --system --user-group --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin \
  "$U" || fail "useradd $U"
on_exit "lab_stop tollgated KILL >/dev/null 2>&1; userdel -f '$U' >/dev/null 2>&1; groupdel '$U' 2>/dev/null"
R=$STATE/run-tollgate
install -d -o "$U" -g "$U" -m 0750 "$R"
TG_SOCK=$R/control.sock
# shellcheck disable=SC2034  # read by tg_write_config
TG_DECISIONS=$R/decisions.log
tg_write_config
caps=+net_admin,+net_raw,+net_bind_service
lab_spawn gw tollgated setpriv --reuid="$U" --regid="$U" --init-groups --inh-caps=-all,$caps \
  --ambient-caps=-all,$caps --bounding-set=-all,$caps --nnp \
  env INVOCATION_ID=0123456789abcdef0123456789abcdef "$TOLLGATED" -c "$TG_CONF" >/dev/null
wait_for tgctl status
pid=$(tg_pid)
assert_eq "$(id -u "$U")" "$(awk '$1 == "Uid:" { print $2 }' /proc/"$pid"/status)" "uid under the unit's credentials"
gw nft list table inet tollgate >/dev/null 2>&1 || fail "no table inet tollgate: nft did not run as $U"
assert_eq 200 "$(client curl -sS -m "$(scaled 10)" -o /dev/null -w '%{http_code}' http://10.77.2.2/1k)" \
  "status through the gateway under the unit's credentials"
gw nft delete table inet tollgate
tgctl reload >"$OUT/reload" 2>&1 || fail "tollgatectl reload as $U: $(cat "$OUT/reload")"
gw nft list table inet tollgate >/dev/null 2>&1 || fail "the reload did not reinstall the table as $U"
tg_stop
if gw nft list table inet tollgate >/dev/null 2>&1; then fail "the table survived SIGTERM as $U"; fi
gw "$TOLLGATED" --remove-interception -c "$TG_CONF" || fail "ExecStopPost after a clean stop failed"
pass
