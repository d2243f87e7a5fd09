// isolationtester's output, reproduced from what the harness observed. The format follows
// isolationtester.c (printResultSet(), try_complete_step()) and libpq's PQprint().

#include "pg_output.hpp"

#include <fmt/format.h>

#include <fstream>
#include <sstream>

namespace anydb::conformance::isolation {

namespace {

// PQprint's test: only digits, '.', 'e', 'E', ' ' and '-', not starting with 'e' or 'E', and
// ending with a digit. Empty values (NULL, '') say nothing.
bool looks_numeric(const std::string& value) {
  if (value.empty()) return true;
  if (value.find_first_not_of("0123456789.eE -") != std::string::npos) return false;
  if (value.front() == 'e' || value.front() == 'E') return false;
  return value.back() >= '0' && value.back() <= '9';
}

std::string pad(const std::string& text, std::size_t width, bool right) {
  const std::string fill(width > text.size() ? width - text.size() : 0, ' ');
  return right ? fill + text : text + fill;
}

}  // namespace

std::vector<std::string> format_table(const Table& table) {
  const std::size_t n = table.columns.size();
  std::vector<std::size_t> width(n);
  std::vector<bool> numeric(n, true);
  for (std::size_t c = 0; c < n; ++c) {
    width[c] = table.columns[c].size();
    for (const auto& row : table.rows) {
      const std::string value = row[c].value_or("");
      width[c] = std::max(width[c], value.size());
      if (!looks_numeric(value)) numeric[c] = false;
    }
  }
  const auto line = [&](auto&& cell, const char* separator) {
    std::string out;
    for (std::size_t c = 0; c < n; ++c) {
      if (c > 0) out += separator;
      out += cell(c);
    }
    return out;
  };
  std::vector<std::string> lines;
  lines.push_back(
      line([&](std::size_t c) { return pad(table.columns[c], width[c], numeric[c]); }, "|"));
  lines.push_back(line([&](std::size_t c) { return std::string(width[c], '-'); }, "+"));
  for (const auto& row : table.rows)
    lines.push_back(
        line([&](std::size_t c) { return pad(row[c].value_or(""), width[c], numeric[c]); }, "|"));
  lines.push_back(fmt::format("({} row{})", table.rows.size(), table.rows.size() == 1 ? "" : "s"));
  lines.emplace_back();
  return lines;
}

void append_outcome(std::vector<std::string>& lines, const Observed& observed) {
  for (const auto& table : observed.tables) {
    const auto printed = format_table(table);
    lines.insert(lines.end(), printed.begin(), printed.end());
  }
  if (observed.result != Observed::Result::error) return;
  // isolationtester prints "severity:  primary"; an error that ends a statement is an ERROR
  // (a FATAL one ends the connection, which the harness reports as a harness error).
  lines.push_back(
      fmt::format("ERROR:  {}", observed.primary.empty() ? observed.message : observed.primary));
}

}  // namespace anydb::conformance::isolation

namespace anydb::conformance {

int run_isolationtester_output(const std::filesystem::path& file, std::FILE* out) {
  using namespace isolation;
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "anydb-conformance: cannot read %s\n", file.string().c_str());
    return 1;
  }
  std::ostringstream text;
  text << in.rdbuf();
  const Spec spec = parse_spec(text.str(), file.stem().string(), file.string());
  check_directives(spec);
  const RunTraits run = run_traits();
  std::fprintf(out, "Parsed test spec with %zu sessions\n", spec.sessions.size());
  int status = 0;
  for (const auto& permutation : spec.all_permutations()) {
    // Step names only, without their annotations, as isolationtester prints them.
    std::string names;
    for (const auto& step : permutation.steps) names += " " + spec.steps[step.step].name;
    std::fprintf(out, "\nstarting permutation:%s\n", names.c_str());
    const PermutationRun result = run_permutation(spec, permutation, run);
    for (const auto& line : result.output) std::fprintf(out, "%s\n", line.c_str());
    std::fflush(out);
    for (const auto& error : result.errors) {
      std::fprintf(stderr, "anydb-conformance: %s: permutation %s: %s\n", file.string().c_str(),
                   spec.describe(permutation).c_str(), error.c_str());
      status = 1;
    }
  }
  return status;
}

}  // namespace anydb::conformance
