#!/usr/bin/env bash
# Builds the libFuzzer targets with clang and runs each for a bounded time on the seed corpus
# in tests/fuzz/corpus/<target>. A crash fails the run and leaves the input in
# build-fuzz/artifacts/ (turn it into a regression test: add it to the corpus).
#   FUZZ_SECONDS=30 scripts/run-fuzzers.sh      (default 20 s per target)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
seconds=${FUZZ_SECONDS:-20}
build_dir=${FUZZ_BUILD_DIR:-build-fuzz}
compiler=$(command -v clang++-14 || command -v clang++ || true)
[[ -n "$compiler" ]] || { echo "run-fuzzers.sh: clang++ is missing (apt-get install clang-14)" >&2; exit 1; }
CXX=$compiler cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DANYDB_BUILD_FUZZERS=ON \
  -DANYDB_BUILD_TESTS=OFF -DANYDB_WITH_SQLITE=OFF -DANYDB_WITH_POSTGRESQL=OFF -DANYDB_WITH_ODBC=OFF \
  -DANYDB_WARNINGS_AS_ERRORS=ON >"$build_dir.configure.log" 2>&1 ||
  { cat "$build_dir.configure.log" >&2; exit 1; }
cmake --build "$build_dir" -j "${JOBS:-$(nproc)}" --target anydb_fuzz_uri anydb_fuzz_identifier anydb_fuzz_key_lines \
  anydb_fuzz_plugin_binding
mkdir -p "$build_dir/artifacts"
for target in uri identifier key_lines plugin_binding; do
  work=$(mktemp -d)
  cp "tests/fuzz/corpus/$target"/* "$work/"
  echo "=== fuzzing $target for ${seconds}s"
  "$build_dir/bin/anydb_fuzz_$target" -max_total_time="$seconds" -print_final_stats=1 \
    -artifact_prefix="$build_dir/artifacts/$target-" "$work" 2>&1 | tail -12
  rm -rf "$work"
done
echo "run-fuzzers.sh: no crash in $seconds s per target"
