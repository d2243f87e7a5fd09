#!/usr/bin/env bash
# run-benchmarks.sh [BUILD_DIR]: every benchmark of docs/benchmarks.md, in one go.
#
#   scripts/with-databases.sh tests/bench/run-benchmarks.sh build
#
# Prints the machine, then the anydb-bench tables for SQLite and (when ANYDB_TEST_PG_URI is set,
# as scripts/with-databases.sh does) PostgreSQL, (when ANYDB_TEST_MARIADB_URI is set) MariaDB
# against raw Connector/C and against the ODBC backend on the same server, the Google Benchmark micro-benchmarks, and the
# peak memory of `anydb get-or-create --keys-from` over 1,000,000 keys. About three minutes on
# two cores. Extra anydb-bench flags can be given in ANYDB_BENCH_FLAGS (e.g. "--repeat 5").
set -euo pipefail
build=${1:-build}
bin="$build/bin"
for program in anydb anydb-bench anydb-microbench; do
  [ -x "$bin/$program" ] || { echo "run-benchmarks.sh: $bin/$program is missing (build first)" >&2; exit 2; }
done
read -r -a extra <<<"${ANYDB_BENCH_FLAGS:-}"

echo "# anydb benchmarks"
echo
echo "- date: $(date '+%Y-%m-%d %H:%M %Z')"
echo "- cores: $(nproc); CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
echo "- load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo

echo "## SQLite"
"$bin/anydb-bench" --backend sqlite "${extra[@]}"
echo
if [ -n "${ANYDB_TEST_PG_URI:-}" ]; then
  echo "## PostgreSQL"
  "$bin/anydb-bench" --backend postgresql --db env:ANYDB_TEST_PG_URI "${extra[@]}"
  echo
fi
if [ -n "${ANYDB_TEST_MARIADB_URI:-}" ]; then
  echo "## MariaDB"
  "$bin/anydb-bench" --backend mariadb --db env:ANYDB_TEST_MARIADB_URI "${extra[@]}"
  echo
  if [ -n "${ANYDB_TEST_ODBC_MARIADB_URI:-}" ]; then
    echo "### MariaDB: native backend against ODBC (MariaDB Connector/ODBC), same server"
    "$bin/anydb-bench" --backend mariadb --db env:ANYDB_TEST_MARIADB_URI \
      --vs-backend odbc --vs-db env:ANYDB_TEST_ODBC_MARIADB_URI --strategies safe "${extra[@]}"
    echo
  fi
fi

echo "## Micro-benchmarks"
"$bin/anydb-microbench" --benchmark_min_time=0.2 2>&1 | grep -E '^(BM_|Benchmark|-)'
echo

echo "## 1,000,000 keys from a file (peak RSS)"
scratch=$(mktemp -d "${TMPDIR:-/tmp}/anydb-rss.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
seq 1 1000000 >"$scratch/keys.txt"
rss() {  # label, anydb arguments...
  local label=$1
  shift
  /usr/bin/time -f '%M' -o "$scratch/time" "$bin/anydb" get-or-create --keys-from "$scratch/keys.txt" \
    --format json "$@" >"$scratch/summary.json"
  printf '| %s | %s | %s KiB |\n' "$label" "$(cat "$scratch/summary.json")" "$(tail -n 1 "$scratch/time")"
}
echo "| run | summary (--format json) | peak RSS (/usr/bin/time) |"
echo "|---|---|---|"
rss "sqlite, --batch 500, all new" --db "$scratch/rss.sqlite3" --batch 500
rss "sqlite, no batching, all existing" --db "$scratch/rss.sqlite3"
if [ -n "${ANYDB_TEST_PG_URI:-}" ]; then
  rss "postgresql, --batch 500" --backend postgresql --db "$ANYDB_TEST_PG_URI" --batch 500
fi
