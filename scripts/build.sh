#!/usr/bin/env bash
# Configures and builds anydb in BUILD_DIR (default: build). Extra arguments go to cmake.
#   scripts/build.sh                         a RelWithDebInfo build in build/
#   BUILD_DIR=build-asan scripts/build.sh -DANYDB_SANITIZE=address
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=${BUILD_DIR:-build}
jobs=${JOBS:-$(nproc)}
cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=${BUILD_TYPE:-RelWithDebInfo} "$@" >"$build_dir.configure.log" 2>&1 ||
  { cat "$build_dir.configure.log" >&2; echo "build.sh: cmake configure failed" >&2; exit 1; }
cmake --build "$build_dir" -j "$jobs"
