#!/usr/bin/env bash
# Runs the specs of this directory, whose expectations are wrong on purpose, on SQLite, and
# passes only when anydb-conformance fails, reporting every failure that a "# FAILS: text" line
# of a spec announces, and no other: an assertion that could never fail is caught here.
#
#   check-failing-specs.sh ANYDB_CONFORMANCE [SPEC_DIR]
set -u
conformance=${1:?usage: check-failing-specs.sh ANYDB_CONFORMANCE [SPEC_DIR]}
spec_dir=${2:-$(dirname "$0")}
fail() { echo "check-failing-specs: $*" >&2; exit 1; }
[ -x "$conformance" ] || fail "$conformance is not an executable"

work=$(mktemp -d) || fail "cannot create a temporary directory"
trap 'rm -rf "$work"' EXIT

filter=""
for spec in "$spec_dir"/*.spec; do
  name=$(basename "$spec" .spec)
  filter+="${filter:+:}Spec/${name//-/_}.*"
done
[ -n "$filter" ] || fail "no *.spec in $spec_dir"

"$conformance" --backend sqlite --db "$work/db.sqlite3" --specs "$spec_dir" \
  --gtest_filter="$filter" >"$work/out" 2>&1
status=$?
[ "$status" -ne 0 ] || { cat "$work/out"; fail "anydb-conformance passed specs that must fail"; }

announced=0
while IFS= read -r expected; do
  announced=$((announced + 1))
  if ! grep -qF -- "$expected" "$work/out"; then
    cat "$work/out"
    fail "expected a failure saying: $expected"
  fi
done < <(sed -n 's/^# FAILS: //p' "$spec_dir"/*.spec)
# gtest names a failed test twice (when it ends, and in the summary): count names.
failed=$(sed -n 's/^\[  FAILED  \] \(Spec\/[A-Za-z0-9_.]*\).*/\1/p' "$work/out" | sort -u | wc -l)
passed=$(grep -c '^\[       OK \] Spec/' "$work/out")
[ "$failed" -eq "$announced" ] ||
  { cat "$work/out"; fail "$failed permutations failed, $announced announced"; }
[ "$passed" -ge 1 ] || { cat "$work/out"; fail "the control permutation did not pass"; }
echo "ok: $announced wrong expectations failed as announced, $passed control permutation(s) passed"
