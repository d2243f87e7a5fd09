#!/usr/bin/env bash
# Installs the Debian packages anydb needs that are missing. Run as root (CI and fresh
# machines are); prints what it installs and fails with one clear line when it cannot.
#
#   scripts/install-deps.sh build   compilers, libraries and client libraries
#   scripts/install-deps.sh test    the above plus the database servers and drivers the tests start
set -euo pipefail

profile=${1:-build}
build_packages=(
  g++ make cmake pkg-config
  libboost-dev libcli11-dev libfmt-dev nlohmann-json3-dev
  libsqlite3-dev sqlite3
  libpq-dev
  unixodbc-dev
  libmariadb-dev
  libgtest-dev libbenchmark-dev libsoci-dev
)
test_packages=(
  clang-14 libclang-rt-14-dev clang-format-14 clang-tidy-14 valgrind
  postgresql postgresql-client-15 pgbouncer
  unixodbc odbc-postgresql libsqliteodbc odbc-mariadb mariadb-server mariadb-client
  galera-4 rsync
  python3 dpkg-dev file procps
)

case "$profile" in
  build) wanted=("${build_packages[@]}") ;;
  test) wanted=("${build_packages[@]}" "${test_packages[@]}") ;;
  *) echo "install-deps.sh: unknown profile '$profile' (build or test)" >&2; exit 2 ;;
esac

missing=()
for package in "${wanted[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$package")
done
if [[ ${#missing[@]} -eq 0 ]]; then
  echo "install-deps.sh: all ${#wanted[@]} packages for '$profile' are installed"
  exit 0
fi

if [[ $(id -u) -ne 0 ]]; then
  echo "install-deps.sh: missing packages (${missing[*]}); run this script as root to install them" >&2
  exit 1
fi
echo "install-deps.sh: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install-deps.sh: installed ${#missing[@]} packages"
