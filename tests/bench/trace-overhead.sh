#!/usr/bin/env bash
# Instructions per cached Connection::execute() on SQLite, counted by callgrind, in two builds:
#   tests/bench/trace-overhead.sh SOURCE_A BUILD_A SOURCE_B BUILD_B [STATEMENTS]
# SOURCE is a source tree (for its headers), BUILD its build directory (libanydb and the SQLite
# plugin). The driver (trace_overhead.cpp) is compiled against each; each runs with 0 and with
# STATEMENTS (default 20000) statements, and the difference divided by STATEMENTS is what one
# statement costs, start-up excluded. Used to check that the trace hook, unset, adds nothing
# measurable (docs/benchmarks.md, "Tracing overhead").
set -euo pipefail
if [[ $# -lt 4 ]]; then
  echo "usage: $0 SOURCE_A BUILD_A SOURCE_B BUILD_B [STATEMENTS]" >&2
  exit 2
fi
statements=${5:-20000}
driver=$(cd "$(dirname "$0")" && pwd)/trace_overhead.cpp
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

instructions() {  # binary statements -> total instructions
  valgrind --tool=callgrind --callgrind-out-file=/dev/null "$1" "$2" 2>&1 |
    sed -n 's/^==[0-9]*== Collected : \([0-9]*\)$/\1/p'
}

per_statement() {  # label source build
  local binary=$work/$1
  c++ -std=c++20 -O2 -DBOOST_DLL_USE_STD_FS -I"$2/core/include" -I"$3/core/include" "$driver" \
    -o "$binary" -L"$3/lib" -Wl,-rpath,"$3/lib" -lanydb
  local base full
  base=$(instructions "$binary" 0)
  full=$(instructions "$binary" "$statements")
  echo $(((full - base) / statements))
}

a=$(per_statement a "$1" "$2")
b=$(per_statement b "$3" "$4")
echo "instructions per cached execute() on SQLite, $statements statements:"
echo "  A $1: $a"
echo "  B $3: $b"
echo "  B - A: $((b - a)) ($(awk -v a="$a" -v b="$b" 'BEGIN { printf "%+.2f%%", (b - a) * 100 / a }'))"
