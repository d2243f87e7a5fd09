#!/usr/bin/env bash
# Runs a command with every database server the tests need started for it, and stopped after:
# a throwaway PostgreSQL (with-postgres.sh) and MariaDB (with-mariadb.sh), and a private
# unixODBC configuration with the SQLite, PostgreSQL and MariaDB drivers (with-odbc.sh). Each
# layer exports the variables the tests read (ANYDB_TEST_PG_URI, ANYDB_TEST_MARIADB_SOCKET,
# ANYDB_TEST_ODBC_*_URI, ...) and removes what it made, whatever happens.
# SQLite needs no server: its tests make their own files in temporary directories.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
if [ "$#" -eq 0 ]; then
  printf 'usage: with-databases.sh CMD [ARG...]\n' >&2
  exit 2
fi
exec "$here/with-postgres.sh" "$here/with-mariadb.sh" "$here/with-odbc.sh" "$@"
