#!/usr/bin/env bash
# pg-statistics.sh BUILD_DIR [KEYS]: the CLI's bulk sync on PostgreSQL against a table loaded a
# moment before, once without planner statistics (as autovacuum leaves it for up to a minute)
# and once after ANALYZE: how a 500-key look-up of GetOrCreate::many() is planned and how long
# it takes (EXPLAIN ANALYZE), then the sync of KEYS keys (default 100,000, the even ones
# present: `--batch 500 --threads 2 --integer-keys`) with the sequential scans it caused. The
# figures of docs/backends.md ("Batches on a freshly loaded table"). Run under
# scripts/with-databases.sh.
set -euo pipefail
[ $# -ge 1 ] || { echo "usage: pg-statistics.sh BUILD_DIR [KEYS]" >&2; exit 2; }
build=$1
keys=${2:-100000}
pg=${ANYDB_TEST_PG_URI:?run under scripts/with-databases.sh}
anydb="$build/bin/anydb"
[ -x "$anydb" ] || { echo "pg-statistics.sh: $anydb is missing (build first)" >&2; exit 2; }
# shellcheck source=tests/bench/pg-server.sh
. "$(dirname "$0")/pg-server.sh"
scratch=$(mktemp -d "${TMPDIR:-/tmp}/anydb-pg-statistics.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
seq 1 "$keys" >"$scratch/all.txt"
seq 2 2 "$keys" >"$scratch/even.txt"
lookup=$(seq 1001 1500 | paste -sd,)

scans() {  # sequential scans of mymodel so far and the rows they read
  pg_server_settle  # a session's counts reach the statistics when it ends
  psql "$pg" -Atc "SELECT seq_scan || ' ' || seq_tup_read FROM pg_stat_user_tables
                   WHERE relname = 'mymodel'"
}

echo "| table statistics | 500-key look-up planned as | look-up ms | sync of $keys keys, s | sequential scans | rows they read |"
echo "|---|---|---:|---:|---:|---:|"
for statistics in none analysed; do
  psql "$pg" -qc 'DROP TABLE IF EXISTS mymodel' >/dev/null 2>&1
  "$anydb" get-or-create --backend postgresql --db "$pg" --keys-from "$scratch/even.txt" \
    --batch 500 --threads 2 --format json >/dev/null
  [ "$statistics" = analysed ] && psql "$pg" -qc 'ANALYZE mymodel' >/dev/null
  plan=$(psql "$pg" -At -c "EXPLAIN ANALYZE SELECT * FROM mymodel WHERE my_id IN ($lookup)")
  node=$(printf '%s\n' "$plan" | head -1 | sed 's/  (cost.*//')
  lookup_ms=$(printf '%s\n' "$plan" | sed -n 's/^Execution Time: \([0-9.]*\) ms$/\1/p')
  read -r scans_before rows_before < <(scans)
  started=$(date +%s.%N)
  "$anydb" get-or-create --backend postgresql --db "$pg" --table mymodel --key my_id \
    --keys-from "$scratch/all.txt" --batch 500 --threads 2 --integer-keys --format json \
    >"$scratch/summary.json"
  ended=$(date +%s.%N)
  grep -q "\"created\":$((keys / 2)),\"errors\":0," "$scratch/summary.json" ||
    { echo "pg-statistics.sh: the sync went wrong: $(cat "$scratch/summary.json")" >&2; exit 1; }
  read -r scans_after rows_after < <(scans)
  awk -v st="$statistics" -v n="$node" -v l="$lookup_ms" -v s="$started" -v e="$ended" \
    -v sc=$((scans_after - scans_before)) -v r=$((rows_after - rows_before)) \
    'BEGIN {printf "| %s | %s | %.2f | %.2f | %d | %d |\n", st, n, l, e - s, sc, r}'
done
