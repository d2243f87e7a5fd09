#pragma once

// anydb-conformance --isolationtester-output SPEC: runs a spec's permutations and prints what
// PostgreSQL's isolationtester prints for them, line for line, so that the two can be compared
// with diff (docs/conformance.md says what is at parity and what is not).

#include "harness.hpp"

#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

namespace anydb::conformance::isolation {

// A result set as libpq's PQprint() prints it with isolationtester's options (header, aligned,
// '|' between fields): header, dashes, rows, "(N rows)" and a blank line. A column whose
// non-empty values all look numeric is right-aligned.
[[nodiscard]] std::vector<std::string> format_table(const Table& table);

// What isolationtester prints after a step's "step NAME: ..." line: its result sets, or
// "ERROR:  primary message".
void append_outcome(std::vector<std::string>& lines, const Observed& observed);

}  // namespace anydb::conformance::isolation

namespace anydb::conformance {

// Parses the spec at `file`, runs every permutation on the conformance context's database and
// prints isolationtester's output to `out`; harness errors go to stderr. 0 when every
// permutation ran, 1 otherwise.
[[nodiscard]] int run_isolationtester_output(const std::filesystem::path& file, std::FILE* out);

}  // namespace anydb::conformance
