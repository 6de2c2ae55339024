#!/usr/bin/env bash
# The documentation keeps up with the code: docs/man/tollgate.conf.5 is what tools/gen-man-conf
# makes of daemon/config/default.conf today; every option and command the binaries' --help
# lists is in tollgated(8) and tollgatectl(8); each man page renders without a groff warning;
# and each guide's "complete config" block is its example file (docs/examples/*.conf, which
# docs_examples.sh loads), with the list paths an installed router uses.
. "$(dirname "$0")/lib.sh"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
MAN=$ROOT/docs/man

# 1. The generated page is current.
"$ROOT/tools/gen-man-conf" --stdout >"$TMP/tollgate.conf.5"
diff -u "$MAN/tollgate.conf.5" "$TMP/tollgate.conf.5" >"$TMP/diff" ||
  fail "docs/man/tollgate.conf.5 is stale: run tools/gen-man-conf and commit it. $(head -40 "$TMP/diff")"

# 2. The hand-written pages name everything --help names.
[[ -x $TOLLGATED && -x $TOLLGATECTL ]] || skip "no binaries in $BUILD (make build)"
roff() { sed 's/-/\\-/g' <<<"$1"; }  # an option as the page spells it: \-\-check\-config
n=0
for opt in $("$TOLLGATED" --help | grep -oE '(^|[ [])--?[a-z][a-z-]*' | tr -d ' [' | sort -u); do
  grep -qF -- "$(roff "$opt")" "$MAN/tollgated.8" || fail "tollgated --help has $opt, tollgated.8 does not"
  n=$((n + 1))
done
assert_ge 4 "$n" "tollgated options checked"
n=0
for opt in $("$TOLLGATECTL" --help | grep -oE '(^|[ [])--?[a-z][a-z-]*' | tr -d ' [' | sort -u); do
  grep -qF -- "$(roff "$opt")" "$MAN/tollgatectl.8" || fail "tollgatectl --help has $opt, tollgatectl.8 does not"
  n=$((n + 1))
done
# Commands: the first word of each indented line of the usage ("  status ...", "  cache stats").
for cmd in $("$TOLLGATECTL" --help | sed -n 's/^  \([a-z][a-z]*\)\( \|$\).*/\1/p' | sort -u); do
  grep -qE "^\\.B $cmd( |\$)" "$MAN/tollgatectl.8" || fail "tollgatectl --help has '$cmd', tollgatectl.8 has no .B $cmd entry"
  n=$((n + 1))
done
assert_ge 12 "$n" "tollgatectl options and commands checked"

# 3. Each page renders cleanly.
if command -v man >/dev/null && command -v groff >/dev/null; then
  for page in "$MAN"/*.[0-9]; do
    MANWIDTH=80 man --warnings -l "$page" >/dev/null 2>"$TMP/err" || fail "man -l $page failed: $(cat "$TMP/err")"
    [[ ! -s $TMP/err ]] || fail "man --warnings -l $(basename "$page"): $(cat "$TMP/err")"
  done
else
  note "man or groff is missing (man-db, groff-base): rendering not checked"
fi

# 4. Guides: the block after "<!-- complete config: docs/examples/X.conf -->" is that file, its
# list paths made absolute (/etc/tollgate/lists/), as the file's own header tells an admin to.
n=0
for guide in "$ROOT"/docs/guides/*.md; do
  while IFS= read -r example; do
    awk -v ex="$example" '
      index($0, "<!-- complete config: " ex " -->") { want = 1; next }
      want && /^```/ { if (inside) exit; inside = 1; next }
      inside { print }' "$guide" >"$TMP/block"
    sed 's|^path = docs/examples/lists/|path = /etc/tollgate/lists/|' "$ROOT/$example" >"$TMP/expected"
    diff -u "$TMP/expected" "$TMP/block" >"$TMP/diff" ||
      fail "$(basename "$guide"): the complete config differs from $example: $(head -30 "$TMP/diff")"
    n=$((n + 1))
  done < <(sed -n 's/.*<!-- complete config: \(docs\/examples\/[^ ]*\) -->.*/\1/p' "$guide")
done
assert_ge 3 "$n" "complete configs in the guides checked"
pass
