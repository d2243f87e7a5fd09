#!/usr/bin/env bash
# with-pg-standby.sh CMD [ARG...]: runs CMD next to a throwaway PostgreSQL primary and a
# synchronous hot standby that streams from it.
#
# The primary is made as by with-postgres.sh (initdb, role anydb with password anydb, database
# anydb_test) in a temporary directory of its own; the standby is a copy of it made with
# `pg_basebackup -R` (a physical replication slot, WAL streamed during the copy) in a second
# temporary directory. Each server listens on a free TCP port of 127.0.0.1 and on a Unix socket
# in its directory. The primary runs with
#
#   synchronous_standby_names = 'anydb_standby'   (the standby's application_name)
#   synchronous_commit        = remote_apply
#
# so that a COMMIT is acknowledged only once the standby has written, flushed AND replayed it:
# every acknowledged transaction is visible to a query on the standby, and survives the loss of
# the primary. remote_apply rather than `on` (remote flush) because tests count rows on the
# standby while the primary works, and because pausing replay (pg_wal_replay_pause) then holds
# every COMMIT deterministically. The standby runs with synchronous_standby_names empty, so that
# once promoted it commits on its own instead of waiting for a standby it does not have.
# fsync is off on both (a process crash loses nothing; a machine crash is not simulated).
#
# Waits until pg_stat_replication on the primary shows the standby streaming with
# sync_state = 'sync', then exports
#
#   ANYDB_TEST_PG_MULTI_URI          postgresql://anydb:anydb@127.0.0.1:P1,127.0.0.1:P2/anydb_test?target_session_attrs=read-write
#   ANYDB_TEST_PG_MULTI_CONNINFO     the same as a libpq keyword/value string (host=...,... port=P1,P2)
#   ANYDB_TEST_PG_PRIMARY_URI        postgresql://anydb:anydb@127.0.0.1:P1/anydb_test
#   ANYDB_TEST_PG_STANDBY_URI        postgresql://anydb:anydb@127.0.0.1:P2/anydb_test
#   ANYDB_TEST_PG_PRIMARY_ADMIN_URI  the superuser postgres over the primary's socket
#   ANYDB_TEST_PG_STANDBY_ADMIN_URI  the superuser postgres over the standby's socket
#   ANYDB_TEST_PG_PRIMARY_PORT, ANYDB_TEST_PG_STANDBY_PORT
#   ANYDB_TEST_PG_PRIMARY_SOCKET_DIR, ANYDB_TEST_PG_STANDBY_SOCKET_DIR
#   ANYDB_TEST_PG_PRIMARY_DATA, ANYDB_TEST_PG_STANDBY_DATA   the data directories (pg_ctl -D)
#   ANYDB_TEST_PG_KILL_PRIMARY       a script: `pg_ctl stop -m immediate` of the primary
#                                    (as the server's user), like a crash
#   ANYDB_TEST_PG_PROMOTE_STANDBY    a script: `pg_ctl promote -w` of the standby
#   ANYDB_TEST_PG_STANDBY_NAME       anydb_standby
#   PGBIN                            the servers' bin directory
#
# runs CMD, then stops both servers (immediately) and removes both directories, whatever
# happened. Exits with CMD's status. When a PostgreSQL binary is missing or a server does not
# start, prints one line "with-pg-standby.sh: ...: <why>" (plus a log's tail) and exits 1.
#
# As root, the servers run as the user postgres (runuser); otherwise as the calling user.
# Set PGBIN to choose the server version; by default the newest /usr/lib/postgresql/*/bin.
set -euo pipefail

me=with-pg-standby.sh
# shellcheck source=lib/with-server.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/with-server.sh"
standby_name=anydb_standby
PRIMARY=
STANDBY=
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
for tool in initdb pg_ctl psql pg_basebackup; do
  [ -x "$PGBIN/$tool" ] || die "cannot start PostgreSQL: $PGBIN/$tool is missing (install the Debian package postgresql, or set PGBIN)"
done

if [ "$(id -u)" = 0 ]; then
  id postgres >/dev/null 2>&1 || die "cannot start PostgreSQL as root: there is no user 'postgres' to run the servers as"
  command -v runuser >/dev/null 2>&1 || die "cannot start PostgreSQL as root: runuser is missing"
  AS=(runuser -u postgres --)
fi

stop_server() {  # DIR
  if [ -n "$1" ] && [ -f "$1/data/postmaster.pid" ]; then
    (cd "$1" && "${AS[@]}" "$PGBIN/pg_ctl" -D "$1/data" -m immediate -w stop) >/dev/null 2>&1 || true
  fi
}

stop_servers() {
  local status=$?
  trap - EXIT INT TERM
  # The standby first: stopped after the primary, it would spend its last moments reconnecting.
  stop_server "$STANDBY"
  stop_server "$PRIMARY"
  for dir in "$STANDBY" "$PRIMARY"; do
    if [ -n "$dir" ] && [ -d "$dir" ]; then rm -rf "$dir"; fi
  done
  exit "$status"
}
trap stop_servers EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

make_dir() {  # ROLE: prints the new directory
  local dir
  dir=$(mktemp -d "${TMPDIR:-/tmp}/anydb-pg-$1.XXXXXX") || die "cannot create a temporary directory under ${TMPDIR:-/tmp}"
  # The server creates its socket here: its path must fit in a sockaddr_un (107 bytes).
  [ "${#dir}" -le 80 ] || { rm -rf "$dir"; die "cannot start PostgreSQL: the temporary directory $dir is too long for a Unix socket path; set TMPDIR to a shorter one"; }
  if [ "${#AS[@]}" -gt 0 ]; then
    chown postgres: "$dir"
    "${AS[@]}" test -w "$dir" || { rm -rf "$dir"; die "cannot start PostgreSQL: the user postgres cannot write to $dir (is ${TMPDIR:-/tmp} closed to other users?)"; }
  fi
  printf '%s\n' "$dir"
}
PRIMARY=$(make_dir primary)
STANDBY=$(make_dir standby)

# Servers that outlive a wrapper killed with SIGKILL are stopped by a watchdog (see
# scripts/lib/with-server.sh).
watch_over "$STANDBY"
watch_over "$PRIMARY"

# Starts the server of DIR with the settings of DIR/data/postgresql.auto.conf plus the port,
# trying other ports if another process takes the chosen one first. Prints the port.
start_server() {  # DIR ROLE SETTINGS
  local dir=$1 role=$2 settings=$3 port conf="$1/data/postgresql.auto.conf"
  cp "$conf" "$dir/base.auto.conf"
  for _ in 1 2 3; do
    port=$(free_port) || die "cannot start the $role: no free TCP port found"
    # The settings go into the cluster's own file, so that no path needs shell quoting. The
    # last value of a setting wins, so these override what a copied primary file says.
    { cat "$dir/base.auto.conf"; printf '%s\nport = %s\n' "$settings" "$port"; } >"$conf"
    chown --reference="$dir" "$conf" 2>/dev/null || true
    if (cd "$dir" && "${AS[@]}" "$PGBIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start) \
        >"$dir/pg_ctl.log" 2>&1; then
      printf '%s\n' "$port"
      return
    fi
    grep -q 'could not bind\|Address already in use' "$dir/server.log" 2>/dev/null || break
  done
  local why
  why=$(grep -m 1 'FATAL\|could not' "$dir/server.log" 2>/dev/null || true)
  die "cannot start the PostgreSQL $role on port $port: ${why:-pg_ctl start failed}" "$dir/server.log"
}

# --- the primary ------------------------------------------------------------------------------
# Password (scram) over TCP for the test user; trust over the sockets, for the superuser's
# administration and for the standby's replication connection (initdb allows `local
# replication all` with the local method).
(cd "$PRIMARY" && "${AS[@]}" "$PGBIN/initdb" -D "$PRIMARY/data" -U postgres --auth-local=trust \
  --auth-host=scram-sha-256 --no-sync -E UTF8 --no-locale) >"$PRIMARY/initdb.log" 2>&1 ||
  die "cannot start the PostgreSQL primary: initdb failed" "$PRIMARY/initdb.log"

common_settings="listen_addresses = '127.0.0.1'
max_connections = 200
shared_buffers = 32MB
fsync = off
full_page_writes = off
wal_level = replica
max_wal_senders = 10
max_replication_slots = 10
hot_standby = on
wal_receiver_status_interval = 1s"

PRIMARY_PORT=$(start_server "$PRIMARY" primary "$common_settings
unix_socket_directories = '$PRIMARY'
synchronous_standby_names = '$standby_name'
synchronous_commit = remote_apply")

psql_on() {  # DIR PORT ARGS...
  local dir=$1 port=$2
  shift 2
  "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$dir" -p "$port" -U postgres -d postgres "$@"
}
# synchronous_commit local for the set-up only: the standby does not exist yet.
PGOPTIONS='-c synchronous_commit=local' psql_on "$PRIMARY" "$PRIMARY_PORT" \
  -c "CREATE ROLE anydb LOGIN PASSWORD 'anydb'" -c "CREATE DATABASE anydb_test OWNER anydb" \
  >"$PRIMARY/setup.log" 2>&1 || die "cannot set up the test database: psql failed" "$PRIMARY/setup.log"

# --- the standby ------------------------------------------------------------------------------
# -R writes standby.signal and primary_conninfo (with application_name, the name
# synchronous_standby_names waits for); -C -S a slot, so the primary keeps the WAL the standby
# has not received yet.
(cd "$STANDBY" && "${AS[@]}" "$PGBIN/pg_basebackup" \
  -d "host=$PRIMARY port=$PRIMARY_PORT user=postgres application_name=$standby_name" \
  -D "$STANDBY/data" -R -X stream -C -S "$standby_name" --no-sync -c fast) \
  >"$STANDBY/basebackup.log" 2>&1 ||
  die "cannot make the PostgreSQL standby: pg_basebackup failed" "$STANDBY/basebackup.log"
# The copy holds the primary's postgresql.auto.conf (its port and socket directory) followed by
# what -R added; start_server appends the standby's own values, which win.
STANDBY_PORT=$(start_server "$STANDBY" standby "$common_settings
unix_socket_directories = '$STANDBY'
synchronous_standby_names = ''")

state=
for _ in $(seq 1 300); do
  state=$(psql_on "$PRIMARY" "$PRIMARY_PORT" -At -c \
    "SELECT state || '/' || sync_state FROM pg_stat_replication WHERE application_name = '$standby_name'" \
    2>/dev/null || true)
  [ "$state" = "streaming/sync" ] && break
  sleep 0.1
done
[ "$state" = "streaming/sync" ] ||
  die "the standby did not become a synchronous streaming standby within 30 s (pg_stat_replication: ${state:-no row})" "$STANDBY/server.log"

# The socket directories as URI query values: percent-encode everything but the safe characters.
encode() {
  local text=$1 out='' c i
  for ((i = 0; i < ${#text}; i++)); do
    c=${text:i:1}
    case "$c" in
      [A-Za-z0-9._~/-]) out+=$c ;;
      *) out+=$(printf '%%%02X' "'$c") ;;
    esac
  done
  printf '%s\n' "$out"
}

# For failover tests: the primary crashes (immediate stop: no checkpoint, connections cut), the
# standby is promoted (pg_ctl waits until it accepts writes).
cat >"$PRIMARY/kill.sh" <<KILL
#!/bin/sh
cd "$PRIMARY" && exec ${AS[*]} "$PGBIN/pg_ctl" -D "$PRIMARY/data" -m immediate -w -t 30 stop >"$PRIMARY/kill.log" 2>&1
KILL
cat >"$STANDBY/promote.sh" <<PROMOTE
#!/bin/sh
cd "$STANDBY" && exec ${AS[*]} "$PGBIN/pg_ctl" -D "$STANDBY/data" -w -t 60 promote >"$STANDBY/promote.log" 2>&1
PROMOTE
chmod +x "$PRIMARY/kill.sh" "$STANDBY/promote.sh"

export PGBIN
export ANYDB_TEST_PG_STANDBY_NAME="$standby_name"
export ANYDB_TEST_PG_PRIMARY_PORT="$PRIMARY_PORT"
export ANYDB_TEST_PG_STANDBY_PORT="$STANDBY_PORT"
export ANYDB_TEST_PG_PRIMARY_SOCKET_DIR="$PRIMARY"
export ANYDB_TEST_PG_STANDBY_SOCKET_DIR="$STANDBY"
export ANYDB_TEST_PG_PRIMARY_DATA="$PRIMARY/data"
export ANYDB_TEST_PG_STANDBY_DATA="$STANDBY/data"
export ANYDB_TEST_PG_KILL_PRIMARY="$PRIMARY/kill.sh"
export ANYDB_TEST_PG_PROMOTE_STANDBY="$STANDBY/promote.sh"
export ANYDB_TEST_PG_PRIMARY_URI="postgresql://anydb:anydb@127.0.0.1:$PRIMARY_PORT/anydb_test"
export ANYDB_TEST_PG_STANDBY_URI="postgresql://anydb:anydb@127.0.0.1:$STANDBY_PORT/anydb_test"
export ANYDB_TEST_PG_MULTI_URI="postgresql://anydb:anydb@127.0.0.1:$PRIMARY_PORT,127.0.0.1:$STANDBY_PORT/anydb_test?target_session_attrs=read-write"
export ANYDB_TEST_PG_MULTI_CONNINFO="host=127.0.0.1,127.0.0.1 port=$PRIMARY_PORT,$STANDBY_PORT user=anydb password=anydb dbname=anydb_test target_session_attrs=read-write"
primary_socket=$(encode "$PRIMARY")
standby_socket=$(encode "$STANDBY")
export ANYDB_TEST_PG_PRIMARY_ADMIN_URI="postgresql://postgres@/postgres?host=$primary_socket&port=$PRIMARY_PORT"
export ANYDB_TEST_PG_STANDBY_ADMIN_URI="postgresql://postgres@/postgres?host=$standby_socket&port=$STANDBY_PORT"

# Not exec: the EXIT trap must stop the servers afterwards. In the background (stdin kept) so
# that a TERM or INT to this script reaches the command and the servers are stopped at once.
status=0
"$@" <&0 &
child=$!
trap 'kill -TERM "$child" 2>/dev/null; wait "$child"; exit 143' TERM
trap 'kill -TERM "$child" 2>/dev/null; wait "$child"; exit 130' INT
wait "$child" || status=$?
exit "$status"
