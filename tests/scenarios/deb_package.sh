#!/usr/bin/env bash
# The Debian package (tools/make-deb, `make deb`), built from this build's binaries: its control
# data, contents and conffile are right; the tollgated inside it accepts its own default config
# and every shipped example; each man page in it renders without a groff warning. Where a
# throwaway root can be made (unshare + overlayfs + chroot, as root), dpkg installs it there:
# the tollgate user and directories appear, an edited /etc/tollgate/tollgate.conf survives a
# reinstall and an upgrade, and a purge removes the data. The host is never touched.
. "$(dirname "$0")/lib.sh"
command -v dpkg-deb >/dev/null && command -v dpkg-shlibdeps >/dev/null ||
  skip "dpkg-deb or dpkg-shlibdeps is missing (dpkg-dev)"
command -v man >/dev/null && command -v groff >/dev/null || skip "man or groff is missing (man-db, groff-base)"
[[ -x $TOLLGATED && -x $TOLLGATECTL ]] || skip "no binaries in $BUILD (make build)"

TMP=$(mktemp -d /tmp/tollgate-deb-test.XXXXXX)
trap 'rm -rf "$TMP"' EXIT

# -n: the binaries already built (the scenario tier runs after `make build`), no rebuild.
deb=$("$ROOT/tools/make-deb" -n -b "$BUILD" -o "$TMP" 2>"$TMP/make-deb.log" | tail -1) ||
  fail "tools/make-deb: $(tail -20 "$TMP/make-deb.log")"
[[ -f $deb ]] || fail "tools/make-deb printed '$deb', which is not a file"

# ---- control data ------------------------------------------------------------------------------
info=$(dpkg-deb --info "$deb")
field() { dpkg-deb --field "$deb" "$1"; }
assert_eq tollgate "$(field Package)" "Package"
assert_eq "$(dpkg --print-architecture)" "$(field Architecture)" "Architecture"
assert_match '^[0-9]' "$(field Version)" "Version"
assert_match '(^|, )nftables(,|$)' "$(field Depends)" "Depends names nftables (the ruleset is loaded with nft)"
assert_match 'libc6' "$(field Depends)" "Depends has the shared-library dependencies (dpkg-shlibdeps)"
for script in postinst prerm postrm; do
  grep -q " $script " <<<"$info" || fail "no $script in the control archive: $info"
done
dpkg-deb --ctrl-tarfile "$deb" | tar -x -C "$TMP" ./conffiles ./postinst ./prerm ./postrm
assert_eq /etc/tollgate/tollgate.conf "$(grep -x /etc/tollgate/tollgate.conf "$TMP/conffiles")" \
  "the config is a conffile (dpkg never overwrites an edited copy)"
for script in postinst prerm postrm; do
  sh -n "$TMP/$script" || fail "$script: shell syntax error"
done

# ---- contents ----------------------------------------------------------------------------------
dpkg-deb --contents "$deb" | awk '{ print $1, $NF }' >"$TMP/contents"
has() {  # has MODE_PREFIX PATH_REGEX WHAT
  grep -Eq "^$1[^ ]* \\./$2\$" "$TMP/contents" || fail "$3: no ./$2 in the package: $(cat "$TMP/contents")"
}
has -rwx usr/sbin/tollgated "the daemon"
has -rwx usr/sbin/tollgatectl "the control tool"
has -rw- '(usr/)?lib/systemd/system/tollgated\.service' "the systemd unit"
has -rw- etc/tollgate/tollgate.conf "the default config"
has -rw- usr/share/man/man8/tollgated\.8\.gz "tollgated(8)"
has -rw- usr/share/man/man8/tollgatectl\.8\.gz "tollgatectl(8)"
has -rw- usr/share/man/man5/tollgate\.conf\.5\.gz "tollgate.conf(5)"
has -rw- usr/share/doc/tollgate/README\.md "the README"
nexamples=$(grep -c '^-rw-[^ ]* \./usr/share/doc/tollgate/docs/examples/[^/]*\.conf$' "$TMP/contents" || true)
assert_eq "$(ls "$ROOT"/docs/examples/*.conf | wc -l)" "$nexamples" "example configs in the package"
if grep -v '^d' "$TMP/contents" | grep -Ev '^-rw(x|-)r(-|w|x)' | grep -q .; then
  fail "files with odd modes: $(grep -v '^d' "$TMP/contents" | grep -Ev '^-rw(x|-)r')"
fi
owners=$(dpkg-deb --contents "$deb" | awk '{ print $2 }' | sort -u)
assert_eq root/root "$owners" "owner of every file"

# ---- what it ships works -----------------------------------------------------------------------
X=$TMP/root
dpkg-deb -x "$deb" "$X"
tg=$X/usr/sbin/tollgated
assert_match '^tollgated ' "$("$tg" --version)" "the packaged tollgated runs"
"$tg" --check-config -c "$X/etc/tollgate/tollgate.conf" >/dev/null 2>"$TMP/err" ||
  fail "the packaged default config: $(cat "$TMP/err")"
cmp -s "$X/etc/tollgate/tollgate.conf" <("$tg" --print-default-config) ||
  fail "the packaged /etc/tollgate/tollgate.conf differs from tollgated --print-default-config"
# The examples' list paths are relative (docs/examples/lists/...): checked from the doc root,
# as the examples tell an administrator to.
n=0
for f in "$X"/usr/share/doc/tollgate/docs/examples/*.conf; do
  name=docs/examples/$(basename "$f")
  case $name in
    */dnsmasq-*.conf)
      if command -v dnsmasq >/dev/null; then
        dnsmasq --test -C "$f" >"$TMP/err" 2>&1 || fail "dnsmasq --test -C $name: $(cat "$TMP/err")"
      fi ;;
    *)
      (cd "$X/usr/share/doc/tollgate" && "$tg" --check-config -c "$name") >/dev/null 2>"$TMP/err" ||
        fail "packaged tollgated --check-config -c $name: $(cat "$TMP/err")" ;;
  esac
  n=$((n + 1))
done
assert_ge 5 "$n" "packaged example files checked"
"$X/usr/sbin/tollgatectl" -c "$X/etc/tollgate/tollgate.conf" nft >"$TMP/nft" ||
  fail "packaged tollgatectl nft failed"
grep -q 'table inet tollgate' "$TMP/nft" || fail "tollgatectl nft printed no table: $(head "$TMP/nft")"
for page in man8/tollgated.8.gz man8/tollgatectl.8.gz man5/tollgate.conf.5.gz; do
  MANWIDTH=80 man --warnings -l "$X/usr/share/man/$page" >"$TMP/page" 2>"$TMP/err" ||
    fail "man -l $page failed: $(cat "$TMP/err")"
  [[ ! -s $TMP/err ]] || fail "man --warnings -l $page: $(cat "$TMP/err")"
  assert_ge 40 "$(wc -l <"$TMP/page")" "lines rendered for $page"
done

# ---- dpkg in a throwaway root --------------------------------------------------------------------
# An overlay over / in a private mount namespace: dpkg, useradd and the maintainer scripts run for
# real, and everything they write lands in a tmpfs that vanishes with the namespace.
if [[ $(id -u) -ne 0 ]] || ! unshare -m true 2>/dev/null; then
  note "no private mount namespace here: the dpkg install part is skipped"
  pass
fi
# The same package as an upgrade (a new version, and a changed default config).
dpkg-deb -R "$deb" "$TMP/next"
sed -i "s/^Version: .*/Version: $(field Version).1/" "$TMP/next/DEBIAN/control"
printf '# a comment added upstream in the next version\n' >>"$TMP/next/etc/tollgate/tollgate.conf"
dpkg-deb --root-owner-group -b "$TMP/next" "$TMP/next.deb" >/dev/null
cp "$deb" "$TMP/this.deb"
cat >"$TMP/inside.sh" <<'EOF'
set -e
dpkg -i /pkg/this.deb >/pkg/dpkg.log 2>&1
getent passwd tollgate >/dev/null || { echo "no tollgate user after install"; exit 1; }
for d in /var/lib/tollgate /var/cache/tollgate; do
  [ "$(stat -c %U "$d")" = tollgate ] || { echo "$d is not tollgate's"; exit 1; }
done
[ -x /usr/sbin/tollgated ] && [ -f /lib/systemd/system/tollgated.service ] || { echo "files missing"; exit 1; }
/usr/sbin/tollgated --check-config -c /etc/tollgate/tollgate.conf >/dev/null
echo "lan_interfaces = br-lan-edited" >/etc/tollgate/tollgate.conf
dpkg -i /pkg/this.deb >>/pkg/dpkg.log 2>&1
grep -qx "lan_interfaces = br-lan-edited" /etc/tollgate/tollgate.conf || { echo "reinstall overwrote the config"; exit 1; }
dpkg -i --force-confdef --force-confold /pkg/next.deb >>/pkg/dpkg.log 2>&1 </dev/null
grep -qx "lan_interfaces = br-lan-edited" /etc/tollgate/tollgate.conf || { echo "upgrade overwrote the config"; exit 1; }
[ -f /etc/tollgate/tollgate.conf.dpkg-dist ] || { echo "upgrade did not leave the new default as .dpkg-dist"; exit 1; }
dpkg --purge tollgate >>/pkg/dpkg.log 2>&1
[ ! -e /usr/sbin/tollgated ] && [ ! -e /etc/tollgate/tollgate.conf ] && [ ! -e /var/lib/tollgate ] ||
  { echo "purge left files behind"; exit 1; }
echo OK
EOF
cat >"$TMP/outside.sh" <<'EOF'
set -e
T=$1
mount -t tmpfs tmpfs "$T/ovl"
mkdir -p "$T/ovl/upper" "$T/ovl/work" "$T/ovl/merged"
mount -t overlay overlay -o "lowerdir=/,upperdir=$T/ovl/upper,workdir=$T/ovl/work" "$T/ovl/merged" ||
  { echo "SKIP: no overlayfs"; exit 0; }
for d in proc dev sys; do mount --rbind "/$d" "$T/ovl/merged/$d"; done
mkdir -p "$T/ovl/merged/pkg"
mount --bind "$T" "$T/ovl/merged/pkg"
# No service manager inside: the maintainer scripts must not reach the host's systemd.
mount -t tmpfs tmpfs "$T/ovl/merged/run"
chroot "$T/ovl/merged" sh /pkg/inside.sh
EOF
mkdir -p "$TMP/ovl"
result=$(unshare -m --propagation private sh "$TMP/outside.sh" "$TMP" 2>&1) ||
  fail "dpkg in a throwaway root: $result; $(tail -20 "$TMP/dpkg.log" 2>/dev/null)"
case $result in
  *SKIP:*) note "overlayfs is not available: the dpkg install part is skipped" ;;
  *OK) ;;
  *) fail "dpkg in a throwaway root: $result" ;;
esac
pass
