#!/usr/bin/env bash
# The lint stage of scripts/run-tests.sh: every C++ file is formatted as .clang-format says, and
# no function in core/, backends/ or cli/ breaks .clang-tidy's rules (cognitive complexity 25).
# Fails with the offending files and functions listed.
#
#   scripts/run-lint.sh            check
#   scripts/run-lint.sh --fix      reformat the files in place (clang-tidy findings stay manual)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
jobs=${JOBS:-$(nproc)}
for tool in clang-format-14 clang-tidy-14; do
  command -v "$tool" >/dev/null ||
    { echo "run-lint.sh: $tool is missing (scripts/install-deps.sh test installs it)" >&2; exit 1; }
done

mapfile -t sources < <(git ls-files '*.cpp' '*.hpp')
if [[ ${1:-} == --fix ]]; then
  clang-format-14 -i "${sources[@]}"
  echo "run-lint.sh: formatted ${#sources[@]} files"
  exit 0
fi

unformatted=()
for file in "${sources[@]}"; do
  clang-format-14 "$file" | cmp -s - "$file" || unformatted+=("$file")
done
if [[ ${#unformatted[@]} -gt 0 ]]; then
  printf 'run-lint.sh: not formatted (run scripts/run-lint.sh --fix): %s\n' "${unformatted[@]}" >&2
  exit 1
fi
echo "run-lint.sh: ${#sources[@]} files formatted as .clang-format says"

# clang-tidy needs the compile commands; configuring (no build) is enough, into a folder of its own.
lint_dir=${LINT_BUILD_DIR:-build-lint}
cmake -S . -B "$lint_dir" -DCMAKE_EXPORT_COMPILE_COMMANDS=ON -DANYDB_BUILD_TESTS=OFF \
  -DANYDB_WITH_SQLITE=ON -DANYDB_WITH_POSTGRESQL=ON -DANYDB_WITH_ODBC=ON -DANYDB_WITH_MARIADB=ON \
  >"$lint_dir.configure.log" 2>&1 || { cat "$lint_dir.configure.log" >&2; exit 1; }
mapfile -t checked < <(git ls-files 'core/*.cpp' 'backends/*.cpp' 'cli/*.cpp')
findings=$(printf '%s\n' "${checked[@]}" |
  xargs -P "$jobs" -n 4 clang-tidy-14 -p "$lint_dir" --quiet 2>/dev/null | grep -E ': (warning|error):' || true)
if [[ -n $findings ]]; then
  echo "$findings" >&2
  echo "run-lint.sh: clang-tidy found $(grep -c . <<<"$findings") problems" >&2
  exit 1
fi
echo "run-lint.sh: clang-tidy clean on ${#checked[@]} files in core/, backends/ and cli/"
