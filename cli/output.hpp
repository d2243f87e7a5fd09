#pragma once

#include "options.hpp"

#include <anydb/error.hpp>
#include <anydb/get_or_create.hpp>

#include <CLI/CLI.hpp>
#include <nlohmann/json_fwd.hpp>

#include <cstdio>
#include <optional>
#include <string>
#include <string_view>

namespace anydb::cli {

void add_format_option(CLI::App& command, std::string& format);
[[nodiscard]] inline bool is_json(std::string_view format) { return format == "json"; }

// Writes one whole line to stdout (or stderr) and flushes it; safe to call from many threads,
// lines never interleave.
void print_line(std::string_view line);
void print_error_line(std::string_view line);

// JSON text that survives keys and values that are not valid UTF-8 (replaced with U+FFFD).
[[nodiscard]] std::string dump_json(const nlohmann::json& value);

// The outcome of one key, ready to print.
struct KeyOutcome {
  std::string key;
  std::optional<GetOrCreateResult> result;  // set on success
  std::optional<ErrorKind> error_kind;      // set on failure
  std::string error_message;
};

// Text: "7 True" / "7 False" on stdout, a failure as one line on stderr.
// JSON: one object per line on stdout, failures included.
void print_outcome(const KeyOutcome& outcome, std::string_view format);

// The line print_outcome() would print (without the newline); `to_stderr` tells where it goes.
[[nodiscard]] std::string outcome_line(const KeyOutcome& outcome, std::string_view format,
                                       bool& to_stderr);

// Writes `text` as is (several lines, or a partial line) to `stream` in one piece, under the same
// lock as print_line(), and flushes.
void print_block(std::FILE* stream, std::string_view text);

// Call once, as the command ends, with its exit status. When any write to stdout failed (a full
// disk, /dev/full, ...), says so in one line on stderr and turns a successful status into
// exit_key_failed: output that was lost must not look like a run that succeeded.
[[nodiscard]] int finish_output(int status);

}  // namespace anydb::cli
