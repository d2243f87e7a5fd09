#!/usr/bin/env bash
# run-benchmarks.sh [--full] [--update-docs] [BUILD_DIR]: every figure of docs/benchmarks.md, in
# one go, as Markdown. With --update-docs the output also replaces the figures in
# docs/benchmarks.md (between its two "run-benchmarks.sh output" markers):
#
#   scripts/with-databases.sh tests/bench/run-benchmarks.sh --update-docs build
#
# Prints the machine, the load average and the date, then:
#   - anydb-bench for SQLite and (when ANYDB_TEST_PG_URI is set, as scripts/with-databases.sh
#     does) PostgreSQL: anydb against raw client code, then against SOCI; (when
#     ANYDB_TEST_MARIADB_URI is set) MariaDB against raw Connector/C and against the ODBC backend;
#   - client instructions per key (valgrind --tool=callgrind, one thread, only the measured work)
#     through anydb, raw code and SOCI: a created key and a hit;
#   - the Google Benchmark micro-benchmarks;
#   - load + first connection in a fresh process, anydb against libpq alone;
#   - the CLI's bulk sync (--keys-from, --batch 500, half the keys present): the CLI as it was
#     when issue 15 was filed (tests/bench/build-before.sh) against today's with keys sent as
#     text and as integers, keys/s, CPU and peak RSS; on PostgreSQL the server's CPU and the
#     same sync sent by psql (tests/bench/pg-bulk-floor.sh); on SQLite the instructions per key,
#     against raw sqlite3 code. 200,000 keys by default, 1,000,000 with --full.
# About ten minutes on two cores (--full: about one more). Extra anydb-bench flags can be given
# in ANYDB_BENCH_FLAGS (e.g. "--repeat 5").
set -euo pipefail
full=0
update_docs=0
while [ $# -gt 0 ]; do
  case $1 in
    --full) full=1 ;;
    --update-docs) update_docs=1 ;;
    -*) echo "usage: run-benchmarks.sh [--full] [--update-docs] [BUILD_DIR]" >&2; exit 2 ;;
    *) break ;;
  esac
  shift
done
build=${1:-build}
here=$(cd "$(dirname "$0")" && pwd)
docs=$(cd "$here/../.." && pwd)/docs/benchmarks.md
if [ "$update_docs" = 1 ]; then
  # Runs itself again without the flag, shows the output, and replaces what stands between the
  # two markers of docs/benchmarks.md with it.
  output=$(mktemp "${TMPDIR:-/tmp}/anydb-figures.XXXXXX")
  flags=()
  [ "$full" = 1 ] && flags+=(--full)
  "$0" "${flags[@]}" "$build" | tee "$output"
  awk -v figures="$output" '
    /^<!-- run-benchmarks.sh output begins -->$/ {print; while ((getline line < figures) > 0) print line; skip = 1; next}
    /^<!-- run-benchmarks.sh output ends -->$/ {skip = 0}
    !skip' "$docs" >"$docs.new"
  grep -q '^<!-- run-benchmarks.sh output ends -->$' "$docs.new" ||
    { echo "run-benchmarks.sh: the markers are missing from $docs" >&2; rm -f "$docs.new" "$output"; exit 1; }
  mv "$docs.new" "$docs"
  rm -f "$output"
  exit 0
fi
bin="$build/bin"
for program in anydb anydb-bench anydb-microbench anydb-connect-probe process-timer; do
  [ -x "$bin/$program" ] || { echo "run-benchmarks.sh: $bin/$program is missing (build first)" >&2; exit 2; }
done
read -r -a extra <<<"${ANYDB_BENCH_FLAGS:-}"
bulk_keys=200000
[ "$full" = 1 ] && bulk_keys=1000000
pg=${ANYDB_TEST_PG_URI:-}
scratch=$(mktemp -d "${TMPDIR:-/tmp}/anydb-bench.XXXXXX")
trap 'rm -rf "$scratch"' EXIT

load() { cut -d' ' -f1-3 /proc/loadavg; }
section() {  # title
  echo
  echo "### $1"
  echo
  echo "load average before: $(load)"
  echo
}

echo "### The machine and the run"
echo
echo "- command: \`scripts/with-databases.sh tests/bench/run-benchmarks.sh$([ "$full" = 1 ] && echo ' --full') --update-docs $build\`"
echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "- machine: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')), $(free -g | awk '/^Mem:/ {print $2}') GB RAM, $(. /etc/os-release && echo "$PRETTY_NAME")"
echo "- build: $(grep -m1 '^CMAKE_BUILD_TYPE:' "$build/CMakeCache.txt" | cut -d= -f2), $(grep -m1 '^CMAKE_CXX_COMPILER:' "$build/CMakeCache.txt" | cut -d= -f2 | xargs -r basename) $(c++ -dumpfullversion 2>/dev/null || true)"
echo "- SQLite $(sqlite3 --version 2>/dev/null | cut -d' ' -f1 || echo '?')$([ -n "$pg" ] && echo ", PostgreSQL $(psql "$pg" -Atc 'SHOW server_version' 2>/dev/null || echo '?')"), SOCI $(dpkg-query -W -f='${Version}' libsoci-dev 2>/dev/null || echo '?')"
echo "- load average at the start: $(load)"

bench() {  # anydb-bench arguments...
  "$bin/anydb-bench" "$@" "${extra[@]}"
}

section "SQLite: anydb against raw sqlite3"
bench --backend sqlite
soci_sections() {  # database label, anydb-bench arguments...
  local label=$1
  shift
  section "$label: anydb against SOCI, a statement per call (SOCI's documented idiom)"
  bench "$@" --baseline soci --workloads contended,bulk_sync --strategies safe,upsert
  section "$label: anydb against SOCI with every statement prepared once"
  bench "$@" --baseline soci-prepared --workloads contended,bulk_sync --strategies safe,upsert
}
soci_sections SQLite --backend sqlite
if [ -n "$pg" ]; then
  section "PostgreSQL: anydb against raw libpq"
  bench --backend postgresql --db env:ANYDB_TEST_PG_URI
  soci_sections PostgreSQL --backend postgresql --db env:ANYDB_TEST_PG_URI
fi
if [ -n "${ANYDB_TEST_MARIADB_URI:-}" ]; then
  section "MariaDB: anydb against raw Connector/C"
  bench --backend mariadb --db env:ANYDB_TEST_MARIADB_URI --strategies safe
  if [ -n "${ANYDB_TEST_ODBC_MARIADB_URI:-}" ]; then
    section "MariaDB: the native backend against the ODBC backend (Connector/ODBC), same server"
    bench --backend mariadb --db env:ANYDB_TEST_MARIADB_URI \
      --vs-backend odbc --vs-db env:ANYDB_TEST_ODBC_MARIADB_URI --strategies safe
  fi
fi

# --- instructions per key ---------------------------------------------------------------------
# One thread, 1,000 keys, strategy safe; only anydb::bench::work() is counted (the table's reset
# and preload are not). all_new: every key created; all_hits: every key found.
instructions() {  # side(anydb|raw|soci|soci-prepared), workload, anydb-bench arguments...
  local side=$1 workload=$2
  shift 2
  local only=$side baseline=()
  if [ "$side" != anydb ] && [ "$side" != raw ]; then
    only=raw
    baseline=(--baseline "$side")
  fi
  valgrind --tool=callgrind --callgrind-out-file="$scratch/callgrind.out" \
    --toggle-collect='anydb::bench::(anonymous namespace)::work(*' \
    "$bin/anydb-bench" --threads 1 --keys 1000 --repeat 1 --max-repeat 1 --min-time 0 \
    --only "$only" --workloads "$workload" --strategies safe "${baseline[@]}" "$@" \
    >/dev/null 2>"$scratch/valgrind.log" || { tail -5 "$scratch/valgrind.log" >&2; return 1; }
  awk '/^summary:/ {printf "%.0f", $2 / 1000}' "$scratch/callgrind.out"
  # Kept for the table of where a hit's instructions go.
  cp "$scratch/callgrind.out" "$scratch/callgrind.$side.$workload.$backend_label.out"
}
instruction_rows() {  # label, anydb-bench arguments...
  local label=$1
  backend_label=$label
  shift
  for workload in all_new all_hits; do
    local anydb raw soci prepared
    anydb=$(instructions anydb "$workload" "$@")
    raw=$(instructions raw "$workload" "$@")
    soci=$(instructions soci "$workload" "$@")
    prepared=$(instructions soci-prepared "$workload" "$@")
    awk -v l="$label" -v w="$workload" -v a="$anydb" -v r="$raw" -v s="$soci" -v p="$prepared" \
      'BEGIN {printf "| %s | %s | %d | %d | %d | %d | **%.3f** | %.3f | %.3f |\n", l, w == "all_new" ? "created" : "hit", a, r, s, p, a / r, a / s, a / p}'
  done
}
section "Client instructions per key (callgrind)"
echo "valgrind --tool=callgrind --toggle-collect='anydb::bench::(anonymous namespace)::work(*' on"
echo "\`anydb-bench --threads 1 --keys 1000 --strategies safe --workloads all_new|all_hits --only anydb|raw\`"
echo "(SOCI: \`--baseline soci|soci-prepared --only raw\`); instructions of the client process per key."
echo
echo "| database | key | anydb | raw | SOCI | SOCI prepared | anydb/raw | anydb/SOCI | anydb/SOCI prepared |"
echo "|---|---|---:|---:|---:|---:|---:|---:|---:|"
instruction_rows SQLite --backend sqlite
[ -n "$pg" ] && instruction_rows PostgreSQL --backend postgresql --db env:ANYDB_TEST_PG_URI

# Where a hit's instructions go: the self instructions of each object (library or program) in the
# same callgrind runs, per key. "the program" is anydb-bench: the caller's side for anydb, the
# whole hand-written code for raw.
layer_of() {  # callgrind output, object pattern (awk regex) -> instructions per key
  awk -f "$here/callgrind-layers.awk" "$1" |
    awk -F'\t' -v p="$2" '$1 ~ p {s += $2} END {printf "%.0f", s / 1000}'
}
echo
echo "Where a hit's client instructions go, per key (self instructions of each object):"
echo
echo "| object | SQLite anydb | SQLite raw | PostgreSQL anydb | PostgreSQL raw |"
echo "|---|---:|---:|---:|---:|"
for layer in "the database's client library|libsqlite3|libpq" "libc and libstdc++|libc[.]so|libstdc[+][+]" \
  "the anydb backend plugin|anydb-backend-" "libanydb (the core)|libanydb[.]so" \
  "the program (anydb-bench)|anydb-bench$" "all, with the dynamic linker and the rest|."; do
  name=${layer%%|*}
  pattern=${layer#*|}
  row="| $name"
  for label in SQLite PostgreSQL; do
    for side in anydb raw; do
      out="$scratch/callgrind.$side.all_hits.$label.out"
      if [ -f "$out" ]; then row+=" | $(layer_of "$out" "$pattern")"; else row+=" | n/a"; fi
    done
  done
  echo "$row |"
done

section "Micro-benchmarks"
"$bin/anydb-microbench" --benchmark_min_time=0.2 2>&1 | grep -E '^(BM_|Benchmark|-)'

# --- load + connect in a fresh process --------------------------------------------------------
# process-timer runs the variants of one table in turn, 100 rounds, so that they share the
# machine's load, and prints for each the median wall-clock and the median CPU (user + system)
# milliseconds of one whole process (exec, dynamic loading, connect, exit).
probe_rounds=100
start_row() {  # label, then its wall and CPU medians
  printf '| %s | %.2f | %.2f |\n' "$1" "$2" "$3"
}
probe_row() {  # label, libpq conninfo or -
  local label=$1 target=$2
  local -a raw anydb
  { read -r -a raw; read -r -a anydb; } < <("$bin/process-timer" "$probe_rounds" \
    -- "$bin/raw-pq-connect-probe" "$target" -- "$bin/anydb-connect-probe" postgresql "$target")
  awk -v l="$label" -v rw="${raw[0]}" -v rc="${raw[1]}" -v aw="${anydb[0]}" -v ac="${anydb[1]}" \
    'BEGIN {printf "| %s | %.2f | %.2f | %+.2f | %.2f | %.2f | %+.2f |\n", l, rw, aw, aw - rw, rc, ac, ac - rc}'
}
if [ -n "$pg" ] && [ -x "$bin/raw-pq-connect-probe" ] && [ -x "$bin/raw-pq-cxx-connect-probe" ] &&
  [ -x "$bin/process-timer" ]; then
  section "Load + first connection in a fresh process (PostgreSQL)"
  echo "Where a process that only starts spends its time (no connection: \`-\`). Median"
  echo "milliseconds per whole process over $probe_rounds rounds in which the rows take turns; *CPU* is"
  echo "user + system time of the process, steadier than wall-clock on a shared machine."
  echo
  echo "| process | wall ms | CPU ms |"
  echo "|---|---:|---:|"
  mapfile -t start < <("$bin/process-timer" "$probe_rounds" \
    -- /bin/true \
    -- "$bin/raw-pq-connect-probe" - \
    -- "$bin/raw-pq-cxx-connect-probe" - \
    -- "$bin/anydb-connect-probe" - - \
    -- "$bin/anydb-connect-probe" postgresql - \
    -- ANYDB_PROBE_PRELOAD=libpq.so.5 "$bin/anydb-connect-probe" postgresql - \
    -- LD_BIND_NOW=1 "$bin/anydb-connect-probe" postgresql -)
  labels=("\`/bin/true\`: exec and exit, the floor of any process"
    "\`raw-pq-connect-probe -\`: libpq and its libraries, linked"
    "\`raw-pq-cxx-connect-probe -\`: the same from a C++ program (and the C++ runtime)"
    "\`anydb-connect-probe - -\`: libanydb and the C++ runtime, no plugin"
    "\`anydb-connect-probe postgresql -\`: and the plugin with libpq and its libraries"
    "the same, libpq opened lazily before the plugin (\`ANYDB_PROBE_PRELOAD=libpq.so.5\`)"
    "the same, every library bound at load (\`LD_BIND_NOW=1\`)")
  for i in "${!labels[@]}"; do
    read -r -a figures <<<"${start[i]}"
    start_row "${labels[i]}" "${figures[0]}" "${figures[1]}"
  done
  echo
  echo "The first connection: the two probes take turns, $probe_rounds rounds; medians in ms."
  echo
  echo "| connection | libpq alone, wall | anydb, wall | anydb − libpq | libpq alone, CPU | anydb, CPU | anydb − libpq |"
  echo "|---|---:|---:|---:|---:|---:|---:|"
  probe_row "none (start, load the plugin, exit)" -
  [ -n "${ANYDB_TEST_PG_CONNINFO:-}" ] && probe_row "Unix socket, trust" "$ANYDB_TEST_PG_CONNINFO"
  probe_row "TCP, SCRAM-SHA-256" "$pg"
fi

# --- the CLI's bulk sync ----------------------------------------------------------------------
# Three rounds in which the CLI as it was when issue 15 was filed (built by build-before.sh from
# this repository's history), today's CLI with text keys and with integer keys take turns; the
# median of each. Every run is checked: half the keys created, half existing, no error.
section "Bulk sync with the CLI: $bulk_keys keys, half present"
seq 1 "$bulk_keys" >"$scratch/all.txt"
seq 2 2 "$bulk_keys" >"$scratch/even.txt"
before_bin=""
if "$here/build-before.sh" "$build/before-issue-15"; then
  before_bin="$build/before-issue-15/bin/anydb"
else
  echo "run-benchmarks.sh: the CLI of issue 15's start could not be built; its rows are left out" >&2
fi
echo "\`anydb get-or-create --table mymodel --key my_id --keys-from all.txt --batch 500 --threads 2"
echo "--format json\` after the even keys were loaded (not timed). *before*: the CLI, core and"
echo "plugins as they were when issue 15 was filed (commit 5635bdf, built by"
echo "\`tests/bench/build-before.sh\` into \`$build/before-issue-15\`), which sent every key as text;"
echo "*text*: today's, keys still sent as text; *integer*: today's with \`--integer-keys\` (the default"
echo "for the demo table). Wall-clock seconds, client CPU (user + system) and peak RSS from"
echo "\`/usr/bin/time\`; on PostgreSQL also the CPU its server processes spent on the run (the"
echo "postmaster's reaped children). The median of three rounds in which the variants take turns."
echo
echo "| database | CLI, keys | seconds | keys/s | client CPU s | server CPU s | peak RSS | before / this |"
echo "|---|---|---:|---:|---:|---:|---:|---:|"
# shellcheck source=tests/bench/pg-server.sh
. "$here/pg-server.sh"
server_cpu() {  # clock ticks of CPU the PostgreSQL server used so far, on PostgreSQL rows only
  [ "$measure_server" = 1 ] || return 0
  pg_server_settle
  pg_server_ticks
}
bulk_run() {  # program, reset-command, anydb arguments... ; prints "seconds cpu rss_kib server_cpu"
  local program=$1 reset=$2
  shift 2
  eval "$reset"
  "$bin/anydb" get-or-create --keys-from "$scratch/even.txt" --batch 500 --threads 2 "$@" \
    --format json >/dev/null
  # A table in use has statistics; one loaded a moment ago has none until autovacuum's next
  # round, and without them PostgreSQL plans a 500-key SELECT on a table of 10^4-10^5 rows as a
  # sequential scan (docs/backends.md).
  [ "$measure_server" = 1 ] && psql "$pg" -qc 'ANALYZE mymodel' >/dev/null
  local server_before server_after
  server_before=$(server_cpu)
  /usr/bin/time -f '%e %U %S %M' -o "$scratch/time" "$program" get-or-create --table mymodel \
    --key my_id --keys-from "$scratch/all.txt" --batch 500 --threads 2 --format json \
    "${bulk_flags[@]}" "$@" >"$scratch/summary.json"
  server_after=$(server_cpu)
  local half=$((bulk_keys / 2))
  grep -q "\"created\":$half,\"errors\":0,\"existing\":$half," "$scratch/summary.json" ||
    { echo "run-benchmarks.sh: bulk run went wrong: $(cat "$scratch/summary.json")" >&2; exit 1; }
  local ticks
  ticks=$(getconf CLK_TCK)
  awk -v s="${server_before:-}" -v e="${server_after:-}" -v hz="$ticks" '{
    printf "%s %.2f %s %s\n", $1, $2 + $3, $4, (s == "" ? "-" : sprintf("%.2f", (e - s) / hz)) }' \
    "$scratch/time"
}
median_of() {  # runs ("seconds cpu rss server" lines), field -> the median (of three)
  printf '%s' "$1" | awk -v f="$2" '{print $f}' | sort -n | sed -n 2p
}
bulk_row() {  # label, variant, runs, seconds of the before row or ""
  local seconds
  seconds=$(median_of "$3" 1)
  awk -v l="$1" -v v="$2" -v n="$bulk_keys" -v s="$seconds" -v c="$(median_of "$3" 2)" \
    -v m="$(printf '%s' "$3" | awk '{print $3}' | sort -n | tail -1)" \
    -v srv="$(median_of "$3" 4)" -v b="$4" 'BEGIN {
    ratio = (b == "" || v == "before") ? "" : sprintf("**%.2fx**", b / s);
    name = v == "before" ? "before (5635bdf), text" : "today, " v;
    printf "| %s | %s | %.2f | %.0f | %.2f | %s | %.1f MiB | %s |\n", l, name, s, n / s, c,
      (srv == "" || srv == "-" ? "-" : srv), m / 1024, ratio }'
}
bulk_rows() {  # label, reset-command, anydb arguments...
  local label=$1 reset=$2
  shift 2
  local before_runs="" text_runs="" typed_runs=""
  for _ in 1 2 3; do
    bulk_flags=()
    [ -n "$before_bin" ] && before_runs+="$(bulk_run "$before_bin" "$reset" "$@")"$'\n'
    text_runs+="$(bulk_run "$bin/anydb" "$reset" "$@")"$'\n'
    bulk_flags=(--integer-keys)
    typed_runs+="$(bulk_run "$bin/anydb" "$reset" "$@")"$'\n'
  done
  for runs in "$text_runs" "$typed_runs"; do
    [ "$(printf '%s' "$runs" | grep -c .)" = 3 ] || exit 1  # bulk_run said what went wrong
  done
  local before_seconds=""
  if [ -n "$before_bin" ]; then
    [ "$(printf '%s' "$before_runs" | grep -c .)" = 3 ] || exit 1
    before_seconds=$(median_of "$before_runs" 1)
    bulk_row "$label" before "$before_runs" ""
  fi
  bulk_row "$label" text "$text_runs" "$before_seconds"
  bulk_row "$label" integer "$typed_runs" "$before_seconds"
}
bulk_flags=()
measure_server=0
bulk_rows SQLite "rm -f '$scratch/bulk.sqlite3'*" --db "$scratch/bulk.sqlite3"
if [ -n "$pg" ]; then
  measure_server=1
  bulk_rows PostgreSQL "psql '$pg' -qc 'DROP TABLE IF EXISTS mymodel' >/dev/null 2>&1" \
    --backend postgresql --db "$pg"
fi

# The same sync counted in instructions (SQLite runs in the client, so its own work is counted
# too): one thread, the whole process under callgrind, split into SQLite's own instructions and
# the rest. It shows how far the ratio can go while SQLite does the same work.
if [ -n "$before_bin" ]; then
  counted_keys=100000
  seq 1 "$counted_keys" >"$scratch/counted.txt"
  seq 2 2 "$counted_keys" >"$scratch/counted-even.txt"
  sqlite_share() {  # callgrind output -> "instructions sqlite_instructions" per counted key
    awk -f "$here/callgrind-layers.awk" "$1" |
      awk -F'\t' -v n="$counted_keys" '{all += $2} $1 ~ /libsqlite3/ {own += $2}
        END {printf "%.0f %.0f\n", all / n, own / n}'
  }
  bulk_instructions() {  # program, anydb flags... ; prints "instructions sqlite_instructions" per key
    local program=$1
    shift
    rm -f "$scratch/counted.sqlite3"*
    "$bin/anydb" get-or-create --keys-from "$scratch/counted-even.txt" --batch 500 --threads 1 \
      --db "$scratch/counted.sqlite3" --format json >/dev/null
    valgrind --tool=callgrind --callgrind-out-file="$scratch/bulk.callgrind" "$program" \
      get-or-create --table mymodel --key my_id --keys-from "$scratch/counted.txt" --batch 500 \
      --threads 1 --db "$scratch/counted.sqlite3" --format json "$@" >/dev/null \
      2>"$scratch/valgrind.log" || { tail -5 "$scratch/valgrind.log" >&2; return 1; }
    sqlite_share "$scratch/bulk.callgrind"
  }
  # The batched workload of anydb-bench, half the keys present, through anydb and through raw
  # sqlite3 code that sends the same statements: only the measured work is counted.
  batched_instructions() {  # side (anydb|raw); prints "instructions sqlite_instructions" per key
    valgrind --tool=callgrind --callgrind-out-file="$scratch/batched.callgrind" \
      --toggle-collect='anydb::bench::(anonymous namespace)::work(*' \
      "$bin/anydb-bench" --backend sqlite --threads 1 --keys "$counted_keys" --batch 500 \
      --repeat 1 --max-repeat 1 --min-time 0 --only "$1" --workloads bulk_sync \
      --strategies batched >/dev/null 2>"$scratch/valgrind.log" ||
      { tail -5 "$scratch/valgrind.log" >&2; return 1; }
    sqlite_share "$scratch/batched.callgrind"
  }
  read -r before_all before_sqlite < <(bulk_instructions "$before_bin")
  read -r today_all today_sqlite < <(bulk_instructions "$bin/anydb" --integer-keys)
  read -r anydb_all anydb_sqlite < <(batched_instructions anydb)
  read -r raw_all raw_sqlite < <(batched_instructions raw)
  echo
  echo "The same sync on SQLite in instructions per key ($counted_keys keys, the even ones present, one"
  echo "thread, \`valgrind --tool=callgrind\`). The CLI rows count the whole process; the"
  echo "anydb-bench rows (\`--strategies batched --workloads bulk_sync --batch 500 --only anydb|raw\`)"
  echo "only the measured work, through anydb and through raw sqlite3 code sending the same"
  echo "statements. *SQLite's own* is libsqlite3's self instructions; *the rest* is the caller's"
  echo "code with libc and libstdc++ (which includes SQLite's own memory allocation)."
  echo
  echo "| what | instructions per key | SQLite's own | the rest | before / this |"
  echo "|---|---:|---:|---:|---:|"
  awk -v ba="$before_all" -v bs="$before_sqlite" -v ta="$today_all" -v ts="$today_sqlite" \
    -v aa="$anydb_all" -v as="$anydb_sqlite" -v ra="$raw_all" -v rs="$raw_sqlite" 'BEGIN {
    printf "| CLI before (5635bdf), text keys | %d | %d | %d | |\n", ba, bs, ba - bs;
    printf "| CLI today, integer keys | %d | %d | %d | **%.2fx** |\n", ta, ts, ta - ts, ba / ta;
    printf "| anydb-bench batched, anydb | %d | %d | %d | %.2fx |\n", aa, as, aa - as, ba / aa;
    printf "| anydb-bench batched, raw sqlite3 code | %d | %d | %d | %.2fx |\n", ra, rs, ra - rs, ba / ra }'
fi

# PostgreSQL's server: what the same sync costs it when psql sends it in one statement or in the
# COPY-into-staging shape, next to anydb's batches.
if [ -n "$pg" ]; then
  section "PostgreSQL: the server's own work on the bulk sync"
  echo "\`tests/bench/pg-bulk-floor.sh $build $bulk_keys\`: the same $bulk_keys keys, the even ones"
  echo "present and the table analysed, sent three ways; wall-clock seconds and the CPU seconds of"
  echo "the server's processes, two rounds. *One statement* is the server's inserts and key checks"
  echo "with nothing returned and no round trips; *COPY* is the shape issue 15 suggested, sent by"
  echo "two psql sessions."
  echo
  "$here/pg-bulk-floor.sh" "$build" "$bulk_keys" | tail -n +3
fi
echo
echo "load average at the end: $(load)"
