#!/usr/bin/env bash
# Runs every *.spec in this directory through PostgreSQL's own isolationtester and through
# anydb-conformance --isolationtester-output, on the same server, and diffs the two outputs.
#
#   diff-against-isolationtester.sh ANYDB_CONFORMANCE [SPEC_DIR]
#
# Needs ANYDB_TEST_PG_URI and ANYDB_TEST_PG_CONNINFO (scripts/with-postgres.sh or
# scripts/with-databases.sh export both). ISOLATIONTESTER overrides the reference tool's path.
# Anything missing is a failure with its reason, never a skip.
set -u

conformance=${1:?usage: diff-against-isolationtester.sh ANYDB_CONFORMANCE [SPEC_DIR]}
spec_dir=${2:-$(dirname "$0")}
tester=${ISOLATIONTESTER:-/usr/lib/postgresql/15/lib/pgxs/src/test/isolation/isolationtester}

fail() { echo "diff-against-isolationtester: $*" >&2; exit 1; }

[ -x "$tester" ] || fail "PostgreSQL's isolationtester is missing at $tester (Debian package postgresql-client-15; scripts/install-deps.sh test installs it, or set ISOLATIONTESTER)"
[ -x "$conformance" ] || fail "$conformance is not an executable"
[ -n "${ANYDB_TEST_PG_URI:-}" ] || fail "ANYDB_TEST_PG_URI is not set (run under scripts/with-databases.sh)"
[ -n "${ANYDB_TEST_PG_CONNINFO:-}" ] || fail "ANYDB_TEST_PG_CONNINFO is not set (run under scripts/with-databases.sh)"

work=$(mktemp -d) || fail "cannot create a temporary directory"
trap 'rm -rf "$work"' EXIT

status=0
count=0
for spec in "$spec_dir"/*.spec; do
  [ -e "$spec" ] || fail "no *.spec in $spec_dir"
  name=$(basename "$spec" .spec)
  count=$((count + 1))
  if ! "$tester" "$ANYDB_TEST_PG_CONNINFO" <"$spec" >"$work/$name.expected" 2>"$work/$name.expected.err"; then
    echo "FAIL $name: isolationtester failed:" >&2
    cat "$work/$name.expected.err" >&2
    status=1
    continue
  fi
  if ! "$conformance" --backend postgresql --db "$ANYDB_TEST_PG_URI" \
      --isolationtester-output "$spec" >"$work/$name.out" 2>"$work/$name.err"; then
    echo "FAIL $name: anydb-conformance failed:" >&2
    cat "$work/$name.err" >&2
    status=1
  fi
  if diff -u --label "isolationtester $name" --label "anydb-conformance $name" \
      "$work/$name.expected" "$work/$name.out"; then
    echo "ok   $name ($(grep -c '^starting permutation' "$work/$name.expected") permutations, identical output)"
  else
    echo "FAIL $name: the outputs differ (above)" >&2
    status=1
  fi
done
echo "$count specs compared with $tester"
exit $status
