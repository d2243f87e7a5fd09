#!/usr/bin/env bash
# The first command of the README: install what is missing, build, and run the main job on the
# embedded default (SQLite, a database file in the current directory): eight threads race to
# get-or-create key 7, exactly one of them prints "7 True".
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/install-deps.sh" build
"$root/scripts/build.sh" -DANYDB_BUILD_TESTS=OFF
echo "+ anydb get-or-create 7 7 7 7 7 7 7 7"
"$root/build/bin/anydb" get-or-create 7 7 7 7 7 7 7 7
