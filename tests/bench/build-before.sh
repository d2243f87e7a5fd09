#!/usr/bin/env bash
# build-before.sh OUT_DIR: builds the anydb CLI and its SQLite and PostgreSQL plugins as they
# were when issue 15 was filed (commit 5635bdf, "today's batched path" of its bulk target), into
# OUT_DIR, so that run-benchmarks.sh can run the old and the new bulk path side by side on the
# same machine in the same minutes. The source comes from this repository's history
# (`git archive`), not from the network; OUT_DIR/bin/anydb is left when it is done, and a later
# call with the same OUT_DIR does nothing.
set -euo pipefail
before_commit=5635bdf
[ $# = 1 ] || { echo "usage: build-before.sh OUT_DIR" >&2; exit 2; }
out=$1
[ -x "$out/bin/anydb" ] && exit 0
repo=$(cd "$(dirname "$0")/../.." && pwd)
git -C "$repo" cat-file -e "$before_commit^{commit}" 2>/dev/null ||
  { echo "build-before.sh: commit $before_commit is not in $repo (a shallow clone?)" >&2; exit 1; }
mkdir -p "$out"
source_dir=$(cd "$out" && pwd)/source
rm -rf "$source_dir"
mkdir "$source_dir"
git -C "$repo" archive "$before_commit" | tar -x -C "$source_dir"
log="$out/build.log"
echo "build-before.sh: building the CLI of $before_commit in $out (a few minutes; log: $log)" >&2
{
  cmake -S "$source_dir" -B "$out" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DANYDB_BUILD_TESTS=OFF \
    -DANYDB_WITH_SQLITE=ON -DANYDB_WITH_POSTGRESQL=ON -DANYDB_WITH_ODBC=OFF -DANYDB_WITH_MARIADB=OFF &&
    cmake --build "$out" -j "$(nproc)" --target anydb_cli anydb-backend-sqlite anydb-backend-postgresql
} >"$log" 2>&1 || { tail -20 "$log" >&2; echo "build-before.sh: the build of $before_commit failed" >&2; exit 1; }
[ -x "$out/bin/anydb" ] || { echo "build-before.sh: $out/bin/anydb was not built" >&2; exit 1; }
