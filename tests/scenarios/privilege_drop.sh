#!/usr/bin/env bash
# Outside systemd, a root start with [gateway] user = U becomes U before it starts anything:
#  - uid and gid are U's in every thread; CapPrm, CapEff, CapInh, CapAmb and CapBnd hold exactly
#    CAP_NET_ADMIN, CAP_NET_RAW, CAP_NET_BIND_SERVICE; no_new_privs is set;
#  - the directories it writes became U's: a root-owned "tollgate" directory (socket and log),
#    the decision log a root run left there, the cache directory it created;
#  - and everything the running daemon does later still works as U: traffic is intercepted, the
#    cache stores objects, a reload reinstalls a deleted ruleset (the nft it runs keeps
#    CAP_NET_ADMIN through ambient capabilities), systemd/tollgate.logrotate rotates the log and
#    the SIGHUP reopens it, the daemon recreates a log moved away, and SIGTERM removes the table
#    and the control socket.
. "$(dirname "$0")/cache_lib.sh"
cache_lab
command -v useradd >/dev/null || skip "useradd is not installed"
command -v logrotate >/dev/null || skip "logrotate is not installed"

U=tgdrop$$
useradd --system --user-group --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin \
  "$U" || fail "useradd $U"
# The daemon goes first: userdel refuses a user with a running process.
on_exit "lab_stop tollgated KILL >/dev/null 2>&1; userdel -f '$U' >/dev/null 2>&1; groupdel '$U' 2>/dev/null"
uid=$(id -u "$U")
gid=$(id -g "$U")

# Tollgate's own directory (as /run/tollgate would be), still root's, with a decision log a
# root run left behind.
D=$STATE/tollgate
mkdir -m 0755 "$D"
TG_SOCK=$D/control.sock
TG_DECISIONS=$D/decisions.log
: >"$TG_DECISIONS"
chmod 0640 "$TG_DECISIONS"

# get QUERY: one plain request through the gateway to the lab's origin; prints the status
get() { client curl -sS -m "$(scaled 10)" -o /dev/null -w '%{http_code}' "http://10.77.2.2/1k?$1"; }

cache_start gateway.user="$U"
pid=$(tg_pid)
grep -q "privileges: running as $U" "$STATE/tollgated.log" ||
  fail "no 'privileges: running as $U' in the daemon's log"

# ---- credentials and capabilities, in every thread ----------------------------------------------
# CAP_NET_BIND_SERVICE (10), CAP_NET_ADMIN (12), CAP_NET_RAW (13)
want=0000000000003400
field() { awk -v k="$2:" '$1 == k { $1 = ""; sub(/^ +/, ""); print }' "$1/status"; }
threads=0
for t in /proc/"$pid"/task/*; do
  threads=$((threads + 1))
  assert_eq "$uid $uid $uid $uid" "$(field "$t" Uid)" "Uid of thread ${t##*/}"
  assert_eq "$gid $gid $gid $gid" "$(field "$t" Gid)" "Gid of thread ${t##*/}"
  assert_eq "$gid" "$(field "$t" Groups)" "Groups of thread ${t##*/}"
  for c in CapPrm CapEff CapInh CapAmb CapBnd; do
    assert_eq "$want" "$(field "$t" "$c")" "$c of thread ${t##*/}"
  done
  assert_eq 1 "$(field "$t" NoNewPrivs)" "NoNewPrivs of thread ${t##*/}"
done
assert_ge 3 "$threads" "threads of the daemon (main, workers, logging, control)"

# ---- what was handed over -------------------------------------------------------------------------
owner() { stat -c %U "$1"; }
assert_eq "$U" "$(owner "$D")" "owner of $D"
assert_eq "$U" "$(owner "$TG_DECISIONS")" "owner of the decision log left by root"
assert_eq "$U" "$(owner "$TG_SOCK")" "owner of the control socket"
assert_eq "$U" "$(owner "$CACHE_DIR")" "owner of the cache directory"
assert_eq root "$(owner "$STATE")" "owner of the lab's state directory (not the daemon's own)"

# ---- traffic: intercepted, logged, cached ---------------------------------------------------------
assert_eq 200 "$(get first)" "status through the gateway"
t="/b/dropped?cc=max-age=600&size=20000"
assert_eq 200 "$(cget c1 "$CO$t")" "status of the first cacheable fetch"
wait_stored 1
assert_eq 200 "$(cget c2 "$CO$t")" "status of the second fetch"
assert_eq hit "$(cache_of "$t" 2)" "cache field of the second fetch"
assert_eq 0 "$(counter0 cache_write_failures)" "cache_write_failures"
[[ -z $(find "$CACHE_DIR" ! -user "$U" | head -1) ]] ||
  fail "files in the cache not owned by $U: $(find "$CACHE_DIR" ! -user "$U" | head -3)"
wait_for log_has_lines 3

# ---- a reload runs nft as U: it must put a deleted table back -------------------------------------
gw nft delete table inet tollgate || fail "could not delete the table"
reloads=$(status_field reloads)
tgctl reload >"$OUT/reload" 2>&1 || fail "tollgatectl reload failed: $(cat "$OUT/reload")"
assert_eq $((reloads + 1)) "$(status_field reloads)" "reloads after tollgatectl reload"
gw nft list table inet tollgate >"$OUT/table" 2>&1 ||
  fail "the reload did not reinstall table inet tollgate: $(cat "$OUT/table")"
grep -q tproxy "$OUT/table" || fail "the reinstalled table has no tproxy rule"

# ---- logrotate with the shipped snippet, its su user and create mode set to U ---------------------
lines_before=$(log_lines)
sed -e "s|/var/log/tollgate/\*\.log|$D/*.log|" -e "s|tollgate tollgate|$U $U|g" \
  "$ROOT/systemd/tollgate.logrotate" |
  awk -v pid="$pid" '/^\tpostrotate/ { print; print "\t\tkill -HUP " pid; skip = 1; next }
                     /^\tendscript/ { skip = 0 } !skip' >"$OUT/logrotate.conf"
reloads=$(status_field reloads)
logrotate -f -s "$OUT/logrotate.state" "$OUT/logrotate.conf" >"$OUT/logrotate.out" 2>&1 ||
  fail "logrotate failed: $(cat "$OUT/logrotate.out")"
wait_for status_field_gt reloads "$reloads"
[[ -f $TG_DECISIONS.1 ]] || fail "logrotate left no $TG_DECISIONS.1: $(ls "$D")"
assert_eq "$lines_before" "$(log_lines "$TG_DECISIONS.1")" "lines in the rotated log"
assert_eq "$U" "$(owner "$TG_DECISIONS")" "owner of the log logrotate created"
assert_eq 200 "$(get rotated)" "status after the rotation"
wait_for log_has_lines 1
assert_eq "http://10.77.2.2/1k?rotated" "$(log_field 1 url)" "first line of the new log"

# ---- a log moved away: the daemon creates the new one in its directory ----------------------------
mv "$TG_DECISIONS" "$TG_DECISIONS.moved"
tg_reload
assert_eq 200 "$(get moved)" "status after the move"
wait_for test -f "$TG_DECISIONS"
wait_for log_has_lines 1
assert_eq "$U" "$(owner "$TG_DECISIONS")" "owner of the log the daemon recreated"
if grep "reopen failed" "$STATE/tollgated.log"; then fail "a decision log reopen failed"; fi

# ---- SIGTERM: the table and the control socket go ---------------------------------------------------
tg_stop
if gw nft list table inet tollgate >/dev/null 2>&1; then fail "table inet tollgate still present after stop"; fi
[[ ! -e $TG_SOCK ]] || fail "the control socket $TG_SOCK is still there after stop"
grep -q 'stopped' "$STATE/tollgated.log" || fail "the daemon did not log 'stopped'"
if grep -i 'cannot write' "$STATE/tollgated.log"; then fail "a directory was left unwritable"; fi
pass
