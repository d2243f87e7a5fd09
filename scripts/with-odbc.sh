#!/usr/bin/env bash
# with-odbc.sh CMD [ARG...]: runs CMD with the ODBC drivers for SQLite, PostgreSQL and MariaDB
# set up in a private unixODBC configuration. Never reads or edits /etc/odbc*.ini.
#
# Runs inside with-postgres.sh and with-mariadb.sh (it needs ANYDB_TEST_PG_PORT and
# ANYDB_TEST_MARIADB_SOCKET). Writes odbcinst.ini (drivers anydb-sqlite, anydb-postgresql,
# anydb-mariadb) and odbc.ini (DSNs of the same names) into a temporary directory, exports
#
#   ODBCSYSINI, ODBCINI                 that directory and its odbc.ini (unixODBC reads only them)
#   ANYDB_TEST_ODBC_SQLITE_URI          odbc:DRIVER=<.so>;Database=<tmp>/odbc.sqlite3
#   ANYDB_TEST_ODBC_PG_URI              odbc:DRIVER=<psqlodbcw.so>;Servername=127.0.0.1;Port=..;...
#   ANYDB_TEST_ODBC_MARIADB_URI         odbc:DRIVER=<libmaodbc.so>;SERVER=localhost;SOCKET=..;...
#   ANYDB_TEST_ODBC_SQLITE_DSN, ANYDB_TEST_ODBC_PG_DSN, ANYDB_TEST_ODBC_MARIADB_DSN
#                                       the DSN names (for "odbc:NAME" and "odbc:DSN=NAME;...")
#   ANYDB_TEST_ODBC_DIR                 the temporary directory
#
# runs CMD and removes the directory afterwards. Exits with CMD's status. When a driver library
# or a server variable is missing, prints one line "with-odbc.sh: ..." and exits 1.
set -euo pipefail

me=with-odbc.sh
# shellcheck source=lib/with-server.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/with-server.sh"
ODBCTMP=

require_command "$@"

[ -n "${ANYDB_TEST_PG_PORT:-}" ] ||
  die "ANYDB_TEST_PG_PORT is not set: run me inside scripts/with-postgres.sh (or scripts/with-databases.sh)"
[ -n "${ANYDB_TEST_MARIADB_SOCKET:-}" ] ||
  die "ANYDB_TEST_MARIADB_SOCKET is not set: run me inside scripts/with-mariadb.sh (or scripts/with-databases.sh)"

# The Debian packages put the drivers here; ANYDB_ODBC_DRIVER_DIR overrides it.
driver_dir=${ANYDB_ODBC_DRIVER_DIR:-}
if [ -z "$driver_dir" ]; then
  multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || gcc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)
  driver_dir=/usr/lib/$multiarch/odbc
fi
sqlite_driver=$driver_dir/libsqlite3odbc.so
pg_driver=$driver_dir/psqlodbcw.so
mariadb_driver=$driver_dir/libmaodbc.so
for pair in "$sqlite_driver:libsqliteodbc" "$pg_driver:odbc-postgresql" "$mariadb_driver:odbc-mariadb"; do
  file=${pair%:*}
  package=${pair##*:}
  [ -f "$file" ] || die "ODBC driver $file is missing (install the Debian package $package)"
done
command -v odbcinst >/dev/null 2>&1 || die "odbcinst is missing (install the Debian package unixodbc)"

cleanup() {
  local status=$?
  trap - EXIT INT TERM
  [ -n "$ODBCTMP" ] && [ -d "$ODBCTMP" ] && rm -rf "$ODBCTMP"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

ODBCTMP=$(mktemp -d "${TMPDIR:-/tmp}/anydb-odbc.XXXXXX") || die "cannot create a temporary directory under ${TMPDIR:-/tmp}"
watch_over "$ODBCTMP"

cat >"$ODBCTMP/odbcinst.ini" <<EOF
[ODBC]
Pooling = No

[anydb-sqlite]
Description = SQLite 3 (sqliteodbc)
Driver = $sqlite_driver
Threading = 2

[anydb-postgresql]
Description = PostgreSQL Unicode (psqlODBC)
Driver = $pg_driver
Threading = 2

[anydb-mariadb]
Description = MariaDB Connector/ODBC
Driver = $mariadb_driver
Threading = 2
EOF

sqlite_file=$ODBCTMP/odbc.sqlite3
pg_host=127.0.0.1
pg_port=$ANYDB_TEST_PG_PORT
my_socket=$ANYDB_TEST_MARIADB_SOCKET

cat >"$ODBCTMP/odbc.ini" <<EOF
[anydb_sqlite]
Driver = anydb-sqlite
Database = $sqlite_file

[anydb_postgresql]
Driver = anydb-postgresql
Servername = $pg_host
Port = $pg_port
Database = anydb_test
Username = anydb
Password = anydb

[anydb_mariadb]
Driver = anydb-mariadb
SERVER = localhost
SOCKET = $my_socket
DATABASE = anydb_test
USER = anydb
PASSWORD = anydb
EOF

export ODBCSYSINI=$ODBCTMP
export ODBCINI=$ODBCTMP/odbc.ini
export ANYDB_TEST_ODBC_DIR=$ODBCTMP
export ANYDB_TEST_ODBC_SQLITE_URI="odbc:DRIVER=$sqlite_driver;Database=$sqlite_file"
export ANYDB_TEST_ODBC_PG_URI="odbc:DRIVER=$pg_driver;Servername=$pg_host;Port=$pg_port;Database=anydb_test;UID=anydb;PWD=anydb"
export ANYDB_TEST_ODBC_MARIADB_URI="odbc:DRIVER=$mariadb_driver;SERVER=localhost;SOCKET=$my_socket;DATABASE=anydb_test;UID=anydb;PWD=anydb"
export ANYDB_TEST_ODBC_SQLITE_DSN=anydb_sqlite
export ANYDB_TEST_ODBC_PG_DSN=anydb_postgresql
export ANYDB_TEST_ODBC_MARIADB_DSN=anydb_mariadb

status=0
"$@" <&0 &
child=$!
trap 'kill -TERM "$child" 2>/dev/null; wait "$child"; exit 143' TERM
trap 'kill -TERM "$child" 2>/dev/null; wait "$child"; exit 130' INT
wait "$child" || status=$?
exit "$status"
