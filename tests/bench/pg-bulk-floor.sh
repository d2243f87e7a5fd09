#!/usr/bin/env bash
# pg-bulk-floor.sh BUILD_DIR [KEYS]: what the PostgreSQL server itself spends on the bulk sync of
# docs/benchmarks.md (KEYS keys, default 1,000,000, the even ones present), done three ways by
# psql instead of anydb, next to anydb's own run; for each, the wall-clock seconds and the CPU
# seconds of the server's processes. Run under scripts/with-databases.sh (it needs
# ANYDB_TEST_PG_URI and ANYDB_TEST_PG_SOCKET_DIR). The three ways:
#   - one statement: INSERT ... SELECT generate_series ... ON CONFLICT DO NOTHING, every key at
#     once (nothing is returned, no round trips: the inserts and key checks alone);
#   - COPY in chunks, what issue 15 suggested: per chunk of 500 keys, in one transaction, COPY
#     into a temporary staging table, INSERT ... SELECT ... ON CONFLICT DO NOTHING RETURNING *,
#     and a SELECT of the rows of the keys that were not inserted; two psql sessions, as the CLI
#     has two threads;
#   - anydb: `anydb get-or-create --batch 500 --threads 2 --integer-keys`.
set -euo pipefail
[ $# -ge 1 ] || { echo "usage: pg-bulk-floor.sh BUILD_DIR [KEYS]" >&2; exit 2; }
build=$1
keys=${2:-1000000}
pg=${ANYDB_TEST_PG_URI:?run under scripts/with-databases.sh}
: "${ANYDB_TEST_PG_SOCKET_DIR:?run under scripts/with-databases.sh}"
anydb="$build/bin/anydb"
[ -x "$anydb" ] || { echo "pg-bulk-floor.sh: $anydb is missing (build first)" >&2; exit 2; }
scratch=$(mktemp -d "${TMPDIR:-/tmp}/anydb-pg-floor.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
chunk=500

# shellcheck source=tests/bench/pg-server.sh
. "$(dirname "$0")/pg-server.sh"
reset_table() {  # the CLI's demo table with the even keys, made by the CLI itself
  psql "$pg" -qc 'DROP TABLE IF EXISTS mymodel' >/dev/null 2>&1
  seq 2 2 "$keys" >"$scratch/even.txt"
  "$anydb" get-or-create --backend postgresql --db "$pg" --keys-from "$scratch/even.txt" \
    --batch 500 --threads 2 --format json >/dev/null
  psql "$pg" -qc 'ANALYZE mymodel' >/dev/null  # as in run-benchmarks.sh
}
measure() {  # label, command...: runs the command on a fresh table, prints a table row
  local label=$1
  shift
  reset_table
  local before after started ended
  pg_server_settle
  before=$(pg_server_ticks)
  started=$(date +%s.%N)
  "$@"
  ended=$(date +%s.%N)
  pg_server_settle
  after=$(pg_server_ticks)
  local rows
  rows=$(psql "$pg" -Atc 'SELECT count(*) FROM mymodel')
  [ "$rows" = "$keys" ] || { echo "pg-bulk-floor.sh: $label left $rows rows, not $keys" >&2; exit 1; }
  awk -v l="$label" -v s="$started" -v e="$ended" -v b="$before" -v a="$after" \
    -v hz="$(getconf CLK_TCK)" 'BEGIN {printf "| %s | %.2f | %.2f |\n", l, e - s, (a - b) / hz}'
}

one_statement() {
  psql "$pg" -qc "INSERT INTO mymodel (my_id) SELECT generate_series(1, $keys)
                  ON CONFLICT (my_id) DO NOTHING" >/dev/null
}

# One psql script per session: the keys first..last in chunks.
copy_script() {  # first, last
  echo "CREATE TEMPORARY TABLE staging (my_id integer) ON COMMIT DELETE ROWS;"
  seq "$1" "$2" | awk -v n="$chunk" '
    (NR - 1) % n == 0 { print "BEGIN;"; print "COPY staging (my_id) FROM STDIN;" }
    { print }
    NR % n == 0 { flush() }
    END { if (NR % n != 0) flush() }
    function flush() {
      print "\\."
      print "INSERT INTO mymodel (my_id) SELECT my_id FROM staging ORDER BY my_id"
      print "  ON CONFLICT (my_id) DO NOTHING RETURNING *;"
      print "SELECT m.* FROM mymodel m JOIN staging s USING (my_id) WHERE m.xmin <> pg_current_xact_id()::xid;"
      print "COMMIT;"
    }'
}
copy_in_chunks() {
  psql "$pg" -q -v ON_ERROR_STOP=1 -f "$scratch/first.sql" >/dev/null &
  local first=$!
  psql "$pg" -q -v ON_ERROR_STOP=1 -f "$scratch/second.sql" >/dev/null
  wait "$first"
}
anydb_batched() {
  seq 1 "$keys" >"$scratch/all.txt"
  "$anydb" get-or-create --backend postgresql --db "$pg" --table mymodel --key my_id \
    --keys-from "$scratch/all.txt" --batch 500 --threads 2 --integer-keys --format json >/dev/null
}

copy_script 1 $((keys / 2)) >"$scratch/first.sql"
copy_script $((keys / 2 + 1)) "$keys" >"$scratch/second.sql"
echo "PostgreSQL bulk sync, $keys keys with the even ones present: wall-clock and server CPU seconds"
echo
echo "| how | seconds | server CPU s |"
echo "|---|---:|---:|"
for _ in 1 2; do
  measure "one statement (INSERT ... SELECT generate_series ... ON CONFLICT DO NOTHING)" one_statement
  measure "COPY into a staging table, INSERT ... SELECT ... RETURNING, SELECT; 500 keys a chunk, 2 sessions" copy_in_chunks
  measure "anydb get-or-create --batch 500 --threads 2 --integer-keys" anydb_batched
done
