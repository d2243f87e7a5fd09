#!/usr/bin/env bash
# Checks what the README's commands rely on, without running them (the full run takes an hour):
#   - every ctest run by a script fails when it finds no tests (--no-tests=error), so a build
#     configured without tests can never pass as a green run (issue 10, defect 6);
#   - every build stage of run-tests.sh states the options it relies on, tests ON first of all,
#     instead of inheriting whatever an earlier configure (run-demo.sh: tests OFF) left in the
#     CMake cache of the same build folder.
# Usage: check_test_scripts.sh <source dir>
set -euo pipefail
root=${1:?usage: check_test_scripts.sh <source dir>}
failures=0
fail() {
  echo "check_test_scripts: $*" >&2
  failures=$((failures + 1))
}

# Each command with its continuation lines joined, comments dropped.
commands_of() {
  sed -e 's/^[[:space:]]*#.*$//' -e 's/[[:space:]]#[[:space:]].*$//' "$1" | sed -e ':a' -e '/\\$/N; s/\\\n//; ta'
}

ctest_runs=0
for script in "$root"/scripts/*.sh "$root"/.ci/run; do
  while IFS= read -r line; do
    # A ctest that only lists (-N) runs nothing and needs no guard.
    [[ $line =~ (^|[[:space:]\"/])ctest([[:space:]]|$) ]] || continue
    [[ $line =~ [[:space:]]-N([[:space:]]|$) ]] && continue
    ctest_runs=$((ctest_runs + 1))
    [[ $line == *--no-tests=error* ]] || fail "${script#"$root"/}: ctest without --no-tests=error: $line"
  done < <(commands_of "$script")
done
[[ $ctest_runs -gt 0 ]] || fail "no ctest run found in scripts/ (has the test runner moved?)"

run_tests=$(commands_of "$root/scripts/run-tests.sh")
build=$(grep -E 'scripts/build\.sh' <<<"$run_tests" || true)
[[ $build == *-DANYDB_BUILD_TESTS=ON* ]] ||
  fail "run-tests.sh: the stages' build does not pass -DANYDB_BUILD_TESTS=ON: ${build:-(no build.sh call)}"
for stage in default asan tsan; do
  line=$(grep -E "run_stage $stage " <<<"$run_tests" || true)
  if [[ -z $line ]]; then
    fail "run-tests.sh: no run_stage line for stage $stage"
  elif [[ $line != *-DANYDB_SANITIZE=* ]]; then
    fail "run-tests.sh: stage $stage does not pass -DANYDB_SANITIZE=...: $line"
  fi
done

if [[ $failures -gt 0 ]]; then
  echo "check_test_scripts: $failures problem(s)" >&2
  exit 1
fi
echo "check_test_scripts: $ctest_runs ctest run(s) guarded; every stage passes its options"
