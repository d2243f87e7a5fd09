#pragma once

// What main() needs from the isolation specs and the runner's conveniences.

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <vector>

namespace anydb::conformance {

// Registers one GoogleTest test per (spec, permutation): test suite "Spec/<spec name>" ('-'
// becomes '_', because gtest filters use '-' for exclusion), test "<NN>_<step>_<step>...".
// The specs compiled into the program come first (tests/conformance/specs/*.spec); a *.spec
// file in one of `dirs` adds a spec or replaces the compiled-in one of the same name. A spec
// that does not parse becomes a failing test "Spec/<name>.parse".
void register_isolation_specs(const std::vector<std::filesystem::path>& dirs);

// --block-timeout: how long a step may run before it counts as waiting where the database
// cannot say (SQLite). --transcripts: print every permutation's transcript, not only failing
// ones.
void set_isolation_block_timeout(std::chrono::milliseconds timeout);
void set_isolation_transcripts(bool always);

// --list: every test suite and test that --gtest_filter selects, with what each spec test runs.
void print_test_list(std::FILE* out);

// After gtest's summary, repeats every skipped test with its reason.
void install_skip_summary();

}  // namespace anydb::conformance
