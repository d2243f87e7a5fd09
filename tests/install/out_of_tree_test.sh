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

echo "--- the SONAME follows the ABI number, and anydb.pc points into the prefix"
abi=$(sed -n 's/^set(ANYDB_ABI_VERSION \([0-9]*\))$/\1/p' "$prefix/lib/cmake/anydb/anydbConfig.cmake")
soname=$(objdump -p "$prefix/lib/libanydb.so" | awk '$1 == "SONAME" {print $2}')
[[ -n $abi && $soname == "libanydb.so.$abi" ]] || { echo "SONAME '$soname', ABI '$abi'"; exit 1; }
for variable in includedir libdir plugindir; do
  dir=$(PKG_CONFIG_PATH="$prefix/lib/pkgconfig" pkg-config --variable=$variable anydb)
  case $variable in
    includedir) want=$prefix/include ;;
    libdir) want=$prefix/lib ;;
    plugindir) want=$prefix/lib/anydb/plugins ;;
  esac
  [[ $(realpath "$dir") == "$(realpath "$want")" ]] || { echo "anydb.pc: $variable is $dir"; exit 1; }
done

echo "--- an application that links only anydb::core needs no Boost"
mkdir -p "$work/app"
cat >"$work/app/CMakeLists.txt" <<'CMAKE'
cmake_minimum_required(VERSION 3.25)
project(anydb_app LANGUAGES CXX)
find_package(anydb CONFIG REQUIRED)
add_executable(app app.cpp)
target_link_libraries(app PRIVATE anydb::core)
CMAKE
printf '#include <anydb/anydb.hpp>\nint main() { return anydb::abi_version > 0 ? 0 : 1; }\n' >"$work/app/app.cpp"
# Boost is made unfindable: the package must still load, and the program still build.
cmake -S "$work/app" -B "$work/app/build" -DCMAKE_PREFIX_PATH="$prefix" \
  -DCMAKE_DISABLE_FIND_PACKAGE_Boost=TRUE >"$work/app-configure.log" 2>&1 ||
  { cat "$work/app-configure.log"; exit 1; }
cmake --build "$work/app/build" >"$work/app-build.log" 2>&1 || { cat "$work/app-build.log"; exit 1; }
"$work/app/build/app"
# shellcheck disable=SC2046  # pkg-config prints a list of flags
g++ $(PKG_CONFIG_PATH="$prefix/lib/pkgconfig" pkg-config --cflags anydb) -M "$work/app/app.cpp" \
  >"$work/app.deps"
if grep -q boost "$work/app.deps"; then echo "<anydb/anydb.hpp> includes Boost headers"; exit 1; fi

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
