#!/usr/bin/env bash
# The second command of the README, and all that .ci/run does: install what is missing, build
# with warnings as errors, start the database servers the tests need, and run every test —
# then again under AddressSanitizer+UndefinedBehaviorSanitizer, and the concurrency tests under
# ThreadSanitizer, and each libFuzzer target for a bounded time; first of all the lint stage
# (clang-format and clang-tidy, scripts/run-lint.sh). Any missing database or failed stage fails
# the run; nothing is skipped.
#
#   ANYDB_TEST_STAGES="lint fuzz tsan default asan"   which stages to run (default: all five)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
stages=${ANYDB_TEST_STAGES:-lint fuzz tsan default asan}
jobs=${JOBS:-$(nproc)}

"$root/scripts/install-deps.sh" test

# Each stage states every option it relies on, because a build folder keeps the options of its
# last configure in the CMake cache: scripts/run-demo.sh configures build/ with tests OFF, and a
# stage that inherited that would build no tests and pass. The backends are ON, not AUTO, so a
# missing client library fails the configure instead of silently dropping that backend's tests.
# A stage must also find at least `min_tests` tests (ctest itself fails on none at all).
run_stage() {
  local name=$1 build_dir=$2 min_tests=$3 ctest_args=$4
  shift 4
  echo "=== stage $name: build in $build_dir"
  local started=$SECONDS
  BUILD_DIR=$build_dir BUILD_TYPE=${BUILD_TYPE:-RelWithDebInfo} "$root/scripts/build.sh" \
    -DANYDB_WARNINGS_AS_ERRORS=ON -DANYDB_BUILD_TESTS=ON -DANYDB_BUILD_FUZZERS=OFF \
    -DANYDB_WITH_SQLITE=ON -DANYDB_WITH_POSTGRESQL=ON -DANYDB_WITH_ODBC=ON -DANYDB_WITH_MARIADB=ON "$@"
  local found
  # shellcheck disable=SC2086  # ctest_args is a list of words
  found=$(ctest --test-dir "$build_dir" -N $ctest_args | sed -n 's/^Total Tests: //p')
  if [[ ${found:-0} -lt $min_tests ]]; then
    echo "run-tests.sh: stage $name found ${found:-0} tests in $build_dir, expected at least $min_tests" >&2
    exit 1
  fi
  echo "=== stage $name: $found tests (built in $((SECONDS - started)) s)"
  # shellcheck disable=SC2086  # ctest_args is a list of words
  "$root/scripts/with-databases.sh" ctest --test-dir "$build_dir" --output-on-failure --no-tests=error \
    -j "$jobs" $ctest_args
  echo "=== stage $name: passed in $((SECONDS - started)) s"
}

# The sanitizer stages do not build what they never run (the benchmark programs, the topology
# tests), which saves a good part of their build time. They keep line tables only (-g1): a
# sanitizer's report still names the file and line of every frame, and compiling under the
# sanitizers takes about a quarter less time than with full debug information.
sanitizer_stage_flags=(-DANYDB_BUILD_BENCHMARKS=OFF -DANYDB_BUILD_TOPOLOGY_TESTS=OFF
  "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O2 -g1 -DNDEBUG")
for stage in $stages; do
  case "$stage" in
    # Only the default stage builds, installs and removes the .deb packages (label packages), and
    # starts the cluster and pooler topologies (label topology: Galera, PgBouncer, failover).
    default) run_stage default build 150 "" -DANYDB_SANITIZE= ;;
    asan)
      ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1 \
      LSAN_OPTIONS="suppressions=$root/tests/lsan.supp" \
      UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
        run_stage asan build-asan 150 "-LE packages|topology" -DANYDB_SANITIZE=address \
          "${sanitizer_stage_flags[@]}" ;;
    tsan)
      TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 suppressions=$root/tests/tsan.supp" \
        run_stage tsan build-tsan 12 "-L conformance|cli|stress" -DANYDB_SANITIZE=thread \
          "${sanitizer_stage_flags[@]}" ;;
    lint)
      echo "=== stage lint"
      "$root/scripts/run-lint.sh" ;;
    fuzz)
      echo "=== stage fuzz"
      FUZZ_SECONDS=${FUZZ_SECONDS:-20} "$root/scripts/run-fuzzers.sh" ;;
    *) echo "run-tests.sh: unknown stage '$stage' (lint, default, asan, tsan, fuzz)" >&2; exit 2 ;;
  esac
done
echo "run-tests.sh: all stages passed ($stages)"
