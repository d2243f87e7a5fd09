#!/usr/bin/env bash
# galera_race_test.sh ANYDB: get-or-create raced on the same keys by threads spread over all
# three nodes of a real Galera cluster (scripts/with-galera.sh), through MariaDB Connector/ODBC
# and through the native backend; then, on every node, exactly one row per key and the same
# rows everywhere.
#
# A conflicting insert from another node fails certification at COMMIT with a deadlock (1213):
# anydb retries it as transient. Every URI carries a read timeout and every run --reconnect-for,
# so that a wait that never ends (seen with Galera: a worker blocked in mysql_stmt_execute while
# the server shows its connection idle) becomes a lost connection and a retry instead of a hang.
# The figures (keys, reconnects, seconds) are printed for docs/scaling.md.
set -euo pipefail

anydb=${1:?usage: galera_race_test.sh PATH-TO-anydb}
me=galera_race_test.sh
fail() { printf '%s: FAIL: %s\n' "$me" "$*" >&2; exit 1; }
[ -n "${ANYDB_TEST_GALERA_PORTS:-}" ] || fail "ANYDB_TEST_GALERA_PORTS is not set: run me inside scripts/with-galera.sh"
read -r -a ports <<<"$ANYDB_TEST_GALERA_PORTS"
read -r -a sockets <<<"$ANYDB_TEST_GALERA_SOCKETS"
[ "${#ports[@]}" = 3 ] || fail "expected three Galera nodes, got ${#ports[@]}"

multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || gcc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)
odbc_driver=${ANYDB_ODBC_DRIVER_DIR:-/usr/lib/$multiarch/odbc}/libmaodbc.so
[ -r "$odbc_driver" ] || fail "$odbc_driver is missing (install the Debian package odbc-mariadb)"

work=$(mktemp -d "${TMPDIR:-/tmp}/anydb-galera-test.XXXXXX")
trap 'rm -rf "$work"' EXIT
read_timeout=10

node_sql() { mariadb --no-defaults -S "${sockets[$1]}" -uroot -N anydb_test -e "$2"; }
native_uri() { printf 'mariadb://anydb:anydb@127.0.0.1:%s/anydb_test?read_timeout=%s' "${ports[$1]}" "$read_timeout"; }
odbc_uri() { printf 'odbc:DRIVER=%s;SERVER=127.0.0.1;PORT=%s;DATABASE=anydb_test;UID=anydb;PWD=anydb;READ_TIMEOUT=%s;WRITE_TIMEOUT=%s' "$odbc_driver" "${ports[$1]}" "$read_timeout" "$read_timeout"; }

# Every node: the row count, the distinct keys, and a checksum of the rows (id, key, writer),
# read after the node has applied everything committed before the read (wsrep_sync_wait).
check_nodes() {
  local table=$1 keys=$2 first= n line
  for n in 0 1 2; do
    line=$(node_sql "$n" "SET SESSION wsrep_sync_wait = 15; SELECT COUNT(*), COUNT(DISTINCT k), BIT_XOR(CRC32(CONCAT(id, ':', k, ':', IFNULL(name, '')))) FROM $table")
    read -r count distinct _ <<<"$line"
    [ "$count" = "$keys" ] || fail "$table on node $((n + 1)): $count rows, expected $keys"
    [ "$distinct" = "$keys" ] || fail "$table on node $((n + 1)): $distinct distinct keys in $count rows"
    if [ -z "$first" ]; then first=$line; elif [ "$line" != "$first" ]; then
      fail "$table: node $((n + 1)) holds other rows than node 1 ($line vs $first)"
    fi
  done
  printf '%s: %s: %s rows, one per key, the same on all three nodes\n' "$me" "$table" "$keys"
}

create_table() {
  node_sql 0 "CREATE TABLE $1 (id BIGINT AUTO_INCREMENT PRIMARY KEY, k BIGINT NOT NULL UNIQUE, name VARCHAR(40))"
}

# 1. MariaDB Connector/ODBC: one process, 12 threads over the three nodes (thread i on node
#    i mod 3), every key three times in a row, so that three threads on three nodes take it at
#    once.
keys=600
create_table goc_odbc
args=()
for k in $(seq 1 "$keys"); do args+=("$k" "$k" "$k"); done
started=$SECONDS
status=0
"$anydb" get-or-create --db "$(odbc_uri 0)" --db "$(odbc_uri 1)" --db "$(odbc_uri 2)" \
  --table goc_odbc --key k --set name=odbc --threads 12 --reconnect-for 60 "${args[@]}" \
  >"$work/odbc.out" 2>"$work/odbc.err" || status=$?
[ "$status" = 0 ] || { cat "$work/odbc.err" >&2; fail "ODBC run exited with $status"; }
created=$(grep -c ' True$' "$work/odbc.out" || true)
existing=$(grep -c ' False$' "$work/odbc.out" || true)
[ "$created" = "$keys" ] || fail "ODBC: $created keys reported created, expected exactly $keys"
[ "$existing" = $((2 * keys)) ] || fail "ODBC: $existing keys reported existing, expected $((2 * keys))"
printf '%s: ODBC: %s calls (%s keys x 3) on 12 threads over 3 nodes in %s s: %s created, %s existing; %s reconnects\n' \
  "$me" $((3 * keys)) "$keys" $((SECONDS - started)) "$created" "$existing" "$(grep -c 'reconnect' "$work/odbc.err" || true)"
check_nodes goc_odbc "$keys"

# 2. Native backend: three bulk processes at once (the shape of the run that hung), each with
#    4 threads over the three nodes in its own order, on the same 2,000 keys; every process
#    stores its own name, so that "created" can be checked against the row that was stored.
keys=2000
create_table goc_native
seq 1 "$keys" >"$work/keys.txt"
started=$SECONDS
pids=()
for p in 0 1 2; do
  "$anydb" get-or-create --db "$(native_uri "$p")" --db "$(native_uri $(((p + 1) % 3)))" \
    --db "$(native_uri $(((p + 2) % 3)))" --table goc_native --key k --integer-keys \
    --set "name=p$p" --threads 4 --reconnect-for 60 --keys-from "$work/keys.txt" --per-key \
    >"$work/native$p.out" 2>"$work/native$p.err" &
  pids+=($!)
done
for p in 0 1 2; do
  status=0
  wait "${pids[p]}" || status=$?
  [ "$status" = 0 ] || { cat "$work/native$p.err" >&2; fail "native process $p exited with $status"; }
done
total_created=0
for p in 0 1 2; do
  lines=$(grep -c -E ' (True|False)$' "$work/native$p.out" || true)
  [ "$lines" = "$keys" ] || fail "native process $p reported $lines keys, expected $keys"
  created=$(grep -c ' True$' "$work/native$p.out" || true)
  total_created=$((total_created + created))
  # Created is truthful: the keys this process says it created hold its name, and no others do.
  stored=$(node_sql "$p" "SET SESSION wsrep_sync_wait = 15; SELECT COUNT(*) FROM goc_native WHERE name = 'p$p'")
  [ "$stored" = "$created" ] || fail "native process $p reported $created created, but $stored rows carry its name"
done
[ "$total_created" = "$keys" ] || fail "native: $total_created keys reported created in all, expected exactly $keys"
reconnects=$(cat "$work"/native*.err | grep -c 'reconnected' || true)
printf '%s: native: 3 processes x %s keys x 4 threads over 3 nodes in %s s: %s created in all; %s reconnects\n' \
  "$me" "$keys" $((SECONDS - started)) "$total_created" "$reconnects"
check_nodes goc_native "$keys"
printf '%s: PASS\n' "$me"
