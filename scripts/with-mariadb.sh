#!/usr/bin/env bash
# with-mariadb.sh CMD [ARG...]: runs CMD next to a throwaway MariaDB server.
#
# Creates a data directory in a temporary directory (under ${TMPDIR:-/tmp}), starts mariadbd on
# a Unix socket in that directory and on a free TCP port of 127.0.0.1, creates the database
# anydb_test and the user anydb (password anydb, for localhost and 127.0.0.1), exports
#
#   ANYDB_TEST_MARIADB_SOCKET      the server's socket
#   ANYDB_TEST_MARIADB_PORT        the TCP port (127.0.0.1)
#   ANYDB_TEST_MARIADB_DATABASE    anydb_test
#   ANYDB_TEST_MARIADB_USER        anydb
#   ANYDB_TEST_MARIADB_PASSWORD    anydb
#   ANYDB_TEST_MARIADB_ADMIN_SOCKET_ARGS  "--no-defaults -S SOCKET -uroot" for the mariadb client
#   ANYDB_TEST_MARIADB_URI         mariadb://anydb:anydb@127.0.0.1:PORT/anydb_test (native backend)
#   ANYDB_TEST_MARIADB_ADMIN_URI   the same for root over the socket (KILL other sessions, ...)
#
# The user anydb also holds the global PROCESS privilege: the conformance runner's interleaving
# specs ask information_schema.innodb_trx which session waits for a lock, and InnoDB shows other
# sessions' transactions only to PROCESS holders.
#
# runs CMD, then shuts the server down and removes the directory, whatever happened. Exits
# with CMD's status. When the MariaDB binaries are missing or the server does not start, prints
# one line "with-mariadb.sh: ...: <why>" (plus the error log's tail) and exits 1: a missing
# database is a failure, never a silent skip.
#
# As root the server runs as root (--user=root): the directory is private to this run.
set -euo pipefail

me=with-mariadb.sh
# shellcheck source=lib/with-server.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/with-server.sh"
MTMP=
MPID=

require_command "$@"

for tool in mariadb-install-db mariadbd mariadb-admin mariadb; do
  command -v "$tool" >/dev/null 2>&1 || [ -x "/usr/sbin/$tool" ] ||
    die "cannot start MariaDB: $tool is missing (install the Debian packages mariadb-server and mariadb-client)"
done
mariadbd_bin=$(command -v mariadbd 2>/dev/null || echo /usr/sbin/mariadbd)

stop_server() {
  local status=$?
  trap - EXIT INT TERM
  if [ -n "$MPID" ] && kill -0 "$MPID" 2>/dev/null; then
    mariadb-admin --no-defaults -S "$MTMP/mysql.sock" -uroot shutdown >/dev/null 2>&1 ||
      kill -TERM "$MPID" 2>/dev/null || true
    # A server that does not stop within 30 s is killed: the directory must go either way.
    for _ in $(seq 300); do kill -0 "$MPID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$MPID" 2>/dev/null || true
    wait "$MPID" 2>/dev/null || true
  fi
  [ -n "$MTMP" ] && [ -d "$MTMP" ] && rm -rf "$MTMP"
  exit "$status"
}
trap stop_server EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

MTMP=$(mktemp -d "${TMPDIR:-/tmp}/anydb-my.XXXXXX") || die "cannot create a temporary directory under ${TMPDIR:-/tmp}"
watch_over "$MTMP"
[ "${#MTMP}" -le 80 ] || die "cannot start MariaDB: the temporary directory $MTMP is too long for a Unix socket path; set TMPDIR to a shorter one"

user_args=()
[ "$(id -u)" = 0 ] && user_args=(--user=root)

mariadb-install-db --no-defaults --datadir="$MTMP/data" "${user_args[@]}" \
  --auth-root-authentication-method=normal --skip-test-db >"$MTMP/install.log" 2>&1 ||
  die "cannot start MariaDB: mariadb-install-db failed" "$MTMP/install.log"

started=
for attempt in 1 2 3; do
  PORT=$(free_port) || die "cannot start MariaDB: no free TCP port found"
  : >"$MTMP/error.log"
  # innodb_lock_wait_timeout 10 s: a test that blocks on a lock fails in seconds, not in 50.
  # max_connections: the conformance races open 12 connections per test, the CLI tests 16.
  "$mariadbd_bin" --no-defaults "${user_args[@]}" --datadir="$MTMP/data" \
    --socket="$MTMP/mysql.sock" --pid-file="$MTMP/mysqld.pid" \
    --port="$PORT" --bind-address=127.0.0.1 --log-error="$MTMP/error.log" \
    --innodb-buffer-pool-size=64M --innodb-flush-log-at-trx-commit=0 --innodb-doublewrite=0 \
    --innodb-lock-wait-timeout=10 --max-connections=300 \
    --character-set-server=utf8mb4 --collation-server=utf8mb4_bin \
    </dev/null >"$MTMP/mariadbd.out" 2>&1 &
  MPID=$!
  for _ in $(seq 600); do
    mariadb-admin --no-defaults -S "$MTMP/mysql.sock" -uroot ping >/dev/null 2>&1 && { started=yes; break; }
    kill -0 "$MPID" 2>/dev/null || break
    sleep 0.05
  done
  [ -n "$started" ] && break
  kill -TERM "$MPID" 2>/dev/null || true
  wait "$MPID" 2>/dev/null || true
  MPID=
  # Another process may have taken the port between the probe and the start: try another one.
  grep -q 'Address already in use\|Do you already have another' "$MTMP/error.log" 2>/dev/null || break
done
if [ -z "$started" ]; then
  why=$(grep -m 1 '\[ERROR\]' "$MTMP/error.log" 2>/dev/null || true)
  die "cannot start MariaDB on port ${PORT:-?}: ${why:-the server did not answer within 30 s}" "$MTMP/error.log"
fi

mariadb --no-defaults -S "$MTMP/mysql.sock" -uroot >"$MTMP/setup.log" 2>&1 <<'EOF' ||
CREATE DATABASE anydb_test CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;
CREATE USER 'anydb'@'localhost' IDENTIFIED BY 'anydb';
CREATE USER 'anydb'@'127.0.0.1' IDENTIFIED BY 'anydb';
GRANT ALL ON anydb_test.* TO 'anydb'@'localhost';
GRANT ALL ON anydb_test.* TO 'anydb'@'127.0.0.1';
GRANT PROCESS ON *.* TO 'anydb'@'localhost';
GRANT PROCESS ON *.* TO 'anydb'@'127.0.0.1';
EOF
  die "cannot set up the test database: the mariadb client failed" "$MTMP/setup.log"

export ANYDB_TEST_MARIADB_SOCKET="$MTMP/mysql.sock"
export ANYDB_TEST_MARIADB_PORT="$PORT"
export ANYDB_TEST_MARIADB_DATABASE=anydb_test
export ANYDB_TEST_MARIADB_USER=anydb
export ANYDB_TEST_MARIADB_PASSWORD=anydb
export ANYDB_TEST_MARIADB_ADMIN_SOCKET_ARGS="--no-defaults -S $MTMP/mysql.sock -uroot"
export ANYDB_TEST_MARIADB_URI="mariadb://anydb:anydb@127.0.0.1:$PORT/anydb_test"
export ANYDB_TEST_MARIADB_ADMIN_URI="mariadb://root@localhost/anydb_test?unix_socket=$MTMP/mysql.sock"

# Not exec: the EXIT trap must stop the server afterwards. In the background (stdin kept) so
# that a TERM or INT to this script reaches the command and the server is stopped at once.
status=0
"$@" <&0 &
child=$!
trap 'kill -TERM "$child" 2>/dev/null; wait "$child"; exit 143' TERM
trap 'kill -TERM "$child" 2>/dev/null; wait "$child"; exit 130' INT
wait "$child" || status=$?
exit "$status"
