#!/usr/bin/env bash
# Builds anydb's .deb packages as a distribution would (a fresh build with
# -DCMAKE_INSTALL_PREFIX=/usr, then `cpack -G DEB`), checks their names, contents and dependencies,
# installs them with dpkg -i, runs `anydb backends` and a race from /usr/bin/anydb, builds a small
# program against the installed libanydb-dev with pkg-config and checks that it needs no Boost
# header, and purges the packages again — also when a step fails. It refuses to start when any of
# its packages is already installed, so it never replaces or removes what someone else installed.
#
#   packages_test.sh <source dir> "<backend> ..." <abi version>
set -euo pipefail
source_dir=$1 backends=$2 abi=$3
multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
libdir=/usr/lib/$multiarch
packages=("libanydb$abi" libanydb-dev anydb)
for backend in $backends; do packages+=("anydb-backend-$backend"); done
declare -A client_library=([sqlite]=libsqlite3-0 [postgresql]=libpq5 [odbc]=libodbc2 [mariadb]=libmariadb3)

fail() { echo "packages_test: $*" >&2; exit 1; }
[[ $(id -u) -eq 0 ]] || fail "must run as root (it installs the packages with dpkg -i)"
for package in "${packages[@]}"; do
  if dpkg-query -W -f='${db:Status-Status}' "$package" 2>/dev/null | grep -qv '^not-installed$'; then
    fail "$package is already installed; remove it first (this test installs and purges it)"
  fi
done
[[ ! -e /usr/bin/anydb ]] || fail "/usr/bin/anydb exists and belongs to no anydb package; not touching it"

work=$(mktemp -d "${TMPDIR:-/tmp}/anydb-packages-test.XXXXXX")
installed=0
cleanup() {
  local status=$?
  if [[ $installed -eq 1 ]]; then
    echo "--- purge the packages"
    dpkg --purge "${packages[@]}" >"$work/purge.log" 2>&1 || { cat "$work/purge.log"; status=1; }
    for path in /usr/bin/anydb /usr/include/anydb "$libdir/libanydb.so.$abi" "$libdir/anydb" \
                "$libdir/pkgconfig/anydb.pc" "$libdir/cmake/anydb"; do
      if [[ -e $path ]]; then echo "packages_test: $path is left after the purge" >&2; status=1; fi
    done
  fi
  rm -rf "$work"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "--- configure and build with -DCMAKE_INSTALL_PREFIX=/usr in $work/build"
with=()
for backend in sqlite postgresql odbc mariadb; do
  if [[ " $backends " == *" $backend "* ]]; then state=ON; else state=OFF; fi
  with+=("-DANYDB_WITH_${backend^^}=$state")
done
cmake -S "$source_dir" -B "$work/build" -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX=/usr \
  -DANYDB_BUILD_TESTS=OFF -DANYDB_SANITIZE= "${with[@]}" >"$work/configure.log" 2>&1 ||
  { cat "$work/configure.log"; fail "configure failed"; }
cmake --build "$work/build" -j "${JOBS:-2}" >"$work/build.log" 2>&1 ||
  { tail -50 "$work/build.log"; fail "build failed"; }

echo "--- cpack -G DEB"
(cd "$work/build" && cpack -G DEB) >"$work/cpack.log" 2>&1 || { cat "$work/cpack.log"; fail "cpack failed"; }
debs=()
for package in "${packages[@]}"; do
  deb=$(find "$work/build" -maxdepth 1 -name "${package}_*.deb" -print -quit)
  [[ -n $deb ]] || { ls "$work/build"/*.deb >&2 || true; fail "no .deb for $package"; }
  debs+=("$deb")
done
[[ $(find "$work/build" -maxdepth 1 -name '*.deb' | wc -l) -eq ${#packages[@]} ]] ||
  fail "cpack built other packages than ${packages[*]}: $(ls "$work/build"/*.deb)"

echo "--- names, contents and dependencies"
field() { dpkg-deb -f "$1" "$2"; }
contents() { dpkg-deb -c "$1" | awk '{print $6}' | sed 's|^\./|/|'; }
expect_file() { contents "$1" | grep -qx "$2" || fail "$(basename "$1") lacks $2"; }
expect_depends() {
  field "$1" Depends | tr ',' '\n' | sed 's/^ *//' | grep -q "^$2\( \|$\)" ||
    fail "$(basename "$1") does not depend on $2 (Depends: $(field "$1" Depends))"
}
runtime=${debs[0]} dev=${debs[1]} cli=${debs[2]}
expect_file "$runtime" "$libdir/libanydb.so.$abi"
contents "$runtime" | grep -q "^/usr/include" && fail "the runtime package holds headers"
expect_file "$dev" /usr/include/anydb/anydb.hpp
expect_file "$dev" "$libdir/libanydb.so"
expect_file "$dev" "$libdir/pkgconfig/anydb.pc"
expect_file "$dev" "$libdir/cmake/anydb/anydbConfig.cmake"
expect_depends "$dev" "libanydb$abi"
expect_file "$cli" /usr/bin/anydb
expect_depends "$cli" "libanydb$abi"
index=3
for backend in $backends; do
  deb=${debs[$index]}
  expect_file "$deb" "$libdir/anydb/plugins/anydb-backend-$backend.so"
  expect_depends "$deb" "libanydb$abi"
  expect_depends "$deb" "${client_library[$backend]}"
  index=$((index + 1))
done
for deb in "${debs[@]}"; do
  echo "$(field "$deb" Package) $(field "$deb" Version): Depends: $(field "$deb" Depends)"
done
soname=$(objdump -p "$work/build/lib/libanydb.so.$abi" | awk '$1 == "SONAME" {print $2}')
[[ $soname == "libanydb.so.$abi" ]] || fail "SONAME is '$soname', expected libanydb.so.$abi"

echo "--- dpkg -i"
installed=1
dpkg -i "${debs[@]}" >"$work/install.log" 2>&1 || { cat "$work/install.log"; fail "dpkg -i failed"; }

echo "--- /usr/bin/anydb backends"
cd "$work"
env -u ANYDB_PLUGIN_PATH /usr/bin/anydb backends | tee "$work/backends.txt"
for backend in $backends; do
  grep -q "^$backend .*$libdir/anydb/plugins/anydb-backend-$backend.so\$" "$work/backends.txt" ||
    fail "anydb backends does not list the installed $backend plugin"
done

echo "--- a race from /usr/bin/anydb"
env -u ANYDB_PLUGIN_PATH /usr/bin/anydb get-or-create --db "$work/race.db" 7 7 7 7 | sort >"$work/race.txt"
printf '7 False\n7 False\n7 False\n7 True\n' | diff - "$work/race.txt" || fail "the race went wrong"

echo "--- pkg-config and a program built against libanydb-dev"
[[ $(pkg-config --variable=includedir anydb) == /usr/include ]] ||
  fail "anydb.pc: includedir is $(pkg-config --variable=includedir anydb)"
[[ $(pkg-config --variable=libdir anydb) == "$libdir" ]] ||
  fail "anydb.pc: libdir is $(pkg-config --variable=libdir anydb)"
[[ $(pkg-config --variable=plugindir anydb) == "$libdir/anydb/plugins" ]] ||
  fail "anydb.pc: plugindir is $(pkg-config --variable=plugindir anydb)"
cat >"$work/app.cpp" <<'CPP'
#include <anydb/anydb.hpp>
#include <iostream>
int main() {
  anydb::PluginLoader loader;
  auto connection = anydb::connect(loader.load("sqlite"), anydb::Uri::parse(":memory:"));
  connection->execute_script("CREATE TABLE t (k INTEGER UNIQUE)");
  auto result = anydb::get_or_create(*connection, "t", {{"k", anydb::Value(std::int64_t{1})}});
  std::cout << (result.created ? "created" : "found") << "\n";
}
CPP
# shellcheck disable=SC2046  # pkg-config prints a list of flags
g++ $(pkg-config --cflags anydb) -M "$work/app.cpp" >"$work/app.deps"
if grep -q boost "$work/app.deps"; then fail "an application including <anydb/anydb.hpp> reads Boost headers"; fi
# shellcheck disable=SC2046
g++ $(pkg-config --cflags anydb) "$work/app.cpp" -o "$work/app" $(pkg-config --libs anydb)
[[ $("$work/app") == created ]] || fail "the program built against libanydb-dev did not work"
echo "packages_test: ${packages[*]} built, installed, used and removed"
