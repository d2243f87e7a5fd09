#pragma once

// Usage errors of the anydb command: one line, "anydb: <what is wrong> (try 'anydb ... --help')",
// whatever noticed the mistake — CLI11 while parsing, or the command checking its flags.

#include <CLI/CLI.hpp>

#include <stdexcept>
#include <string>
#include <string_view>

namespace anydb::cli {

// A mistake on the command line, found after parsing (flags that contradict each other, an
// empty key, ...). main() prints it as a usage error, with the hint to --help.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

[[noreturn]] void usage_error(const std::string& message);

// A validator for integer options whose message says what is wrong with the text given: not a
// whole number at all, or out of [min, max].
[[nodiscard]] CLI::Validator whole_number(long long min, long long max);

// The one-line message for a CLI11 parse error (other than --help and --version), worded as the
// rest of anydb's messages, without the "anydb: " prefix and without the hint.
[[nodiscard]] std::string parse_error_message(const CLI::ParseError& error, const CLI::App& app);

// The command whose help fits the error: "anydb get-or-create" when that was being parsed.
[[nodiscard]] std::string help_command(const CLI::App& app);

// Prints "anydb: <message> (try '<command> --help')" on stderr; returns the usage exit status.
int report_usage_error(std::string_view message, std::string_view command);

}  // namespace anydb::cli
