#!/usr/bin/env bash
# What a plugin author does, end to end: install anydb into a fresh prefix, build the example
# backend from examples/ against it with find_package(anydb), and prove the plugin with the
# installed conformance runner and the installed CLI (which must find the installed plugins
# with no environment variable).
#
#   out_of_tree_test.sh <anydb build dir> <examples/trace-backend> <extra CXX flags>
set -euo pipefail
build_dir=$1 example_dir=$2 cxx_flags=${3:-}
work=$(mktemp -d "${TMPDIR:-/tmp}/anydb-install-test.XXXXXX")
trap 'rm -rf "$work"' EXIT
prefix=$work/prefix

echo "--- install into $prefix"
cmake --install "$build_dir" --prefix "$prefix" >"$work/install.log"

echo "--- configure and build the example against the installed package"
cmake -S "$example_dir" -B "$work/example" -DCMAKE_PREFIX_PATH="$prefix" \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS="-Wall -Wextra -Wpedantic -Werror $cxx_flags" \
  >"$work/configure.log" 2>&1 || { cat "$work/configure.log"; exit 1; }
cmake --build "$work/example" -j 2 >"$work/build.log" 2>&1 || { cat "$work/build.log"; exit 1; }
plugin=$work/example/anydb-backend-trace.so
nm -D --defined-only "$plugin" | awk '{print $3}' | sort >"$work/exports"
printf 'anydb_abi_version\nanydb_create_backend\n' | diff - "$work/exports" ||
  { echo "the example plugin exports more than its two symbols"; exit 1; }

echo "--- the installed CLI finds the installed plugins by itself"
(cd "$work" && env -u ANYDB_PLUGIN_PATH "$prefix/bin/anydb" backends) | tee "$work/backends.txt"
grep -q "^sqlite .*$prefix/lib/anydb/plugins/anydb-backend-sqlite.so" "$work/backends.txt"

echo "--- the installed CLI runs the example plugin by path"
(cd "$work" && ANYDB_TRACE_FILE="$work/trace.log" "$prefix/bin/anydb" get-or-create \
  --backend "$plugin" --db "trace:sqlite:$work/demo.db" 5 5 5 5) | sort >"$work/out.txt"
printf '5 False\n5 False\n5 False\n5 True\n' | diff - "$work/out.txt"
grep -q 'trace: sqlite INSERT INTO "mymodel"' "$work/trace.log"

echo "--- the installed conformance runner passes on the example plugin"
ANYDB_TRACE_FILE="$work/conformance-trace.log" \
  "$prefix/bin/anydb-conformance" --backend "$plugin" --db "trace:sqlite:{tmpdir}/conformance.db"
