#!/usr/bin/env bash
# with-galera.sh CMD [ARG...]: runs CMD next to a throwaway three-node MariaDB Galera cluster.
#
# Each node has its own data directory, Unix socket, TCP port on 127.0.0.1 and Galera ports
# (gmcast.listen_addr, IST, rsync SST), all in one temporary directory under ${TMPDIR:-/tmp}.
# Node 1 bootstraps the cluster (--wsrep-new-cluster); nodes 2 and 3 join it by state transfer
# (rsync). The script waits until wsrep_cluster_size is 3 and every node is Synced, creates the
# database anydb_test and the user anydb (password anydb; replicated to every node), exports
#
#   ANYDB_TEST_GALERA_URIS       the three native URIs, space-separated
#                                (mariadb://anydb:anydb@127.0.0.1:PORT/anydb_test)
#   ANYDB_TEST_GALERA_SOCKETS    the three nodes' sockets, space-separated
#   ANYDB_TEST_GALERA_PORTS      the three TCP ports, space-separated
#
# runs CMD, then shuts the nodes down (3, 2, then 1) and removes the directory, whatever
# happened. Exits with CMD's status. When a binary or package is missing, or the cluster does
# not form within 90 s, prints one line "with-galera.sh: ...: <why>" (plus the log's tail) and
# exits 1: a missing cluster is a failure, never a silent skip.
set -euo pipefail

me=with-galera.sh
# shellcheck source=lib/with-server.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/with-server.sh"
GTMP=
PIDS=()

require_command "$@"

provider=/usr/lib/galera/libgalera_smm.so
[ -r "$provider" ] || die "cannot start Galera: $provider is missing (install the Debian package galera-4)"
for tool in mariadb-install-db mariadbd mariadb-admin mariadb rsync wsrep_sst_rsync; do
  command -v "$tool" >/dev/null 2>&1 || [ -x "/usr/sbin/$tool" ] ||
    die "cannot start Galera: $tool is missing (install the Debian packages mariadb-server, mariadb-client, galera-4 and rsync)"
done
mariadbd_bin=$(command -v mariadbd 2>/dev/null || echo /usr/sbin/mariadbd)

client() { mariadb --no-defaults -S "$GTMP/node$1.sock" -uroot "${@:2}"; }

stop_cluster() {
  local status=$?
  trap - EXIT INT TERM
  for ((n = ${#PIDS[@]}; n >= 1; n--)); do
    local pid=${PIDS[n - 1]}
    kill -0 "$pid" 2>/dev/null || continue
    mariadb-admin --no-defaults -S "$GTMP/node$n.sock" -uroot shutdown >/dev/null 2>&1 ||
      kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  [ -n "$GTMP" ] && [ -d "$GTMP" ] && [ -z "${ANYDB_KEEP_GALERA:-}" ] && rm -rf "$GTMP"
  exit "$status"
}
trap stop_cluster EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

GTMP=$(mktemp -d "${TMPDIR:-/tmp}/anydb-gal.XXXXXX") || die "cannot create a temporary directory under ${TMPDIR:-/tmp}"
watch_over "$GTMP"
[ "${#GTMP}" -le 80 ] || die "cannot start Galera: the temporary directory $GTMP is too long for a Unix socket path; set TMPDIR to a shorter one"

# As root the nodes run as the mysql user (Debian's mariadb-server creates it), never as root:
# the rsync daemon that receives a state transfer drops a root caller's rights to nobody's,
# which could not write into a root-owned directory.
user_args=()
if [ "$(id -u)" = 0 ]; then
  id mysql >/dev/null 2>&1 || die "cannot start Galera: the user mysql is missing (install the Debian package mariadb-server)"
  user_args=(--user=mysql)
  chown mysql:mysql "$GTMP"
fi

# Four ports per node (SQL, gmcast, IST, SST), all free when probed.
declare -a sql_port gcomm_port ist_port sst_port
for n in 1 2 3; do
  sql_port[n]=$(free_port) gcomm_port[n]=$(free_port) ist_port[n]=$(free_port) sst_port[n]=$(free_port)
done
cluster_address="gcomm://127.0.0.1:${gcomm_port[1]},127.0.0.1:${gcomm_port[2]},127.0.0.1:${gcomm_port[3]}"

start_node() {
  local n=$1
  shift
  mariadb-install-db --no-defaults --datadir="$GTMP/data$n" "${user_args[@]}" \
    --auth-root-authentication-method=normal --skip-test-db >"$GTMP/install$n.log" 2>&1 ||
    die "cannot start Galera node $n: mariadb-install-db failed" "$GTMP/install$n.log"
  # innodb_autoinc_lock_mode 2 and ROW binlogs are what Galera requires; the InnoDB settings
  # match with-mariadb.sh (lock waits fail in 10 s, not 50).
  "$mariadbd_bin" --no-defaults "${user_args[@]}" --datadir="$GTMP/data$n" \
    --socket="$GTMP/node$n.sock" --pid-file="$GTMP/node$n.pid" \
    --port="${sql_port[n]}" --bind-address=127.0.0.1 --log-error="$GTMP/node$n.log" \
    --innodb-buffer-pool-size=64M --innodb-flush-log-at-trx-commit=0 --innodb-doublewrite=0 \
    --innodb-lock-wait-timeout=10 --max-connections=300 \
    --character-set-server=utf8mb4 --collation-server=utf8mb4_bin \
    --binlog-format=ROW --default-storage-engine=InnoDB --innodb-autoinc-lock-mode=2 \
    --wsrep-on=ON --wsrep-provider="$provider" --wsrep-cluster-name=anydb \
    --wsrep-cluster-address="$cluster_address" --wsrep-node-name="node$n" \
    --wsrep-node-address="127.0.0.1:${gcomm_port[n]}" \
    --wsrep-provider-options="gmcast.listen_addr=tcp://127.0.0.1:${gcomm_port[n]};ist.recv_addr=127.0.0.1:${ist_port[n]};gcache.size=64M" \
    --wsrep-sst-method=rsync --wsrep-sst-receive-address="127.0.0.1:${sst_port[n]}" \
    "$@" </dev/null >"$GTMP/node$n.out" 2>&1 &
  PIDS+=($!)
}

# Polls until node n answers and reports itself Synced, or fails after 90 s.
wait_synced() {
  local n=$1 state=
  for _ in $(seq 900); do
    state=$(client "$n" -N -e "SHOW STATUS LIKE 'wsrep_local_state_comment'" 2>/dev/null | cut -f2 || true)
    [ "$state" = Synced ] && return 0
    kill -0 "${PIDS[n - 1]}" 2>/dev/null || break
    sleep 0.1
  done
  die "cannot start Galera node $n: it is '${state:-not answering}' instead of Synced" "$GTMP/node$n.log"
}

start_node 1 --wsrep-new-cluster
wait_synced 1
for n in 2 3; do
  start_node "$n"
  wait_synced "$n"
done
size=$(client 1 -N -e "SHOW STATUS LIKE 'wsrep_cluster_size'" | cut -f2)
[ "$size" = 3 ] || die "the Galera cluster has $size nodes instead of 3" "$GTMP/node1.log"

client 1 >"$GTMP/setup.log" 2>&1 <<'EOF' ||
CREATE DATABASE anydb_test CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;
CREATE USER 'anydb'@'localhost' IDENTIFIED BY 'anydb';
CREATE USER 'anydb'@'127.0.0.1' IDENTIFIED BY 'anydb';
GRANT ALL ON anydb_test.* TO 'anydb'@'localhost';
GRANT ALL ON anydb_test.* TO 'anydb'@'127.0.0.1';
GRANT PROCESS ON *.* TO 'anydb'@'localhost';
GRANT PROCESS ON *.* TO 'anydb'@'127.0.0.1';
EOF
  die "cannot set up the test database: the mariadb client failed" "$GTMP/setup.log"
# The DDL replicates in total order; wait until every node has the user before handing over.
for n in 2 3; do
  for _ in $(seq 100); do
    client "$n" -N -e "SELECT 1 FROM mysql.user WHERE user = 'anydb' LIMIT 1" 2>/dev/null | grep -q 1 && break
    sleep 0.1
  done
done

uris=() sockets=() ports=()
for n in 1 2 3; do
  uris+=("mariadb://anydb:anydb@127.0.0.1:${sql_port[n]}/anydb_test")
  sockets+=("$GTMP/node$n.sock")
  ports+=("${sql_port[n]}")
done
export ANYDB_TEST_GALERA_URIS="${uris[*]}"
export ANYDB_TEST_GALERA_SOCKETS="${sockets[*]}"
export ANYDB_TEST_GALERA_PORTS="${ports[*]}"

status=0
"$@" <&0 &
child=$!
trap 'kill -TERM "$child" 2>/dev/null; wait "$child"; exit 143' TERM
trap 'kill -TERM "$child" 2>/dev/null; wait "$child"; exit 130' INT
wait "$child" || status=$?
exit "$status"
