#!/usr/bin/env bash
# with-postgres.sh CMD [ARG...]: runs CMD next to a throwaway PostgreSQL server.
#
# Creates a cluster in a temporary directory (under ${TMPDIR:-/tmp}), starts it on a free TCP
# port of 127.0.0.1 and on a Unix socket in that directory, creates the role anydb (password
# anydb) and the database anydb_test, exports
#
#   ANYDB_TEST_PG_URI         postgresql://anydb:anydb@127.0.0.1:PORT/anydb_test  (TCP, password)
#   ANYDB_TEST_PG_CONNINFO    the same database as a libpq keyword/value string, over the socket
#   ANYDB_TEST_PG_SOCKET_DIR  the socket directory
#   ANYDB_TEST_PG_ADMIN_URI   the superuser postgres over the socket (pg_terminate_backend, ...)
#   ANYDB_TEST_PG_PORT        the port
#   PGBIN                     the server's bin directory
#
# runs CMD, then stops the server (immediately) and removes the directory, whatever happened.
# Exits with CMD's status. When the PostgreSQL binaries are missing or the server does not
# start, prints one line "with-postgres.sh: ...: <why>" (plus the server log's tail) and exits 1:
# a missing database is a failure, never a silent skip.
#
# As root, the server runs as the user postgres (runuser); otherwise as the calling user.
# Set PGBIN to choose the server version; by default the newest /usr/lib/postgresql/*/bin.
set -euo pipefail

me=with-postgres.sh
# shellcheck source=lib/with-server.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/with-server.sh"
PGTMP=
AS=()

require_command "$@"

find_pgbin() {
  if [ -n "${PGBIN:-}" ]; then
    printf '%s\n' "$PGBIN"
    return
  fi
  local newest
  newest=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  if [ -n "$newest" ]; then
    printf '%s\n' "$newest"
  elif command -v initdb >/dev/null 2>&1; then
    dirname "$(command -v initdb)"
  fi
}

PGBIN=$(find_pgbin)
[ -n "$PGBIN" ] || die "cannot start PostgreSQL: no server binaries found (install the Debian package postgresql, or set PGBIN)"
for tool in initdb pg_ctl psql; do
  [ -x "$PGBIN/$tool" ] || die "cannot start PostgreSQL: $PGBIN/$tool is missing (install the Debian package postgresql, or set PGBIN)"
done

if [ "$(id -u)" = 0 ]; then
  id postgres >/dev/null 2>&1 || die "cannot start PostgreSQL as root: there is no user 'postgres' to run the server as"
  command -v runuser >/dev/null 2>&1 || die "cannot start PostgreSQL as root: runuser is missing"
  AS=(runuser -u postgres --)
fi

stop_server() {
  local status=$?
  trap - EXIT INT TERM
  if [ -n "$PGTMP" ] && [ -d "$PGTMP" ]; then
    if [ -f "$PGTMP/data/postmaster.pid" ]; then
      (cd "$PGTMP" && "${AS[@]}" "$PGBIN/pg_ctl" -D "$PGTMP/data" -m immediate -w stop) >/dev/null 2>&1 || true
    fi
    rm -rf "$PGTMP"
  fi
  exit "$status"
}
trap stop_server EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

PGTMP=$(mktemp -d "${TMPDIR:-/tmp}/anydb-pg.XXXXXX") || die "cannot create a temporary directory under ${TMPDIR:-/tmp}"
watch_over "$PGTMP"
# The server creates its socket here: its path must fit in a sockaddr_un (107 bytes).
[ "${#PGTMP}" -le 80 ] || die "cannot start PostgreSQL: the temporary directory $PGTMP is too long for a Unix socket path; set TMPDIR to a shorter one"
if [ "${#AS[@]}" -gt 0 ]; then
  chown postgres: "$PGTMP"
  "${AS[@]}" test -w "$PGTMP" || die "cannot start PostgreSQL: the user postgres cannot write to $PGTMP (is ${TMPDIR:-/tmp} closed to other users?)"
fi

# initdb: password (scram) over TCP, so that the credentials path is exercised; trust over the
# socket, for the superuser's administration. C locale, UTF-8: messages in English, no
# dependence on the locales the machine has.
(cd "$PGTMP" && "${AS[@]}" "$PGBIN/initdb" -D "$PGTMP/data" -U postgres --auth-local=trust \
  --auth-host=scram-sha-256 --no-sync -E UTF8 --no-locale) >"$PGTMP/initdb.log" 2>&1 ||
  die "cannot start PostgreSQL: initdb failed" "$PGTMP/initdb.log"

started=
for attempt in 1 2 3; do
  PORT=$(free_port) || die "cannot start PostgreSQL: no free TCP port found"
  conf="$PGTMP/data/postgresql.auto.conf"
  # The settings go into the cluster's own file, so that no path needs shell quoting.
  cat >"$conf" <<EOF
port = $PORT
listen_addresses = '127.0.0.1'
unix_socket_directories = '$PGTMP'
max_connections = 200
shared_buffers = 32MB
fsync = off
synchronous_commit = off
full_page_writes = off
EOF
  chown --reference="$PGTMP" "$conf" 2>/dev/null || true
  if (cd "$PGTMP" && "${AS[@]}" "$PGBIN/pg_ctl" -D "$PGTMP/data" -l "$PGTMP/server.log" -w -t 30 start) \
      >"$PGTMP/pg_ctl.log" 2>&1; then
    started=yes
    break
  fi
  # Another process may have taken the port between the probe and the start: try another one.
  grep -q 'could not bind\|Address already in use' "$PGTMP/server.log" 2>/dev/null || break
done
if [ -z "$started" ]; then
  why=$(grep -m 1 'FATAL\|could not' "$PGTMP/server.log" 2>/dev/null || true)
  die "cannot start PostgreSQL on port $PORT: ${why:-pg_ctl start failed}" "$PGTMP/server.log"
fi

psql_admin() {
  "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$PGTMP" -p "$PORT" -U postgres -d postgres "$@"
}
psql_admin -c "CREATE ROLE anydb LOGIN PASSWORD 'anydb'" -c "CREATE DATABASE anydb_test OWNER anydb" \
  >"$PGTMP/setup.log" 2>&1 || die "cannot set up the test database: psql failed" "$PGTMP/setup.log"

# The socket directory as a URI query value: percent-encode everything but the safe characters.
encode() {
  local text=$1 out= c i
  for ((i = 0; i < ${#text}; i++)); do
    c=${text:i:1}
    case "$c" in
      [A-Za-z0-9._~/-]) out+=$c ;;
      *) out+=$(printf '%%%02X' "'$c") ;;
    esac
  done
  printf '%s\n' "$out"
}

# For fault-injection tests: restarts the server in place (same port, same data), as an
# administrator would, while clients are connected.
cat >"$PGTMP/restart.sh" <<RESTART
#!/bin/sh
cd "$PGTMP" && exec ${AS[*]} "$PGBIN/pg_ctl" -D "$PGTMP/data" -l "$PGTMP/server.log" -m fast -w -t 30 restart >"$PGTMP/restart.log" 2>&1
RESTART
chmod +x "$PGTMP/restart.sh"

export PGBIN
export ANYDB_TEST_PG_RESTART="$PGTMP/restart.sh"
export ANYDB_TEST_PG_PORT="$PORT"
export ANYDB_TEST_PG_SOCKET_DIR="$PGTMP"
export ANYDB_TEST_PG_URI="postgresql://anydb:anydb@127.0.0.1:$PORT/anydb_test"
export ANYDB_TEST_PG_CONNINFO="host='$PGTMP' port=$PORT user=anydb password=anydb dbname=anydb_test"
export ANYDB_TEST_PG_ADMIN_URI="postgresql://postgres@/postgres?host=$(encode "$PGTMP")&port=$PORT"

# Not exec: the EXIT trap must stop the server afterwards. In the background (stdin kept) so
# that a TERM or INT to this script reaches the command and the server is stopped at once,
# instead of after the command has finished on its own.
status=0
"$@" <&0 &
child=$!
trap 'kill -TERM "$child" 2>/dev/null; wait "$child"; exit 143' TERM
trap 'kill -TERM "$child" 2>/dev/null; wait "$child"; exit 130' INT
wait "$child" || status=$?
exit "$status"
