#!/usr/bin/env bash
# Runs a command with every database server the tests need started for it, and stopped after.
# SQLite needs no server: its tests make their own files in temporary directories.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
exec "$here/with-postgres.sh" "$@"
