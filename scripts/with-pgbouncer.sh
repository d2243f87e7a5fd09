#!/usr/bin/env bash
# with-pgbouncer.sh CMD [ARG...]: runs CMD with PgBouncer, in transaction pooling mode, in front
# of the throwaway PostgreSQL server of with-postgres.sh. Run it inside with-postgres.sh (or
# with-databases.sh), whose variables it reads:
#
#   scripts/with-postgres.sh scripts/with-pgbouncer.sh ctest -L pgbouncer
#
# Writes a configuration into a temporary directory (under ${TMPDIR:-/tmp}): pool_mode =
# transaction and default_pool_size = 4, so that many client connections share fewer server
# sessions; the database anydb_test reached over the server's Unix socket; trust
# authentication of the role anydb. Starts PgBouncer on a free TCP port of 127.0.0.1 and on a
# Unix socket in that directory, exports
#
#   ANYDB_TEST_PGBOUNCER_URI       postgresql://anydb@127.0.0.1:PORT/anydb_test?pooler=transaction
#   ANYDB_TEST_PGBOUNCER_CONNINFO  the same as a libpq keyword/value string, over the socket
#                                  (host=DIR port=PORT user=anydb dbname=anydb_test pooler=transaction)
#   ANYDB_TEST_PGBOUNCER_RAW_URI   the URI without pooler=transaction (what fails through it)
#   ANYDB_TEST_PGBOUNCER_PORT      the port
#   ANYDB_TEST_PGBOUNCER_POOL_SIZE the server sessions per database and user (4)
#
# runs CMD, then stops PgBouncer and removes the directory, whatever happened. Exits with CMD's
# status. A missing pgbouncer binary, a missing with-postgres.sh environment or a PgBouncer that
# does not start fails with one line "with-pgbouncer.sh: ...: <why>" and exit status 1.
#
# As root, PgBouncer runs as the user postgres (it refuses to run as root).
set -euo pipefail

me=with-pgbouncer.sh
# shellcheck source=lib/with-server.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/with-server.sh"
BOUNCER_TMP=
AS=()
pool_size=4

require_command "$@"

PGBOUNCER=${PGBOUNCER:-$(command -v pgbouncer || true)}
[ -n "$PGBOUNCER" ] || [ ! -x /usr/sbin/pgbouncer ] || PGBOUNCER=/usr/sbin/pgbouncer
[ -n "$PGBOUNCER" ] && [ -x "$PGBOUNCER" ] ||
  die "cannot start PgBouncer: no pgbouncer binary found (install the Debian package pgbouncer)"
for variable in ANYDB_TEST_PG_SOCKET_DIR ANYDB_TEST_PG_PORT; do
  [ -n "${!variable:-}" ] ||
    die "cannot start PgBouncer: $variable is not set (run this inside scripts/with-postgres.sh)"
done

if [ "$(id -u)" = 0 ]; then
  id postgres >/dev/null 2>&1 || die "cannot start PgBouncer as root: there is no user 'postgres' to run it as"
  command -v runuser >/dev/null 2>&1 || die "cannot start PgBouncer as root: runuser is missing"
  AS=(runuser -u postgres --)
fi

stop_bouncer() {
  local status=$?
  trap - EXIT INT TERM
  if [ -n "$BOUNCER_TMP" ] && [ -d "$BOUNCER_TMP" ]; then
    if [ -s "$BOUNCER_TMP/pgbouncer.pid" ]; then
      local pid
      pid=$(cat "$BOUNCER_TMP/pgbouncer.pid")
      kill -TERM "$pid" 2>/dev/null || true
      # PgBouncer exits at once on TERM; wait for it so that its socket is gone with the
      # directory (at most 5 s, then KILL).
      for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -KILL "$pid" 2>/dev/null || true
    fi
    rm -rf "$BOUNCER_TMP"
  fi
  exit "$status"
}
trap stop_bouncer EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

BOUNCER_TMP=$(mktemp -d "${TMPDIR:-/tmp}/anydb-pgb.XXXXXX") || die "cannot create a temporary directory under ${TMPDIR:-/tmp}"
watch_over "$BOUNCER_TMP"
[ "${#BOUNCER_TMP}" -le 80 ] || die "cannot start PgBouncer: the temporary directory $BOUNCER_TMP is too long for a Unix socket path; set TMPDIR to a shorter one"
if [ "${#AS[@]}" -gt 0 ]; then
  chown postgres: "$BOUNCER_TMP"
  "${AS[@]}" test -w "$BOUNCER_TMP" || die "cannot start PgBouncer: the user postgres cannot write to $BOUNCER_TMP (is ${TMPDIR:-/tmp} closed to other users?)"
fi

# The role anydb reaches the server over its socket, where with-postgres.sh trusts local
# connections; PgBouncer trusts its clients likewise (auth_file lists who may connect).
printf '"anydb" ""\n"postgres" ""\n' >"$BOUNCER_TMP/users.txt"
started=
for attempt in 1 2 3; do
  PORT=$(free_port) || die "cannot start PgBouncer: no free TCP port found"
  cat >"$BOUNCER_TMP/pgbouncer.ini" <<EOF2
[databases]
anydb_test = host=$ANYDB_TEST_PG_SOCKET_DIR port=$ANYDB_TEST_PG_PORT dbname=anydb_test
postgres = host=$ANYDB_TEST_PG_SOCKET_DIR port=$ANYDB_TEST_PG_PORT dbname=postgres

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $PORT
unix_socket_dir = $BOUNCER_TMP
auth_type = trust
auth_file = $BOUNCER_TMP/users.txt
pool_mode = transaction
default_pool_size = $pool_size
max_client_conn = 200
logfile = $BOUNCER_TMP/pgbouncer.log
pidfile = $BOUNCER_TMP/pgbouncer.pid
EOF2
  chown --reference="$BOUNCER_TMP" "$BOUNCER_TMP"/* 2>/dev/null || true
  if (cd "$BOUNCER_TMP" && "${AS[@]}" "$PGBOUNCER" -d "$BOUNCER_TMP/pgbouncer.ini") >"$BOUNCER_TMP/start.log" 2>&1; then
    # -d returns once it has forked; ready when its TCP port accepts connections.
    for _ in $(seq 100); do
      if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then
        started=yes
        break
      fi
      [ -s "$BOUNCER_TMP/pgbouncer.pid" ] && ! kill -0 "$(cat "$BOUNCER_TMP/pgbouncer.pid")" 2>/dev/null && break
      sleep 0.05
    done
  fi
  [ -n "$started" ] && break
  # Another process may have taken the port between the probe and the start: try another one.
  grep -q 'Address already in use' "$BOUNCER_TMP/pgbouncer.log" 2>/dev/null || break
done
if [ -z "$started" ]; then
  why=$(grep -m 1 'FATAL\|ERROR' "$BOUNCER_TMP/pgbouncer.log" "$BOUNCER_TMP/start.log" 2>/dev/null || true)
  die "cannot start PgBouncer on port $PORT: ${why:-it did not accept connections}" "$BOUNCER_TMP/pgbouncer.log"
fi

export ANYDB_TEST_PGBOUNCER_PORT="$PORT"
export ANYDB_TEST_PGBOUNCER_POOL_SIZE="$pool_size"
export ANYDB_TEST_PGBOUNCER_RAW_URI="postgresql://anydb@127.0.0.1:$PORT/anydb_test"
export ANYDB_TEST_PGBOUNCER_URI="$ANYDB_TEST_PGBOUNCER_RAW_URI?pooler=transaction"
export ANYDB_TEST_PGBOUNCER_CONNINFO="host='$BOUNCER_TMP' port=$PORT user=anydb dbname=anydb_test pooler=transaction"

# As with-postgres.sh: in the background, so that TERM or INT reaches the command at once.
status=0
"$@" <&0 &
child=$!
trap 'kill -TERM "$child" 2>/dev/null; wait "$child"; exit 143' TERM
trap 'kill -TERM "$child" 2>/dev/null; wait "$child"; exit 130' INT
wait "$child" || status=$?
exit "$status"
